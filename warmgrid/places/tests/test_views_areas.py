"""Area pages and residents by vulnerable group."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from warmgrid.people.actions import do_refresh_grid_tallies
from warmgrid.people.models import ResidentTag, Tag
from warmgrid.testing import make_household, make_resident


def area_url(area) -> str:
    return reverse("places:area_detail", args=[area.pk])


def groups_url(area) -> str:
    return reverse("places:area_groups", args=[area.pk])


def chart_data(response) -> dict:
    html = response.content.decode()
    match = re.search(r'<script id="wg-groups-data" type="application/json">(.*?)</script>',
                      html, re.S)
    return json.loads(match.group(1))


def test_it_goes_straight_to_a_single_area(world, login):
    response = login(world.worker_a).get(reverse("places:index"))
    assert response.status_code == 302
    assert response["Location"] == area_url(world.grid_a)


def test_it_lists_several_areas(world, login):
    from warmgrid.accounts.models import Role, RoleAssignment

    RoleAssignment.objects.create(user=world.worker_a, role=Role.GRID_WORKER, area=world.grid_b)
    html = login(world.worker_a).get(reverse("places:index")).content.decode()
    assert area_url(world.grid_a) in html and area_url(world.grid_b) in html


def test_it_is_404_for_the_index_without_a_role(world, login):
    assert login(world.outsider).get(reverse("places:index")).status_code == 404


def test_it_shows_a_grid_with_breadcrumbs_and_buildings(world, login):
    html = login(world.worker_a).get(area_url(world.grid_a)).content.decode()
    for ancestor in (world.district, world.street1, world.community1):
        assert ancestor.name in html
        assert area_url(ancestor) not in html  # outside the worker's areas: not linked
    assert world.building_a.name in html
    assert "1 resident" in html


def test_it_shows_children_with_resident_counts(world, login):
    household = make_household(world.building_b, "1", "503")
    make_resident(household, "钱七", birth=dt.date(1990, 1, 1), sequence=301)
    do_refresh_grid_tallies()  # written behind the actions' back, so recount
    response = login(world.street_admin).get(area_url(world.community1))
    html = response.content.decode()
    assert response.status_code == 200
    assert area_url(world.grid_a) in html and area_url(world.grid_b) in html
    assert area_url(world.street1) in html  # the admin's own street is linked
    counts = dict(re.findall(r'<a href="/places/(\d+)/">[^<]+</a></th>\s*<td>[^<]*</td>\s*'
                             r'<td class="num">(\d+)</td>', html))
    assert counts == {str(world.grid_a.pk): "1", str(world.grid_b.pk): "2"}
    assert groups_url(world.community1) in html


@pytest.mark.parametrize(("persona", "area", "status"), [
    ("worker_a", "grid_a", 200), ("worker_a", "grid_b", 404), ("worker_a", "community1", 404),
    ("street_admin", "street1", 200), ("street_admin", "street2", 404),
    ("street2_admin", "grid_a", 404), ("district_admin", "grid_c", 200),
    ("volunteer", "grid_a", 200), ("outsider", "grid_a", 404),
])
def test_it_scopes_area_pages(world, login, persona, area, status):
    assert login(getattr(world, persona)).get(area_url(getattr(world, area))).status_code == status


def test_it_hides_resident_counts_from_roles_without_the_registry(world, login):
    html = login(world.volunteer).get(area_url(world.grid_a)).content.decode()
    assert "1 resident" not in html
    assert reverse("people:resident_list") not in html
    staff_html = login(world.community_staff).get(area_url(world.community1)).content.decode()
    assert 'class="num">1</td>' in staff_html


def test_it_counts_residents_by_group_for_a_street_admin(world, login, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the table is read by its Chinese group names
    disabled = Tag.objects.get(code="disabled")
    ResidentTag.objects.create(resident=world.li_si, tag=disabled, area_path=world.li_si.area_path,
                               source="残联 2026", valid_from=dt.date(2026, 1, 1),
                               legal_basis="statutory_duty")
    ResidentTag.objects.create(resident=world.wang_wu, tag=disabled,
                               area_path=world.wang_wu.area_path, source="残联 2026",
                               valid_from=dt.date(2026, 1, 1), legal_basis="statutory_duty")
    do_refresh_grid_tallies()
    response = login(world.street_admin).get(groups_url(world.street1))
    assert response.status_code == 200
    html = response.content.decode()
    assert world.community1.name in html
    assert "/static/vendor/echarts.min.js" in html
    assert "/static/warmgrid/stacked_bars.js" in html
    data = chart_data(response)
    assert data["areas"] == [world.community1.name]
    by_name = {s["name"]: s["data"] for s in data["series"]}
    assert by_name["独居老人"] == [1]
    assert by_name["残疾人"] == [1]  # 王五 is in the other street


def test_it_shows_a_leaf_area_as_one_bar(world, login):
    response = login(world.street_admin).get(groups_url(world.grid_a))
    assert response.status_code == 200
    data = chart_data(response)
    assert data["areas"] == [world.grid_a.name]


def test_it_names_groups_in_english_for_english_readers(world, login):
    client = login(world.district_admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    data = chart_data(client.get(groups_url(world.district)))
    assert "Elderly living alone" in {s["name"] for s in data["series"]}


@pytest.mark.parametrize(("persona", "area", "status"), [
    ("street_admin", "street1", 200), ("street_admin", "community1", 200),
    ("street_admin", "street2", 404), ("street_admin", "district", 404),
    ("street2_admin", "street1", 404), ("district_admin", "district", 200),
    ("system_admin", "district", 200), ("worker_a", "grid_a", 404),
    ("community_staff", "community1", 404), ("volunteer", "grid_a", 404),
    ("outsider", "street1", 404),
])
def test_it_scopes_the_group_counts(world, login, persona, area, status):
    assert login(getattr(world, persona)).get(groups_url(getattr(world, area))
                                              ).status_code == status


def test_it_pins_the_queries_of_the_counts_page(world, login, django_assert_max_num_queries):
    alone = Tag.objects.get(code="elderly_alone")
    for i in range(15):
        household = make_household(world.building_b, "1", f"{600 + i}")
        resident = make_resident(household, f"孙{i:02d}", birth=dt.date(1940, 1, 1 + i),
                                 sequence=500 + i * 2 + 1)
        ResidentTag.objects.create(resident=resident, tag=alone, area_path=resident.area_path,
                                   source="走访", valid_from=dt.date(2026, 1, 1),
                                   legal_basis="statutory_duty")
    do_refresh_grid_tallies()
    client = login(world.district_admin)
    client.get(groups_url(world.district))
    # Session (3 with its save), user, grants; area, breadcrumbs; grouped counts,
    # children, tags; the unread-notices badge.
    with django_assert_max_num_queries(12):
        response = client.get(groups_url(world.district))
    assert response.status_code == 200
    assert "16" in response.content.decode()
