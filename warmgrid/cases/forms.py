"""Forms of the event (事件) pages. They only parse input; the rules live in actions.py.

Most fields are optional here so that the action's own messages (the same ones the API
gives) appear beside each field, instead of a generic "This field is required."
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from warmgrid.attachments.forms import PhotosField
from warmgrid.cases.models import Case, Category

SUGGEST = ""  # the category choice that lets the classifier decide


def category_label(category: Category) -> str:
    """A category in the reader's language, under its parent: 环境卫生 › 垃圾清运."""
    english = (get_language() or "").startswith("en")

    def name(c: Category) -> str:
        return c.name_en if english and c.name_en else c.name

    if category.parent_id:
        return f"{name(category.parent)} › {name(category)}"
    return name(category)


def category_choices(categories) -> list[tuple[str, str]]:
    return [(c.code, category_label(c)) for c in categories]


def _text_or_none(value) -> str | None:
    return None if value is None else str(value)


class ReportForm(forms.Form):
    description = forms.CharField(
        label=_("What happened?"), max_length=2000, required=False,
        help_text=_("Say what, where exactly and since when. Do not write ID numbers."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    household = forms.ModelChoiceField(label=_("Household"), queryset=None, required=False)
    building = forms.ModelChoiceField(label=_("Or a building"), queryset=None, required=False,
                                      empty_label=_("No building chosen"))
    address = forms.CharField(
        label=_("Exact spot"), max_length=200, required=False,
        help_text=_("Optional, for example: the east gate, the bike shed behind unit 2."),
    )
    # A point on the map, set by "use my location" or a tap on the map (report_map.js);
    # the action finds the building nearest to it.
    latitude = forms.DecimalField(label=_("Latitude"), required=False, min_value=-90,
                                  max_value=90, widget=forms.HiddenInput)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, min_value=-180,
                                   max_value=180, widget=forms.HiddenInput)
    anonymous = forms.BooleanField(label=_("Do not show my name to the public"),
                                   required=False)
    photos = PhotosField()
    # A fresh key every time the form is drawn: a double-submitted form makes one case.
    idempotency_key = forms.CharField(max_length=128, required=False,
                                      widget=forms.HiddenInput)

    def __init__(self, *args, categories, households=None, buildings=None,
                 takes_calls: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))
        self.categories = {c.code: c for c in categories}
        self.fields["category"].choices = [(SUGGEST, _("Let WarmGrid suggest")),
                                           *category_choices(self.categories.values())]
        if households is None:
            del self.fields["household"]
        else:
            self.fields["household"].queryset = households
        if buildings is None:
            del self.fields["building"]
        else:
            self.fields["building"].queryset = buildings
            self.fields["building"].label_from_instance = lambda b: f"{b.name} · {b.grid.name}"
        if takes_calls:
            # Community staff type in what came by phone or as a 12345 hotline ticket.
            self.fields["channel"] = forms.ChoiceField(
                label=_("How did it reach you?"), initial=Case.Channel.PHONE,
                choices=[(Case.Channel.PHONE, Case.Channel.PHONE.label),
                         (Case.Channel.HOTLINE, Case.Channel.HOTLINE.label)],
                widget=forms.RadioSelect)
            self.fields["external_id"] = forms.CharField(
                label=_("12345 ticket number"), max_length=64, required=False,
                help_text=_("Required for a 12345 hotline ticket."),
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
            self.fields["anonymous"].label = _("The caller asks not to be named to the public")

    def clean(self):
        data = super().clean()
        if data.get("channel") == Case.Channel.HOTLINE and not data.get("external_id", "").strip():
            self.add_error("external_id", _("Enter the number of the 12345 ticket."))
        return data

    def chosen_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data.get("category") or SUGGEST)

    def renew_key(self) -> None:
        """Draw the form again as a new request (its key was used for another one)."""
        self.data = self.data.copy()
        self.data["idempotency_key"] = str(uuid.uuid4())

    def payload(self) -> dict:
        """What the request asked for, to tell a re-sent form from a different one."""
        data = self.cleaned_data
        household, building = data.get("household"), data.get("building")
        return {
            "description": data.get("description") or "",
            "category": data.get("category") or None,
            "household_id": household.pk if household else None,
            "building_id": building.pk if building else None,
            "address": data.get("address") or "",
            "latitude": _text_or_none(data.get("latitude")),
            "longitude": _text_or_none(data.get("longitude")),
            "anonymous": bool(data.get("anonymous")),
            "channel": data.get("channel") or None,
            "external_id": (data.get("external_id") or "").strip(),
        }


