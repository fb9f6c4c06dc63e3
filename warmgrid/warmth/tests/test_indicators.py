"""Governance indicators per community from cases and the registry, scoped."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from warmgrid.accounts.scopes import case_dispatch_paths
from warmgrid.cases.models import Case
from warmgrid.lib.warmth.files import level2_indicators, read_table
from warmgrid.supervision.tests.factories import make_case
from warmgrid.warmth.queries import governance_indicators

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def reported(world, grid, *, on_time: bool, rating=None, closed=True):
    at = START + dt.timedelta(days=3)
    case = make_case(world, grid=grid, at=at, state=Case.State.CLOSED if closed else
                     Case.State.DISPATCHED)
    due = at + dt.timedelta(hours=2)
    late = dt.timedelta(hours=-1 if on_time else 5)
    Case.objects.filter(pk=case.pk).update(
        first_response_due=due, responded_at=due + late, resolve_due=at + dt.timedelta(days=3),
        resolved_at=at + dt.timedelta(days=2 if on_time else 4),
        closed_at=at + dt.timedelta(days=5) if closed else None, rating=rating)
    return case


@pytest.fixture
def cases(world):
    reported(world, "a", on_time=True, rating=5)
    reported(world, "b", on_time=False, rating=2)
    reported(world, "a", on_time=True, rating=4)
    reported(world, "c", on_time=False, closed=False)
    make_case(world, grid="a", at=END + dt.timedelta(days=1))  # outside the period


def test_rates_per_community_with_their_counts(world, cases):
    rows = {r["community"]: r for r in governance_indicators(None, start=START, end=END)}
    heping, foshan = rows["370102001001"], rows["370102002001"]
    assert heping["cases_reported"] == 3 and heping["response_due_cases"] == 3
    assert heping["response_on_time_rate"] == pytest.approx(2 / 3)
    assert heping["resolved_on_time_rate"] == pytest.approx(2 / 3)
    assert heping["satisfaction_rate"] == pytest.approx(2 / 3) and heping["rated_cases"] == 3
    assert heping["residents"] == 2 and heping["grid_workers"] == 2
    assert heping["residents_per_grid_worker"] == 1.0
    assert foshan["cases_reported"] == 1 and foshan["response_on_time_rate"] == 0.0
    assert foshan["cases_closed"] == 0 and foshan["satisfaction_rate"] is None
    assert heping["care_plan_coverage"] is None  # not collected yet, not guessed


def test_a_street_admin_sees_only_their_street(world, cases):
    rows = governance_indicators(case_dispatch_paths(world.street_admin), start=START, end=END)
    assert [r["community"] for r in rows] == ["370102001001"]


def test_the_command_writes_a_table_the_analysis_reads(world, cases, tmp_path, capsys):
    out = tmp_path / "indicators.csv"
    call_command("warmth", "indicators", "--from", "2026-10-01", "--to", "2026-10-31",
                 "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {r["community"] for r in rows} == {"370102001001", "370102002001"}
    level2 = level2_indicators(read_table(out), "community")
    assert level2["response_on_time_rate"]["370102001001"] == pytest.approx(2 / 3)
    with pytest.raises(CommandError):
        call_command("warmth", "indicators", "--from", "2026-10-31", "--to", "2026-10-01")


def test_staff_records_join_the_indicators_by_latest_year(world, login):
    from decimal import Decimal

    from warmgrid.errors import Forbidden
    from warmgrid.warmth.actions import do_save_community_record

    for year, organisations in ((2025, 3), (2026, 5), (2027, 9)):
        do_save_community_record(actor=world.community_staff, community=world.community1,
                                 year=year, organisations=organisations, meetings=4,
                                 funds_yuan=Decimal("2000.00"), property_model="company")
    with pytest.raises(Forbidden):
        do_save_community_record(actor=world.street2_admin, community=world.community1,
                                 year=2026, organisations=1, meetings=1,
                                 funds_yuan=Decimal(0), property_model="none")
    rows = {r["community"]: r for r in governance_indicators(None, start=START, end=END)}
    heping, foshan = rows["370102001001"], rows["370102002001"]
    assert heping["record_year"] == 2026 and heping["organisations"] == 5
    assert heping["funds_per_resident"] == pytest.approx(2000 / heping["residents"])
    assert heping["property_company"] == 1
    assert foshan["organisations"] is None and foshan["property_company"] is None
    page = login(world.community_staff).get("/warmth/records/?community="
                                            f"{world.community1.pk}")
    assert page.status_code == 200 and "2027" in page.content.decode()
    assert login(world.street2_admin).get(
        f"/warmth/records/?community={world.community1.pk}").status_code == 404
