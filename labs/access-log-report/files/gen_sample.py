"""Sample logs of edge-01 for the candidate to try logreport on (fixed seed: same every time)."""
import datetime
import gzip
import os
import random
import sys

rng = random.Random(20250611)
out = sys.argv[1]
PATHS = ["/", "/api/v1/orders", "/api/v1/cart", "/static/app.js", "/static/app.css", "/login", "/healthz",
         "/api/v1/search", "/img/logo.svg", "/favicon.ico"]
WEIGHTS = [9, 14, 8, 12, 12, 4, 6, 7, 5, 3]
UAS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
       "curl/8.4.0", "kube-probe/1.29", "Googlebot/2.1 (+http://www.google.com/bot.html)"]
t = datetime.datetime(2025, 6, 11, 6, 0, 0, tzinfo=datetime.timezone.utc)


def line():
    global t
    t += datetime.timedelta(seconds=rng.randint(0, 3))
    path = rng.choices(PATHS, WEIGHTS)[0]
    if path.startswith("/api/v1/search"):
        path += f"?q=item{rng.randint(1, 99)}"
    status = rng.choices([200, 204, 301, 304, 404, 499, 500, 502], [70, 3, 3, 8, 8, 2, 3, 3])[0]
    size = 0 if status in (204, 304) else rng.randint(120, 90000)
    return (f'10.20.{rng.randint(0, 3)}.{rng.randint(2, 250)} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] '
            f'"{rng.choice(["GET"] * 5 + ["POST"])} {path} HTTP/1.1" {status} {size} "-" '
            f'"{rng.choice(UAS)}" {rng.randint(1, 900) / 1000:.3f}\n').encode()


def chunk(n, bad=()):
    lines = [line() for _ in range(n)]
    for i, text in bad:
        lines.insert(i, text)
    return b"".join(lines)


os.makedirs(out, exist_ok=True)
# oldest first: .3.gz, .2.gz, .1, then the live file
with gzip.open(f"{out}/access.log.3.gz", "wb") as f:
    f.write(chunk(900))
with gzip.open(f"{out}/access.log.2.gz", "wb") as f:
    f.write(chunk(1100, [(400, b'10.20.1.9 - - [11/Jun/2025:07:12:01 +0000] "GET /api/v1/orders HTTP/1.1" 200 51\n')]))
with open(f"{out}/access.log.1", "wb") as f:
    f.write(chunk(1200, [(17, b'10.20.2.77 - - [11/Jun/2025:08:01:13 +0000] "-" 400 0 "-" "-" 0.000\n'),
                         (600, b'10.20.0.4 - - [11/Jun/2025:08:30:44 +0000] "GET /login HTTP/1.1" 200 - "-" '
                               b'"Mozilla/5.0 (\xe4\xb8\xad\xe6\x96\x87; \xff\xfe)" 0.031\n')]))
with open(f"{out}/access.log", "wb") as f:
    f.write(chunk(700, [(300, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n"), (301, b"\n")]))
with open(f"{out}/error.log", "wb") as f:
    f.write(b"2025/06/11 09:14:02 [error] 812#812: *9921 upstream timed out (110: Connection timed out)\n")
