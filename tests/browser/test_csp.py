"""The pages work in a real Chromium under the Content-Security-Policy, on the real platform:
no violation while logging in, filtering the catalogue, changing the password and using a
real terminal, and xterm.js renders its colours and cell sizes (it writes <style> elements
that carry the response's nonce, and colours true-colour cells with style attributes)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.browser.test_browser import browser  # noqa: F401 - the module's Chromium fixture
from tests.platform import ROOT

VIOLATIONS = "document.addEventListener('securitypolicyviolation', e => " \
             "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"


def test_the_pages_work_under_the_csp(platform, browser):  # noqa: F811
    from playwright.sync_api import expect

    email, password = "csp-tester@example.org", "correct horse battery"
    subprocess.run([sys.executable, "-m", "opslab.cli", "user", "create", email, "--password", password],
                   env=platform.env, cwd=ROOT, check=True, capture_output=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    errors = []
    page.on("console", lambda m: "violat" in m.text.lower() and errors.append(m.text))
    page.add_init_script(VIOLATIONS)
    page.goto(platform.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(platform.url + "/")
    page.wait_for_load_state("load")  # filters.js has run
    page.select_option("select[name=difficulty]", "advanced")  # filters.js submits the form
    expect(page).to_have_url(platform.url + "/?skill=&difficulty=advanced")
    page.goto(platform.url + "/account/password")
    page.fill("input[name=current]", password)
    page.fill("input[name=new]", "another horse battery")
    page.fill("input[name=confirm]", "another horse battery")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".flash")).to_contain_text("Password changed")

    page.goto(platform.url + "/")
    page.locator('li[data-lab="greeting-file"]').get_by_role("button", name="Start lab").click()
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f]+$"))
    rows = page.locator(".term.active .xterm-rows")
    expect(rows).to_contain_text("root@box", timeout=60_000)
    page.locator(".term.active").click()
    page.keyboard.type(r"printf '\033[38;2;255;0;0mTRUE\033[0m \033[31mRED\033[0m\n'" + "\n")
    expect(rows).to_contain_text("TRUE RED")
    cells = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.xterm-rows span')]
        .map(s => [s.textContent.trim(), [getComputedStyle(s).color, getComputedStyle(s).display]]))""")
    page.once("dialog", lambda d: d.accept())
    page.click("#stop")
    expect(page.locator("#state")).to_have_text("Finished", timeout=60_000)
    page.close()
    assert errors == []
    assert cells["TRUE"] == ["rgb(255, 0, 0)", "inline-block"]  # a style attribute
    assert cells["RED"][0] not in ("rgb(255, 0, 0)", "")  # xterm's theme <style>
    assert {display for _, display in cells.values()} == {"inline-block"}  # xterm's cell-size <style>
