"""Static assets: content-hashed names in pages, gzip, a year of immutable caching; the bundled
font's URL inside the CSS is hashed too; unhashed and stale names still answer, revalidated."""

from __future__ import annotations

import gzip
import re


def test_pages_name_static_files_by_their_content(app, client, tmp_path):
    app.config["ASSETS_DIR"] = str(tmp_path / "assets")
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', html).group(1)
    r = client.get(css, headers={"Accept-Encoding": "gzip, br"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Vary"] == "Accept-Encoding" and r.mimetype == "text/css"
    body = gzip.decompress(r.data).decode()
    font = re.search(r'url\("(vendor/fonts/jetbrains-mono-latin-400-normal\.[0-9a-f]{12}\.woff2)"\)', body)
    assert font, body[:400]
    r = client.get(f"/static/{font.group(1)}")
    assert r.status_code == 200 and "Content-Encoding" not in r.headers and "immutable" in r.headers["Cache-Control"]
    plain = client.get(css, headers={"Accept-Encoding": "identity"})
    assert plain.data.decode() == body and "Content-Encoding" not in plain.headers


def test_unhashed_and_stale_names(app, client, tmp_path):
    app.config["ASSETS_DIR"] = str(tmp_path / "assets")
    r = client.get("/static/app.css")
    assert r.status_code == 200 and "immutable" not in r.headers.get("Cache-Control", "")
    assert client.get("/static/app.0123456789ab.css").status_code == 404
