"""Shared set-up for the wave tests: a published default instrument, more households per
grid to sample from, and answers the default form accepts."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from warmgrid.testing import make_building, make_household
from warmgrid.warmth.actions import do_create_wave, do_import_instrument, do_publish_version
from warmgrid.warmth.instruments import DEFAULT_INSTRUMENT, instrument_of


def published_default():
    version, _created = do_import_instrument(actor=None, name=DEFAULT_INSTRUMENT.name,
                                             content=DEFAULT_INSTRUMENT.read_bytes())
    return do_publish_version(actor=None, version=version)


def add_households(world, per_grid: int = 12, grids=None) -> None:
    for grid in grids or (world.grid_a, world.grid_b, world.grid_c):
        building = make_building(grid, f"{grid.code}-B09", "9号楼")
        for n in range(per_grid):
            make_household(building, "1", f"{n + 1:02d}01")


def open_wave(world, *, actor=None, communities=None, seed=7, completes=5, rate=1.0):
    today = timezone.localdate()
    return do_create_wave(
        actor=actor or world.district_admin, name="2026 秋季", version=published_default(),
        communities=communities or [world.community1, world.community2], seed=seed,
        completes_wanted=completes, response_rate=rate, opens_on=today,
        closes_on=today + dt.timedelta(days=30))


def valid_answers(version, *, value_index: int = 0) -> dict:
    """An answer to every question: the n-th choice not marked missing, 5 for numbers."""
    answers = {}
    for question in instrument_of(version).questions:
        if question.type in ("select one", "select all that apply"):
            usable = [c["name"] for c in question.choices if not c.get("missing")]
            answers[question.name] = str(usable[min(value_index, len(usable) - 1)])
        elif question.type in ("integer", "decimal"):
            answers[question.name] = "5"
    return answers
