"""`make bench` (web part): what a candidate feels, measured through the real platform.

prompt = click "Start lab" in the catalogue → the browser terminal shows the shell prompt
         (POST → Celery provisions the sandbox → the page's status poll sees `ready` →
         WebSocket → bash draws its prompt), in Chromium driven by Playwright
invite = a candidate with no account opens an invite link → the rules page → Start (pressed
         as soon as it can be: no reading time) → the shell prompt, a new browser context
         (a new guest) per run, on a one-lab assessment of the same lab; also from the Start
         click alone, to set beside `prompt`
check  = click Check on a ready session page → the score is shown and the button reads
         "Check" again (POST → Celery grades → the page's grade poll sees it done)
echo   = one keystroke sent on the terminal WebSocket → its echo back, from Python
reload = reload a ready lab page → the same shell's prompt drawn again (replayed)
drop   = close the page's WebSocket as a network drop would → the page reconnects by itself
         and the prompt is back; and the lab page's bytes on the wire, cold and after a reload

Starts redis-server, gunicorn and a Celery worker on loopback (tests.platform) with the
labs in BENCH_LABS (default tests/fixtures/labs) and benchmarks BENCH_LAB (default
greeting-file). BENCH_RUNS (default 5) sessions are started for prompt and check,
BENCH_INVITE_RUNS (default BENCH_RUNS) invites are opened; BENCH_ECHO (default 200) keystrokes. Uses Debian's Chromium (BENCH_CHROMIUM, default
/usr/bin/chromium) and never downloads a browser. Prints the figures beside their targets,
then where the time went (the page's own timings, the database and the worker's log), and
writes var/bench/web.json (BENCH_WEB_OUT).
"""

from __future__ import annotations

import json
import os
import re
import select
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
import websocket

from grader.loader import load_lab
from opslab.cli.app import table
from tests.bench.bench_engine import pct
from tests.platform import CANDIDATE, ROOT, running_platform

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
INVITE_RUNS = int(os.environ.get("BENCH_INVITE_RUNS", str(RUNS)))
ECHO = int(os.environ.get("BENCH_ECHO", "200"))
LABS = Path(os.environ.get("BENCH_LABS", "tests/fixtures/labs")).resolve()
LAB = os.environ.get("BENCH_LAB", "greeting-file")
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
OUT = Path(os.environ.get("BENCH_WEB_OUT", "var/bench/web.json"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

TARGET_PROMPT, TARGET_CHECK, TARGET_ECHO_MS = 1.5, 1.0, 15.0
TARGET_RELOAD, TARGET_RECONNECT = 1.0, 1.0  # the same shell back, prompt drawn

# Runs in every page before its own scripts: timestamps (epoch ms, same clock across pages)
# for the click, the page's API calls, its WebSocket, the prompt and the Check round trip.
PAGE_PROBE = r"""
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = window.__bench = { fetches: [] };
  const once = (k) => { if (!(k in marks)) marks[k] = now(); };
  document.addEventListener("DOMContentLoaded", () => once("dcl"));
  const realFetch = window.fetch;
  window.fetch = async (...args) => {
    const url = String(args[0]), t0 = now();
    const r = await realFetch(...args);
    const entry = { url, t0, t1: now(), status: r.status };
    marks.fetches.push(entry);
    r.clone().json().then((b) => { entry.state = b.state; entry.done = b.done; }).catch(() => {});
    return r;
  };
  const RealWS = window.WebSocket;
  window.WebSocket = function (...args) {
    once("ws_new");
    const ws = new RealWS(...args);
    ws.addEventListener("open", () => once("ws_open"));
    ws.addEventListener("message", () => once("ws_first"));
    ws.__t0 = now(); ws.__msgs = 0;  // per socket: the replay is the message after the "hello"
    ws.addEventListener("message", () => { ws.__msgs += 1; if (ws.__msgs === 2) ws.__replay = now(); });
    (window.__sockets = window.__sockets || []).push(ws);
    return ws;
  };
  window.WebSocket.prototype = RealWS.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  const needle = %s;
  new MutationObserver(() => {
    if (!("prompt" in marks)) {
      const rows = document.querySelector(".xterm-rows");
      if (rows && rows.textContent.includes(needle)) once("prompt");
    }
    const btn = document.getElementById("check"), score = document.getElementById("score");
    if (marks.check_click && !marks.check_done && btn && btn.textContent === "Check" && score
        && score.textContent !== "\u2026") {
      marks.check_done = now();
      marks.check_score = score.textContent;
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
  document.addEventListener("click", (e) => {
    const t = now();
    if (e.target.closest && e.target.closest("#check")) marks.check_click = t;
    if (e.target.closest && e.target.closest("li.lab button, .rules #start")) {
      sessionStorage.setItem("bench_click", String(t));
    }
  }, { capture: true });
  if (/^\/invite\/[^/]+$/.test(location.pathname)) {  // an invite link opened: its navigation began
    sessionStorage.setItem("bench_link", String(performance.timeOrigin));
  }
})();
"""


def epoch(value: str | None) -> float | None:
    """A datetime column as SQLite holds it (naive UTC) → epoch seconds."""
    if not value:
        return None
    dt = datetime.fromisoformat(str(value))
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def worker_events(log: Path) -> list[tuple[float, str, str, str]]:
    """(epoch, task name, task id, received|succeeded) from the Celery worker's INFO log."""
    out = []
    pat = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}): INFO/[^\]]+\] Task ([\w.]+)\[([\w-]+)\] "
                     r"(received|succeeded)")
    for line in log.read_text(errors="replace").splitlines():
        m = pat.match(line)
        if m:
            t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000
            out.append((t, m.group(3), m.group(4), m.group(5)))
    return out


