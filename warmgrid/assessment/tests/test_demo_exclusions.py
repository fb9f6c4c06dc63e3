"""The demo district comes with exclusions made through the real rules."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from warmgrid.assessment.models import Exclusion
from warmgrid.audit.models import AuditEntry


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", households=2000, seed=7, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_demo_has_exclusions_approved_pending_and_rejected(demo):
    exclusions = list(Exclusion.objects.select_related("case"))
    assert exclusions, demo
    assert "unreasonable-demand exclusions" in demo
    for exclusion in exclusions:
        assert exclusion.requested_by_id == exclusion.case.assignee_id
        assert exclusion.first_reviewer_id != exclusion.case.assignee_id
        assert exclusion.case.state == "closed" and exclusion.case.outcome == "unreasonable"
        if exclusion.state == Exclusion.State.APPROVED:
            assert exclusion.second_reviewer_id not in (None, exclusion.first_reviewer_id)
    states = {e.state for e in exclusions}
    assert Exclusion.State.APPROVED in states and Exclusion.State.PENDING in states
    # Like the demo's cases: one summary entry, no entry per step.
    summary = AuditEntry.objects.get(object_type="assessment_exclusion")
    assert summary.changes["approved"] == sum(e.state == "approved" for e in exclusions)
    assert not AuditEntry.objects.filter(object_type="case").exists()


def test_a_forced_rebuild_clears_them_first(demo, settings):
    call_command("demo", households=2000, seed=7, force=True, stdout=StringIO(),
                 stderr=StringIO())
    assert Exclusion.objects.exists()
