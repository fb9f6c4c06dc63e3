"""Every read of households and residents, always through the user's scope."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db.models import Case, Q, QuerySet, When
from django.http import Http404

from warmgrid.accounts.scopes import own_household_ids, path_filter, registry_read_paths
from warmgrid.people.identifiers import id_number_index, last4_index, phone_index
from warmgrid.people.models import GridTally, Household, Resident, ResidentTag, Tag
from warmgrid.places.models import Area


def _scope_q(user) -> Q | None:
    """None: no limit. Otherwise the registry paths plus a resident's own household."""
    paths = registry_read_paths(user)
    if paths is None:
        return None
    q = path_filter(paths)
    households = own_household_ids(user)
    if households:
        return q | Q(household_id__in=households) if paths else Q(household_id__in=households)
    return q


def households_visible_to(user) -> QuerySet[Household]:
    households = Household.objects.select_related("building", "grid")
    paths = registry_read_paths(user)
    if paths is None:
        return households
    q = path_filter(paths)
    own = own_household_ids(user)
    if own:
        q = (q | Q(pk__in=own)) if paths else Q(pk__in=own)
    return households.filter(q)


def residents_visible_to(user) -> QuerySet[Resident]:
    residents = Resident.objects.select_related("household__building", "grid")
    q = _scope_q(user)
    return residents if q is None else residents.filter(q)


def access_resident_for_user(user, resident_id) -> Resident:
    try:
        return residents_visible_to(user).get(pk=int(resident_id))
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_household_for_user(user, household_id) -> Household:
    try:
        return households_visible_to(user).get(pk=int(household_id))
    except (Household.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# "3号楼301", "3栋2单元301", "3-2-301", "3 301": building number, optional unit, room.
_BUILDING_ROOM = re.compile(
    r"^(?P<building>\d+)\s*(?:号楼|栋|幢|号|#|-|\s)\s*"
    r"(?:(?P<unit>\d+)\s*(?:单元|-)\s*)?(?P<room>\d{3,4})$"
)
_LAST4 = re.compile(r"^\d{3}[\dXx]$")
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
_MOBILE = re.compile(r"^1\d{10}$")
_LATIN = re.compile(r"^[A-Za-z]+$")


def search_residents(user, query: str, *, limit: int | None = 20) -> QuerySet[Resident]:
    """Find residents in scope by name, pinyin or initials, building and room, the last
    four characters of the ID number, a whole ID number or a mobile number."""
    q = query.strip()
    residents = residents_visible_to(user)
    if not q:
        return residents.none()
    if _ID_NUMBER.match(q):
        match = Q(id_number_index=id_number_index(q.upper()))
    elif _MOBILE.match(q):
        match = Q(phone_index=phone_index(q))
    elif _LAST4.match(q):
        # Four digits are as likely a room number as the end of an ID number.
        match = Q(id_last4_index=last4_index(q)) | Q(household__room=q)
    elif q.isdigit() and len(q) <= 4:
        match = Q(household__room=q)
    elif (m := _BUILDING_ROOM.match(q)) is not None:
        match = Q(household__room=m["room"]) & (
            Q(household__building__name__startswith=f"{m['building']}号")
            | Q(household__building__name=m["building"])
        )
        if m["unit"]:
            match &= Q(household__unit=m["unit"])
    elif _LATIN.match(q):
        latin = q.lower()
        match = Q(name_initials__startswith=latin) | Q(name_pinyin__startswith=latin)
        # "zs" should put 张三 before 周淑芬: whole matches first.
        exact = Q(name_initials=latin) | Q(name_pinyin=latin)
        return (residents.filter(match)
                .annotate(whole=Case(When(exact, then=0), default=1))
                .order_by("whole", "name", "id")[:limit])
    else:
        match = Q(name__startswith=q) | Q(name__contains=q)
        return (residents.filter(match)
                .annotate(whole=Case(When(name=q, then=0), default=1))
                .order_by("whole", "name", "id")[:limit])
    return residents.filter(match).order_by("name", "id")[:limit]


def search_households(user, query: str, *, limit: int | None = 20) -> QuerySet[Household]:
    q = query.strip()
    households = households_visible_to(user)
    if not q:
        return households
    if (m := _BUILDING_ROOM.match(q)) is not None:
        match = Q(room=m["room"]) & (
            Q(building__name__startswith=f"{m['building']}号") | Q(building__name=m["building"])
        )
        if m["unit"]:
            match &= Q(unit=m["unit"])
        return households.filter(match)[:limit]
    return households.filter(
        Q(room=q) | Q(building__name__startswith=q) | Q(householder__name__startswith=q)
    )[:limit]


def active_tags_q(today: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": today}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": today})
    )


