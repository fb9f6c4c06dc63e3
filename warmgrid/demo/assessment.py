""""Unreasonable demand" (不合理诉求) exclusions for the demo district, so that the fair
assessment has something to show: among the latest closed cases whose outcome was
"unreasonable", the handler asks for an exclusion; the community's two staff review it.
About half end approved by two reviewers, some wait with one approval or none, a few are
rejected. A few dozen at most, written in one insert under the same rules the actions
enforce (the handler asks; two different staff of the area, neither the handler, review);
like the demo's cases, they are audited by one summary entry, not one entry per step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from warmgrid.accounts.models import Role, RoleAssignment
from warmgrid.assessment.models import Exclusion
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case
from warmgrid.demo.plan import seeded_rng

MAX_EXCLUSIONS = 24
REASONS = (
    "诉求超出社区和相关部门的法定职责范围，已书面答复并当面解释。",
    "同一诉求已依法答复三次并现场解释，仍坚持要求经济补偿。",
    "要求以免除全部物业欠费作为处理条件，无政策依据。",
    "要求立即处罚对方并公开道歉，超出调解权限，已告知依法解决的途径。",
    "诉求事项已有法院生效判决，不属于可重复受理的范围。",
    "要求工作人员全天候上门陪同处理私人事务，不属于网格服务事项。",
)
REJECTION = "诉求虽有过高部分，但核心问题确实存在，应继续处理，不予排除。"



@dataclass(frozen=True)
class ExclusionCounts:
    approved: int = 0
    pending: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.approved + self.pending + self.rejected


def _reviewers_by_community() -> dict[str, list]:
    """Each community's staff (and its street's admin after them), by community path."""
    staff: dict[str, list] = {}
    streets: dict[str, list] = {}
    grants = (RoleAssignment.objects.filter(role__in=[Role.COMMUNITY_STAFF, Role.STREET_ADMIN])
              .select_related("user", "area").order_by("user__username"))
    for grant in grants:
        bucket = staff if grant.role == Role.COMMUNITY_STAFF else streets
        bucket.setdefault(grant.area.path, []).append(grant.user)
    return {path: users + streets.get(path.rsplit("/", 2)[0] + "/", [])
            for path, users in staff.items()}


def add_demo_exclusions(*, seed: int) -> ExclusionCounts:
    rng = seeded_rng(seed, "assessment-exclusions")
    reviewers = _reviewers_by_community()
    cases = list(Case.objects.filter(state=Case.State.CLOSED, outcome=Case.Outcome.UNREASONABLE,
                                     assignee__isnull=False)
                 .select_related("assignee").order_by("-closed_at", "-id")[:MAX_EXCLUSIONS])
    rows = []
    for case in cases:
        community = "/".join(case.area_path.split("/")[:3]) + "/"
        first, second = ([u for u in reviewers.get(community, [])
                          if u.pk != case.assignee_id] + [None, None])[:2]
        if second is None:
            continue
        asked = case.closed_at + dt.timedelta(hours=rng.randint(2, 30))
        first_at = asked + dt.timedelta(hours=rng.randint(3, 48))
        second_at = first_at + dt.timedelta(hours=rng.randint(3, 48))
        row = Exclusion(case=case, area_path=case.area_path, reason=rng.choice(REASONS),
                        requested_by_id=case.assignee_id, requested_at=asked)
        draw = rng.random()
        if draw < 0.5:
            row.first_reviewer, row.first_reviewed_at = first, first_at
            row.first_note = "核实属实，同意排除。"
            row.second_reviewer, row.second_reviewed_at = second, second_at
            row.second_note, row.state, row.closed_at = "同意。", Exclusion.State.APPROVED, \
                second_at
        elif draw < 0.75:
            row.first_reviewer, row.first_reviewed_at = first, first_at
            row.first_note = "同意，待第二人复核。"
        elif draw >= 0.9:
            row.first_reviewer, row.first_reviewed_at = first, first_at
            row.first_note, row.state, row.closed_at = REJECTION, Exclusion.State.REJECTED, \
                first_at
        rows.append(row)
    counts = ExclusionCounts(
        approved=sum(r.state == Exclusion.State.APPROVED for r in rows),
        pending=sum(r.state == Exclusion.State.PENDING for r in rows),
        rejected=sum(r.state == Exclusion.State.REJECTED for r in rows))
    with transaction.atomic():
        Exclusion.objects.bulk_create(rows)
        if rows:
            do_record_audit(action=AuditEntry.Action.SYSTEM,
                            object_type="assessment_exclusion", object_id=seed,
                            object_repr="demo exclusions",
                            changes={"approved": counts.approved, "pending": counts.pending,
                                     "rejected": counts.rejected, "via": "demo"})
    return counts
