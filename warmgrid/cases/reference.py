"""Reference data every intake reads — categories, routing rules, units — kept per process.

Intake reads them for every case and they change a few times a year, so each process keeps
a copy for REFRESH_SECONDS. A change made in this process (admin, command, tests) clears
the copy at once through the signals below; other processes see it within REFRESH_SECONDS.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

REFRESH_SECONDS = 30

_lock = threading.Lock()
_loaded: tuple[float, Reference] | None = None


@dataclass(frozen=True)
class Reference:
    categories_by_code: dict
    routing_rules: tuple  # active rules in order, with area and department loaded
    departments_by_kind: dict  # kind → [Department with area], for default routing


def _load() -> Reference:
    from warmgrid.accounts.models import Department
    from warmgrid.cases.models import Category, RoutingRule

    categories = {c.code: c for c in Category.objects.filter(is_active=True)
                  .select_related("parent")}
    rules = tuple(RoutingRule.objects.filter(is_active=True)
                  .select_related("area", "department").order_by("order"))
    departments: dict[str, list] = {}
    for department in Department.objects.select_related("area"):
        departments.setdefault(department.kind, []).append(department)
    return Reference(categories, rules, departments)


def reference() -> Reference:
    global _loaded
    now = time.monotonic()
    loaded = _loaded
    if loaded is not None and now - loaded[0] < REFRESH_SECONDS:
        return loaded[1]
    with _lock:
        fresh = _load()
        _loaded = (now, fresh)
    return fresh


def forget() -> None:
    """Drop this process's copy: the next read loads afresh."""
    global _loaded
    _loaded = None


def _forget_on_change(sender, **kwargs) -> None:
    forget()
    # A change rolled back must not leave its rows in the copy either.
    transaction.on_commit(forget)


def connect_signals() -> None:
    from warmgrid.accounts.models import Department
    from warmgrid.cases.models import Category, RoutingRule

    for model in (Category, RoutingRule, Department):
        receiver(post_save, sender=model, dispatch_uid=f"reference-save-{model.__name__}")(
            _forget_on_change)
        receiver(post_delete, sender=model,
                 dispatch_uid=f"reference-delete-{model.__name__}")(_forget_on_change)
