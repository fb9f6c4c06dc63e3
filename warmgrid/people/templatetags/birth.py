"""Showing a birth date the way docs/security.md allows: the year and the age.

The full birth date is digits 7–14 of the ID number, so pages show it only inside an
audited reveal of the ID number (or, with no ID number on file, in the edit form).
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from warmgrid.lib.masking import age_on

register = template.Library()


@register.filter
def year_and_age(birth_date: dt.date | None, today: dt.date | None = None) -> str:
    """`born 1950, age 76`. `today` is the view's Asia/Shanghai date, so that one page
    counts every age on the same day; without it, today's date is taken here."""
    if not birth_date:
        return ""
    today = today or timezone.localdate()
    return _("born %(year)s, age %(age)s") % {
        "year": birth_date.year, "age": age_on(birth_date, today)}
