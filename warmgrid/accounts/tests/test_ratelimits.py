"""Rate limits on public posting and rating, with the limits ON and the clock ours.

Every test starts at a moment of its own (ten minutes into some hour), so counters that
other tests left in a shared cache are other buckets, and time moves only when we say.
"""

from __future__ import annotations

import io
import uuid
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.urls import reverse

from warmgrid.accounts import ratelimits
from warmgrid.cases import actions
from warmgrid.cases.models import Case, Category
from warmgrid.errors import RateLimited

HOUR, DAY = 3600, 86400
REPORT = reverse("cases:report")


class FakeClock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(settings, monkeypatch):
    settings.WARMGRID_RATE_LIMITS_ENABLED = True
    hour = 400_000 + uuid.uuid4().int % 1_000_000
    fake = FakeClock(hour * HOUR + 600)
    monkeypatch.setattr(ratelimits, "clock", fake)
    return fake


def report(world, actor, n: int = 0):
    return actions.do_report_case(
        actor=actor, channel=Case.Channel.RESIDENT,
        data=actions.CaseInput(description=f"楼道灯坏了，第{n}次", household=world.household_a))


def closed_case(world):
    case = actions.do_report_case(
        actor=world.worker_a, channel=Case.Channel.GRID_WORKER,
        data=actions.CaseInput(description="3号楼门口垃圾没人清运", household=world.household_a,
                               category=Category.objects.get(code="garbage")))
    Case.objects.filter(pk=case.pk).update(reporter=world.resident_a, state=Case.State.CLOSED)
    return Case.objects.get(pk=case.pk)


def test_the_eleventh_report_in_an_hour_is_refused_on_the_page(world, login, clock):
    client = login(world.resident_a)
    for n in range(10):
        response = client.post(REPORT, {"description": f"家门口的路灯坏了，第{n}次",
                                        "household": world.household_a.pk})
        assert response.status_code == 302, n
    response = client.post(REPORT, {"description": "家门口的路灯又坏了",
                                    "household": world.household_a.pk})
    assert response.status_code == 429
    assert response["Retry-After"] == str(50 * 60)
    assert ("You have reported many events in a short time; please try again in 50 minutes."
            in response.content.decode())
    assert Case.objects.count() == 10
    # htmx gets the form back with the message too (base.html lets htmx swap a 429).
    partial = client.post(REPORT, {"description": "还是坏的", "household": world.household_a.pk},
                          HTTP_HX_REQUEST="true")
    assert partial.status_code == 429 and "<html" not in partial.content.decode()
    assert "please try again in 50 minutes" in partial.content.decode()


def test_the_eleventh_report_in_an_hour_is_refused_by_the_api(world, client, api_token,
                                                               clock):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(world.resident_a)}"}
    body = {"household_id": world.household_a.pk}
    for n in range(10):
        response = client.post("/api/v1/cases", body | {"description": f"路灯坏了{n}"},
                               content_type="application/json", **headers)
        assert response.status_code == 201, response.content
    response = client.post("/api/v1/cases", body | {"description": "路灯又坏了"},
                           content_type="application/json", **headers)
    assert response.status_code == 429
    assert response["Retry-After"] == str(50 * 60)
    assert response.json()["code"] == "rate_limited"
    assert "50 minutes" in response.json()["message"]
    assert Case.objects.count() == 10


def test_an_open311_key_over_its_limit_gets_the_specs_429(world, client, clock, settings):
    settings.WARMGRID_RATE_LIMITS = {"report_case_open311": "10/hour"}
    out = io.StringIO()
    call_command("open311", "issue-key", "物业通", stdout=out)
    key = out.getvalue().strip().splitlines()[-1].split()[-1]
    fields = {"api_key": key, "service_code": "garbage", "description": "垃圾没人清运",
              "warmgrid_building": world.building_a.code, "locale": "en"}

    def post(fmt="json"):
        return client.post(f"/open311/v2/requests.{fmt}", urlencode(fields),
                           content_type="application/x-www-form-urlencoded")

    assert [post().status_code for _ in range(10)] == [200] * 10
    response = post()
    assert response.status_code == 429 and response["Retry-After"] == str(50 * 60)
    [error] = response.json()
    assert error["code"] == 429 and "50 minutes" in error["description"]
    xml = post("xml")
    assert xml.status_code == 429 and b"<errors>" in xml.content
    assert Case.objects.count() == 10


def test_staff_entering_phone_calls_are_never_limited(world, clock):
    for n in range(15):
        actions.do_report_case(
            actor=world.community_staff, channel=Case.Channel.PHONE,
            data=actions.CaseInput(description=f"居民来电：路灯坏了{n}",
                                   household=world.household_a))
    assert Case.objects.count() == 15


