"""Forms of the warmth pages. They only parse input; the rules live in actions.py."""

from __future__ import annotations

import datetime as dt
import secrets

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.warmth.models import CommunityRecord

MAX_UPLOAD = 5 * 1024 * 1024  # an XLSForm is a few dozen kilobytes


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(label=_("XLSForm (.xlsx, .xls or .md)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 5 MB; an XLSForm is "
                                          "far smaller."))
        return upload


class WaveForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    version = forms.ChoiceField(label=_("Instrument version"))
    communities = forms.MultipleChoiceField(label=_("Communities"),
                                            widget=forms.CheckboxSelectMultiple)
    completes_wanted = forms.IntegerField(
        label=_("Completed responses wanted per community"), initial=21, min_value=1,
        help_text=_("Reliable community means need about 21 respondents when ICC(1) is "
                    "0.10 and 45 when it is 0.05; the between-community model wants at "
                    "least 30 communities."))
    response_rate = forms.FloatField(
        label=_("Expected response rate"), initial=0.6, min_value=0.01, max_value=1,
        help_text=_("Invitations per community = responses wanted ÷ this rate."))
    seed = forms.IntegerField(label=_("Sampling seed"), min_value=0, max_value=2**31 - 1,
                              help_text=_("The same seed draws the same sample."))
    opens_on = forms.DateField(label=_("Opens on"), widget=forms.DateInput(
        attrs={"type": "date"}))
    closes_on = forms.DateField(label=_("Closes on"), widget=forms.DateInput(
        attrs={"type": "date"}))

    def __init__(self, *args, versions=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(str(v.pk), str(v)) for v in versions]
        self.fields["communities"].choices = [(str(c.pk), f"{c.name} ({c.code})")
                                              for c in communities]
        today = timezone.localdate()
        self.fields["seed"].initial = secrets.randbelow(10**6)
        self.fields["opens_on"].initial = today
        self.fields["closes_on"].initial = today + dt.timedelta(days=28)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Invitation code"), max_length=64,
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "autocapitalize": "characters"}))


class CommunityRecordForm(forms.ModelForm):
    class Meta:
        model = CommunityRecord
        fields = ["year", "organisations", "meetings", "funds_yuan", "property_model"]
