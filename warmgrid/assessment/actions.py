"""Every write of the assessment: requesting, reviewing and withdrawing an "unreasonable
demand" (不合理诉求) exclusion. Atomic and audited on the case (object_type="case").

The rules: the case's handler, its assignee, or a supervisor of its area asks, once the
case is resolved or closed, with a reason. Two different reviewers with dispatch and
supervision rights over the case's area approve it; neither may be the requester or the
case's assignee. One rejection rejects. Only an approved exclusion leaves the case out of
the assessment. The exclusion row is locked (select_for_update) and every change is a
conditional update, so two reviewers acting at once cannot both take the same slot.
The nearest reviewers are told of each request, and the requester of the decision.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.accounts.scopes import (
    CASE_DISPATCHERS,
    enclosing_paths,
    may_dispatch_case,
    may_handle_case,
)
from warmgrid.assessment.models import Exclusion
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.notices.actions import do_notify

REQUESTABLE_STATES = (Case.State.RESOLVED, Case.State.CLOSED)
MIN_REASON = 4
MAX_TEXT = 2000


def _audit(actor, exclusion: Exclusion, action: str, changes: dict, ip_address: str) -> None:
    do_record_audit(
        action=action, actor=actor, ip_address=ip_address, object_type="case",
        object_id=exclusion.case_id, object_repr=f"exclusion #{exclusion.pk}",
        area_path=exclusion.area_path, changes={"exclusion": exclusion.pk, **changes},
    )


def nearest_reviewers(exclusion: Exclusion, case: Case) -> list:
    """Who is asked to review: those with dispatch rights at the closest level above the
    case that has anyone left who may review it (community staff before street admins
    before district admins), so a request reaches the people who know the case."""
    from warmgrid.accounts.models import RoleAssignment

    barred = {exclusion.requested_by_id, case.assignee_id, exclusion.first_reviewer_id}
    grants = (RoleAssignment.objects
              .filter(role__in=CASE_DISPATCHERS, user__is_active=True,
                      area__path__in=enclosing_paths(exclusion.area_path))
              .exclude(user_id__in=barred - {None}).select_related("user", "area"))
    by_level: dict[int, dict] = {}
    for grant in grants:
        by_level.setdefault(len(grant.area.path), {})[grant.user_id] = grant.user
    return list(by_level[max(by_level)].values()) if by_level else []


def _ask_for_review(exclusion: Exclusion, case: Case, *, second: bool) -> None:
    subject = (_("Case #%(id)s: an exclusion from the assessment needs a second reviewer.")
               if second else
               _("Case #%(id)s: an exclusion from the assessment waits for your review."))
    do_notify(recipients=nearest_reviewers(exclusion, case), kind="exclusion_review",
              case=case, url=reverse("assessment:exclusions"), subject=subject,
              params={"id": case.pk})


def may_request_exclusion(user, case: Case) -> bool:
    return (case.assignee_id == getattr(user, "pk", None)
            or may_handle_case(user, area_path=case.area_path,
                               department_id=case.lead_department_id))


def review_refusal(user, exclusion: Exclusion, case: Case) -> str:
    """Why this user may not review this request now ("" when they may)."""
    if not may_dispatch_case(user, exclusion.area_path):
        return str(_("Your role does not review exclusions here."))
    if exclusion.requested_by_id == user.pk:
        return str(_("You asked for this exclusion, so two other people review it."))
    if case.assignee_id == user.pk:
        return str(_("You handled this case, so you cannot review its exclusion."))
    if exclusion.first_reviewer_id == user.pk:
        return str(_("You have already approved it; a second, different reviewer must "
                     "decide."))
    return ""


def do_request_exclusion(*, actor, case: Case, reason: str, ip_address: str = "",
                         now=None) -> Exclusion:
    """Ask that a case be left out of the assessment as an unreasonable demand."""
    if not may_request_exclusion(actor, case):
        raise Forbidden(_("Only the case's handler or a supervisor of its area may ask "
                          "for an exclusion."))
    if case.state not in REQUESTABLE_STATES:
        raise Conflict(_("An exclusion can be asked for once the case is resolved or "
                         "closed."), code="case_not_done")
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise ValidationFailed(fields={"reason": [str(_(
            "Say why the demand was unreasonable, so that reviewers can judge it."))]})
    if len(reason) > MAX_TEXT:
        raise ValidationFailed(fields={"reason": [str(_(
            "Keep the reason under 2000 characters."))]})
    now = now or timezone.now()
    try:
        with transaction.atomic():
            exclusion = Exclusion.objects.create(
                case=case, area_path=case.area_path, reason=reason, requested_by=actor,
                requested_at=now)
            _audit(actor, exclusion, AuditEntry.Action.CREATE,
                   {"step": "requested", "reason": reason[:200]}, ip_address)
            _ask_for_review(exclusion, case, second=False)
    except IntegrityError:
        raise Conflict(_("This case already has an exclusion waiting for review or "
                         "approved."), code="exclusion_exists") from None
    return exclusion


def do_review_exclusion(*, actor, exclusion: Exclusion, approve: bool, note: str = "",
                        ip_address: str = "", now=None) -> Exclusion:
    """Approve or reject. The first approval waits for a second from someone else; the
    second approval excludes the case; a rejection at either step ends the request."""
    note = (note or "").strip()[:MAX_TEXT]
    if not approve and len(note) < MIN_REASON:
        raise ValidationFailed(fields={"note": [str(_("Say why you reject it."))]})
    now = now or timezone.now()
    with transaction.atomic():
        # The row is locked until commit: a second reviewer waits, then sees the first.
        current = Exclusion.objects.select_for_update().get(pk=exclusion.pk)
        case = Case.objects.only("pk", "assignee_id", "area_path").get(pk=current.case_id)
        refusal = review_refusal(actor, current, case)
        if refusal:
            raise Forbidden(refusal)
        if current.state != Exclusion.State.PENDING:
            raise Conflict(_("This request was already decided (%(state)s).")
                           % {"state": current.get_state_display()}, code="already_decided")
        if current.first_reviewer_id is None:
            updates = {"first_reviewer": actor, "first_reviewed_at": now, "first_note": note}
            seen = {"first_reviewer__isnull": True}
            step = "first_approval" if approve else "rejected"
        else:
            updates = {"second_reviewer": actor, "second_reviewed_at": now,
                       "second_note": note}
            seen = {"first_reviewer": current.first_reviewer_id,
                    "second_reviewer__isnull": True}
            step = "second_approval" if approve else "rejected"
        if not approve:
            updates |= {"state": Exclusion.State.REJECTED, "closed_at": now}
        elif step == "second_approval":
            updates |= {"state": Exclusion.State.APPROVED, "closed_at": now}
        changed = Exclusion.objects.filter(pk=current.pk, state=Exclusion.State.PENDING,
                                           **seen).update(**updates)
        if not changed:
            raise Conflict(_("Someone else reviewed this a moment ago; reload it."),
                           code="stale_exclusion")
        for name, value in updates.items():
            setattr(current, name, value)
        _audit(actor, current, AuditEntry.Action.UPDATE,
               {"step": step, "state": current.state, "note": note[:200]}, ip_address)
        if step == "first_approval":
            _ask_for_review(current, case, second=True)
        else:
            do_notify(recipients=[current.requested_by], kind="exclusion_decided", case=case,
                      url=reverse("assessment:exclusions"),
                      subject=(_("Case #%(id)s: your exclusion request was approved.")
                               if current.state == Exclusion.State.APPROVED else
                               _("Case #%(id)s: your exclusion request was rejected.")),
                      params={"id": case.pk})
    return current


def do_withdraw_exclusion(*, actor, exclusion: Exclusion, ip_address: str = "",
                          now=None) -> Exclusion:
    """The requester takes back a request nobody has decided yet."""
    if exclusion.requested_by_id != getattr(actor, "pk", None):
        raise Forbidden(_("Only the person who asked can withdraw the request."))
    now = now or timezone.now()
    with transaction.atomic():
        changed = Exclusion.objects.filter(pk=exclusion.pk, state=Exclusion.State.PENDING) \
            .update(state=Exclusion.State.WITHDRAWN, closed_at=now)
        if not changed:
            raise Conflict(_("Only a request still waiting for review can be withdrawn."),
                           code="already_decided")
        exclusion.state, exclusion.closed_at = Exclusion.State.WITHDRAWN, now
        _audit(actor, exclusion, AuditEntry.Action.UPDATE, {"step": "withdrawn"}, ip_address)
    return exclusion


def do_record_assessment_export(*, actor, window: dict, by: str, rows: int,
                                area_path: str = "", ip_address: str = "") -> None:
    """A download of the assessment table names people and their figures: on the trail."""
    with transaction.atomic():
        do_record_audit(action=AuditEntry.Action.EXPORT, actor=actor, ip_address=ip_address,
                        object_type="assessment", object_repr=f"assessment by {by}",
                        area_path=area_path, changes={"window": window, "by": by,
                                                      "rows": rows})
