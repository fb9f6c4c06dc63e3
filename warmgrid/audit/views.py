"""The audit log of the user's area, for street, district and system admins."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from warmgrid.accounts.scopes import audit_scope_paths
from warmgrid.audit.models import AuditEntry
from warmgrid.audit.queries import audit_entries_for_user

PAGE_SIZE = 50
KNOWN_OBJECT_TYPES = ("resident", "household", "resident_tag", "user")


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("All actions")), *AuditEntry.Action.choices])
    actor = forms.CharField(label=_("User"), required=False, max_length=150,
                            widget=forms.TextInput(attrs={"autocomplete": "off",
                                                          "placeholder": _("Username")}))
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64,
                                  widget=forms.TextInput(attrs={"list": "audit-object-types",
                                                                "autocomplete": "off"}))
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _change_lines(changes) -> list[tuple[str, str]]:
    """An entry's changes as (field, "old → new" or value) lines for the table."""
    if not isinstance(changes, dict):
        return [("", str(changes))]
    lines = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            lines.append((key, f"{value[0] or '∅'} → {value[1] or '∅'}"))
        else:
            lines.append((key, str(value)))
    return lines


@login_required
def audit_log(request):
    if audit_scope_paths(request.user) == []:
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {name: form.cleaned_data[name] for name in
                   ("action", "actor", "object_type", "date_from", "date_to")}
        filters["actor"] = (filters["actor"] or "").strip()
        filters["object_type"] = (filters["object_type"] or "").strip()
    entries = audit_entries_for_user(request.user, **filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.change_lines = _change_lines(entry.changes)
    context = {"form": form, "page_obj": page, "entries": page.object_list,
               "object_types": KNOWN_OBJECT_TYPES}
    return render(request, "audit/audit_log.html", context)
