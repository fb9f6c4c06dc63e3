"""Scoped reads: search and counts never reach outside the user's areas."""

import datetime as dt

from warmgrid.people.actions import (
    HouseholdInput,
    ResidentInput,
    do_create_resident,
    do_tag_resident,
    do_update_household,
)
from warmgrid.people.models import Tag
from warmgrid.people.queries import (
    access_resident_for_user,
    active_tags_q,
    resident_count_under,
    resident_counts_by_child,
    residents_visible_to,
    search_residents,
    tag_counts_under,
)
from warmgrid.people.tasks import refresh_grid_tallies

TODAY = dt.date(2026, 11, 26)


def names(residents):
    return sorted(r.name for r in residents)


def test_each_role_sees_its_own_area(world):
    assert names(residents_visible_to(world.worker_a)) == ["张三"]
    assert names(residents_visible_to(world.community_staff)) == ["张三", "李四"]
    assert names(residents_visible_to(world.street_admin)) == ["张三", "李四"]
    assert names(residents_visible_to(world.district_admin)) == ["张三", "李四", "王五"]
    assert names(residents_visible_to(world.resident_a)) == ["张三"]
    for nobody in (world.outsider, world.volunteer, world.researcher, world.handler):
        assert names(residents_visible_to(nobody)) == []


def test_search_by_name_initials_pinyin_room_and_last_four(world):
    zs = world.zhang_san
    for query in ("张", "张三", "zs", "ZS", "zhang", "3号楼301", "3-2-301", "301",
                  zs.id_number_plain[-4:], zs.id_number_plain, "13812345678"):
        assert names(search_residents(world.worker_a, query)) == ["张三"], query


def test_search_never_finds_another_grids_resident(world):
    ls = world.li_si
    for query in ("李四", "ls", "lisi", "5号楼502", ls.id_number_plain[-4:], ls.id_number_plain,
                  "13987654321"):
        assert names(search_residents(world.worker_a, query)) == [], query
        assert names(search_residents(world.worker_b, query)) == ["李四"], query


def test_access_outside_scope_is_not_found(world):
    import pytest
    from django.http import Http404

    assert access_resident_for_user(world.worker_a, world.zhang_san.pk) == world.zhang_san
    for bad in (world.li_si.pk, world.wang_wu.pk, "x", None, 10**12):
        with pytest.raises(Http404):
            access_resident_for_user(world.worker_a, bad)


def test_counts_by_tag_cover_the_area_and_only_what_the_user_may_see(world):
    counts = tag_counts_under(world.street_admin, world.street1)
    by_code = {t.code: counts["totals"][t.pk] for t in counts["tags"]}
    assert by_code["elderly_alone"] == 1
    assert [c.code for c, _ in counts["children"]] == [world.community1.code]
    assert resident_count_under(world.street_admin, world.street1) == 2
    assert resident_count_under(world.district_admin, world.district) == 3
    # A worker asking about the whole street only counts their own grid.
    counts = tag_counts_under(world.worker_b, world.street1)
    assert sum(counts["totals"].values()) == 0
    assert resident_count_under(world.worker_b, world.street1) == 1


def test_tallies_follow_every_write(world):
    disabled = Tag.objects.get(code="disabled")
    do_tag_resident(actor=world.worker_b, resident=world.li_si, tag=disabled, source="残联名册",
                    valid_from=dt.date(2026, 1, 1), valid_until=None,
                    legal_basis="statutory_duty")
    counts = tag_counts_under(world.street_admin, world.street1)
    assert counts["totals"][disabled.pk] == 1
    do_create_resident(actor=world.worker_b, household=world.household_b, today=TODAY,
                       data=ResidentInput(name="李小四", gender="M",
                                          birth_date=dt.date(2015, 5, 5), relation="child",
                                          residence_status="hukou"))
    assert resident_count_under(world.street_admin, world.street1) == 3
    # Moving a household to another street moves its count.
    do_update_household(actor=world.community_staff, household=world.household_a,
                        data=HouseholdInput(), building=world.building_b)
    counts = resident_counts_by_child(world.district_admin, world.district,
                                      [world.street1, world.street2])
    assert counts == {world.street1.pk: 3, world.street2.pk: 1}


def test_the_nightly_refresh_drops_memberships_that_ended(world):
    world.zhang_san.tags.update(valid_until=dt.date(2026, 2, 1))
    refresh_grid_tallies.apply()
    counts = tag_counts_under(world.district_admin, world.district)
    assert sum(counts["totals"].values()) == 0
    assert counts["as_of"] is not None


def test_tallies_equal_a_direct_count(world):
    """The read model must agree with counting the rows themselves."""
    from django.utils import timezone

    from warmgrid.people.models import Resident, ResidentTag

    today = timezone.localdate()
    counts = tag_counts_under(world.district_admin, world.district)
    for tag in counts["tags"]:
        direct = ResidentTag.objects.filter(tag=tag).filter(active_tags_q(today)).count()
        assert counts["totals"][tag.pk] == direct, tag.code
    assert resident_count_under(world.district_admin, world.district) == \
        Resident.objects.count()


def test_whole_matches_come_first(world):
    from warmgrid.testing import make_resident

    make_resident(world.household_a, "周淑芬", birth=dt.date(1957, 11, 4), gender="F",
                  sequence=202, relation="spouse")
    make_resident(world.household_a, "张三丰", birth=dt.date(1948, 1, 1), sequence=303,
                  relation="parent")
    assert search_residents(world.worker_a, "zs")[0].name == "张三"
    assert [r.name for r in search_residents(world.worker_a, "张三")] == ["张三", "张三丰"]


def test_a_grid_has_one_total_and_one_count_per_group(world):
    import pytest
    from django.db import IntegrityError, transaction

    from warmgrid.people.models import GridTally

    total = GridTally.objects.get(grid=world.grid_a, tag=None)
    for tag in (None, Tag.objects.get(code="elderly_alone")):
        with pytest.raises(IntegrityError), transaction.atomic():
            GridTally.objects.create(grid=world.grid_a, area_path=world.grid_a.path, tag=tag,
                                     residents=1, as_of=total.as_of)