class Api:
    """A logged-in requests.Session for stopping sessions and the terminal handshake."""

    def __init__(self, url: str, who: tuple[str, str]):
        self.url, self.s = url, requests.Session()
        token = self._csrf(self.s.get(url + "/login").text)
        r = self.s.post(url + "/login", data={"csrf_token": token, "email": who[0], "password": who[1]})
        if r.url.rstrip("/") != url:
            raise RuntimeError(f"could not log in as {who[0]}")
        self.csrf = self._csrf(r.text)

    @staticmethod
    def _csrf(html: str) -> str:
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    def status(self, sid: str) -> dict:
        return self.s.get(f"{self.url}/api/v1/sessions/{sid}").json()

    def wait(self, sid: str, states: set[str], timeout: float = 120) -> dict:
        end = time.time() + timeout
        while True:
            st = self.status(sid)
            if st["state"] in states:
                return st
            if st["state"] == "failed" or time.time() > end:
                raise RuntimeError(f"session {sid} is {st['state']}: {st.get('failure_reason') or 'timed out'}")
            time.sleep(0.1)

    def start(self, lab: str) -> str:
        r = self.s.post(self.url + "/api/v1/sessions", json={"lab": lab}, headers={"X-CSRFToken": self.csrf})
        r.raise_for_status()
        return r.json()["id"]

    def stop(self, sid: str) -> None:
        """Stop and wait until the sandbox is gone, so clean-up neither counts nor overlaps."""
        self.s.post(f"{self.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": self.csrf})
        self.wait(sid, {"destroyed", "failed"})

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.s.cookies)

    @classmethod
    def of_browser(cls, url: str, cookies: list[dict], page: str) -> Api:
        """The account a browser context is logged in as (an invite's guest has no password)."""
        self = cls.__new__(cls)
        self.url, self.s = url, requests.Session()
        for c in cookies:
            self.s.cookies.set(c["name"], c["value"])
        self.csrf = self._csrf(self.s.get(url + page).text)
        return self


def invite_links(platform, n: int) -> list[str]:
    """A team, a one-lab assessment of LAB and n single-use invite links, made with the CLI."""
    def cli(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "opslab.cli", *args], env=platform.env, cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()

    cli("team", "create", "Bench")
    aid = cli("assessment", "create", "--team", "Bench", "--title", "Bench", "--lab", LAB, "--time", "30m",
              "--mode", "practice")
    return [cli("assessment", "invite", aid, f"Bench candidate {i + 1}", "--base-url", platform.url)
            for i in range(n)]


