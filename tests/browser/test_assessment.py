"""A hiring team in a real browser: a reviewer builds an assessment from a role template and
invites a candidate; the candidate (no account) starts from the link, does part of the lab
and runs out of time; the report shows the partial score, the skill chart and a replay that
plays; the link, used, is refused; the reviewer edits the assessment and archives it, and a
link sent but not used says the assessment is closed.

Playwright drives Debian's Chromium (/usr/bin/chromium); no browser is downloaded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.browser.test_browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.platform import ROOT

REVIEWER = ("rev@acme.example", "blue-harbor-93x")  # the password policy: not built on the email


def cli(platform, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "opslab.cli", *args], env=platform.env, cwd=ROOT, check=True,
                   capture_output=True)


def test_reviewer_invites_a_candidate_who_runs_out_of_time_and_the_report_replays(platform, browser):  # noqa: F811
    from playwright.sync_api import expect

    cli(platform, "team", "create", "Acme")
    cli(platform, "user", "create", REVIEWER[0], "--role", "reviewer", "--team", "Acme", "--password", REVIEWER[1])
    reviewer = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
    reviewer.set_default_timeout(30_000)
    reviewer.goto(platform.url + "/login")
    reviewer.fill("input[name=email]", REVIEWER[0])
    reviewer.fill("input[name=password]", REVIEWER[1])
    reviewer.click("button[type=submit]")

    # build from the DevOps Team Lead template, edited: a short time, practice mode
    reviewer.get_by_role("link", name="Assessments").click()
    reviewer.get_by_role("link", name="DevOps Team Lead").first.click()
    expect(reviewer.locator("input[name=title]")).to_have_value("DevOps Team Lead")
    expect(reviewer.locator("#lab-greeting-file")).to_be_checked()
    reviewer.fill("input[name=title]", "DevOps Team Lead — screening")
    reviewer.fill("input[name=time_limit]", "75s")
    reviewer.select_option("select[name=mode]", "practice")
    shots = Path(os.environ.get("OPSLAB_SCREENSHOTS") or platform.var)  # README figure: webapp/static/img/report.png
    shots.mkdir(parents=True, exist_ok=True)
    reviewer.screenshot(path=str(shots / "assessment-new.png"), full_page=True)
    reviewer.click("#save")
    expect(reviewer.locator("h1")).to_have_text("DevOps Team Lead — screening")
    reviewer.fill("input[name=label]", "Ada Lovelace <ada@example.org>")
    reviewer.click("#invite")
    flash = reviewer.locator(".flash.link")
    expect(flash).to_contain_text("/invite/")
    link = re.search(r"https?://\S+/invite/[\w-]+", flash.inner_text()).group(0)

    # the candidate: no account, only the link
    candidate = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    candidate.set_default_timeout(30_000)
    candidate.goto(link)
    expect(candidate.locator("h1")).to_have_text("DevOps Team Lead — screening")
    expect(candidate.locator(".rules")).to_contain_text("kept by the server")
    candidate.screenshot(path=str(shots / "invite-rules.png"), full_page=True)
    candidate.click("#start")
    rows = candidate.locator(".term.active .xterm-rows")
    expect(rows).to_contain_text("root@box", timeout=60_000)
    expect(candidate.locator("#stop")).to_have_text("Submit lab")
    candidate.locator(".term.active").click()
    candidate.keyboard.type("echo hello > /srv/greeting.txt; echo done-$((40+2))\n")
    expect(rows).to_contain_text("done-42")
    candidate.click("#check")
    expect(candidate.locator("#score")).to_have_text("2 / 3", timeout=30_000)  # a Check on a busy machine
    # the team watches live, read-only
    reviewer.reload()
    reviewer.get_by_role("link", name="Watch").click()
    expect(reviewer.locator('.live-term[data-host="box"]')).to_contain_text("done-42")
    # nothing more is done: the server ends the lab at the limit, whatever the browser does
    expect(candidate.locator("#attempt-state")).to_contain_text("Your attempt is complete", timeout=150_000)
    candidate.goto(platform.url + "/")
    expect(candidate).to_have_url(re.compile(r"/attempt$"))  # a guest never reaches the catalogue

    # the report: partial score, skill chart, a replay that plays
    reviewer.go_back()
    reviewer.reload()
    row = reviewer.locator("#compare tr[data-invite]")
    expect(row).to_contain_text("finished", timeout=60_000)
    for _ in range(60):  # the attempt is finished as its lab ends; the lab's final grade follows
        if "66.7%" in row.inner_text():
            break
        reviewer.wait_for_timeout(1000)
        reviewer.reload()
    expect(row).to_contain_text("66.7%")
    reviewer.screenshot(path=str(shots / "assessment.png"), full_page=True)
    reviewer.get_by_role("link", name="Report").click()
    expect(reviewer.locator("#total")).to_have_text("66.7%")
    expect(reviewer.locator(".lab-result")).to_contain_text("time ran out")
    expect(reviewer.locator('.lab-result [data-task="greeting-present"]')).to_contain_text("2 / 2")
    expect(reviewer.locator('.lab-result [data-task="greeting-private"]')).to_contain_text("0 / 1")
    expect(reviewer.locator("#checks")).to_contain_text("final grade")
    expect(reviewer.locator("#commands")).to_contain_text("echo hello > /srv/greeting.txt")
    chart = reviewer.locator("#skill-chart")
    expect(chart).to_be_visible()
    assert reviewer.evaluate("document.getElementById('skill-chart').naturalWidth") > 0
    replay = reviewer.locator(".replay").first
    expect(replay.locator(".ap-wrapper")).to_be_visible()
    replay.locator(".ap-player, .ap-wrapper").first.click()
    expect(replay.locator(".ap-terminal")).to_contain_text("done-42", timeout=60_000)
    reviewer.wait_for_timeout(500)
    reviewer.screenshot(path=str(shots / "report.png"), full_page=True)
    reviewer.goto(reviewer.url + "?print=1")  # the print view: no player, the chart as an image
    expect(reviewer.locator("#total")).to_have_text("66.7%")
    expect(reviewer.locator(".replay")).to_have_count(0)
    reviewer.emulate_media(media="print")
    reviewer.screenshot(path=str(shots / "report-print.png"), full_page=True)

    # the used link is refused, plainly
    again = browser.new_context().new_page()
    again.goto(link)
    expect(again.locator("#refused")).to_contain_text("This link was already used")

    # edited, then archived: a link sent but not used says the assessment is closed
    reviewer.emulate_media(media="screen")
    reviewer.goto(platform.url + "/assessments")
    reviewer.get_by_role("link", name="DevOps Team Lead — screening").click()
    reviewer.fill("input[name=label]", "Bo <bo@example.org>")
    reviewer.click("#invite")
    unused = re.search(r"https?://\S+/invite/[\w-]+", reviewer.locator(".flash.link").inner_text()).group(0)
    reviewer.click("#edit")
    reviewer.fill("input[name=time_limit]", "20m")
    reviewer.click("#save")
    expect(reviewer.locator("h1")).to_have_text("DevOps Team Lead — screening")
    expect(reviewer.locator("#compare")).to_contain_text("66.7%")  # the finished attempt is scored as it was
    reviewer.click("#archive")
    expect(reviewer.locator("#archived")).to_contain_text("takes no new")
    expect(reviewer.locator("#invite")).to_have_count(0)
    again.goto(unused)
    expect(again.locator("#refused")).to_contain_text("This assessment is closed")
    for ctx in (reviewer.context, candidate.context, again.context):
        ctx.close()
