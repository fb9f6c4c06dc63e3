"""Result pages: ranking, report card, PDF and the researcher export — each within the
reader's areas, and never a figure over fewer than 5 respondents."""

from __future__ import annotations

import io
import random
import zipfile

import pytest
from django.core.cache import cache
from django.urls import reverse

from warmgrid.audit.models import AuditEntry
from warmgrid.warmth.actions import do_submit_response
from warmgrid.warmth.instruments import instrument_of
from warmgrid.warmth.tests.waves import add_households, open_wave


def random_answers(version, rng: random.Random, lean: int) -> dict:
    answers = {}
    for question in instrument_of(version).questions:
        usable = [c["name"] for c in question.choices if not c.get("missing")]
        if question.type == "select one":
            if question.dimension:
                answers[question.name] = str(min(5, max(1, lean + rng.choice([-1, 0, 0, 1]))))
            else:
                answers[question.name] = rng.choice(usable)
        elif question.type == "select all that apply":
            answers[question.name] = " ".join(rng.sample(usable, 2))
        elif question.type == "integer":
            answers[question.name] = str(min(10, max(0, 2 * lean + rng.choice([-1, 0, 1]))))
    return answers


@pytest.fixture
def answered(world):
    cache.clear()
    add_households(world)
    wave = open_wave(world, completes=6)
    rng = random.Random(3)
    for community, lean in ((world.community1, 4), (world.community2, 2)):
        for invitation in wave.invitations.filter(community=community):
            do_submit_response(code=invitation.token, mode="self", channel="web",
                               answers=random_answers(wave.version, rng, lean),
                               duration_seconds=900)
    return wave


def test_ranking_shows_the_readers_communities_with_bands(login, world, answered):
    district = login(world.district_admin).get(reverse("warmth:report", args=[answered.pk]))
    body = district.content.decode()
    assert district.status_code == 200
    assert world.community1.name in body and world.community2.name in body
    assert body.index(world.community1.name) < body.index(world.community2.name)  # warmer
    assert 'id="wg-rank-data"' in body
    staff = login(world.community_staff).get(reverse("warmth:report", args=[answered.pk]))
    text = staff.content.decode()
    assert world.community1.name in text and world.community2.name not in text
    assert login(world.worker_a).get(reverse("warmth:report", args=[answered.pk])
                                     ).status_code == 404


def test_card_and_pdf_of_a_community_in_scope(login, world, answered):
    code = world.community1.code
    staff = login(world.community_staff)
    card = staff.get(reverse("warmth:card", args=[answered.pk, code]))
    assert card.status_code == 200 and "°" in card.content.decode()
    pdf = staff.get(reverse("warmth:card_pdf", args=[answered.pk, code]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content
    other = world.community2.code
    assert staff.get(reverse("warmth:card", args=[answered.pk, other])).status_code == 404
    assert login(world.street2_admin).get(
        reverse("warmth:card", args=[answered.pk, code])).status_code == 404


def test_a_community_under_five_respondents_shows_no_figure(login, world):
    cache.clear()
    add_households(world)
    wave = open_wave(world, completes=6)
    rng = random.Random(5)
    for invitation in list(wave.invitations.filter(community=world.community2))[:4]:
        do_submit_response(code=invitation.token, mode="self", channel="web",
                           answers=random_answers(wave.version, rng, 3))
    card = login(world.district_admin).get(
        reverse("warmth:card", args=[wave.pk, world.community2.code]))
    assert "Fewer than 5 respondents" in card.content.decode()
    assert "°" not in card.content.decode().split("<main", 1)[-1].split("</main>")[0]


def test_researchers_export_deidentified_files(login, world, answered):
    researcher = login(world.researcher)
    download = researcher.get(reverse("warmth:export", args=[answered.pk]))
    assert download.status_code == 200
    bundle = zipfile.ZipFile(io.BytesIO(download.content))
    names = set(bundle.namelist())
    assert {"responses.csv", "codebook.csv", "responses.sav", "responses.dta"} <= names
    table = bundle.read("responses.csv").decode("utf-8-sig")
    header = table.splitlines()[0].split(",")
    assert "community" in header and "services_committee" in header
    for forbidden in ("household", "resident", "token", "invitation", "name"):
        assert forbidden not in header
    for invitation in answered.invitations.all():
        assert invitation.token not in table
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, object_type="wave",
                                     object_id=str(answered.pk)).exists()
    assert login(world.street_admin).get(reverse("warmth:export", args=[answered.pk])
                                         ).status_code == 404