def invite_runs(url: str, needle: str, links: list[str]) -> list[dict]:
    """Open each link in a new browser context, press Start on the rules page, wait for the prompt."""
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for i, link in enumerate(links):
                print(f"  invite {i + 1}/{len(links)}: link → rules → Start → prompt", file=sys.stderr)
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                ctx.add_init_script(PAGE_PROBE % json.dumps(needle))
                page = ctx.new_page()
                page.goto(link)
                page.click(".rules #start")
                page.wait_for_url(re.compile(r".*/sessions/[0-9a-f]+$"))
                sid = page.url.rsplit("/", 1)[1]
                try:
                    page.wait_for_function("() => window.__bench && window.__bench.prompt", timeout=120_000)
                    opened = float(page.evaluate("sessionStorage.getItem('bench_link')"))
                    click = float(page.evaluate("sessionStorage.getItem('bench_click')"))
                    marks = page.evaluate("window.__bench")
                    runs.append({"session": sid, "link_s": (marks["prompt"] - opened) / 1000,
                                 "start_s": (marks["prompt"] - click) / 1000, "click": click / 1000,
                                 "rules_s": (click - opened) / 1000, "page": page_phases(click, nav(page), marks)})
                finally:
                    cookies = ctx.cookies()
                    page.goto("about:blank")
                    guest = Api.of_browser(url, cookies, f"/sessions/{sid}")
                    guest.stop(sid)  # the attempt's one lab: submitted, so the attempt ends
                    ctx.close()
        finally:
            browser.close()
    return runs


