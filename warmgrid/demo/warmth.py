"""Two survey waves in the demo district, answered by the documented generating model
(warmgrid/lib/warmth/simulate.py; docs/warmth.md, "The demo's generating model"), so the
temperature pages show real results: communities differ partly because of their
governance indicators — the demo's own case figures and the staff records written here.

- Governance records for 2025 and 2026 per community (organisations, meetings, funds,
  property model), drawn from the seed.
- Wave 1, spring 2026, closed: 24–32 completed responses per community.
- Wave 2, autumn 2026, still collecting: most communities near their quota, one with 4
  responses (so the pages show a community withheld under the 5-respondent rule), and
  unused invitations left for trying the questionnaire.
Responses are written the way the platform stores them: anonymous, the day only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db.models import Count

from warmgrid.demo.cases import SHANGHAI
from warmgrid.demo.people import REFERENCE_DATE
from warmgrid.lib.warmth import simulate
from warmgrid.places.models import Area
from warmgrid.warmth.actions import do_create_wave, do_import_instrument, do_publish_version
from warmgrid.warmth.instruments import DEFAULT_INSTRUMENT, instrument_of
from warmgrid.warmth.models import CommunityRecord, Invitation, Response
from warmgrid.warmth.queries import governance_indicators

COMPLETES = 25
RESPONSE_RATE = 0.6
WAVES = (
    ("2026年春季社区温度调查", dt.date(2026, 4, 1), dt.date(2026, 5, 31)),
    ("2026年秋季社区温度调查", dt.date(2026, 10, 8), dt.date(2026, 12, 31)),
)
# Staff records weigh in beside the case figures (simulate's defaults name those).
GOVERNANCE_WEIGHTS = {**simulate.GeneratingModel().governance_weights,
                      "organisations": 0.75, "meetings": 0.75}
INTERVIEWED = 0.3  # share of responses taken by a worker; half of them with ODK


@dataclass(frozen=True)
class WarmthCounts:
    waves: int
    invitations: int
    responses: int
    records: int


def _records(communities: list[Area], rng: random.Random) -> list[CommunityRecord]:
    models = [m for m, _ in CommunityRecord.PropertyModel.choices]
    rows = []
    for community in communities:
        organisations = rng.randint(2, 14)
        meetings = rng.randint(2, 24)
        model = rng.choices(models, weights=[6, 1, 2, 1])[0]
        for year in (2025, 2026):
            rows.append(CommunityRecord(
                community=community, area_path=community.path, year=year,
                organisations=max(0, organisations + rng.randint(-1, 2) * (year - 2025)),
                meetings=max(0, meetings + rng.randint(-2, 3) * (year - 2025)),
                funds_yuan=Decimal(rng.randrange(20_000, 400_000, 500)),
                property_model=model))
    return CommunityRecord.objects.bulk_create(rows)


def _respondents(communities: list[Area], wave: int, rng: random.Random) -> dict[str, int]:
    counts = {c.code: rng.randint(24, 32) if wave == 1 else rng.randint(18, 27)
              for c in communities}
    if wave == 2 and len(communities) > 3:
        counts[communities[-1].code] = 4  # still collecting: withheld on every page
    return counts


def _store(wave, rows: list[dict], opens: dt.date, last_day: dt.date,
           rng: random.Random) -> int:
    """Responses for sampled invitations of each row's community, marked used."""
    open_invitations: dict[str, list[Invitation]] = {}
    for invitation in wave.invitations.select_related("community", "grid"):
        open_invitations.setdefault(invitation.community.code, []).append(invitation)
    for found in open_invitations.values():
        rng.shuffle(found)
    responses, used = [], []
    days = (last_day - opens).days
    for row in rows:
        community = row.pop(simulate.COMMUNITY)
        duration = row.pop(simulate.DURATION)
        invitation = open_invitations[community].pop()
        used.append(invitation.pk)
        interviewed = rng.random() < INTERVIEWED
        responses.append(Response(
            wave=wave, community_id=invitation.community_id, grid_id=invitation.grid_id,
            area_path=invitation.area_path, answers={k: v for k, v in row.items() if v},
            mode=Response.Mode.INTERVIEWER if interviewed else Response.Mode.SELF,
            channel=(Response.Channel.OPENROSA if interviewed and rng.random() < 0.5
                     else Response.Channel.WEB),
            language="en" if rng.random() < 0.03 else "zh-hans",
            submitted_on=opens + dt.timedelta(days=rng.randint(0, days)),
            duration_seconds=duration))
    Response.objects.bulk_create(responses, batch_size=2000)
    Invitation.objects.filter(pk__in=used).update(used=True)
    return len(responses)


def write_demo_waves(*, seed: int) -> WarmthCounts:
    rng = random.Random(f"{seed}:warmth")
    version, _created = do_import_instrument(actor=None, name=DEFAULT_INSTRUMENT.name,
                                             content=DEFAULT_INSTRUMENT.read_bytes())
    version = do_publish_version(actor=None, version=version)
    form = instrument_of(version)
    communities = list(Area.objects.filter(level=Area.Level.COMMUNITY).order_by("code"))
    records = _records(communities, rng)
    end = dt.datetime.combine(REFERENCE_DATE, dt.time(), tzinfo=SHANGHAI)
    indicators = {row["community"]: row for row in governance_indicators(
        None, start=end - dt.timedelta(days=365), end=end)}
    model = dataclasses.replace(simulate.GeneratingModel(seed=seed),
                                governance_weights=GOVERNANCE_WEIGHTS)
    inputs = [(c.code, {k: v for k, v in indicators[c.code].items()
                        if isinstance(v, (int, float)) and not isinstance(v, bool)})
              for c in communities]
    invitations = responses = 0
    for number, (name, opens, closes) in enumerate(WAVES, start=1):
        wave = do_create_wave(actor=None, name=name, version=version,
                              communities=communities, seed=seed + number,
                              completes_wanted=COMPLETES, response_rate=RESPONSE_RATE,
                              opens_on=opens, closes_on=closes)
        invitations += wave.invitations.count()
        invited = dict(wave.invitations.values("community__code")
                       .annotate(n=Count("pk")).values_list("community__code", "n"))
        wanted = {code: min(n, invited.get(code, 0))
                  for code, n in _respondents(communities, number, rng).items()}
        rows = simulate.simulate_wave(
            form, inputs, wanted, wave=number,
            rng=np.random.default_rng(seed * 10 + number), params=model)
        responses += _store(wave, rows, opens, min(closes, REFERENCE_DATE), rng)
        if closes < REFERENCE_DATE:
            wave.status = wave.Status.CLOSED
            wave.save(update_fields=["status"])
    return WarmthCounts(waves=len(WAVES), invitations=invitations, responses=responses,
                        records=len(records))
