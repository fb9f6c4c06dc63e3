"""A grid worker on a phone: log in, find a resident by pinyin initials, see the ID masked.

Drives Debian's Chromium through Playwright (never a downloaded browser). Where Chromium is
missing the test is skipped with the reason; CI installs it so this always runs there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from warmgrid.testing import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 375, "height": 740}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def phone_page():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself happen before it starts, so Django's async-safety guard can stand down.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="wg-chromium-")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                          has_touch=True, locale="zh-CN")
            page = context.new_page()
            yield page
            context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_finds_a_resident_by_initials_on_a_phone(live_server, phone_page):
    from warmgrid.testing import build_world

    world = build_world()
    zhang = world.zhang_san
    page = phone_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.worker_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/people/residents/")
    page.fill("input[name=q]", "zs")
    result = page.locator("#search-results a", has_text="张三").first
    result.wait_for(timeout=10_000)
    assert page.locator("#search-results").inner_text().count("李四") == 0

    result.click()
    page.wait_for_url(f"**/people/residents/{zhang.pk}/")
    body = page.inner_text("body")
    assert zhang.id_number_masked in body
    assert zhang.id_number_plain not in page.content()
    # Usable on a 375-px screen: nothing pushes the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    shots = Path(os.environ.get("WARMGRID_SCREENSHOT_DIR", tempfile.gettempdir()))
    page.screenshot(path=str(shots / "warmgrid-phone-resident.png"), full_page=True)
