"""Who sees what: the one place that decides.

Every scoped query (people/queries.py, places/queries.py, audit/queries.py, the API,
pages, exports, search suggestions, admin lists) asks this module which area paths a
user may read or write for a purpose. A path covers its area and everything under it,
so "everything under this street" is one indexed prefix filter.

`None` means "no area limit" (system admins, whose every registry read is audited);
an empty list means "nothing".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from warmgrid.accounts.models import Role, RoleAssignment

# Roles that read the registry of their area.
REGISTRY_READERS = frozenset({
    Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF,
    Role.STREET_ADMIN, Role.DISTRICT_ADMIN,
})
# Roles that create and correct registry records in their area; supervisors only read.
REGISTRY_EDITORS = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF})
# Roles that may see a sensitive field whole, with a typed reason, per field.
REVEALERS = {
    "phone": frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF,
                        Role.STREET_ADMIN, Role.DISTRICT_ADMIN}),
    "id_number": frozenset({Role.GRID_LEADER, Role.COMMUNITY_STAFF,
                            Role.STREET_ADMIN, Role.DISTRICT_ADMIN}),
}
AUDIT_READERS = frozenset({Role.STREET_ADMIN, Role.DISTRICT_ADMIN})
# Roles whose sign-in needs a TOTP second factor.
SECOND_FACTOR_ROLES = frozenset({Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN})


@dataclass(frozen=True)
class Grant:
    role: str
    area_id: int
    area_path: str
    area_level: str
    household_id: int | None
    department_id: int | None


def grants_of(user) -> tuple[Grant, ...]:
    """The user's role assignments, read once per request object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, "_warmgrid_grants", None)
    if cached is None:
        cached = tuple(
            Grant(role=r, area_id=a, area_path=p, area_level=lvl, household_id=h, department_id=d)
            for r, a, p, lvl, h, d in RoleAssignment.objects.filter(user=user).values_list(
                "role", "area_id", "area__path", "area__level", "household_id", "department_id"
            )
        )
        user._warmgrid_grants = cached
    return cached


def roles_of(user) -> frozenset[str]:
    return frozenset(g.role for g in grants_of(user))


def is_system_admin(user) -> bool:
    return Role.SYSTEM_ADMIN in roles_of(user)


def _paths(user, roles: frozenset[str]) -> list[str]:
    return sorted({g.area_path for g in grants_of(user) if g.role in roles})


def paths_with_roles(user, roles) -> list[str] | None:
    """The areas where the user holds one of `roles`; None (every area) for a system
    admin."""
    if is_system_admin(user):
        return None
    return _paths(user, frozenset(roles))


def within(area_path: str, paths: list[str] | None) -> bool:
    """Whether an area lies inside one of `paths` (None: every area)."""
    return paths is None or any(area_path.startswith(p) for p in paths)


def registry_read_paths(user) -> list[str] | None:
    if is_system_admin(user):
        return None
    return _paths(user, REGISTRY_READERS)


def registry_edit_paths(user) -> list[str]:
    return _paths(user, REGISTRY_EDITORS)


def own_household_ids(user) -> list[int]:
    """Households a resident account belongs to: they see those and nothing else."""
    return [g.household_id for g in grants_of(user)
            if g.role == Role.RESIDENT and g.household_id is not None]


def area_read_paths(user) -> list[str] | None:
    """Areas shown on the map and in pickers: every area a user holds any role in."""
    if is_system_admin(user):
        return None
    return sorted({g.area_path for g in grants_of(user)})


def audit_scope_paths(user) -> list[str] | None:
    if is_system_admin(user):
        return None
    return _paths(user, AUDIT_READERS)


def may_reveal(user, field: str, area_path: str) -> bool:
    roles = REVEALERS.get(field, frozenset())
    return any(g.role in roles and area_path.startswith(g.area_path) for g in grants_of(user))


def may_edit_path(user, area_path: str) -> bool:
    return any(area_path.startswith(p) for p in registry_edit_paths(user))


def needs_second_factor(user) -> bool:
    return bool(roles_of(user) & SECOND_FACTOR_ROLES) or getattr(user, "is_superuser", False)


def audits_reads(user) -> bool:
    """System admins may read everything, so each of their registry reads is logged."""
    return is_system_admin(user)