def nav(page) -> dict:
    """The session page's navigation timing (it came as the redirect of the Start POST)."""
    return page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return { origin: performance.timeOrigin, redirectEnd: n.redirectEnd,
                 responseEnd: n.responseEnd, redirectCount: n.redirectCount }; }""")


def browser_runs(url: str, needle: str, api: Api) -> list[dict]:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            ctx.add_init_script(PAGE_PROBE % json.dumps(needle))
            page = ctx.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url + "/login")
            page.fill("input[name=email]", CANDIDATE[0])
            page.fill("input[name=password]", CANDIDATE[1])
            page.click("button[type=submit]")
            page.wait_for_url(url + "/")
            for i in range(RUNS):
                print(f"  run {i + 1}/{RUNS}: start → prompt → check", file=sys.stderr)
                page.goto(url + "/")
                page.click(f'li[data-lab="{LAB}"] button:has-text("Start lab")')
                page.wait_for_url(re.compile(r".*/sessions/[0-9a-f]+$"))
                sid = page.url.rsplit("/", 1)[1]
                try:
                    page.wait_for_function("() => window.__bench && window.__bench.prompt", timeout=120_000)
                    click = float(page.evaluate("sessionStorage.getItem('bench_click')"))
                    marks = page.evaluate("window.__bench")
                    run = {"session": sid, "click": click / 1000,
                           "prompt_s": (marks["prompt"] - click) / 1000, "page": page_phases(click, nav(page), marks)}
                    # Check: as a candidate would, a moment after the prompt (not in the same frame).
                    page.wait_for_timeout(500)
                    page.wait_for_function("() => !document.getElementById('check').disabled")
                    page.evaluate("document.getElementById('score').textContent = '\u2026'")
                    page.click("#check")
                    page.wait_for_function("() => window.__bench.check_done", timeout=120_000)
                    marks = page.evaluate("window.__bench")
                    if dialogs:
                        raise RuntimeError(f"the page showed an alert: {dialogs}")
                    run["check_click"] = marks["check_click"] / 1000
                    run["check_s"] = (marks["check_done"] - marks["check_click"]) / 1000
                    run["check_page"] = check_phases(marks)
                    run["score_shown"] = marks["check_score"]
                    runs.append(run)
                finally:
                    page.goto("about:blank")  # no more polling from this page
                    api.stop(sid)
        finally:
            browser.close()
    return runs


def reconnect_runs(url: str, needle: str, api: Api) -> dict:
    """The same shell again: reload the lab page → its prompt replayed; drop the WebSocket →
    the page reconnects by itself and the prompt is back. Also the lab page's bytes on the
    wire, first view (cold cache) and after a reload (hashed assets come from the cache)."""
    from playwright.sync_api import sync_playwright

    reload_s, drop_s, wire = [], [], {}
    sid = api.start(LAB)
    api.wait(sid, {"ready"})
    weight = """() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
        .reduce((n, e) => n + (e.transferSize || 0), 0)"""
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                ctx.add_init_script(PAGE_PROBE % json.dumps(needle))
                page = ctx.new_page()
                page.goto(url + "/login")
                page.fill("input[name=email]", CANDIDATE[0])
                page.fill("input[name=password]", CANDIDATE[1])
                page.click("button[type=submit]")
                page.wait_for_url(url + "/")
                page.goto(f"{url}/sessions/{sid}")
                page.wait_for_function("() => window.__bench && window.__bench.prompt", timeout=120_000)
                page.wait_for_load_state("load")
                wire["first_view_bytes"] = page.evaluate(weight)
                for i in range(RUNS):
                    print(f"  run {i + 1}/{RUNS}: reload → prompt, dropped socket → prompt", file=sys.stderr)
                    t0 = time.time() * 1000
                    page.reload()
                    page.wait_for_function("() => window.__bench && window.__bench.prompt", timeout=60_000)
                    reload_s.append((page.evaluate("window.__bench.prompt") - t0) / 1000)
                    page.wait_for_load_state("load")
                    wire["reload_bytes"] = page.evaluate(weight)
                    page.wait_for_timeout(300)
                    t0 = page.evaluate("""() => { const t = performance.timeOrigin + performance.now();
                        window.__sockets.forEach((ws) => ws.close()); return t; }""")
                    page.wait_for_function("() => { const s = window.__sockets; return s.length > 1 && s[s.length - 1].__replay; }",
                                           timeout=60_000)
                    drop_s.append((page.evaluate("window.__sockets[window.__sockets.length - 1].__replay") - t0) / 1000)
            finally:
                browser.close()
    finally:
        api.stop(sid)
    return {"reload_s": reload_s, "drop_s": drop_s, **wire}


# Spans as (name, from, to), each end a (part of the run, key) in ms after the click that
# started it (Start lab for PROMPT_SPANS, Check for CHECK_SPANS); from None = the click.
PROMPT_SPANS = [
    ("POST /labs/<id>/start (row + enqueue + redirect)", None, ("page", "post_done")),
    ("Celery pick-up of provision", ("server", "row_created"), ("server", "provision_received")),
    ("sandbox provisioning (engine + setup.sh)", ("server", "provision_received"), ("server", "ready_at")),
    ("page notices ready (status poll)", ("server", "ready_at"), ("page", "ready_seen")),
    ("WebSocket handshake", ("page", "ready_seen"), ("page", "ws_open")),
    ("TTY attach → prompt drawn", ("page", "ws_open"), ("page", "prompt")),
    ("total", None, ("page", "prompt")),
]
CHECK_SPANS = [
    ("POST /check (grade row + enqueue)", None, ("check_page", "post_done")),
    ("Celery pick-up of grade", ("check_server", "grade_row_created"), ("check_server", "grade_received")),
    ("grading in the worker", ("check_server", "grade_received"), ("check_server", "grade_done")),
    ("  of which grader.runner.grade", None, ("check_server", "grader_ms")),
    ("page notices the grade (grade poll)", ("check_server", "grade_done"), ("check_page", "done_seen")),
    ("score rendered", ("check_page", "done_seen"), ("check_page", "shown")),
    ("total", None, ("check_page", "shown")),
]


def span(run: dict, a: tuple | None, b: tuple) -> float | None:
    end = run[b[0]].get(b[1])
    start = 0 if a is None else run[a[0]].get(a[1])
    return None if end is None or start is None else round(end - start, 1)


def since(t: float | None, t0: float, scale: float = 1) -> float | None:
    """t - t0 in milliseconds (`scale` 1000 when both are in seconds); None stays None."""
    return None if t is None else round((t - t0) * scale, 1)


def page_phases(click: float, nav: dict, marks: dict) -> dict:
    """Milliseconds after the click at which the session page reached each step."""
    def ms(t):
        return since(t, click)

    polls = [f for f in marks["fetches"] if re.search(r"/api/v1/sessions/[0-9a-f]+$", f["url"])]
    ready = next((f for f in polls if f.get("state") == "ready"), None)
    return {"post_done": ms(nav["origin"] + nav["redirectEnd"]) if nav["redirectCount"] else None,
            "html": ms(nav["origin"] + nav["responseEnd"]), "dcl": ms(marks.get("dcl")),
            "polls_before_ready": len([f for f in polls if f.get("state") != "ready"]),
            "status_call_ms": round(statistics.median(f["t1"] - f["t0"] for f in polls), 1) if polls else None,
            "ready_poll_sent": ms(ready and ready["t0"]), "ready_seen": ms(ready and ready["t1"]),
            "ws_new": ms(marks.get("ws_new")), "ws_open": ms(marks.get("ws_open")),
            "ws_first": ms(marks.get("ws_first")), "prompt": ms(marks.get("prompt"))}


def check_phases(marks: dict) -> dict:
    t0 = marks["check_click"]
    def ms(t):
        return since(t, t0)

    post = next(f for f in marks["fetches"] if f["url"].endswith("/check") and f["t0"] >= t0)
    polls = [f for f in marks["fetches"] if "/grades/" in f["url"] and f["t0"] >= t0]
    done = next((f for f in polls if f.get("done")), None)
    return {"post_done": ms(post["t1"]), "grade_polls": len(polls), "done_poll_sent": ms(done and done["t0"]),
            "done_seen": ms(done and done["t1"]), "shown": ms(marks["check_done"])}


def server_phases(db: Path, worker_logs: list[Path], runs: list[dict]) -> None:
    """Add the server's side to each run: rows in the database and the workers' logs."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    events = [e for log in worker_logs for e in worker_events(log)]
    received = {}
    for t, name, tid, what in events:
        received.setdefault((name, tid), {})[what] = t
    provs = sorted((v for (n, _), v in received.items() if n == "webapp.tasks.provision" and "received" in v),
                   key=lambda v: v["received"])
    grades = sorted((v for (n, _), v in received.items() if n == "webapp.tasks.grade" and "received" in v),
                    key=lambda v: v["received"])
    for run in runs:
        created, ready = con.execute("select created_at, ready_at from lab_sessions where id = ?",
                                     (run["session"],)).fetchone()
        created, ready = epoch(created), epoch(ready)
        click = run["click"]
        prov = next((v for v in provs if v["received"] >= created - 0.01), {})
        run["server"] = {"row_created": since(created, click, 1000),
                         "provision_received": since(prov.get("received"), click, 1000),
                         "provision_done": since(prov.get("succeeded"), click, 1000),
                         "ready_at": since(ready, click, 1000)}
        g_created, g_done, report = con.execute(
            "select created_at, done_at, report from grades where session_id = ? and final = 0 order by id",
            (run["session"],)).fetchone()
        g_created, g_done = epoch(g_created), epoch(g_done)
        gtask = next((v for v in grades if v["received"] >= g_created - 0.01), {})
        c0 = run["check_click"]
        run["check_server"] = {"grade_row_created": since(g_created, c0, 1000),
                               "grade_received": since(gtask.get("received"), c0, 1000),
                               "grade_done": since(g_done, c0, 1000),
                               "grader_s": (json.loads(report) or {}).get("duration_seconds") if report else None}
        gs = run["check_server"]["grader_s"]
        run["check_server"]["grader_ms"] = None if gs is None else round(gs * 1000, 1)
    con.close()


