"""Resident list and search-as-you-type: scoped, filtered, paginated, HTMX partials."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from warmgrid.testing import make_household, make_resident

LIST = reverse("people:resident_list")
SEARCH = reverse("people:resident_search")
HTMX = {"HTTP_HX_REQUEST": "true"}


def names_in(response) -> set[str]:
    """The residents listed (not the query echoed back)."""
    return set(re.findall(r'class="wg-row-title">([^<]+)<', response.content.decode()))


def test_it_lists_only_the_grid_of_a_grid_worker(world, login):
    response = login(world.worker_a).get(LIST)
    assert response.status_code == 200
    assert names_in(response) == {"张三"}
    assert world.zhang_san.id_number_masked in response.content.decode()
    assert world.zhang_san.id_number_plain not in response.content.decode()


def test_it_lists_a_whole_street_for_its_admin(world, login):
    assert names_in(login(world.street_admin).get(LIST)) == {"张三", "李四"}
    assert names_in(login(world.street2_admin).get(LIST)) == {"王五"}
    assert names_in(login(world.system_admin).get(LIST)) == {"张三", "李四", "王五"}


@pytest.mark.parametrize("persona", ["volunteer", "researcher", "handler", "outsider"])
def test_it_is_404_for_roles_without_the_registry(world, login, persona):
    assert login(getattr(world, persona)).get(LIST).status_code == 404
    assert login(getattr(world, persona)).get(SEARCH, {"q": "zs"}, **HTMX).status_code == 404


def test_it_shows_a_resident_only_their_household(world, login):
    assert names_in(login(world.resident_a).get(LIST)) == {"张三"}


def test_it_filters_by_grid_and_building(world, login):
    client = login(world.community_staff)
    assert names_in(client.get(LIST, {"grid": world.grid_b.pk})) == {"李四"}
    assert names_in(client.get(LIST, {"grid": world.grid_a.pk,
                                      "building": world.building_a.pk})) == {"张三"}
    # A grid outside the scope is not a choice: the filter is refused, nothing leaks.
    response = client.get(LIST, {"grid": world.grid_c.pk})
    assert response.status_code == 200
    assert "王五" not in response.content.decode()


def test_it_offers_the_buildings_of_a_grid_worker_without_choosing_a_grid(world, login):
    html = login(world.worker_a).get(LIST).content.decode()
    assert 'name="building"' in html
    assert world.building_b.name not in html


def test_it_paginates(world, login):
    household = make_household(world.building_a, "1", "101")
    for i in range(30):
        make_resident(household, f"测试{i:02d}", birth=dt.date(1980, 1, 1 + i % 28),
                      sequence=200 + i * 2 + 1, relation="other")
    client = login(world.worker_a)
    first = client.get(LIST).content.decode()
    assert "31 residents in your area." in first
    assert "?page=2" in first
    second = client.get(LIST, {"page": 2})
    assert second.status_code == 200
    assert "Page 2 of 2" in second.content.decode()


def test_it_pins_the_queries_of_the_list(world, login, django_assert_max_num_queries):
    household = make_household(world.building_a, "1", "101")
    for i in range(20):
        make_resident(household, f"测试{i:02d}", birth=dt.date(1980, 1, 1 + i),
                      sequence=300 + i * 2 + 1, relation="other")
    client = login(world.worker_a)
    client.get(LIST)  # warm the session
    # Session read and save (3 with the savepoint), user, grants; then count, grids,
    # buildings, one page of residents and one of their groups, however many there are;
    # the unread-notices badge.
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert response.status_code == 200
    with django_assert_max_num_queries(14):  # + checking the two chosen filters
        client.get(LIST, {"grid": world.grid_a.pk, "building": world.building_a.pk})
    with django_assert_max_num_queries(11):
        client.get(SEARCH, {"q": "cs"}, **HTMX)


@pytest.mark.parametrize("query", ["zs", "zhangsan", "张", "张三", "3号楼301", "3-2-301",
                                   "3号楼2单元301", "301"])
def test_it_finds_zhang_san_for_worker_a(world, login, query):
    response = login(world.worker_a).get(SEARCH, {"q": query}, **HTMX)
    assert response.status_code == 200
    assert names_in(response) == {"张三"}


def test_it_finds_by_the_last_four_id_characters(world, login):
    last4 = world.zhang_san.id_number_plain[-4:]
    response = login(world.worker_a).get(SEARCH, {"q": last4}, **HTMX)
    assert names_in(response) == {"张三"}


@pytest.mark.parametrize("query", ["ls", "李四", "5号楼502", "1-502", "ww", "王五", "8-1-101"])
def test_it_never_finds_other_grids_residents(world, login, query):
    response = login(world.worker_a).get(SEARCH, {"q": query}, **HTMX)
    assert response.status_code == 200
    assert names_in(response) == set()
    assert "No resident found" in response.content.decode()


def test_it_never_finds_by_id_number_outside_the_scope(world, login):
    client = login(world.worker_a)
    for resident in (world.li_si, world.wang_wu):
        for query in (resident.id_number_plain, resident.id_number_plain[-4:]):
            assert names_in(client.get(SEARCH, {"q": query}, **HTMX)) == set()


def test_it_returns_the_results_partial_for_htmx(world, login):
    response = login(world.worker_a).get(SEARCH, {"q": "zs"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert "<header" not in html
    assert "1 resident found for “zs”." in html
    assert reverse("people:resident_detail", args=[world.zhang_san.pk]) in html


def test_it_returns_the_list_partial_for_htmx_too(world, login):
    html = login(world.worker_a).get(LIST, **HTMX).content.decode()
    assert "<html" not in html
    assert "张三" in html


def test_it_renders_the_whole_page_for_a_history_restore(world, login):
    client = login(world.worker_a)
    response = client.get(LIST, {"q": "zs"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_it_sends_a_plain_search_to_the_list_page(world, login):
    client = login(world.worker_a)
    response = client.get(SEARCH, {"q": "zs"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q=zs"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<html" in html
    assert names_in(page) == {"张三"}
    assert f'hx-get="{SEARCH}"' in html


def test_it_says_when_there_are_more_results_than_shown(world, login):
    household = make_household(world.building_a, "1", "102")
    for i in range(21):
        make_resident(household, f"张{i:02d}", birth=dt.date(1970, 2, 1 + i),
                      sequence=400 + i * 2 + 1, relation="other")
    html = login(world.worker_a).get(SEARCH, {"q": "张"}, **HTMX).content.decode()
    assert "Only the first 20 are shown." in html