# ---- the forms of a case's actions ------------------------------------------------------
# Each is drawn with prefix=<action name>, so several can share one page.


class DispatchForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"),
                                 error_messages={"required": _("Choose a category.")})
    note = forms.CharField(label=_("Note for the handling unit"), max_length=2000,
                           required=False)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {c.code: c for c in categories}
        self.fields["category"].choices = [("", _("Choose a category")),
                                           *category_choices(self.categories.values())]

    def chosen_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data.get("category") or "")


class EmptyForm(forms.Form):
    """Actions that need nothing but the button: accept, close."""


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NoteWithPhotosForm(NoteForm):
    """A handling note may bring photos (attachments.actions checks them)."""

    photos = PhotosField()


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("Choose the outcome")), *Case.Outcome.choices])
    result = forms.CharField(label=_("What was done"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField()


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well was it handled?"), coerce=int, required=False, empty_value=None,
        choices=[(5, _("5 · very satisfied")), (4, _("4 · satisfied")), (3, _("3 · so-so")),
                 (2, _("2 · dissatisfied")), (1, _("1 · very dissatisfied"))],
        widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


# ---- dispatch: transfer, units, escalation, duty roster ----------------------------------

TEAM = "team"  # the transfer choice that gives the case to the grid's own team


class TransferForm(forms.Form):
    department = forms.ChoiceField(label=_("To which unit"), required=False)
    reason = forms.CharField(label=_("Why it belongs there"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, departments, current_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = {str(d.pk): d for d in departments if d.pk != current_id}
        choices = [("", _("Choose a unit"))]
        if current_id is not None:
            choices.append((TEAM, _("The grid's own team")))
        choices += [(pk, d.name) for pk, d in self.departments.items()]
        self.fields["department"].choices = choices

    def clean_department(self):
        value = self.cleaned_data.get("department") or ""
        if not value:
            raise forms.ValidationError(_("Choose the unit to transfer it to."))
        return value

    def chosen_department(self):
        """The unit chosen; None for the grid's own team."""
        return self.departments.get(self.cleaned_data.get("department") or "")


class UnitsForm(forms.Form):
    assist = forms.MultipleChoiceField(label=_("Assisting units (协办)"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    copy = forms.MultipleChoiceField(label=_("Copied units (抄送)"), required=False,
                                     widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = {str(d.pk): d for d in departments}
        choices = [(pk, d.name) for pk, d in self.departments.items()]
        self.fields["assist"].choices = choices
        self.fields["copy"].choices = choices

    def chosen(self, field: str) -> list:
        return [self.departments[pk] for pk in self.cleaned_data.get(field) or []]


class DutyShiftForm(forms.Form):
    user = forms.ChoiceField(label=_("Person"), required=False)
    starts_at = forms.DateTimeField(
        label=_("Shift starts"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    ends_at = forms.DateTimeField(
        label=_("Shift ends"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    weeks = forms.IntegerField(label=_("Repeat on the same weekday for how many weeks"),
                               min_value=1, max_value=12, initial=1, required=False)
    note = forms.CharField(label=_("Note"), max_length=100, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        self.fields["user"].choices = [("", _("Choose a person")),
                                       *((pk, str(p)) for pk, p in self.people.items())]

    def chosen_user(self):
        return self.people.get(self.cleaned_data.get("user") or "")