INVITE_SPANS = [
    ("POST /invite/<token>/start (guest + row + enqueue + redirect)", None, ("page", "post_done")),
    ("sandbox ready (from the row's creation)", ("server", "row_created"), ("server", "ready_at")),
    ("page notices ready (status poll)", ("server", "ready_at"), ("page", "ready_seen")),
    ("WebSocket handshake", ("page", "ready_seen"), ("page", "ws_open")),
    ("TTY attach → prompt drawn", ("page", "ws_open"), ("page", "prompt")),
    ("total", None, ("page", "prompt")),
]


def invite_server_phases(db: Path, runs: list[dict]) -> None:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    for run in runs:
        created, ready = con.execute("select created_at, ready_at from lab_sessions where id = ?",
                                     (run["session"],)).fetchone()
        run["server"] = {"row_created": since(epoch(created), run["click"], 1000),
                         "ready_at": since(epoch(ready), run["click"], 1000)}
    con.close()


def echo_bench(url: str, api: Api, needle: str, host: str) -> list[float]:
    """Keystroke → echo on the terminal WebSocket, one character at a time, in ms."""
    sid = api.start(LAB)
    try:
        api.wait(sid, {"ready"})
        ws = websocket.create_connection(f"{url.replace('http', 'ws', 1)}/sessions/{sid}/terminal/{host}?cols=80&rows=24",
                                         header=[f"Cookie: {api.cookie()}"], timeout=15)
        ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            out = ""
            while needle not in out:
                out += output(ws)
            drain(ws)
            letters = "acdefghijklmnpqsuvwyz"  # none of them in the prompt
            samples = []
            for n in range(ECHO):
                c = letters[n % len(letters)]
                t0 = time.perf_counter()
                ws.send(json.dumps({"i": c}))
                got = ""
                while c not in got:
                    got += output(ws)
                samples.append((time.perf_counter() - t0) * 1000)
                if n % 40 == 39:  # clear the line before it wraps, and let its redraw pass
                    ws.send(json.dumps({"i": "\x15"}))
                    drain(ws)
            ws.send(json.dumps({"i": "\x15"}))
            drain(ws)
            return samples
        finally:
            ws.close()
    finally:
        api.stop(sid)


