"""The cases, ledger and warmth pages on a 375-px phone: each renders for the person it
is for, and nothing pushes the page sideways (wide tables scroll inside their own box).

Drives Debian's Chromium through Playwright; skipped with the reason where it is missing.
"""

from __future__ import annotations

import os

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"),
]

PAGES = {
    "worker_a": ["/cases/tasks/", "/cases/report/", "/notices/", "/notices/settings/",
                 "/cases/{case}/"],
    "resident_a": ["/cases/mine/", "/cases/report/"],
    "community_staff": ["/cases/triage/", "/cases/duty/", "/supervision/",
                        "/supervision/recurring/", "/assessment/", "/assessment/exclusions/",
                        "/cases/{case}/", "/ledgers/", "/ledgers/review/", "/ledgers/export/",
                        "/warmth/"],
    "handler": ["/cases/queue/"],
}


def _district_with_cases(world):
    from warmgrid.cases import actions
    from warmgrid.cases.models import Case, Category

    def report(code, text, actor=world.worker_a):
        return actions.do_report_case(
            actor=actor, channel=Case.Channel.GRID_WORKER,
            data=actions.CaseInput(description=text, household=world.household_a,
                                   category=Category.objects.get(code=code)))

    closed = report("garbage", "3号楼门口的垃圾三天没人清运了，味道很大")
    actions.do_accept_case(actor=closed.assignee or world.worker_a, case=closed)
    actions.do_resolve_case(actor=closed.assignee or world.worker_a, case=closed,
                            outcome="fixed", result="已联系物业清运")
    report("lift", "3号楼电梯停了两天，老人上下楼很困难")
    report("noise", "楼下每天晚上广场舞音响太吵，影响休息")
    return closed


@pytest.mark.django_db(transaction=True)
def test_the_cases_pages_fit_a_phone(live_server, login):
    from playwright.sync_api import sync_playwright

    from warmgrid.testing import build_world

    world = build_world()
    case = _district_with_cases(world)
    clients = {name: login(getattr(world, name)) for name in PAGES}
    too_wide, failed = [], []
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, paths in PAGES.items():
                context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                              locale="zh-CN")
                context.add_cookies([{"name": "sessionid", "url": live_server.url,
                                      "value": clients[name].cookies["sessionid"].value}])
                page = context.new_page()
                for path in paths:
                    url = live_server.url + path.format(case=case.pk)
                    response = page.goto(url)
                    page.wait_for_load_state("networkidle")
                    if response is None or response.status != 200 or "/accounts/login" in page.url:
                        failed.append((name, path, response and response.status, page.url))
                        continue
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > PHONE["width"]:
                        too_wide.append((name, path, width))
                context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert failed == []
    assert too_wide == []