def _tallies_under(user, area: Area):
    """Per-grid counts (GridTally rows) under an access-checked area, within the user's
    scope: a few hundred rows for a street, read by one prefix query on their index."""
    tallies = GridTally.objects.filter(area_path__startswith=area.path)
    paths = registry_read_paths(user)
    if paths is not None:
        tallies = tallies.filter(path_filter(paths))
    return list(tallies.values_list("area_path", "tag_id", "residents", "as_of"))


def _children_by_path(children: list[Area]):
    """A lookup from a grid's path to the child area it lies under, by path prefix."""
    by_path = {child.path: child for child in children}
    depth = children[0].path.count("/") if children else 0

    def child_of(path: str) -> Area | None:
        return by_path.get("/".join(path.split("/")[:depth]) + "/")

    return child_of


def tag_counts_under(user, area: Area) -> dict:
    """Residents by vulnerable group under an area, in total and per child area, as of the
    day the per-grid tallies were last refreshed (`as_of`). The area must already be
    access-checked; grids outside the user's scope are not counted."""
    rows = _tallies_under(user, area)
    children = list(Area.objects.filter(parent=area).order_by("code"))
    child_of = _children_by_path(children)
    tags = list(Tag.objects.all())
    totals: dict[int, int] = defaultdict(int)
    by_child: dict[int, dict[int, int]] = {c.pk: defaultdict(int) for c in children}
    residents = 0
    for path, tag_id, n, _as_of in rows:
        if tag_id is None:
            residents += n
            continue
        totals[tag_id] += n
        if (child := child_of(path)) is not None:
            by_child[child.pk][tag_id] += n
    return {
        "tags": tags,
        "as_of": min((row[3] for row in rows), default=None),
        "residents": residents,
        "totals": {t.pk: totals.get(t.pk, 0) for t in tags},
        "children": [(c, {t.pk: by_child[c.pk].get(t.pk, 0) for t in tags}) for c in children],
    }


def resident_count_under(user, area: Area) -> int:
    return sum(n for _path, tag_id, n, _as_of in _tallies_under(user, area) if tag_id is None)


def active_tags_of(resident: Resident, *, today: dt.date) -> QuerySet[ResidentTag]:
    return resident.tags.filter(active_tags_q(today)).select_related("tag")


# Reads for the registry pages (warmgrid/people/views.py, warmgrid/places/views.py).


def with_active_tags(residents: QuerySet[Resident], *, today: dt.date) -> QuerySet[Resident]:
    """Each resident's current groups in `.active_tags`: one extra query for a whole page."""
    from django.db.models import Prefetch

    current = (ResidentTag.objects.filter(active_tags_q(today)).select_related("tag")
               .order_by("tag__sort_order", "tag__code"))
    return residents.prefetch_related(Prefetch("tags", queryset=current, to_attr="active_tags"))


def tag_history_of(resident: Resident) -> QuerySet[ResidentTag]:
    """Every group membership of an access-checked resident, newest period first."""
    return resident.tags.select_related("tag").order_by("-valid_from", "-pk")


def access_membership_of_resident(resident: Resident, membership_id) -> ResidentTag:
    """One membership of an access-checked resident; any other id is 404."""
    try:
        return tag_history_of(resident).get(pk=int(membership_id))
    except (ResidentTag.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def field_bases_of(resident: Resident) -> dict:
    """The legal basis recorded for each sensitive field of an access-checked resident."""
    return {basis.field: basis for basis in resident.field_bases.all()}


def members_of(household: Household) -> QuerySet[Resident]:
    """The residents of an access-checked household, eldest first."""
    return household.residents.order_by("birth_date", "pk")


def all_tags() -> QuerySet[Tag]:
    return Tag.objects.all()


def resident_counts_by_child(user, area: Area, children: list[Area]) -> dict[int, int]:
    """Residents in the user's scope under each child of an access-checked area."""
    counts = {child.pk: 0 for child in children}
    child_of = _children_by_path(children)
    for path, tag_id, n, _as_of in _tallies_under(user, area):
        if tag_id is None and (child := child_of(path)) is not None:
            counts[child.pk] += n
    return counts
