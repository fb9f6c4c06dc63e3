"""Cluster alerts (聚集预警): detection, telling people once, the board, acknowledging."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from warmgrid.audit.models import AuditEntry
from warmgrid.cases.models import Case
from warmgrid.notices.models import Notice
from warmgrid.supervision.actions import do_detect_clusters
from warmgrid.supervision.models import ClusterAlert
from warmgrid.supervision.tasks import detect_clusters
from warmgrid.supervision.tests.factories import make_case
from warmgrid.testing import make_building

BOARD = reverse("supervision:board")
HTMX = {"HTTP_HX_REQUEST": "true"}


def hours_ago(now, hours):
    return now - dt.timedelta(hours=hours)


def three_in_building_a(world, now):
    texts = ((5, "3号楼门口垃圾没人清运"), (3, "楼下垃圾桶满了"), (1, "垃圾堆在楼道里发臭"))
    return [make_case(world, grid="a", at=hours_ago(now, h), text=text) for h, text in texts]


def acknowledge_url(alert) -> str:
    return reverse("supervision:acknowledge_alert", args=[alert.pk])


def test_three_similar_cases_in_a_building_raise_one_alert_and_tell_the_grid_once(world):
    now = timezone.now()
    cases = three_in_building_a(world, now)
    counts = do_detect_clusters(now=now)
    assert counts["created"] == 1
    alert = ClusterAlert.objects.get()
    assert (alert.kind, alert.grid, alert.building, alert.area_path) == (
        ClusterAlert.Kind.BUILDING, world.grid_a, world.building_a, world.grid_a.path)
    assert alert.category.code == "sanitation"  # garbage's family
    assert set(alert.cases.all()) == set(cases) and alert.case_count == 3
    assert (alert.first_case_at, alert.last_case_at) == (cases[0].created_at,
                                                         cases[-1].created_at)
    assert alert.state == ClusterAlert.State.OPEN
    told = Notice.objects.filter(kind="cluster_alert")
    assert sorted(n.recipient.username for n in told) == ["leader_a", "staff_c1"]
    assert told.get(recipient=world.community_staff).url == f"{BOARD}#alert-{alert.pk}"
    assert told.get(recipient=world.leader_a).url == f"/cases/{cases[-1].pk}/"
    # Each in their own language; the default is Chinese.
    assert "3 件相似上报" in told.get(recipient=world.leader_a).subject
    assert AuditEntry.objects.filter(object_type="cluster_alert", action="create").count() == 1


def test_detecting_again_makes_no_second_alert_and_tells_nobody_again(world):
    now = timezone.now()
    three_in_building_a(world, now)
    do_detect_clusters(now=now)
    again = do_detect_clusters(now=now + dt.timedelta(minutes=10))
    assert (again["created"], again["grown"]) == (0, 0)
    assert ClusterAlert.objects.count() == 1
    assert Notice.objects.filter(kind="cluster_alert").count() == 2
    assert detect_clusters.run() is not None  # the beat task calls the same action
    assert ClusterAlert.objects.count() == 1


def test_a_growing_cluster_updates_its_alert(world):
    now = timezone.now()
    three_in_building_a(world, now)
    do_detect_clusters(now=now)
    later = now + dt.timedelta(hours=4)
    fourth = make_case(world, grid="a", at=later - dt.timedelta(minutes=5), text="又有垃圾")
    assert do_detect_clusters(now=later)["grown"] == 1
    alert = ClusterAlert.objects.get()
    assert alert.case_count == 4 and fourth in alert.cases.all()
    assert alert.last_case_at == fourth.created_at
    assert Notice.objects.filter(kind="cluster_alert").count() == 2  # told once
    assert AuditEntry.objects.filter(object_type="cluster_alert", action="update").exists()


def test_too_few_or_too_spread_out_cases_raise_nothing(world):
    now = timezone.now()
    make_case(world, grid="a", at=hours_ago(now, 1))
    make_case(world, grid="a", at=hours_ago(now, 2))
    make_case(world, grid="b", at=hours_ago(now, 1))  # another building
    assert do_detect_clusters(now=now)["created"] == 0
    make_case(world, grid="a", at=hours_ago(now, 9))  # too long before the others
    assert do_detect_clusters(now=now)["created"] == 0
    for n in range(3):
        make_case(world, grid="a", at=hours_ago(now, 30 + n))  # long ago
    assert do_detect_clusters(now=now)["created"] == 0
    assert not ClusterAlert.objects.exists()


def test_merged_duplicates_are_one_report(world):
    now = timezone.now()
    make_case(world, grid="a", at=hours_ago(now, 2))
    make_case(world, grid="a", at=hours_ago(now, 1))
    make_case(world, grid="a", at=hours_ago(now, 1), state=Case.State.MERGED)
    assert do_detect_clusters(now=now) == {"cases": 2, "clusters": 0, "created": 0, "grown": 0}


def test_five_similar_cases_over_a_grids_buildings_raise_a_grid_alert(world):
    now = timezone.now()
    other = make_building(world.grid_a, "370102001001001-B02", "4号楼")
    for n, building in enumerate([world.building_a, other, other, world.building_a, None]):
        make_case(world, grid="a", building=building, at=hours_ago(now, n + 0.5),
                  code="drainage", text="下水道堵了，污水冒出来")
    do_detect_clusters(now=now)
    alert = ClusterAlert.objects.get(kind=ClusterAlert.Kind.GRID)
    assert alert.grid == world.grid_a and alert.building is None and alert.case_count == 5
    assert alert.category.code == "municipal"
    assert not ClusterAlert.objects.filter(kind=ClusterAlert.Kind.BUILDING).exists()


def test_five_in_one_building_are_that_buildings_alert_only(world):
    now = timezone.now()
    for n in range(5):
        make_case(world, grid="a", at=hours_ago(now, n + 0.5))
    do_detect_clusters(now=now)
    assert list(ClusterAlert.objects.values_list("kind", flat=True)) == ["building"]


def test_the_board_shows_open_alerts_in_scope_only(world, login, django_assert_max_num_queries):
    now = timezone.now()
    cases = three_in_building_a(world, now)
    for n in range(3):
        make_case(world, grid="c", at=hours_ago(now, n + 1), text="王五楼下垃圾没人清运")
    do_detect_clusters(now=now)
    ours = ClusterAlert.objects.get(grid=world.grid_a)
    theirs = ClusterAlert.objects.get(grid=world.grid_c)
    client = login(world.street_admin)
    client.get(BOARD)
    with django_assert_max_num_queries(14):
        html = client.get(BOARD).content.decode()
    alerts = html.split('id="alerts-heading"')[1].split('id="late-heading"')[0]
    assert f'id="alert-{ours.pk}"' in alerts and f'id="alert-{theirs.pk}"' not in alerts
    assert all(f'href="/cases/{c.pk}/"' in alerts for c in cases)
    assert "3 similar cases" in alerts and "In one building" in alerts
    assert "王五" not in html
    html = login(world.street2_admin).get(BOARD).content.decode()
    assert f'id="alert-{theirs.pk}"' in html and f'id="alert-{ours.pk}"' not in html


def test_a_supervisor_acknowledges_an_alert_with_htmx(world, login):
    three_in_building_a(world, timezone.now())
    do_detect_clusters()
    alert = ClusterAlert.objects.get()
    client = login(world.community_staff)
    response = client.post(acknowledge_url(alert), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="alert-{alert.pk}"')
    assert "Acknowledged by staff_c1" in html and "<form" not in html
    alert.refresh_from_db()
    assert alert.state == ClusterAlert.State.ACKNOWLEDGED
    assert alert.acknowledged_by == world.community_staff and alert.acknowledged_at
    entry = AuditEntry.objects.get(object_type="cluster_alert", action="update",
                                   actor_id=world.community_staff.pk)
    assert entry.area_path == world.grid_a.path
    assert f'id="alert-{alert.pk}"' not in client.get(BOARD).content.decode()
    # A second click (another tab) is told, not failed.
    again = client.post(acknowledge_url(alert), **HTMX)
    assert again.status_code == 200 and "Acknowledged by staff_c1" in again.content.decode()
    plain = client.post(acknowledge_url(alert))
    assert plain.status_code == 302 and plain["Location"] == BOARD


def test_only_the_areas_supervisors_acknowledge_its_alerts(world, login):
    three_in_building_a(world, timezone.now())
    do_detect_clusters()
    alert = ClusterAlert.objects.get()
    for persona in ("street2_admin", "worker_a", "leader_a", "resident_a", "handler",
                    "outsider"):
        response = login(getattr(world, persona)).post(acknowledge_url(alert), **HTMX)
        assert response.status_code == 404, persona
    assert login(world.street_admin).get(acknowledge_url(alert)).status_code == 405
    assert login(world.street_admin).post(
        reverse("supervision:acknowledge_alert", args=[alert.pk + 999])).status_code == 404
    alert.refresh_from_db()
    assert alert.state == ClusterAlert.State.OPEN


def test_an_alert_shows_its_first_cases_in_scope_and_how_many_more(world, login):
    now = timezone.now()
    cases = [make_case(world, grid="a", at=hours_ago(now, 5 - n * 0.5)) for n in range(7)]
    do_detect_clusters(now=now)
    alert = ClusterAlert.objects.get()
    moved = cases[0]  # placed in another street's grid since
    Case.objects.filter(pk=moved.pk).update(grid=world.grid_c, area_path=world.grid_c.path,
                                            building=world.building_c)
    html = login(world.street_admin).get(BOARD).content.decode()
    shown = html.split(f'id="alert-{alert.pk}"')[1].split('id="late-heading"')[0]
    links = [c.pk for c in cases if f'href="/cases/{c.pk}/"' in shown]
    assert links == [c.pk for c in cases[1:6]]
    assert "and 1 more" in shown
