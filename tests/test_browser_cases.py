"""A case's whole life on phones: a resident reports it with "use my location", the person
it was assigned to accepts and resolves it, community staff close it, the resident rates it.

Drives Debian's Chromium through Playwright (never a downloaded browser); skipped with the
reason where Chromium is missing, and CI installs it so this always runs there.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from decimal import Decimal

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE
from warmgrid.testing import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"),
]

# Where the resident's phone says it is: a few metres from their building.
HERE = {"latitude": 36.650012, "longitude": 117.020034}


@pytest.fixture
def phones():
    """Open a phone (a fresh browser context: its own cookies) per person."""
    from playwright.sync_api import sync_playwright

    # The ORM calls the test makes between page actions run on Playwright's loop thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="wg-chromium-")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def phone():
                context = browser.new_context(
                    viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                    locale="zh-CN", geolocation=HERE, permissions=["geolocation"])
                return context.new_page()

            yield phone
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        shutil.rmtree(profile, ignore_errors=True)


def sign_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def submit(page, action: str) -> None:
    """Send one of the case page's action forms and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(f"form[data-action={action}] button[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_a_case_goes_from_a_residents_phone_to_closed_and_rated(live_server, phones):
    from warmgrid.cases.models import Case
    from warmgrid.testing import build_world

    world = build_world()
    world.building_a.latitude, world.building_a.longitude = (Decimal("36.650000"),
                                                             Decimal("117.020000"))
    world.building_a.save(update_fields=["latitude", "longitude"])
    base = live_server.url

    resident = phones()
    sign_in(resident, base, world.resident_a)
    resident.goto(f"{base}/cases/report/")
    resident.fill("textarea[name=description]", "3号楼门口的垃圾三天没人清运了，味道很大")
    resident.select_option("select[name=category]", "garbage")
    # A tap on the sketch map sets a point inside the map's bounds …
    resident.locator(".wg-report-map").click()
    tapped = float(resident.input_value("input[name=latitude]"))
    assert 36.64 < tapped < 36.66
    # … and "use my location" replaces it with where the phone is.
    resident.click("[data-locate]")
    resident.wait_for_function(
        "document.querySelector('input[name=latitude]').value === '36.650012'")
    assert "36.650012, 117.020034" in resident.inner_text("[data-point-text]")
    resident.click("#report-form button[type=submit]")
    resident.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert (case.household, case.state) == (world.household_a, Case.State.DISPATCHED)
    assert (case.latitude, case.longitude) == (Decimal("36.650012"), Decimal("117.020034"))
    assert case.assignee is not None, case.assignment_reason
    # Usable on a 375-px screen: nothing pushes the page sideways.
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    handler = phones()
    sign_in(handler, base, case.assignee)
    handler.goto(f"{base}/cases/{case.pk}/")
    submit(handler, "accept")
    handler.select_option("form[data-action=resolve] select[name$=outcome]", "fixed")
    handler.fill("form[data-action=resolve] textarea[name$=result]", "已联系物业清运，门口已清扫")
    submit(handler, "resolve")
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED and case.outcome == "fixed"

    staff = phones()
    sign_in(staff, base, world.community_staff)
    staff.goto(f"{base}/cases/{case.pk}/")
    submit(staff, "close")
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED

    resident.goto(f"{base}/cases/{case.pk}/")
    resident.check("form[data-action=rate] input[name$=rating][value='5']")
    resident.fill("form[data-action=rate] textarea[name$=comment]", "处理得很及时，谢谢")
    submit(resident, "rate")
    case.refresh_from_db()
    assert (case.rating, case.rating_comment) == (5, "处理得很及时，谢谢")
    history = list(case.events.order_by("at", "id").values_list("action", flat=True))
    assert history[:1] == ["report"] and history[-4:] == ["accept", "resolve", "close", "rate"]
