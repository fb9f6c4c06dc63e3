"""The "unreasonable demand" exclusion: who asks, who reviews, two approvals, one
rejection, audit, and two reviewers acting at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from warmgrid.assessment import actions, queries
from warmgrid.assessment.models import Exclusion
from warmgrid.assessment.tests.factories import closed_case
from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case
from warmgrid.errors import Conflict, Forbidden, ValidationFailed

REASON = "要求社区出钱给自家装修，并非社区职责"


def ask(world, case, actor=None):
    return actions.do_request_exclusion(actor=actor or world.worker_a, case=case,
                                        reason=REASON)


def review(actor, exclusion, approve=True, note=""):
    return actions.do_review_exclusion(actor=actor, exclusion=exclusion, approve=approve,
                                       note=note or ("同意" if approve else "证据不足，驳回"))


def last_entry(case) -> AuditEntry:
    return AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)) \
        .order_by("seq").last()


def excluded_in_assessment(world, case) -> bool:
    result = queries.assessment_for(world.street_admin, start=dt.date(2026, 10, 1),
                                    end=dt.date(2026, 10, 31))
    return next(f for f in result.facts if f.case_id == case.pk).excluded


@pytest.fixture
def case(world):
    return closed_case(world, assignee=world.worker_a, rating=1,
                       outcome=Case.Outcome.UNREASONABLE)


def test_the_handler_asks_and_it_is_on_the_trail(world, case):
    exclusion = ask(world, case)
    assert exclusion.state == Exclusion.State.PENDING
    assert (exclusion.requested_by, exclusion.area_path) == (world.worker_a, case.area_path)
    entry = last_entry(case)
    assert entry.changes["step"] == "requested" and entry.actor_id == world.worker_a.pk
    assert not excluded_in_assessment(world, case)


def test_a_supervisor_of_the_area_may_ask_too(world, case):
    assert ask(world, case, actor=world.community_staff).requested_by == world.community_staff


@pytest.mark.parametrize("persona", ["worker_b", "street2_admin", "resident_a", "outsider",
                                     "researcher", "volunteer"])
def test_people_without_the_case_cannot_ask(world, case, persona):
    with pytest.raises(Forbidden):
        ask(world, case, actor=getattr(world, persona))
    assert not Exclusion.objects.exists()


def test_an_open_case_cannot_be_excluded(world, case):
    Case.objects.filter(pk=case.pk).update(state=Case.State.IN_PROGRESS)
    case.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        ask(world, case)
    assert caught.value.code == "case_not_done"


def test_a_reason_is_required(world, case):
    with pytest.raises(ValidationFailed) as caught:
        actions.do_request_exclusion(actor=world.worker_a, case=case, reason="  无 ")
    assert "reason" in caught.value.fields


def test_one_active_request_per_case(world, case):
    first = ask(world, case)
    with pytest.raises(Conflict) as caught:
        ask(world, case, actor=world.community_staff)
    assert caught.value.code == "exclusion_exists"
    review(world.community_staff, first, approve=False)
    assert ask(world, case).state == Exclusion.State.PENDING  # asked again after a "no"


def test_two_different_reviewers_exclude_the_case(world, case):
    exclusion = ask(world, case)
    exclusion = review(world.community_staff, exclusion)
    assert exclusion.state == Exclusion.State.PENDING and exclusion.approvals == 1
    assert not excluded_in_assessment(world, case)  # one approval changes nothing
    exclusion = review(world.street_admin, exclusion)
    exclusion.refresh_from_db()
    assert exclusion.state == Exclusion.State.APPROVED and exclusion.approvals == 2
    assert (exclusion.first_reviewer, exclusion.second_reviewer) == (world.community_staff,
                                                                      world.street_admin)
    assert exclusion.closed_at is not None
    assert excluded_in_assessment(world, case)
    steps = [e.changes["step"] for e in AuditEntry.objects.filter(
        object_type="case", object_id=str(case.pk)).order_by("seq")]
    assert steps == ["requested", "first_approval", "second_approval"]


def test_the_same_reviewer_cannot_approve_twice(world, case):
    exclusion = review(world.street_admin, ask(world, case))
    with pytest.raises(Forbidden):
        review(world.street_admin, exclusion)
    exclusion.refresh_from_db()
    assert exclusion.state == Exclusion.State.PENDING
    assert exclusion.second_reviewer is None


def test_the_requester_cannot_review(world, case):
    exclusion = ask(world, case, actor=world.community_staff)
    with pytest.raises(Forbidden):
        review(world.community_staff, exclusion)
    assert Exclusion.objects.get().first_reviewer is None


def test_the_cases_handler_cannot_review(world):
    handled = closed_case(world, assignee=world.community_staff)
    exclusion = ask(world, handled, actor=world.worker_a)
    with pytest.raises(Forbidden):
        review(world.community_staff, exclusion)
    assert review(world.street_admin, exclusion).approvals == 1


@pytest.mark.parametrize("persona", ["worker_a", "worker_b", "leader_a", "street2_admin",
                                     "handler", "outsider"])
def test_reviewers_need_supervision_rights_over_the_area(world, case, persona):
    exclusion = ask(world, case, actor=world.community_staff)
    with pytest.raises(Forbidden):
        review(getattr(world, persona), exclusion)


def test_one_rejection_rejects(world, case):
    exclusion = review(world.community_staff, ask(world, case), approve=False)
    assert exclusion.state == Exclusion.State.REJECTED and exclusion.approvals == 0
    with pytest.raises(Conflict):
        review(world.street_admin, exclusion)
    assert not excluded_in_assessment(world, case)


def test_a_rejection_after_one_approval_rejects(world, case):
    exclusion = review(world.community_staff, ask(world, case))
    exclusion = review(world.street_admin, exclusion, approve=False, note="居民诉求合理")
    exclusion.refresh_from_db()
    assert exclusion.state == Exclusion.State.REJECTED
    assert exclusion.second_note == "居民诉求合理" and exclusion.approvals == 1
    assert not excluded_in_assessment(world, case)


def test_a_rejection_needs_a_note(world, case):
    exclusion = ask(world, case)
    with pytest.raises(ValidationFailed):
        actions.do_review_exclusion(actor=world.street_admin, exclusion=exclusion,
                                    approve=False, note="")
    assert Exclusion.objects.get().state == Exclusion.State.PENDING


def test_the_requester_withdraws_while_it_is_pending(world, case):
    exclusion = ask(world, case)
    with pytest.raises(Forbidden):
        actions.do_withdraw_exclusion(actor=world.community_staff, exclusion=exclusion)
    actions.do_withdraw_exclusion(actor=world.worker_a, exclusion=exclusion)
    exclusion.refresh_from_db()
    assert exclusion.state == Exclusion.State.WITHDRAWN
    with pytest.raises(Conflict):
        review(world.street_admin, exclusion)
    with pytest.raises(Conflict):
        actions.do_withdraw_exclusion(actor=world.worker_a, exclusion=exclusion)
    entry = last_entry(case)
    assert entry.changes["step"] == "withdrawn"


def test_a_decided_request_cannot_be_withdrawn(world, case):
    exclusion = review(world.street_admin, review(world.community_staff, ask(world, case)))
    with pytest.raises(Conflict):
        actions.do_withdraw_exclusion(actor=world.worker_a, exclusion=exclusion)


def test_the_database_refuses_one_person_approving_twice(world, case):
    with pytest.raises(IntegrityError), transaction.atomic():
        Exclusion.objects.create(
            case=case, area_path=case.area_path, reason=REASON, requested_by=world.worker_a,
            requested_at=case.closed_at, state=Exclusion.State.APPROVED,
            first_reviewer=world.street_admin, second_reviewer=world.street_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Exclusion.objects.create(
            case=case, area_path=case.area_path, reason=REASON, requested_by=world.worker_a,
            requested_at=case.closed_at, state=Exclusion.State.APPROVED,
            first_reviewer=world.street_admin)


def test_a_stale_copy_cannot_take_a_slot_already_taken(world, case):
    stale = ask(world, case)
    review(world.community_staff, Exclusion.objects.get(pk=stale.pk))
    # The stale copy still shows no first reviewer: the action reads the locked row.
    result = review(world.street_admin, stale)
    assert result.state == Exclusion.State.APPROVED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_reviewers_approving_at_once_on_postgresql():
    """Real concurrent connections. Two different reviewers at once: both count, one as
    first and one as second. One reviewer twice at once: exactly one approval counts."""
    import threading

    from django.db import connections

    from warmgrid.accounts.models import Role, RoleAssignment
    from warmgrid.testing import build_world, make_user

    world = build_world()
    reviewers = [make_user(f"rev{i}", (Role.COMMUNITY_STAFF, world.community1))
                 for i in range(2)]

    def race(users, exclusion_pk):
        barrier = threading.Barrier(len(users))
        outcomes = []

        def run(user):
            try:
                mine = Exclusion.objects.get(pk=exclusion_pk)
                barrier.wait()
                review(user, mine)
                outcomes.append("ok")
            except (Forbidden, Conflict):
                outcomes.append("refused")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sorted(outcomes)

    both = ask(world, closed_case(world, assignee=world.worker_a))
    assert race(reviewers, both.pk) == ["ok", "ok"]
    both.refresh_from_db()
    assert both.state == Exclusion.State.APPROVED
    assert {both.first_reviewer_id, both.second_reviewer_id} == {r.pk for r in reviewers}

    twice = ask(world, closed_case(world, assignee=world.worker_a, text="另一件事"))
    assert race([world.street_admin, world.street_admin], twice.pk) == ["ok", "refused"]
    twice.refresh_from_db()
    assert twice.state == Exclusion.State.PENDING and twice.approvals == 1
    assert connection.vendor == "postgresql"
    Exclusion.objects.all().delete()
    RoleAssignment.objects.all().delete()


def told(kind: str) -> list[tuple[str, int]]:
    from warmgrid.notices.models import Notice

    return sorted((n.recipient.username, n.case_id)
                  for n in Notice.objects.filter(kind=kind).select_related("recipient"))


def test_reviewers_are_asked_nearest_first_and_the_requester_hears_the_decision(world, case):
    exclusion = ask(world, case)
    # The community's staff know the case; the street and district are not troubled yet.
    assert told("exclusion_review") == [("staff_c1", case.pk)]
    review(world.community_staff, exclusion)
    # The first reviewer may not decide twice: the next level up is asked for the second.
    assert told("exclusion_review") == [("staff_c1", case.pk), ("street_s1", case.pk)]
    assert told("exclusion_decided") == []
    review(world.street_admin, exclusion)
    assert told("exclusion_decided") == [("worker_a", case.pk)]


def test_a_rejection_is_told_to_the_requester(world, case):
    review(world.community_staff, ask(world, case), approve=False)
    assert told("exclusion_decided") == [("worker_a", case.pk)]
    assert told("exclusion_review") == [("staff_c1", case.pk)]


def test_nobody_barred_from_reviewing_is_asked(world):
    handled = closed_case(world, assignee=world.community_staff)
    ask(world, handled, actor=world.worker_a)
    # The community's only staff handled it: the street is asked instead.
    assert told("exclusion_review") == [("street_s1", handled.pk)]
