"""The demo's two survey waves: answered by the generating model, stored anonymously,
and rich enough for every result page."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from warmgrid.places.models import Area
from warmgrid.warmth import results
from warmgrid.warmth.models import CommunityRecord, Invitation, Response, Wave

HOUSEHOLDS = 4000


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    cache.clear()
    out = StringIO()
    call_command("demo", households=HOUSEHOLDS, seed=5, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_two_waves_with_responses_records_and_results(demo):
    communities = Area.objects.filter(level=Area.Level.COMMUNITY).count()
    assert "2 community temperature survey waves" in demo
    spring, autumn = Wave.objects.order_by("opens_on")
    assert spring.status == Wave.Status.CLOSED and autumn.status == Wave.Status.OPEN
    for wave in (spring, autumn):
        assert wave.communities.count() == communities
        used = Invitation.objects.filter(wave=wave, used=True).count()
        assert used == wave.responses.count() > 0
        assert wave.invitations.filter(used=False).exists()  # left to try the form
        days = set(wave.responses.values_list("submitted_on", flat=True))
        assert min(days) >= wave.opens_on and max(days) <= wave.closes_on
    assert CommunityRecord.objects.count() == 2 * communities
    assert set(Response.objects.values_list("mode", flat=True)) == {"self", "interviewer"}
    found = results.wave_results(autumn)
    cards = found["cards"]
    assert found["level2"]["used"]  # governance indicators reached the model
    assert any(card["change"]["available"] for card in cards["communities"].values())
    assert cards["suppressed"]["count"] == 1  # the community still collecting
    assert found["moves"]["between"]["icc1"] > 0
    assert found["sensitivity"]["monte_carlo"]["draws"] == results.BOOTSTRAP_DRAWS
