"""Cases made directly, with the place, time, state and warning a test needs."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from warmgrid.cases.models import Case, Category


def make_case(world, *, grid: str = "a", code: str | None = "garbage",
              text: str = "楼下垃圾没人清运", at: dt.datetime | None = None,
              state: str = Case.State.DISPATCHED, warning: str = "", building=True,
              resolve_due=None, closed_at=None) -> Case:
    grid_area = getattr(world, f"grid_{grid}")
    place = getattr(world, f"building_{grid}") if building is True else building
    at = at or timezone.now()
    return Case.objects.create(
        description=text, category=Category.objects.get(code=code) if code else None,
        grid=grid_area, area_path=grid_area.path, building=place or None, state=state,
        warning=warning, channel=Case.Channel.GRID_WORKER, created_at=at,
        resolve_due=resolve_due or at + dt.timedelta(days=3), closed_at=closed_at)