def path_filter(paths: list[str], field: str = "area_path") -> Q:
    """OR of prefix filters; an empty list matches nothing."""
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def scoped(queryset: QuerySet, paths: list[str] | None, field: str = "area_path") -> QuerySet:
    """`queryset` limited to `paths` (None: every area)."""
    return queryset if paths is None else queryset.filter(path_filter(paths, field))


def enclosing_paths(area_path: str) -> list[str]:
    """The area and its ancestors, outermost first: the path's prefixes
    ("370102/370102001/" → ["370102/", "370102/370102001/"])."""
    parts = [p for p in area_path.split("/") if p]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def primary_area_path(user) -> str:
    """The area an account's own audit entries (logins) are filed under."""
    grants = grants_of(user)
    return min((g.area_path for g in grants), key=len) if grants else ""


# --- Events (cases) ---

# Roles that send a case to a unit (分派) and close it after checking.
CASE_DISPATCHERS = frozenset({Role.COMMUNITY_STAFF, Role.STREET_ADMIN, Role.DISTRICT_ADMIN})
# Roles that handle cases of their area's own team (grid or community).
CASE_AREA_HANDLERS = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF})


def case_read_q(user) -> Q | None:
    """Which cases a user sees: those of their areas (registry readers), those sent to
    their department within the department's area (handlers), and those they reported.
    None means every case (system admins)."""
    if is_system_admin(user):
        return None
    q = path_filter(_paths(user, REGISTRY_READERS))
    for grant in grants_of(user):
        if grant.role == Role.DEPARTMENT_HANDLER and grant.department_id:
            q |= Q(lead_department_id=grant.department_id,
                   area_path__startswith=grant.area_path)
            # Assisting (协办) and copied (抄送) units read the case too, in their area.
            from warmgrid.cases.models import CaseUnit

            involved = CaseUnit.objects.filter(department_id=grant.department_id)
            q |= Q(pk__in=involved.values("case_id"), area_path__startswith=grant.area_path)
    if getattr(user, "is_authenticated", False):
        # A subquery, not a join: a join on followers would repeat a case once per follower.
        from warmgrid.cases.models import CaseFollower

        followed = CaseFollower.objects.filter(user_id=user.pk).values("case_id")
        q |= Q(reporter_id=user.pk) | Q(pk__in=followed)
    return q


def may_dispatch_case(user, area_path: str) -> bool:
    return any(g.role in CASE_DISPATCHERS and area_path.startswith(g.area_path)
               for g in grants_of(user))


def may_handle_case(user, *, area_path: str, department_id: int | None) -> bool:
    """The lead department's handlers, or the area's own team when no department leads."""
    for g in grants_of(user):
        if not area_path.startswith(g.area_path):
            continue
        if department_id is not None and g.role == Role.DEPARTMENT_HANDLER \
                and g.department_id == department_id:
            return True
        if department_id is None and g.role in CASE_AREA_HANDLERS:
            return True
    return may_dispatch_case(user, area_path)


def case_departments_of(user, area_path: str) -> set[int]:
    """The departments whose handler this user is, over this place."""
    return {g.department_id for g in grants_of(user)
            if g.role == Role.DEPARTMENT_HANDLER and g.department_id
            and area_path.startswith(g.area_path)}


def may_assist_case(user, *, area_path: str, assisting_department_ids) -> bool:
    """A handler of an assisting (协办) unit: reads the case and adds notes, nothing more.
    Copied (抄送) units only read, through case_read_q."""
    return bool(case_departments_of(user, area_path) & set(assisting_department_ids))


def may_manage_duty(user, *, area_path: str, department_id: int | None = None) -> bool:
    """Who keeps a duty roster (值班表): dispatchers over the place, the grid leader for
    their grid's team, and a department's own handlers for their department."""
    if may_dispatch_case(user, area_path):
        return True
    if department_id is not None:
        return department_id in case_departments_of(user, area_path)
    return any(g.role == Role.GRID_LEADER and area_path.startswith(g.area_path)
               for g in grants_of(user))


def may_report_in(user, area_path: str) -> bool:
    """Staff report anywhere in their areas; residents anywhere in their own grid (the
    lamp by the next building is their neighbourhood too), and at home."""
    return any(area_path.startswith(g.area_path) for g in grants_of(user))


def case_dispatch_paths(user) -> list[str]:
    return _paths(user, CASE_DISPATCHERS)
