"""Static files under content-hashed names, gzip-compressed and cached for a year.

`url_for('static', filename='session.js')` gives `/static/session.<hash>.js`: the hash is
of the file's content, so a changed file gets a new name and a browser may keep each name
forever (`Cache-Control: public, max-age=31536000, immutable`). Names are computed from the
files on disk when the first URL is built (never stale after an edit or `make assets`); the
served copies, and their `.gz` next to them, are written once under ASSETS_DIR
(var/assets) and sent as they are (`Content-Encoding: gzip` when the browser accepts it).
`url(...)` references inside CSS files (the bundled font) are rewritten to the hashed
names too. Unhashed names still work, revalidated on each use (`no-cache`).
`python -m webapp.assets` (run by `make assets`) writes the copies ahead of the first request.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
import sys
import tempfile
import threading
from pathlib import Path, PurePosixPath

from flask import Flask, abort, request, send_file, session

SUFFIXES = {".js", ".css", ".woff2", ".svg", ".png", ".txt"}
COMPRESS = {".js", ".css", ".svg", ".txt"}  # fonts and images are compressed already
YEAR = 365 * 24 * 3600
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")


def hashed_name(name: str, content: bytes) -> str:
    p = PurePosixPath(name)
    return str(p.with_name(f"{p.stem}.{hashlib.sha256(content).hexdigest()[:12]}{p.suffix}"))


class Assets:
    """The static folder's files by their hashed names, built once per process on first use."""

    def __init__(self, static_dir: Path, cache_dir: Path):
        self.static_dir, self.cache_dir = Path(static_dir), Path(cache_dir)
        self._names: dict[str, str] | None = None   # "session.js" -> "session.<hash>.js"
        self._lock = threading.Lock()

    def names(self) -> dict[str, str]:
        with self._lock:
            if self._names is None:
                self._names = self._build()
            return self._names

    def _build(self) -> dict[str, str]:
        files = sorted(p for p in self.static_dir.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        names: dict[str, str] = {}
        for p in sorted(files, key=lambda p: p.suffix == ".css"):  # CSS last: it names the others
            rel = p.relative_to(self.static_dir).as_posix()
            content = p.read_bytes()
            if p.suffix == ".css":
                content = self._rewrite_css(rel, content, names)
            names[rel] = hashed_name(rel, content)
            self._store(names[rel], content)
        return names

    @staticmethod
    def _rewrite_css(rel: str, css: bytes, names: dict[str, str]) -> bytes:
        """url(relative) → url(relative, hashed) for files already named."""
        folder = PurePosixPath(rel).parent

        def swap(m: re.Match) -> str:
            target = m.group(2)
            if ":" in target or target.startswith(("/", "#")):
                return m.group(0)
            full = os.path.normpath((folder / target).as_posix())
            if full not in names:
                return m.group(0)
            return f'url("{os.path.relpath(names[full], folder.as_posix())}")'

        return _CSS_URL.sub(swap, css.decode()).encode()

    def _store(self, name: str, content: bytes) -> None:
        """The served copy and its .gz, written once (atomically: several processes may build)."""
        dest = self.cache_dir / name
        variants = [(dest, content)]
        if dest.suffix in COMPRESS:
            variants.append((dest.with_name(dest.name + ".gz"), None))
        for path, data in variants:
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if data is None:
                data = gzip.compress(content, compresslevel=9, mtime=0)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)

    def source_of(self, filename: str) -> str | None:
        """The static file a hashed name stands for, or None (unknown or an older hash)."""
        m = _HASHED.match(filename)
        if not m:
            return None
        original = m.group("stem") + m.group("ext")
        return original if self.names().get(original) == filename else None

    def serve(self, filename: str):
        """A hashed name: the stored copy (gzip when accepted), immutable for a year."""
        if self.source_of(filename) is None:
            abort(404)
        path = self.cache_dir / filename
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        gz = path.with_name(path.name + ".gz")
        compressed = gz.exists() and "gzip" in request.headers.get("Accept-Encoding", "")
        response = send_file(gz if compressed else path, mimetype=mimetype, conditional=True,
                             max_age=YEAR, etag=True)
        if compressed:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        session.accessed = False  # the log-in check read the cookie, but this answer is the same for all
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response


def init_app(app: Flask) -> None:
    """Hashed names in every `url_for('static', …)`, and the static route serving them."""
    from webapp.config import var_dir

    assets = Assets(Path(app.static_folder), Path(app.config.get("ASSETS_DIR") or var_dir() / "assets"))
    app.extensions["opslab.assets"] = assets
    plain = app.view_functions["static"]

    @app.url_defaults
    def hashed(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = assets.names().get(values["filename"], values["filename"])

    def static(filename):
        if _HASHED.match(filename) and assets.source_of(filename):
            return assets.serve(filename)
        return plain(filename=filename)  # an unhashed name: revalidated on each use

    app.view_functions["static"] = static


def main() -> int:
    """Write the hashed, compressed copies now (`make assets`), so no request waits for them."""
    from webapp import create_app

    app = create_app()
    names = app.extensions["opslab.assets"].names()
    print(f"{len(names)} static files under hashed names in {app.extensions['opslab.assets'].cache_dir}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