def output(ws) -> str:
    """The next terminal output; text frames are the window's state (writer or watcher), skipped."""
    frame = ws.recv()
    return "" if isinstance(frame, str) else frame.decode(errors="replace")


def drain(ws, quiet: float = 0.3) -> None:
    """Read whatever the shell still writes until it has been quiet for `quiet` seconds."""
    while select.select([ws.sock], [], [], quiet)[0]:
        ws.recv()


def fmt(v: float, unit: str) -> str:
    return f"{v:.2f} s" if unit == "s" else f"{v:.1f} ms"


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"error: no Chromium at {CHROMIUM}; run infra/setup/ensure-web-deps.sh --browser "
              "(the bench never downloads a browser)", file=sys.stderr)
        return 1
    lab = load_lab(LABS / LAB)
    host = lab.hosts[0].name
    needle = f"root@{host}"
    n_checks = sum(len(v) for v in lab.checks.values())
    light = len(lab.hosts) == 1
    with running_platform(LABS) as p:
        api = Api(p.url, CANDIDATE)
        print(f"web bench on {p.url}: {LAB}, {RUNS} × (click → prompt, Check → score), "
              f"{ECHO} keystrokes", file=sys.stderr)
        runs = browser_runs(p.url, needle, api)
        invited = invite_runs(p.url, needle, invite_links(p, INVITE_RUNS)) if INVITE_RUNS else []
        same_shell = reconnect_runs(p.url, needle, api)
        print(f"  {ECHO} keystrokes on the terminal WebSocket", file=sys.stderr)
        echo = echo_bench(p.url, api, needle, host)
        server_phases(p.var / "opslab.db", [p.var / f"{name}.log" for name in ("worker", "grader", "finisher")], runs)
        invite_server_phases(p.var / "opslab.db", invited)

    prompt = [r["prompt_s"] for r in runs]
    check = [r["check_s"] for r in runs]
    via_link = [r["link_s"] for r in invited]
    via_start = [r["start_s"] for r in invited]
    figures = [
        ("click Start lab → shell prompt", prompt, "s", TARGET_PROMPT if light else None,
         "light single-container lab" if light else f"{len(lab.hosts)} hosts: no target"),
        ("invite link opened → rules → Start → prompt", via_link, "s", None,
         "a new guest per run; Start pressed at once"),
        ("invite: click Start → shell prompt", via_start, "s", TARGET_PROMPT if light else None,
         "as Start lab, plus the guest account"),
        ("click Check → score shown", check, "s", TARGET_CHECK if n_checks <= 10 else None,
         f"{n_checks} checks" + ("" if n_checks <= 10 else ": no target")),
        ("keystroke → echo (loopback)", echo, "ms", TARGET_ECHO_MS, "WebSocket, from Python"),
        ("reload → same shell's prompt", same_shell["reload_s"], "s", TARGET_RELOAD, "page load + replay"),
        ("dropped socket → prompt back", same_shell["drop_s"], "s", TARGET_RECONNECT, "first retry + replay"),
    ]
    rows = []
    for name, values, unit, target, note in figures:
        if not values:
            continue
        p50 = pct(values, 50)
        verdict = "-" if target is None else ("ok" if p50 <= target else "MISSED")
        rows.append([name, str(len(values)), fmt(p50, unit), fmt(pct(values, 95), unit), fmt(min(values), unit),
                     fmt(max(values), unit), "-" if target is None else f"p50 ≤ {fmt(target, unit)}", verdict, note])
    print(f"\n{LAB} ({len(lab.hosts)} host(s), {n_checks} checks)")
    print(table(rows, ["FIGURE", "N", "p50", "p95", "min", "max", "TARGET", "", "NOTE"]))

    spans = {"prompt": PROMPT_SPANS, "check": CHECK_SPANS}
    for r in runs:
        r["spans_ms"] = {what: {name: span(r, a, b) for name, a, b in defs} for what, defs in spans.items()}
    for r in invited:
        r["spans_ms"] = {"invite": {name: span(r, a, b) for name, a, b in INVITE_SPANS}}
    spans["invite"] = INVITE_SPANS
    for what, title, of in (("prompt", "click Start lab → shell prompt", runs),
                            ("invite", "invite: click Start → shell prompt", invited),
                            ("check", "click Check → score shown", runs)):
        if not of:
            continue
        rows = []
        for name, _, _ in spans[what]:
            vals = [v for r in of if (v := r["spans_ms"][what][name]) is not None]
            if vals:
                rows.append([name, f"{statistics.median(vals):.0f}", f"{max(vals):.0f}"])
        print(f"\nwhere {title} goes (ms; each span's own median and max over the runs)")
        print(table(rows, ["SPAN", "p50", "max"]))
    print(f"lab page on the wire: first view {same_shell['first_view_bytes'] / 1024:.0f} KiB, "
          f"after a reload {same_shell['reload_bytes'] / 1024:.0f} KiB (hashed assets come from the cache)")
    print(f"first Check after the worker started: grader {runs[0]['check_server']['grader_s']:.2f} s; "
          f"page polls per Check p50 {statistics.median(r['check_page']['grade_polls'] for r in runs):.0f}, "
          f"status call p50 {statistics.median(r['page']['status_call_ms'] for r in runs):.0f} ms")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "lab": LAB, "hosts": len(lab.hosts), "checks": n_checks, "runs": RUNS, "at": time.time(),
        "prompt_p50": pct(prompt, 50), "prompt_p95": pct(prompt, 95),
        "check_p50": pct(check, 50), "check_p95": pct(check, 95),
        "echo_ms_p50": pct(echo, 50), "echo_ms_p95": pct(echo, 95),
        "invite_link_prompt_p50": pct(via_link, 50) if via_link else None,
        "invite_start_prompt_p50": pct(via_start, 50) if via_start else None, "invite_runs": invited,
        "targets": {"prompt_p50_s": TARGET_PROMPT, "check_p50_s": TARGET_CHECK, "echo_p50_ms": TARGET_ECHO_MS},
        "reload_p50": pct(same_shell["reload_s"], 50), "reconnect_p50": pct(same_shell["drop_s"], 50),
        "page_bytes": {k: v for k, v in same_shell.items() if k.endswith("_bytes")},
        "prompt": prompt, "check": check, "echo_ms": echo, "same_shell": same_shell, "runs_detail": runs}, indent=2))
    print(f"\nwritten {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
