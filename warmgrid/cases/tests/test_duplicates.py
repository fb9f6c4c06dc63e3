"""The same problem reported twice: suggestions, "me too", merge and split."""

import pytest

from warmgrid.audit.models import AuditEntry
from warmgrid.cases import actions
from warmgrid.cases.models import Case, Category
from warmgrid.cases.queries import cases_visible_to, similar_open_cases
from warmgrid.errors import Forbidden

FIRE_EXIT = "3号楼2单元楼道堆放杂物，堵住了消防通道"


def report(world, actor, household, text=FIRE_EXIT, code="fire_exit"):
    return actions.do_report_case(
        actor=actor, data=actions.CaseInput(description=text, household=household,
                                            category=Category.objects.get(code=code)),
        channel=Case.Channel.GRID_WORKER)


def test_similar_open_cases_at_the_same_building_are_suggested(world):
    first = report(world, world.worker_a, world.household_a)
    report(world, world.worker_a, world.household_a, text="小区门口路灯不亮", code="road_lamp")
    found = similar_open_cases(world.worker_a, "3号楼2单元的楼道里堆满杂物，消防通道被堵",
                               building_id=world.building_a.pk)
    assert [case for case, _ in found] == [first]
    assert 0.3 <= found[0][1] <= 1


def test_suggestions_never_come_from_outside_the_scope(world):
    report(world, world.worker_b, world.household_b)
    assert similar_open_cases(world.worker_a, FIRE_EXIT, building_id=world.building_b.pk) == []
    assert similar_open_cases(world.worker_a, FIRE_EXIT, grid_id=world.grid_b.pk) == []


def test_me_too_follows_the_case_and_shows_it(world):
    case = report(world, world.worker_a, world.household_a)
    actions.do_join_case(actor=world.resident_a, case=case)
    actions.do_join_case(actor=world.resident_a, case=case)  # twice is once
    assert case.followers.count() == 1
    assert case in cases_visible_to(world.resident_a)


def test_merge_keeps_every_reporter_and_is_audited(world):
    kept = report(world, world.worker_a, world.household_a)
    duplicate = report(world, world.leader_a, world.household_a)
    with pytest.raises(Forbidden):
        actions.do_merge_cases(actor=world.worker_a, duplicate=duplicate, into=kept)
    actions.do_merge_cases(actor=world.community_staff, duplicate=duplicate, into=kept)
    duplicate.refresh_from_db()
    assert duplicate.state == Case.State.MERGED and duplicate.merged_into == kept
    assert set(kept.followers.values_list("user__username", flat=True)) == {"leader_a"}
    assert kept in cases_visible_to(world.leader_a)
    assert AuditEntry.objects.filter(object_type="case", object_id=str(kept.pk),
                                     changes__merged_in=duplicate.pk).exists()


def test_split_makes_a_second_case_at_the_same_place(world):
    case = report(world, world.worker_a, world.household_a,
                  text="楼道堆放杂物堵住消防通道，另外楼下路灯也坏了")
    new = actions.do_split_case(actor=world.community_staff, case=case,
                                description="楼下路灯坏了",
                                category=Category.objects.get(code="road_lamp"))
    assert new.split_from == case and new.reporter == world.worker_a
    assert new.building_id == case.building_id and new.category.code == "road_lamp"
    assert case.events.filter(action="split").exists()


def test_a_case_with_many_followers_is_listed_once(world):
    case = report(world, world.worker_a, world.household_a)
    for user in (world.resident_a, world.leader_a, world.volunteer):
        actions.do_join_case(actor=user, case=case)
    assert list(cases_visible_to(world.street_admin)) == [case]
    assert cases_visible_to(world.worker_a).count() == 1
    assert list(cases_visible_to(world.volunteer)) == [case]
