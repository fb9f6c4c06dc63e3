"""Forms of the ledger pages. They only parse input; the rules live in actions.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from warmgrid.ledgers.actions import MAX_BYTES
from warmgrid.ledgers.models import FIELDS
from warmgrid.people.models import LegalBasis, Tag

AUTO = ""  # the template choice that lets the headers decide

FIELD_LABELS = {
    "name": _("Name"), "id_number": _("ID number"), "phone": _("Phone"),
    "gender": _("Gender"), "birth_date": _("Birth date"), "building": _("Building"),
    "unit": _("Unit"), "room": _("Room"), "relation": _("Relation to the householder"),
    "residence_status": _("Residence status"), "ethnicity": _("Ethnicity"),
    "occupation": _("Occupation"), "valid_from": _("In the group from"),
    "valid_until": _("In the group until"),
}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Ledger (.xlsx, .xls or .csv)"))
    template = forms.ChoiceField(label=_("Template"), required=False)

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [
            (AUTO, _("Recognise from the headers")),
            *[(t.code, t.name) for t in templates]]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB; split the ledger."))
        return upload


class MappingForm(forms.Form):
    """One choice per ledger header, plus the template's name, tag and legal basis."""

    code = forms.SlugField(label=_("Template code"), max_length=40)
    name = forms.CharField(label=_("Template name"), max_length=80,
                           help_text=_("For example 低保名册 or 残疾人名册."))
    tag = forms.ModelChoiceField(label=_("Vulnerable-group tag it sets"),
                                 queryset=Tag.objects.all(), required=False)
    legal_basis = forms.ChoiceField(label=_("Legal basis for ID numbers and phones"),
                                    choices=LegalBasis.choices,
                                    initial=LegalBasis.STATUTORY_DUTY)

    def __init__(self, *args, headers=(), guesses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        choices = [("", _("— not used —"))] + [(f, FIELD_LABELS[f]) for f in FIELDS]
        for n, header in enumerate(self.headers):
            self.fields[f"column_{n}"] = forms.ChoiceField(
                label=header, choices=choices, required=False,
                initial=(guesses or {}).get(header, ""))

    def columns(self) -> list[dict]:
        return [{"header": header, "field": self.cleaned_data.get(f"column_{n}") or ""}
                for n, header in enumerate(self.headers)]
