"""Reading ledger data within the reader's areas: templates, imports and their rows'
problems, the review queue, and the residents a department's ledger lists."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from warmgrid.accounts.scopes import path_filter, registry_read_paths
from warmgrid.ledgers.actions import import_paths
from warmgrid.ledgers.models import LedgerImport, LedgerTemplate, RowOutcome
from warmgrid.people.models import Resident
from warmgrid.people.queries import active_tags_q


def imports_for(user):
    """Imports made within the user's editing areas: a community's imports are seen by
    its staff, not by one grid's worker (its rows and error report cover every grid).
    The operator's imports (made for the whole district) are seen by nobody in a role
    smaller than that."""
    paths = import_paths(user)
    rows = LedgerImport.objects.select_related("template", "created_by")
    if paths is None:
        return rows
    return rows.filter(path_filter(paths), area_path__gt="")


def access_import_for_user(user, import_id) -> LedgerImport:
    found = imports_for(user).filter(pk=import_id).first()
    if found is None:
        raise Http404
    return found


def review_queue(user):
    """Rows waiting for a person, whose candidate resident is in the user's areas."""
    paths = import_paths(user)
    rows = (RowOutcome.objects.filter(outcome=RowOutcome.Outcome.REVIEW)
            .select_related("resident__household__building", "ledger_import__template"))
    if paths is not None:
        rows = rows.filter(path_filter(paths, "resident__area_path"))
    return rows.order_by("ledger_import_id", "sheet", "row_number")


def access_outcome_for_user(user, outcome_id) -> RowOutcome:
    paths = import_paths(user)
    rows = RowOutcome.objects.select_related("resident", "ledger_import__template")
    if paths is not None:
        rows = rows.filter(path_filter(paths, "resident__area_path"))
    found = rows.filter(pk=outcome_id).first()
    if found is None:
        raise Http404
    return found


def templates():
    return LedgerTemplate.objects.select_related("tag", "department").order_by(
        "-builtin", "code")


def ledger_residents(user, template: LedgerTemplate, *, today: dt.date | None = None):
    """Who a department's ledger lists, within the user's areas: the holders of its tag,
    or (a template without a tag) the residents its imports brought or confirmed; the
    built-in registry template lists everyone in scope."""
    today = today or timezone.localdate()
    paths = registry_read_paths(user) if user is not None else None
    residents = Resident.objects.select_related("household__building")
    if paths is not None:
        residents = residents.filter(path_filter(paths))
    if template.tag_id:
        residents = residents.filter(
            Q(tags__tag_id=template.tag_id) & active_tags_q(today, "tags__")).distinct()
    elif not template.builtin:
        residents = residents.filter(
            field_sources__ledger_import__template=template).distinct()
    return residents.order_by("area_path", "household__building__name", "household__unit",
                              "household__room", "pk")


def provenance_of(resident: Resident) -> dict:
    """Where a resident's fields came from (which ledger, file, row, when) and the
    ledgers that disagree with the registry, for the resident's page."""
    from warmgrid.ledgers.models import FieldConflict, FieldSource

    sources = (FieldSource.objects.filter(resident=resident)
               .select_related("ledger_import__template").order_by("field", "-recorded_at"))
    conflicts = (FieldConflict.objects.filter(resident=resident, resolved=False)
                 .select_related("ledger_import__template").order_by("field"))
    return {"sources": list(sources), "conflicts": list(conflicts)}
