"""Waves: the sample, single-use invitations, the questionnaire, quotas, interviewer
mode, progress and cards — each within the reader's areas."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from warmgrid.errors import Forbidden, ValidationFailed
from warmgrid.people.models import Household
from warmgrid.warmth.actions import do_close_wave, do_submit_response
from warmgrid.warmth.models import Invitation, Response, WaveCommunity
from warmgrid.warmth.tests.waves import add_households, open_wave, valid_answers


@pytest.fixture
def wave(world):
    add_households(world)
    return open_wave(world)


def test_sample_is_stratified_by_grid_and_reproducible(world, wave):
    per_grid = {g: wave.invitations.filter(grid=g).count()
                for g in (world.grid_a, world.grid_b, world.grid_c)}
    # community 1: 5 invitations over two grids of 13 households each; community 2: 5.
    assert per_grid[world.grid_a] + per_grid[world.grid_b] == 5
    assert min(per_grid[world.grid_a], per_grid[world.grid_b]) >= 2
    assert per_grid[world.grid_c] == 5
    again = open_wave(world, seed=7)
    other = open_wave(world, seed=8)
    chosen = set(wave.invitations.values_list("household_id", flat=True))
    assert set(again.invitations.values_list("household_id", flat=True)) == chosen
    assert set(other.invitations.values_list("household_id", flat=True)) != chosen
    for invitation in wave.invitations.select_related("household"):
        assert invitation.grid_id == invitation.household.grid_id
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{10}", invitation.token)


def test_only_managers_open_waves_and_only_in_their_area(world):
    add_households(world)
    with pytest.raises(Forbidden):
        open_wave(world, actor=world.worker_a)
    with pytest.raises(ValidationFailed) as caught:
        open_wave(world, actor=world.street_admin, communities=[world.community2])
    assert "communities" in caught.value.fields
    wave = open_wave(world, actor=world.street_admin, communities=[world.community1])
    assert list(WaveCommunity.objects.filter(wave=wave).values_list("community", flat=True)) \
        == [world.community1.pk]


def _code(wave, grid):
    return wave.invitations.filter(grid=grid, used=False).first().token


def test_a_resident_answers_once_on_the_public_page(client, world, wave):
    code = _code(wave, world.grid_a)
    chinese = client.get(reverse("survey:form", args=[code]) + "?lang=zh-hans")
    assert "您对居委会的服务满意吗" in chinese.content.decode()
    page = client.get(reverse("survey:form", args=[code]) + "?lang=en")
    assert page.status_code == 200
    assert "How satisfied are you with the residents" in page.content.decode()
    started = re.search(r'name="started" value="([^"]+)"', page.content.decode()).group(1)
    done = client.post(reverse("survey:form", args=[code]),
                       {**valid_answers(wave.version, value_index=3), "started": started})
    assert done.status_code == 200 and "Your answers are stored" in done.content.decode()
    response = Response.objects.get(wave=wave)
    assert response.community_id == world.community1.pk
    assert response.grid_id == world.grid_a.pk
    assert response.mode == Response.Mode.SELF and response.channel == Response.Channel.WEB
    assert response.answers["services_committee"] == "4"
    assert Invitation.objects.get(token=code).used
    again = client.get(reverse("survey:form", args=[code]))
    assert again.status_code == 410
    assert Response.objects.count() == 1


def test_a_missing_answer_is_shown_and_nothing_is_stored(client, world, wave):
    code = _code(wave, world.grid_a)
    answers = valid_answers(wave.version)
    del answers["trust_most"]
    answers["thermometer"] = "12"
    page = client.post(reverse("survey:form", args=[code]), answers)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="q-trust_most" aria-invalid="true"' in body
    assert 'id="q-thermometer"' in body and body.count('aria-invalid="true"') == 2
    assert not Response.objects.exists()
    assert not Invitation.objects.get(token=code).used


def test_unknown_used_and_closed_codes_are_refused(client, world, wave):
    assert client.get(reverse("survey:form", args=["ZZZZZZZZZZ"])).status_code == 404
    code = _code(wave, world.grid_c)
    do_close_wave(actor=world.district_admin, wave=wave)
    assert client.get(reverse("survey:form", args=[code])).status_code == 410
    with pytest.raises(Exception, match="not collecting"):
        do_submit_response(code=code, answers=valid_answers(wave.version), mode="self",
                           channel="web")


def test_a_code_is_accepted_as_typed_from_the_card(world, wave):
    code = _code(wave, world.grid_c)
    typed = f"{code[:5].lower()}-{code[5:].lower()} "
    do_submit_response(code=typed, answers=valid_answers(wave.version), mode="self",
                       channel="web")
    assert Invitation.objects.get(token=code).used


def test_a_full_quota_turns_new_respondents_away_before_they_answer(client, world, wave):
    WaveCommunity.objects.filter(wave=wave, community=world.community2).update(quota=1)
    first, second = wave.invitations.filter(grid=world.grid_c)[:2]
    do_submit_response(code=first.token, answers=valid_answers(wave.version), mode="self",
                       channel="web")
    page = client.get(reverse("survey:form", args=[second.token]))
    assert "survey_closed" in [t.name.split("/")[-1].removesuffix(".html")
                               for t in page.templates]
    assert not Invitation.objects.get(pk=second.pk).used


def test_an_interviewer_starts_only_codes_of_their_grid(login, world, wave):
    worker = login(world.worker_a)
    url = reverse("warmth:interview", args=[wave.pk])
    refused = worker.post(url, {"code": _code(wave, world.grid_b)})
    assert refused.status_code == 200 and "wg-error" in refused.content.decode()
    code = _code(wave, world.grid_a)
    started = worker.post(url, {"code": code})
    assert started.status_code == 302 and started["Location"].endswith("?mode=interviewer")
    worker.post(started["Location"], valid_answers(wave.version))
    response = Response.objects.get()
    assert response.mode == Response.Mode.INTERVIEWER
    # Interviewer mode is not for someone outside the grid, whatever the link says.
    other = login(world.worker_b)
    code_a = _code(wave, world.grid_a)
    other.post(reverse("survey:form", args=[code_a]) + "?mode=interviewer",
               valid_answers(wave.version))
    assert Response.objects.filter(mode=Response.Mode.SELF).count() == 1


def test_progress_is_per_community_and_grid_within_scope(login, world, wave):
    do_submit_response(code=_code(wave, world.grid_a), answers=valid_answers(wave.version),
                       mode="self", channel="web")
    staff = login(world.community_staff).get(
        reverse("warmth:wave", args=[wave.pk]) + "?format=json").json()
    assert [c["code"] for c in staff["communities"]] == [world.community1.code]
    community = staff["communities"][0]
    assert community["completes"] == 1 and community["invited"] == 5
    assert {g["code"]: g["completes"] for g in community["grids"]}[world.grid_a.code] == 1
    worker = login(world.worker_b).get(
        reverse("warmth:wave", args=[wave.pk]) + "?format=json").json()
    assert [g["code"] for c in worker["communities"] for g in c["grids"]] \
        == [world.grid_b.code]
    district = login(world.district_admin).get(reverse("warmth:wave", args=[wave.pk]))
    assert district.status_code == 200 and world.community2.name in district.content.decode()
    street_only = open_wave(world, actor=world.street_admin, communities=[world.community1])
    assert login(world.street2_admin).get(
        reverse("warmth:wave", args=[street_only.pk])).status_code == 404
    assert login(world.resident_a).get(
        reverse("warmth:wave", args=[wave.pk])).status_code == 404


def test_cards_print_a_qr_code_per_door_of_the_workers_grid(login, world, wave):
    worker = login(world.worker_a)
    page = worker.get(reverse("warmth:cards", args=[wave.pk, world.grid_a.pk]))
    body = page.content.decode()
    invitations = wave.invitations.filter(grid=world.grid_a)
    assert body.count("<svg") == invitations.count()
    for invitation in invitations:
        assert f"{invitation.token[:5]}-{invitation.token[5:]}" in body
    assert worker.get(reverse("warmth:cards", args=[wave.pk, world.grid_b.pk])
                      ).status_code == 404


def test_households_stay_untouched_by_collection(world, wave):
    before = list(Household.objects.order_by("pk").values())
    do_submit_response(code=_code(wave, world.grid_a), answers=valid_answers(wave.version),
                       mode="self", channel="web")
    assert list(Household.objects.order_by("pk").values()) == before


def test_the_warmth_index_lists_waves_for_readers_only(login, world, wave):
    page = login(world.worker_a).get(reverse("warmth:index"))
    assert page.status_code == 200 and wave.name in page.content.decode()
    assert login(world.resident_a).get(reverse("warmth:index")).status_code == 404
    admin = login(world.district_admin).get(reverse("warmth:index"))
    assert "XLSForm" in admin.content.decode()


def test_a_wave_is_opened_from_the_page(login, world):
    from warmgrid.warmth.tests.waves import published_default

    add_households(world)
    version = published_default()
    admin = login(world.street_admin)
    form = admin.get(reverse("warmth:wave_new"))
    assert world.community1.name in form.content.decode()
    assert world.community2.name not in form.content.decode()  # another street
    posted = admin.post(reverse("warmth:wave_new"), {
        "name": "试点", "version": version.pk, "communities": [world.community1.pk],
        "completes_wanted": 5, "response_rate": 0.5, "seed": 11,
        "opens_on": "2026-11-01", "closes_on": "2026-10-01"})
    assert "closes_on" in posted.context["form"].errors
    posted = admin.post(reverse("warmth:wave_new"), {
        "name": "试点", "version": version.pk, "communities": [world.community1.pk],
        "completes_wanted": 5, "response_rate": 0.5, "seed": 11,
        "opens_on": "2026-11-01", "closes_on": "2026-12-31"})
    assert posted.status_code == 302
    assert Invitation.objects.filter(community=world.community1).count() == 10


def test_a_version_downloads_as_xlsform_and_xform(login, world, tmp_path):
    from warmgrid.lib.warmth.instrument import read_instrument
    from warmgrid.warmth.instruments import DEFAULT_INSTRUMENT
    from warmgrid.warmth.tests.waves import published_default

    version = published_default()
    admin = login(world.district_admin)
    workbook = admin.get(reverse("warmth:instrument_download", args=[version.pk, "xlsx"]))
    assert workbook.status_code == 200
    path = tmp_path / "form.xlsx"
    path.write_bytes(workbook.content)
    converted, original = read_instrument(path), read_instrument(DEFAULT_INSTRUMENT)
    assert [q.name for q in converted.questions] == [q.name for q in original.questions]
    assert converted.items == original.items
    xform = admin.get(reverse("warmth:instrument_download", args=[version.pk, "xml"]))
    assert b"<h:html" in xform.content
    assert login(world.worker_a).get(reverse("warmth:instrument_download",
                                             args=[version.pk, "xml"])).status_code == 404
