"""The terminal in a real Chromium: the same shell after a reload (a running program, the
working directory, an open vi edit), one writer and many watchers, reconnecting by itself
after a dropped connection, and Ctrl+V as a bracketed paste."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.browser.test_browser import browser  # noqa: F401 - the module's Chromium fixture
from tests.platform import ADMIN, CANDIDATE

# Every WebSocket the page opens, so a test can drop one as a network would.
SOCKETS = """(() => { const Real = window.WebSocket; window.__sockets = [];
  window.WebSocket = function (...a) { const ws = new Real(...a); window.__sockets.push(ws); return ws; };
  window.WebSocket.prototype = Real.prototype; Object.assign(window.WebSocket, Real); })()"""


def log_in(context, url, who):
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script(SOCKETS)
    page.goto(url + "/login")
    page.fill("input[name=email]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def start_lab(page):
    from playwright.sync_api import expect

    page.locator('li[data-lab="greeting-file"]').get_by_role("button", name=re.compile("Start lab|Resume")).click()
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f]+$"))
    expect(page.locator(".term.active .xterm-rows")).to_contain_text("root@box", timeout=60_000)
    return page.url


def type_in(page, text):
    page.locator(".term.active").click()
    page.keyboard.type(text)


def stop(page):
    from playwright.sync_api import expect

    page.once("dialog", lambda d: d.accept())
    page.click("#stop")
    expect(page.locator("#state")).to_have_text("Finished", timeout=60_000)


@pytest.fixture
def context(browser):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    yield ctx
    ctx.close()


def test_a_reload_returns_to_the_same_shell(platform, context):
    from playwright.sync_api import expect

    page = log_in(context, platform.url, CANDIDATE)
    url = start_lab(page)
    rows = page.locator(".term.active .xterm-rows")
    type_in(page, "cd /srv; export MARK=kept-$((6*7)); sleep 600 &\n")
    type_in(page, "vi /tmp/edit.txt\n")
    expect(rows).to_contain_text(re.compile(r'"/tmp/edit.txt" \[New'), timeout=30_000)  # vi has the screen
    page.keyboard.type("ihello_from_before_the_reload")
    expect(rows).to_contain_text("hello_from_before_the_reload")

    page.goto(url)  # the same shell: vi is still open with its unsaved edit on screen
    expect(rows).to_contain_text("hello_from_before_the_reload", timeout=30_000)
    expect(page.locator("#term-banner")).to_be_hidden()
    type_in(page, " and after")
    page.keyboard.press("Escape")
    page.keyboard.type(":wq\n")
    page.keyboard.type("clear; echo $MARK $PWD; jobs; cat /tmp/edit.txt\n")
    expect(rows).to_contain_text("kept-42 /srv")
    expect(rows).to_contain_text(re.compile(r"Running\s+sleep 600"))
    expect(rows).to_contain_text("hello_from_before_the_reload and after")
    stop(page)

    # one recording for the host, with one marker for the reload
    sid = url.rsplit("/", 1)[1]
    cast = (platform.var / "recordings" / sid / "box.cast").read_text().splitlines()
    assert json.loads(cast[0])["version"] == 2
    markers = [json.loads(line)[2] for line in cast[1:] if json.loads(line)[1] == "m"]
    assert markers == ["reconnected"]


def test_a_second_window_watches_until_it_is_used(platform, context):
    from playwright.sync_api import expect

    first = log_in(context, platform.url, CANDIDATE)
    url = start_lab(first)
    second = context.new_page()
    second.set_default_timeout(30_000)
    second.goto(url)
    banner = second.locator("#term-banner")
    expect(banner).to_contain_text("Read-only: this lab's shell is in use in another window.")
    type_in(second, "echo from-the-watcher\n")  # ignored: a watcher's keys never reach the shell
    type_in(first, "echo writer-$((1+1))\n")
    expect(second.locator(".term.active .xterm-rows")).to_contain_text("writer-2")  # it watches live
    expect(first.locator(".term.active .xterm-rows")).not_to_contain_text("from-the-watcher")
    expect(first.locator("#term-banner")).to_be_hidden()

    second.get_by_role("button", name="Use this window").click()
    expect(banner).to_be_hidden()
    expect(first.locator("#term-banner")).to_contain_text("Read-only")
    type_in(second, "echo now-$((2+3))\n")
    expect(first.locator(".term.active .xterm-rows")).to_contain_text("now-5")
    first.wait_for_timeout(4000)  # no eviction loop: the roles stay as they are
    expect(banner).to_be_hidden()
    expect(first.locator("#term-banner")).to_contain_text("Read-only")
    assert "disconnected" not in first.locator(".term.active .xterm-rows").inner_text()

    # an admin watches read-only, with no way to take the candidate's shell
    admin_ctx = context.browser.new_context(viewport={"width": 1400, "height": 900})
    admin = log_in(admin_ctx, platform.url, ADMIN)
    admin.goto(url)
    expect(admin.locator("#term-banner")).to_contain_text("Watching read-only")
    expect(admin.get_by_role("button", name="Use this window")).to_be_hidden()
    expect(admin.locator(".term.active .xterm-rows")).to_contain_text("now-5")
    type_in(second, "echo still-mine\n")
    expect(admin.locator(".term.active .xterm-rows")).to_contain_text("still-mine")
    expect(second.locator("#term-banner")).to_be_hidden()
    admin_ctx.close()
    stop(second)


def test_a_dropped_connection_reconnects_by_itself(platform, context):
    """Offline: the terminal says it reconnects and the status poll that the server does not
    answer, each retrying with backoff; back online, both recover by themselves."""
    from playwright.sync_api import expect

    # Chromium's offline mode fails requests but not WebSockets: while "offline", the route
    # below answers each new terminal socket by closing it, as a dead network would.
    offline, routed = [], []

    def route(ws):
        if offline:
            ws.close(code=1011, reason="")
        else:
            routed.append(ws)
            ws.connect_to_server()

    context.route_web_socket(re.compile(r"/terminal/"), route)
    page = log_in(context, platform.url, CANDIDATE)
    start_lab(page)
    rows = page.locator(".term.active .xterm-rows")
    type_in(page, "cd /etc\n")
    context.set_offline(True)
    offline.append(True)
    for ws in routed:  # the network drops: the page sees its sockets close
        ws.close(code=1011, reason="")
    # the close handshake goes through Playwright's WebSocket proxy: slow on a loaded machine
    expect(page.locator("#term-banner-text")).to_have_text("Reconnecting…", timeout=20_000)
    page.wait_for_timeout(3000)  # a few tries fail while offline, each waiting longer
    tries = page.evaluate("window.__sockets.length")
    assert 2 <= tries <= 6, tries
    expect(page.locator("#state")).to_have_text("The server is not answering — retrying…", timeout=20_000)
    offline.clear()
    context.set_offline(False)
    expect(page.locator("#term-banner")).to_be_hidden(timeout=20_000)
    expect(page.locator("#state")).to_have_text("Ready", timeout=20_000)
    type_in(page, "echo back-in-$PWD\n")
    expect(rows).to_contain_text("back-in-/etc")
    stop(page)


def test_ctrl_v_pastes_a_heredoc_as_a_bracketed_paste(platform, context):
    from playwright.sync_api import expect

    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=platform.url)
    page = log_in(context, platform.url, CANDIDATE)
    url = start_lab(page)
    expect(page.locator("#term-hint")).to_contain_text("Esc then Tab")
    heredoc = "cat > /srv/greeting.txt <<'EOF'\nhello\nEOF\n"
    page.evaluate("(t) => navigator.clipboard.writeText(t)", heredoc)
    page.locator(".term.active").click()
    page.keyboard.press("Control+V")
    page.keyboard.type("chmod 600 /srv/greeting.txt; echo size-$(wc -c < /srv/greeting.txt)\n")
    rows = page.locator(".term.active .xterm-rows")
    expect(rows).to_contain_text("size-6")
    page.click("#check")
    expect(page.locator("#score")).to_have_text("3 / 3")

    # selecting copies (a double click selects a word)
    type_in(page, "clear; echo copy_me\n")
    line = rows.locator("div").filter(has_text=re.compile(r"^copy_me\s*$"))
    expect(line).to_have_count(1)
    box = line.bounding_box()  # the screen above the rows takes the mouse, as it does for a person
    page.mouse.dblclick(box["x"] + 20, box["y"] + box["height"] / 2)
    page.wait_for_function("() => navigator.clipboard.readText().then((t) => t === 'copy_me')")
    stop(page)

    sid = url.rsplit("/", 1)[1]
    typed = "".join(json.loads(line)[2] for line in
                    (platform.var / "recordings" / sid / "box.cast").read_text().splitlines()[1:]
                    if json.loads(line)[1] == "i")
    assert "\x1b[200~cat > /srv/greeting.txt <<'EOF'\rhello\rEOF\r\x1b[201~" in typed


def test_esc_then_tab_leaves_the_terminal(platform, context):
    from playwright.sync_api import expect

    page = log_in(context, platform.url, CANDIDATE)
    start_lab(page)
    page.locator(".term.active").click()
    page.keyboard.press("Tab")  # Tab alone completes in the shell: the focus stays
    assert page.evaluate("document.activeElement.classList.contains('xterm-helper-textarea')")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate("document.activeElement.classList.contains('xterm-helper-textarea')")
    expect(page.locator("#term-hint")).to_be_visible()
    stop(page)


def test_the_terminal_fits_its_window_and_a_phone(platform, context):
    from playwright.sync_api import expect

    page = log_in(context, platform.url, CANDIDATE)
    start_lab(page)
    # the bundled font, loaded before xterm.js measured its cells (underscores stay in the cell)
    assert page.evaluate("""() => document.fonts.check('14px "JetBrains Mono"') &&
        getComputedStyle(document.querySelector('.term.active .xterm-rows')).fontFamily.startsWith('"JetBrains Mono"')""")
    size = "() => [document.querySelector('.term.active .xterm-rows').children.length, " \
           "document.querySelector('.term.active').getBoundingClientRect().bottom]"
    tall_rows, _ = page.evaluate(size)
    page.set_viewport_size({"width": 1400, "height": 600})
    page.wait_for_function(f"() => ({size})()[0] < {tall_rows}")
    rows, bottom = page.evaluate(size)
    assert bottom <= 600  # the last row stays above the fold
    page.set_viewport_size({"width": 1400, "height": 900})
    page.wait_for_function(f"() => ({size})()[0] === {tall_rows}")  # and grows back
    type_in(page, "stty size\n")
    expect(page.locator(".term.active .xterm-rows")).to_contain_text(re.compile(rf"\n?{tall_rows} \d+"))
    page.screenshot(path=str(platform.var / "session-1440.png"))

    # an underscore renders: a row of nothing but underscores has lit pixels
    type_in(page, "clear; printf '%.0s_' {1..30}; echo\n")
    line = page.locator(".term.active .xterm-rows > div").filter(has_text=re.compile(r"^_{30}\s*$"))
    expect(line).to_have_count(1)
    png = base64.b64encode(line.screenshot()).decode()
    scratch = context.new_page()  # about:blank: no CSP to refuse a data: image
    lit = scratch.evaluate("""async (png) => { const img = new Image(); img.src = 'data:image/png;base64,' + png;
        await img.decode(); const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 300) n++;
        return n; }""", png)
    scratch.close()
    assert lit > 30, lit  # at least a pixel per underscore

    page.set_viewport_size({"width": 375, "height": 740})
    page.wait_for_timeout(300)
    box = page.locator(".term.active").bounding_box()
    assert box["y"] < 150 and box["y"] + box["height"] <= 740 and box["width"] >= 320
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing sideways
    page.screenshot(path=str(platform.var / "session-375.png"))
    stop(page)
