"""The pages work in a real Chromium under the Content-Security-Policy: no violation while
logging in, filtering the catalogue, changing the password and using the terminal, and
xterm.js renders its colours and cell sizes. The sandbox end of the terminal is a socket
pair (no engine needed here: the shell itself is tested in tests/integration)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

import webapp
from tests.web.test_views import add_session

CHROMIUM = "/usr/bin/chromium"
VENDOR = Path(webapp.__file__).parent / "static" / "vendor"
VIOLATIONS = "document.addEventListener('securitypolicyviolation', e => " \
             "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"


def needs(ok: bool, reason: str) -> None:
    if not ok:
        if os.environ.get("OPSLAB_REQUIRE_DOCKER"):
            pytest.fail(f"make test needs {reason}")
        pytest.skip(reason=f"needs {reason}")


class FakeTTY:
    """The sandbox end: prints a prompt with a true-colour and a 16-colour word."""

    def __init__(self):
        self.socket, self.peer = socket.socketpair()
        self.peer.sendall(b"root@box:~# \x1b[38;2;255;0;0mTRUE\x1b[0m \x1b[31mRED\x1b[0m\r\n")

    def resize(self, cols, rows):
        pass

    def close(self):
        self.socket.close()
        self.peer.close()


class FakeSandbox:
    def attach_tty(self, host, cols, rows):
        return FakeTTY()


@pytest.fixture
def served(app, monkeypatch):
    from werkzeug.serving import make_server

    from webapp import services

    monkeypatch.setattr(services, "provider", lambda: type("P", (), {"get": lambda self, sid: FakeSandbox()})())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_pages_work_under_the_csp(app, make_user, served):
    needs(os.path.exists(CHROMIUM), "Debian's chromium (infra/setup/ensure-web-deps.sh --browser)")
    needs((VENDOR / "xterm.js").exists(), "xterm.js in webapp/static/vendor (make assets)")
    from playwright.sync_api import expect, sync_playwright

    user = make_user("ann@example.org", "correct horse battery")
    sid = add_session(app, user.id)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_default_timeout(15_000)
        errors = []
        page.on("console", lambda m: "violat" in m.text.lower() and errors.append(m.text))
        page.add_init_script(VIOLATIONS)
        page.goto(served + "/login")
        page.fill("input[name=email]", "ann@example.org")
        page.fill("input[name=password]", "correct horse battery")
        page.click("button[type=submit]")
        expect(page).to_have_url(served + "/", timeout=15_000)
        page.wait_for_load_state("load")  # filters.js has run
        page.select_option("select[name=difficulty]", "advanced")  # filters.js submits the form
        expect(page).to_have_url(served + "/?skill=&difficulty=advanced", timeout=15_000)
        page.goto(served + "/account/password")
        page.fill("input[name=current]", "correct horse battery")
        page.fill("input[name=new]", "another horse battery")
        page.fill("input[name=confirm]", "another horse battery")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator(".flash")).to_contain_text("Password changed", timeout=15_000)
        page.goto(f"{served}/sessions/{sid}")
        expect(page.locator(".term.active .xterm-rows")).to_contain_text("root@box:~# TRUE RED", timeout=15_000)
        cells = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.xterm-rows span')]
            .map(s => [s.textContent.trim(), [getComputedStyle(s).color, getComputedStyle(s).display]]))""")
        browser.close()
    assert errors == []
    assert cells["TRUE"] == ["rgb(255, 0, 0)", "inline-block"]  # a style attribute
    assert cells["RED"][0] not in (cells["root@box:~#"][0], "rgb(255, 0, 0)")  # xterm's theme <style>
    assert {display for _, display in cells.values()} == {"inline-block"}  # xterm's cell-size <style>
