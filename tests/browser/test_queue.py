"""A full platform in a real browser: Start waits in line with its place shown, and the lab
starts by itself when a slot frees."""

from __future__ import annotations

import re
import time

from tests.browser.test_browser import browser  # noqa: F401 - the module's Chromium fixture
from tests.browser.test_terminal import log_in
from tests.conftest import FIXTURE_LABS
from tests.integration.test_platform import login
from tests.platform import ADMIN, CANDIDATE, running_platform


def test_a_start_waits_in_line_then_starts_when_a_slot_frees(provider, browser):  # noqa: F811
    from playwright.sync_api import expect

    with running_platform(FIXTURE_LABS, env={"OPSLAB_CAPACITY": "1"}) as p:
        holder, csrf = login(p, ADMIN)  # takes the one slot
        sid = holder.post(p.url + "/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf}).json()["id"]
        end = time.time() + 60
        while holder.get(f"{p.url}/api/v1/sessions/{sid}").json()["state"] != "ready":
            assert time.time() < end, "the first session never became ready"
            time.sleep(0.2)

        page = log_in(browser, p.url, CANDIDATE)
        page.locator('li[data-lab="greeting-file"]').get_by_role("button", name="Start lab").click()
        expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f]+$"))
        expect(page.locator("#state")).to_have_text(re.compile(r"Waiting for a free sandbox: number 1 in line, "
                                                               r"a slot frees within about \d+ min"))
        page.screenshot(path=str(p.var / "queue.png"))

        holder.post(f"{p.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})  # the slot frees
        expect(page.locator(".term.active .xterm-rows")).to_contain_text("root@box", timeout=60_000)
        expect(page.locator("#state")).to_have_text("Ready")
        page.close()