def test_the_window_ends_and_reports_are_taken_again(world, clock):
    for n in range(10):
        report(world, world.resident_a, n)
    with pytest.raises(RateLimited) as refused:
        report(world, world.resident_a, 10)
    assert refused.value.status == 429 and refused.value.retry_after == 50 * 60
    clock.advance(50 * 60 - 1)
    with pytest.raises(RateLimited):
        report(world, world.resident_a, 11)
    clock.advance(1)  # the next hour
    report(world, world.resident_a, 12)
    assert Case.objects.count() == 11


def test_thirty_a_day_then_wait_for_local_midnight(world, clock):
    clock.now = (clock.now // DAY) * DAY + HOUR + 600  # 09:10 Beijing
    made = 0
    for _hour in range(3):
        for _ in range(10):
            report(world, world.resident_a, made)
            made += 1
        clock.advance(HOUR)
    with pytest.raises(RateLimited) as refused:
        report(world, world.resident_a, made)
    beijing = clock.now + 8 * HOUR
    assert refused.value.retry_after == DAY - int(beijing % DAY)  # 11 h 50 min
    assert Case.objects.count() == 30


def test_refused_attempts_cost_nothing(world, clock, settings):
    settings.WARMGRID_RATE_LIMITS = {"report_case": "2/hour, 3/day"}
    clock.now = (clock.now // DAY) * DAY + HOUR  # 09:00 Beijing: the day has hours left
    report(world, world.resident_a, 1)
    report(world, world.resident_a, 2)
    for n in range(5):
        with pytest.raises(RateLimited):
            report(world, world.resident_a, 3 + n)
    clock.advance(HOUR)
    report(world, world.resident_a, 9)  # the day's third: the refusals were not counted
    with pytest.raises(RateLimited):
        report(world, world.resident_a, 10)
    assert Case.objects.count() == 3


def test_each_resident_has_their_own_count(world, clock, settings):
    settings.WARMGRID_RATE_LIMITS = {"report_case": "1/hour"}
    ratelimits.check_public_post(ratelimits.REPORT_CASE, world.resident_a)
    with pytest.raises(RateLimited):
        ratelimits.check_public_post(ratelimits.REPORT_CASE, world.resident_a)
    ratelimits.check_public_post(ratelimits.REPORT_CASE, world.outsider)


def test_the_twenty_first_rating_in_an_hour_is_refused_on_the_page(world, login, clock):
    case = closed_case(world)
    for _ in range(20):
        actions.do_rate_case(actor=world.resident_a, case=case, rating=4)
    response = login(world.resident_a).post(reverse("cases:act", args=[case.pk]),
                                            {"action": "rate", "rate-rating": "5"})
    assert response.status_code == 429 and response["Retry-After"] == str(50 * 60)
    assert "You have rated many cases in a short time" in response.content.decode()
    assert Case.objects.get(pk=case.pk).rating == 4


def test_me_too_is_limited_to_thirty_an_hour(world, clock):
    case = report(world, world.worker_a)
    for _ in range(30):
        actions.do_join_case(actor=world.resident_a, case=case)
    with pytest.raises(RateLimited) as refused:
        actions.do_join_case(actor=world.resident_a, case=case)
    assert "You have joined many cases in a short time" in str(refused.value.message)


def test_limits_can_be_turned_off(world, clock, settings):
    settings.WARMGRID_RATE_LIMITS_ENABLED = False
    for n in range(12):
        report(world, world.resident_a, n)
    assert Case.objects.count() == 12


def _redis_or_skip():
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")


def test_on_redis_a_hit_is_one_round_trip(settings, clock, monkeypatch):
    _redis_or_skip()
    from redis.connection import AbstractConnection

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15"}}
    settings.WARMGRID_RATE_LIMITS = {"report_case": "2/hour, 3/day"}
    # 09:10 Beijing: the hour advanced below must stay in the same day (a random hour
    # crossed midnight one run in 24 and let the day's fourth hit through).
    clock.now = (clock.now // DAY) * DAY + HOUR + 600
    who = f"user:test-{uuid.uuid4().hex}"
    assert ratelimits.hit("report_case", who).allowed  # connects (its own round trips)
    sent = []
    original = AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    assert ratelimits.hit("report_case", who).allowed
    assert len(sent) == 1  # both windows, counted and given their expiry, in one go
    refused = ratelimits.hit("report_case", who)
    assert not refused.allowed and refused.retry_after == 50 * 60
    clock.advance(HOUR)
    assert ratelimits.hit("report_case", who).allowed  # the day's third
    assert not ratelimits.hit("report_case", who).allowed
