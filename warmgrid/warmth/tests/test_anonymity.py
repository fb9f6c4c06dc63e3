"""Anonymity: no path leads from a stored response to a resident, household, invitation,
worker or account — not a foreign key, not a timestamp, not an audit entry, not a key
that counts up, not the invitation cards (docs/warmth.md says what remains)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import models

from warmgrid.audit.models import AuditEntry
from warmgrid.places.models import Area
from warmgrid.warmth.actions import do_submit_response
from warmgrid.warmth.models import Invitation, Response, Submission, Wave
from warmgrid.warmth.tests.waves import add_households, open_wave, valid_answers


@pytest.fixture
def wave(world):
    add_households(world)
    return open_wave(world)


def related_models(model) -> set:
    return {f.related_model for f in model._meta.get_fields()
            if f.is_relation and f.related_model is not None}


def test_a_response_relates_only_to_its_wave_and_areas():
    assert related_models(Response) == {Wave, Area}
    assert related_models(Submission) == {Wave}


def test_nothing_stored_carries_a_time_of_day():
    for model in (Response, Invitation, Submission):
        kinds = {type(f) for f in model._meta.concrete_fields}
        assert models.DateTimeField not in kinds, model
        assert models.TimeField not in kinds, model
    assert {f.name for f in Invitation._meta.concrete_fields} == {
        "id", "wave", "household", "grid", "community", "area_path", "token", "used"}


def test_responses_carry_a_random_key_and_the_day_only(world, wave):
    codes = list(wave.invitations.filter(grid=world.grid_c).values_list("token", flat=True))
    for code in codes[:3]:
        do_submit_response(code=code, answers=valid_answers(wave.version), mode="self",
                           channel="web", duration_seconds=600)
    stored = list(Response.objects.all())
    assert all(isinstance(r.pk, uuid.UUID) and r.pk.version == 4 for r in stored)
    assert all(isinstance(r.submitted_on, dt.date)
               and not isinstance(r.submitted_on, dt.datetime) for r in stored)
    texts = " ".join(str(r.answers) for r in stored)
    for code in codes:
        assert code not in texts


def test_a_submission_leaves_no_audit_trace(world, wave):
    before = AuditEntry.objects.count()
    code = wave.invitations.filter(grid=world.grid_a).first().token
    do_submit_response(code=code, answers=valid_answers(wave.version), mode="self",
                       channel="web")
    assert AuditEntry.objects.count() == before


def test_the_cards_do_not_say_which_doors_answered(world, wave, login):
    from django.urls import reverse

    code = wave.invitations.filter(grid=world.grid_a).first().token
    do_submit_response(code=code, answers=valid_answers(wave.version), mode="self",
                       channel="web")
    page = login(world.worker_a).get(reverse("warmth:cards",
                                             args=[wave.pk, world.grid_a.pk]))
    body = page.content.decode()
    cards = body.split('<article class="wg-invitation')[1:]
    assert len(cards) == wave.invitations.filter(grid=world.grid_a).count()
    used = next(card for card in cards if f"{code[:5]}-{code[5:]}" in card)
    other = next(card for card in cards if f"{code[:5]}-{code[5:]}" not in card)
    assert used.split(">", 1)[0] == other.split(">", 1)[0]  # the same markup either way
    assert "used" not in body.lower().split("<main", 1)[-1]
