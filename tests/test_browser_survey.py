"""The questionnaire on a phone: an XLSForm `relevant` condition shows and hides its
question as the answers change, a hidden answer is not sent, and the page fits 375 px.

Drives Debian's Chromium through Playwright; skipped with the reason where it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"),
]

FORM = Path(__file__).parents[1] / "warmgrid" / "lib" / "tests" / "data" / "warmth_form.md"


@pytest.mark.django_db(transaction=True)
def test_a_condition_hides_its_question_until_it_holds(live_server):
    import datetime as dt

    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from warmgrid.testing import build_world
    from warmgrid.warmth.actions import (
        do_create_wave,
        do_import_instrument,
        do_publish_version,
    )
    from warmgrid.warmth.models import Response
    from warmgrid.warmth.tests.waves import add_households

    world = build_world()
    add_households(world, per_grid=3, grids=[world.grid_a])
    version, _created = do_import_instrument(actor=None, name="form.md",
                                             content=FORM.read_bytes())
    version = do_publish_version(actor=None, version=version)
    today = timezone.localdate()
    wave = do_create_wave(actor=None, name="试点", version=version,
                          communities=[world.community1], seed=1, completes_wanted=5,
                          response_rate=1.0, opens_on=today,
                          closes_on=today + dt.timedelta(days=7))
    code = wave.invitations.first().token
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
            page.goto(f"{live_server.url}/s/{code}/?lang=en")
            why = page.locator("[data-relevant]")
            assert why.is_hidden()  # ${thermo} < 5 does not hold while thermo is empty
            page.fill("#q-thermo", "3")
            assert why.is_visible()
            page.fill("#q-why", "楼道太脏")
            page.fill("#q-thermo", "8")
            assert why.is_hidden()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            page.check('input[name="trust1"][value="4"]')
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    response = Response.objects.get()
    assert response.answers["thermo"] == "8" and "why" not in response.answers
