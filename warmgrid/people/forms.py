"""Forms of the registry pages. They only parse input; the rules live in actions.py.

Fields are mostly optional here so that the action's own messages (the same ones the
API gives) appear beside each field, instead of a generic "This field is required."
"""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from warmgrid.people.actions import HouseholdInput, ResidentInput
from warmgrid.people.models import LegalBasis, Resident

BLANK = [("", "—")]


class DateInput(forms.DateInput):
    input_type = "date"


def _blank_choices(choices) -> list[tuple[str, str]]:
    return BLANK + list(choices)


def _text_or_none(value: str | None) -> str | None:
    """An empty input means "not given" to the actions."""
    value = (value or "").strip()
    return value or None


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_number = forms.CharField(
        label=_("ID number"), max_length=24, required=False,
        help_text=_("18 characters. Birth date and gender are taken from it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )
    id_number_basis = forms.ChoiceField(label=_("Legal basis for holding the ID number"),
                                        choices=_blank_choices(LegalBasis.choices),
                                        required=False)
    gender = forms.ChoiceField(label=_("Gender"), required=False,
                               choices=_blank_choices(Resident.Gender.choices))
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput)
    phone = forms.CharField(
        label=_("Phone"), max_length=24, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    phone_basis = forms.ChoiceField(label=_("Legal basis for holding the phone number"),
                                    choices=_blank_choices(LegalBasis.choices), required=False)
    basis_note = forms.CharField(
        label=_("Reference for the legal basis"), max_length=200, required=False,
        help_text=_("The law, notice or signed consent form it rests on."),
    )
    relation = forms.ChoiceField(label=_("Relation to householder"), required=False,
                                 choices=_blank_choices(Resident.Relation.choices))
    residence_status = forms.ChoiceField(label=_("Residence status"), required=False,
                                         choices=_blank_choices(Resident.ResidenceStatus.choices))
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=16, required=False,
                                initial="汉族")
    occupation = forms.CharField(label=_("Occupation"), max_length=64, required=False)

    def __init__(self, *args, resident: Resident | None = None, bases: dict | None = None,
                 **kwargs):
        self.resident = resident
        self.bases = bases or {}
        # With an ID number on file the birth date is the number's digits 7-14: the form
        # neither shows nor takes it (docs/security.md). Without one, the editor sees it.
        self.birth_date_from_id = resident is not None and bool(resident.id_number_cipher)
        if resident is not None:
            kwargs.setdefault("initial", {
                "name": resident.name, "gender": resident.gender,
                "birth_date": None if self.birth_date_from_id else resident.birth_date,
                "relation": resident.relation,
                "residence_status": resident.residence_status,
                "ethnicity": resident.ethnicity, "occupation": resident.occupation,
                "id_number_basis": getattr(self.bases.get("id_number"), "basis", ""),
                "phone_basis": getattr(self.bases.get("phone"), "basis", ""),
                "basis_note": next((b.note for b in self.bases.values() if b.note), ""),
            })
        super().__init__(*args, **kwargs)
        if self.birth_date_from_id:
            del self.fields["birth_date"]
        if resident is not None:
            # On edit the stored numbers are never sent back to the browser.
            keep = _("Leave blank to keep the current number (%(masked)s).")
            self.fields["id_number"].help_text = (
                keep % {"masked": resident.id_number_masked} if resident.id_number_masked
                else _("No ID number is recorded. 18 characters."))
            self.fields["phone"].help_text = (
                keep % {"masked": resident.phone_masked} if resident.phone_masked
                else _("No phone number is recorded."))
            if resident.phone_masked:
                self.fields["clear_phone"] = forms.BooleanField(
                    label=_("Remove the phone number"), required=False)

    def to_input(self) -> ResidentInput:
        data = self.cleaned_data
        editing = self.resident is not None
        phone = _text_or_none(data.get("phone"))
        if editing and data.get("clear_phone") and phone is None:
            phone = ""  # the action's way of saying "remove it"
        id_number = _text_or_none(data.get("id_number"))
        id_basis = data.get("id_number_basis") or None
        phone_basis = data.get("phone_basis") or None
        if editing:
            # A basis is re-recorded only when it changes or comes with a new number.
            if id_number is None and id_basis == getattr(self.bases.get("id_number"),
                                                         "basis", None):
                id_basis = None
            if not phone and phone_basis == getattr(self.bases.get("phone"), "basis", None):
                phone_basis = None
        return ResidentInput(
            name=data.get("name") or "",
            gender=data.get("gender") or None,
            birth_date=data.get("birth_date"),
            id_number=id_number,
            phone=phone,
            relation=data.get("relation") or None,
            residence_status=data.get("residence_status") or None,
            ethnicity=data.get("ethnicity") or "",
            occupation=data.get("occupation") or "",
            id_number_basis=id_basis,
            phone_basis=phone_basis,
            basis_note=data.get("basis_note") or None,
        )


class HouseholdForm(forms.Form):
    building = forms.ModelChoiceField(label=_("Building"), queryset=None,
                                      empty_label=_("Choose a building"))
    unit = forms.CharField(label=_("Unit"), max_length=8, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    room = forms.CharField(label=_("Room"), max_length=16, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args, buildings, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
        self.fields["building"].label_from_instance = lambda b: f"{b.name} · {b.grid.name}"
        if members is not None:
            self.fields["householder"] = forms.ModelChoiceField(
                label=_("Householder"), queryset=members, required=False,
                empty_label=_("Not set"))

    def to_input(self) -> HouseholdInput:
        return HouseholdInput(unit=self.cleaned_data.get("unit") or "",
                              room=self.cleaned_data.get("room") or "")


class RevealForm(forms.Form):
    # The action enforces the minimum length, with its own message.
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class TagForm(forms.Form):
    tag = forms.ModelChoiceField(label=_("Group"), queryset=None,
                                 empty_label=_("Choose a group"))
    source = forms.CharField(label=_("Source"), max_length=100, required=False,
                             help_text=_("Where this comes from, e.g. 民政局低保名册 2026-10."))
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput,
                                  help_text=_("Leave blank if it has no end date."))
    legal_basis = forms.ChoiceField(label=_("Legal basis"),
                                    choices=_blank_choices(LegalBasis.choices), required=False)

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags
        self.fields["tag"].label_from_instance = tag_label


class EndTagForm(forms.Form):
    valid_until = forms.DateField(label=_("Last day in the group"), widget=DateInput)


class ResidentFilterForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, required=False,
                                  empty_label=_("All grids"))
    building = forms.ModelChoiceField(label=_("Building"), queryset=None, required=False,
                                      empty_label=_("All buildings"))

    def __init__(self, *args, grids, buildings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["grid"].widget.attrs["data-wg-reset"] = "building"
        if buildings is None:
            del self.fields["building"]
        else:
            self.fields["building"].queryset = buildings


def tag_label(tag) -> str:
    """A group's name in the reader's language (the table holds 中文 and English)."""
    if (get_language() or "").startswith("en") and tag.name_en:
        return tag.name_en
    return tag.name
