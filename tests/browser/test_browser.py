"""A first-time user in a real browser: log in, start a lab, use the terminal, Check, Stop.

Playwright drives Debian's Chromium (/usr/bin/chromium); no browser is downloaded.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.platform import CANDIDATE

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("OPSLAB_REQUIRE_DOCKER"):
            pytest.fail("make test needs Debian's chromium (infra/setup/ensure-web-deps.sh --browser installs it)")
        pytest.skip(reason="Debian's chromium is not installed (infra/setup/ensure-web-deps.sh --browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def test_first_time_user_does_a_lab_end_to_end(platform, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(platform.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=email]", CANDIDATE[0])
    page.fill("input[name=password]", CANDIDATE[1])
    page.click("button[type=submit]")

    card = page.locator('li[data-lab="greeting-file"]')
    expect(card).to_contain_text("Write the greeting file")
    card.get_by_role("button", name="Start lab").click()
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f]+$"))
    session_url = page.url

    rows = page.locator(".term.active .xterm-rows")
    expect(rows).to_contain_text("root@box", timeout=60_000)
    expect(page.locator("#state")).to_have_text("Ready")
    expect(page.locator("#clock")).to_have_text(re.compile(r"0[45]:\d\d"))

    page.locator(".term.active").click()
    page.keyboard.type("cat /srv/greeting.txt\n")
    expect(rows).to_contain_text("goodbye")

    page.get_by_role("button", name="Show a hint").click()
    expect(page.locator('.task[data-task="greeting-present"] .hints')).to_have_text("echo is enough")

    summary = page.locator("#summary")  # the sticky bar under Check, in view whatever the scroll
    expect(summary).to_have_text("not checked yet")
    page.click("#check")
    expect(page.locator('.task[data-task="greeting-present"] .feedback')).to_have_text(
        "/srv/greeting.txt does not say hello yet")
    expect(page.locator("#score")).to_have_text("0 / 3")
    expect(summary).to_have_text(re.compile(r"✘.* 0 of 2 tasks · 0 / 3 pts$"))

    page.locator(".term.active").click()
    page.keyboard.type("echo hello > /srv/greeting.txt; chmod 600 /srv/greeting.txt; echo done-$((40+2))\n")
    expect(rows).to_contain_text("done-42")
    page.click("#check")
    expect(page.locator("#score")).to_have_text("3 / 3")
    expect(page.locator(".task.passed")).to_have_count(2)
    expect(summary).to_have_text("✔✔ 2 of 2 tasks · 3 / 3 pts")
    expect(summary).to_be_in_viewport()

    # a reload reconnects to the same sandbox: the file written above is still there
    page.goto(session_url)
    expect(rows).to_contain_text("root@box", timeout=30_000)
    page.locator(".term.active").click()
    page.keyboard.type("cat /srv/greeting.txt\n")
    expect(rows).to_contain_text("hello")
    page.screenshot(path=str(platform.var / "session.png"))

    page.once("dialog", lambda d: d.accept())
    page.click("#stop")
    expect(page.locator("#state")).to_have_text(re.compile("Finished|Graded|grading"), timeout=60_000)
    expect(page.locator("#state")).to_have_text("Finished", timeout=60_000)
    # a refusal from the server shows above the buttons (the button is disabled by now, so
    # press it the way a stale page would)
    expect(page.locator("#notice")).to_be_hidden()
    page.evaluate("document.getElementById('check').onclick()")
    expect(page.locator("#notice")).to_have_text("this lab is destroyed; checks run only while it is ready")
    page.close()
