"""Assessment pages through the front door: the table with both rankings and the reasons,
one worker's breakdown, CSV, the review queue and the request form; scope and queries."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from warmgrid.accounts.models import Role
from warmgrid.assessment import actions
from warmgrid.assessment.models import Exclusion
from warmgrid.assessment.tests.factories import approved_exclusion, closed_case
from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case
from warmgrid.testing import make_user

INDEX = reverse("assessment:index")
CSV = reverse("assessment:csv")
QUEUE = reverse("assessment:exclusions")
OCTOBER = "?month=2026-10"
HTMX = {"HTTP_HX_REQUEST": "true"}


def worker_url(user) -> str:
    return reverse("assessment:worker", args=[user.pk]) + OCTOBER


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def team(world):
    """Grid A: worker_a takes the hard family conflicts (12 cases, 3 unhappy ratings),
    the newcomer handled 3 easy cases without a complaint; grid B: worker_b, 12 easy
    cases and one complaint, plus an excluded unreasonable demand."""
    newcomer = make_user("newcomer", (Role.GRID_WORKER, world.grid_a))
    newcomer.display_name = "新来的小王"
    newcomer.save(update_fields=["display_name"])
    for i in range(12):
        closed_case(world, assignee=world.worker_a, code="family_conflict",
                    rating=1 if i < 3 else 5)
        closed_case(world, assignee=world.worker_b, grid="b", rating=2 if i == 0 else 5,
                    late_resolution=i < 4)
    for _ in range(3):
        closed_case(world, assignee=newcomer, rating=5)
    demand = closed_case(world, assignee=world.worker_b, grid="b", rating=1,
                         outcome=Case.Outcome.UNREASONABLE, text="要求社区给自家装空调")
    approved_exclusion(demand, by=world.worker_b,
                       reviewers=(world.community_staff, world.street_admin))
    return {"newcomer": newcomer, "demand": demand}


def test_anonymous_visitors_go_to_the_login_page(client):
    for url in (INDEX, CSV, QUEUE, reverse("assessment:worker", args=[1]),
                reverse("assessment:request", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/")


@pytest.mark.parametrize("persona", ["outsider", "researcher", "resident_a", "volunteer"])
def test_people_who_are_not_assessed_get_404(world, login, persona):
    client = login(getattr(world, persona))
    for url in (INDEX + OCTOBER, CSV + OCTOBER, worker_url(world.worker_a)):
        assert client.get(url).status_code == 404


def test_the_table_shows_both_rankings_and_why_each_moved(world, team, login):
    response = login(world.street_admin).get(INDEX + OCTOBER)
    assert response.status_code == 200
    page = text(response)
    assert "Zero-complaints rank" in page and "Fair rank" in page
    assert "Cases closed from 2026-10-01 to 2026-10-31" in page
    assert f"Pool: {world.street1.name} · 3 people · 27 counted cases." in page
    classes = {int(m.group(2)): m.group(1).strip() for m in re.finditer(
        r'<li class="wg-rank-card([^"]*)" data-subject="(\d+)"', response.content.decode())}
    # The newcomer's three cases are shown, greyed, not ranked.
    assert classes == {team["newcomer"].pk: "wg-unranked", world.worker_a.pk: "",
                       world.worker_b.pk: ""}
    assert "too few cases to rank" in page
    assert "Not ranked: 3 counted cases, fewer than the minimum of 10." in page
    # worker_a: hard cases. worker_b: the unreasonable demand no longer counts.
    assert "Harder cases than most: mean difficulty 1.6" in page
    assert ("1 unreasonable demand was excluded after two reviewers approved; 1 complaints "
            "on it no longer count.") in page
    assert "placed above in the zero-complaints list has too few cases" in page
    chart = json.loads(re.search(r'id="wg-fair-data"[^>]*>(.*?)</script>',
                                 response.content.decode(), re.S).group(1))
    assert sorted(chart["names"]) == ["worker_a", "worker_b"]
    assert len(chart["naive"]) == 2 and len(chart["fair"]) == 2
    assert "vendor/echarts.min.js" in page and "assessment/fair_chart.js" in page


def test_the_naive_and_fair_ranks_are_the_computed_ones(world, team, login):
    html = login(world.street_admin).get(INDEX + OCTOBER).content.decode()

    def ranks(user):
        row = html.split(f'data-subject="{user.pk}"')[1].split("</li>")[0]
        return (re.search(r'data-naive="(\d+)"', row).group(1),
                re.search(r'data-fair="(\d*)"', row).group(1))

    # Complaints: newcomer 0 (3 cases), worker_b 1 + 1 excluded = 2 (13 cases), worker_a 3.
    assert ranks(team["newcomer"]) == ("1", "")
    # Fair: worker_a's shortfalls were on hard cases and all on time; worker_b missed four
    # deadlines. The one with the most complaints comes first.
    assert ranks(world.worker_b) == ("2", "2")
    assert ranks(world.worker_a) == ("3", "1")


def test_by_unit_ranks_the_grids_own_teams(world, team, login):
    page = text(login(world.street_admin).get(INDEX + OCTOBER + "&by=unit"))
    assert world.grid_a.name in page and world.grid_b.name in page
    assert 'aria-current="page">By unit' in page


def test_a_custom_period_replaces_the_month(world, team, login):
    page = text(login(world.street_admin).get(INDEX + "?start=2026-10-14&end=2026-10-16"))
    assert "Cases closed from 2026-10-14 to 2026-10-16" in page
    page = text(login(world.street_admin).get(INDEX + "?start=2026-10-16&end=2026-10-14"))
    assert "The last day is before the first." in page
    page = text(login(world.street_admin).get(INDEX + "?start=9999-12-30&end=9999-12-31"))
    assert "Choose days between 2000 and 2099." in page
    response = login(world.street_admin).get(INDEX + "?month=9999-12")
    assert response.status_code == 200 and "Give the month as YYYY-MM." in text(response)


def test_without_a_period_the_latest_month_with_closings_is_shown(world, team, login):
    page = text(login(world.street_admin).get(INDEX))
    assert "Cases closed from 2026-10-01 to 2026-10-31" in page


def test_a_grid_worker_sees_only_their_own_breakdown(world, team, login):
    client = login(world.worker_a)
    page = text(client.get(INDEX + OCTOBER))
    assert "My assessment" in page
    # The pool is the worker's grid: two workers, 15 counted cases.
    assert f"Pool: {world.grid_a.name} · 2 people · 15 counted cases." in page
    assert "新来的小王" not in page and "worker_b" not in page
    # Their own numerators and denominators, the pool's figures, their own ranks.
    assert "9/12" in page  # satisfied: rated 4 or 5 on 9 of 12
    assert "12/12" in page
    assert "1 of 1 ranked" in page
    assert client.get(worker_url(team["newcomer"])).status_code == 404
    assert client.get(worker_url(world.worker_b)).status_code == 404
    assert client.get(worker_url(world.worker_a)).status_code == 200
    assert client.get(INDEX + OCTOBER + f"&area={world.grid_a.pk}").status_code == 404


def test_a_supervisor_reads_a_workers_breakdown_with_the_excluded_case(world, team, login):
    client = login(world.street_admin)
    response = client.get(worker_url(world.worker_b))
    page = text(response)
    assert response.status_code == 200
    assert "Assessment of worker_b" in page
    assert "要求物业赔偿装修损失十万元" in page  # the exclusion's reason
    assert "approved by staff_c1 and street_s1" in page
    assert f'data-case="{team["demand"].pk}"' in response.content.decode()
    assert "12/12" in page  # counted cases fixed: 12 of 12


def test_other_streets_and_grids_are_out_of_reach(world, team, login):
    client = login(world.street2_admin)
    page = text(client.get(INDEX + OCTOBER))
    assert "worker_a" not in page and "worker_b" not in page
    assert "No cases were closed in this period in your area." in page
    assert client.get(worker_url(world.worker_a)).status_code == 404
    assert client.get(INDEX + OCTOBER + f"&area={world.grid_a.pk}").status_code == 404
    leader = login(world.leader_a)
    assert leader.get(worker_url(world.worker_a)).status_code == 200
    assert leader.get(worker_url(world.worker_b)).status_code == 404
    assert "worker_b" not in text(leader.get(INDEX + OCTOBER))


def test_the_csv_has_every_row_and_is_audited(world, team, login):
    response = login(world.street_admin).get(CSV + OCTOBER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig").splitlines()
    assert body[0].startswith("Worker or unit,Counted cases,Excluded,Complaints")
    assert len(body) == 4
    assert any(line.startswith("新来的小王,3,0,0,1,,") for line in body)
    entry = AuditEntry.objects.filter(object_type="assessment").get()
    assert entry.action == AuditEntry.Action.EXPORT and entry.changes["rows"] == 3


def test_a_workers_csv_holds_only_their_own_row(world, team, login):
    body = login(world.worker_a).get(CSV + OCTOBER).content.decode("utf-8-sig").splitlines()
    assert len(body) == 2 and body[1].startswith("worker_a,")


def test_the_table_takes_the_same_queries_for_few_or_many(world, login,
                                                          django_assert_max_num_queries):
    client = login(world.street_admin)
    closed_case(world, assignee=world.worker_a)
    client.get(INDEX + OCTOBER)
    # Session, user, second factor, grants, notices, the session's save (6); the cases
    # with their history and exclusions, the names, the pool's name, the picker's areas.
    with django_assert_max_num_queries(12) as few:
        client.get(INDEX + OCTOBER)
    for i in range(15):
        worker = make_user(f"w{i}", (Role.GRID_WORKER, world.grid_b))
        for _ in range(2):
            closed_case(world, assignee=worker, grid="b", reopens=i % 2, rating=4)
    with django_assert_max_num_queries(12) as many:
        response = client.get(INDEX + OCTOBER)
    assert response.status_code == 200
    assert len(many) == len(few)


# ---- exclusions --------------------------------------------------------------------------


@pytest.fixture
def pending(world):
    case = closed_case(world, assignee=world.worker_a, rating=1,
                       outcome=Case.Outcome.UNREASONABLE, text="要求社区赔偿十万元")
    return actions.do_request_exclusion(actor=world.worker_a, case=case,
                                        reason="要求明显超出社区职责")


def review_url(exclusion) -> str:
    return reverse("assessment:review", args=[exclusion.case_id])


def test_the_case_page_links_to_the_request_form(world, login):
    case = closed_case(world, assignee=world.worker_a)
    page = text(login(world.worker_a).get(reverse("cases:detail", args=[case.pk])))
    assert reverse("assessment:request", args=[case.pk]) in page


def test_the_handler_asks_from_the_form(world, login):
    case = closed_case(world, assignee=world.worker_a)
    client = login(world.worker_a)
    url = reverse("assessment:request", args=[case.pk])
    assert "Why was the demand unreasonable?" in text(client.get(url))
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "This field is required." in text(response)
    response = client.post(url, {"reason": "要求物业免除三年物业费"})
    assert response.status_code == 302
    exclusion = Exclusion.objects.get()
    assert (exclusion.case, exclusion.requested_by) == (case, world.worker_a)
    assert "already has an exclusion request" in text(client.get(url))


def test_the_request_form_is_out_of_reach_elsewhere(world, login):
    case_b = closed_case(world, assignee=world.worker_b, grid="b")
    assert login(world.worker_a).get(
        reverse("assessment:request", args=[case_b.pk])).status_code == 404
    assert login(world.worker_a).post(
        reverse("assessment:request", args=[case_b.pk]), {"reason": "无理要求"}
    ).status_code == 404
    assert not Exclusion.objects.exists()


def test_two_reviewers_approve_from_the_queue_with_htmx(world, pending, login):
    staff = login(world.community_staff)
    page = text(staff.get(QUEUE))
    assert "要求明显超出社区职责" in page and "0 of 2 approvals." in page
    prefix = f"x{pending.pk}"
    response = staff.post(review_url(pending), {f"{prefix}-decision": "approve"}, **HTMX)
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.lstrip().startswith("<article") and "1 of 2 approvals." in fragment
    assert "You have already approved it" in fragment
    # The same person again is refused, and it shows.
    response = staff.post(review_url(pending), {f"{prefix}-decision": "approve"}, **HTMX)
    assert "You have already approved it" in text(response)
    assert Exclusion.objects.get().approvals == 1
    response = login(world.street_admin).post(
        review_url(pending), {f"{prefix}-decision": "approve"}, **HTMX)
    assert "Approved by two reviewers" in text(response)
    assert Exclusion.objects.get().state == Exclusion.State.APPROVED


def test_a_rejection_needs_a_note_and_a_plain_form_redirects(world, pending, login):
    client = login(world.street_admin)
    prefix = f"x{pending.pk}"
    response = client.post(review_url(pending), {f"{prefix}-decision": "reject"})
    assert response.status_code == 302
    assert Exclusion.objects.get().state == Exclusion.State.PENDING
    response = client.post(review_url(pending), {f"{prefix}-decision": "reject",
                                                 f"{prefix}-note": "居民诉求合理，应予处理"})
    assert response.status_code == 302
    assert Exclusion.objects.get().state == Exclusion.State.REJECTED
    assert "Recently decided" in text(client.get(QUEUE))


def test_the_requester_sees_their_request_and_withdraws_it(world, pending, login):
    client = login(world.worker_a)
    page = text(client.get(QUEUE))
    assert "My requests" in page and "Waiting for review" in page
    assert "0 of 2 approvals" not in page  # workers do not review
    response = client.post(reverse("assessment:withdraw", args=[pending.case_id]))
    assert response.status_code == 302
    assert Exclusion.objects.get().state == Exclusion.State.WITHDRAWN


def test_the_requester_cannot_review_through_the_page(world, login):
    case = closed_case(world, assignee=world.worker_a)
    exclusion = actions.do_request_exclusion(actor=world.community_staff, case=case,
                                             reason="重复无理投诉")
    client = login(world.community_staff)
    assert "You asked for this exclusion" in text(client.get(QUEUE))
    response = client.post(review_url(exclusion), {f"x{exclusion.pk}-decision": "approve"},
                           **HTMX)
    assert "You asked for this exclusion" in text(response)
    assert Exclusion.objects.get().approvals == 0


def test_other_streets_never_see_the_queue_items(world, pending, login):
    client = login(world.street2_admin)
    assert "要求明显超出社区职责" not in text(client.get(QUEUE))
    response = client.post(review_url(pending), {f"x{pending.pk}-decision": "approve"})
    assert response.status_code == 404
    assert login(world.outsider).get(QUEUE).status_code == 404
    assert login(world.worker_b).post(
        reverse("assessment:withdraw", args=[pending.case_id])).status_code == 404
    assert Exclusion.objects.get().state == Exclusion.State.PENDING


def test_the_queue_takes_a_fixed_number_of_queries(world, login,
                                                   django_assert_max_num_queries):
    for i in range(6):
        case = closed_case(world, assignee=world.worker_a, text=f"无理要求{i}")
        actions.do_request_exclusion(actor=world.worker_a, case=case, reason="明显无理的要求")
    client = login(world.street_admin)
    client.get(QUEUE)
    # Session, user, second factor, grants, notices, the session's save; then the count,
    # the page of requests (with cases, categories, people), mine, the decided ones.
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE)
    assert text(response).count("0 of 2 approvals.") == 6
