"""Resume practice later, in a real browser on a full platform: a file made in the terminal
before Stop is there after Resume, in a new sandbox of the same lab."""

from __future__ import annotations

import re

from tests.browser.test_browser import browser  # noqa: F401 - the module's Chromium fixture
from tests.browser.test_terminal import log_in
from tests.conftest import FIXTURE_LABS
from tests.platform import CANDIDATE, running_platform


def test_work_made_before_stop_is_back_after_resume(provider, browser):  # noqa: F811
    from playwright.sync_api import expect

    with running_platform(FIXTURE_LABS) as p:
        page = log_in(browser, p.url, CANDIDATE)
        page.locator('li[data-lab="greeting-file"]').get_by_role("button", name="Start lab").click()
        expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f]+$"))
        first = page.url
        rows = page.locator(".term.active .xterm-rows")
        expect(rows).to_contain_text("root@box", timeout=60_000)
        page.locator(".term.active").click()
        page.keyboard.type("mkdir -p /root/work && echo resumed-$((6*7)) > /root/work/notes.txt; echo made-$((1+1))\n")
        expect(rows).to_contain_text("made-2")

        page.once("dialog", lambda d: d.accept())
        page.click("#stop")
        expect(page.locator("#state")).to_have_text("Finished", timeout=60_000)

        page.goto(p.url + "/sessions")
        saved = page.locator("table.saved-work tr[data-saved]")
        expect(saved).to_have_count(1)
        expect(saved).to_contain_text("Write the greeting file")
        page.screenshot(path=str(p.var / "saved-work.png"))
        saved.get_by_role("button", name="Resume").click()

        expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f]+$"))
        assert page.url != first
        expect(rows).to_contain_text("root@box", timeout=60_000)
        expect(page.locator("#state")).to_have_text("Ready")
        page.locator(".term.active").click()
        page.keyboard.type("cat /root/work/notes.txt\n")
        expect(rows).to_contain_text("resumed-42")
        page.close()
