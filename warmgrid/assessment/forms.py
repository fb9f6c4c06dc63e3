from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from warmgrid.assessment.queries import BY_UNIT, BY_WORKER, FIRST_DAY, LAST_DAY


class PeriodForm(forms.Form):
    """The period picker: a month, or a custom from–to (both days included)."""

    month = forms.CharField(label=_("Month"), required=False, max_length=7,
                            widget=forms.TextInput(attrs={"type": "month"}))
    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Assess"), required=False,
                           choices=[(BY_WORKER, _("by worker")), (BY_UNIT, _("by unit"))])
    area = forms.IntegerField(label=_("Pool"), required=False, min_value=1,
                              max_value=2**63 - 1)

    def clean_month(self):
        value = self.cleaned_data.get("month") or ""
        if not value:
            return None
        try:
            day = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None
        if not FIRST_DAY.year <= day.year <= LAST_DAY.year:
            raise forms.ValidationError(_("Give the month as YYYY-MM."))
        return day

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError(_("Give both the first and the last day."))
        if start and end:
            if not (FIRST_DAY <= start and end <= LAST_DAY):
                raise forms.ValidationError(_("Choose days between 2000 and 2099."))
            if end < start:
                raise forms.ValidationError(_("The last day is before the first."))
            if (end - start).days >= 366:
                raise forms.ValidationError(_("Choose a period of at most a year."))
        return data


class ExclusionRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why was the demand unreasonable?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Two reviewers read this. Say what was asked and why it could not "
                    "reasonably be granted."))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Needed when you reject."))
