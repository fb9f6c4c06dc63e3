from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from warmgrid.lib.masking import age_on


class Household(models.Model):
    """A dwelling and the people registered in it (户)."""

    building = models.ForeignKey(
        "places.Building", on_delete=models.PROTECT, related_name="households",
        verbose_name=_("building"),
    )
    grid = models.ForeignKey(
        "places.Area", on_delete=models.PROTECT, related_name="households",
        verbose_name=_("grid"),
    )
    # The grid's materialised path, copied so that every scope filter is one indexed prefix.
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    unit = models.CharField(_("unit"), max_length=8)
    room = models.CharField(_("room"), max_length=16)
    householder = models.ForeignKey(
        "people.Resident", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("householder"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["building_id", "unit", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"],
                                    name="one_household_per_room"),
        ]
        indexes = [models.Index(fields=["grid", "room"], name="household_grid_room")]

    def __str__(self) -> str:
        return f"{self.building.name} {self.unit}-{self.room}"

    @property
    def address_label(self) -> str:
        return _("%(building)s, unit %(unit)s, room %(room)s") % {
            "building": self.building.name, "unit": self.unit, "room": self.room,
        }


class Resident(models.Model):
    """A person registered in the district. ID number and phone are encrypted at rest."""

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Relation(models.TextChoices):
        HOUSEHOLDER = "householder", _("Householder")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Sibling")
        CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
        TENANT = "tenant", _("Tenant")
        OTHER = "other", _("Other")

    class ResidenceStatus(models.TextChoices):
        HUKOU = "hukou", _("Registered (户籍)")
        PERMANENT = "permanent", _("Permanent resident (常住)")
        FLOATING = "floating", _("Floating population (流动)")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household"),
    )
    grid = models.ForeignKey(
        "places.Area", on_delete=models.PROTECT, related_name="residents", verbose_name=_("grid"),
    )
    area_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("full name"), max_length=64)
    name_pinyin = models.CharField(max_length=128, editable=False)
    name_initials = models.CharField(max_length=32, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))

    # Encrypted (AES-GCM, see warmgrid.lib.crypto), a keyed blind index for exact lookup,
    # and the masked form that is all most people ever see.
    id_number_cipher = models.TextField(blank=True, editable=False)
    id_number_index = models.CharField(max_length=32, null=True, blank=True, editable=False)
    id_last4_index = models.CharField(max_length=32, blank=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)

    relation = models.CharField(_("relation to householder"), max_length=16,
                                choices=Relation.choices)
    residence_status = models.CharField(_("residence status"), max_length=16,
                                        choices=ResidenceStatus.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, default="汉族")
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name", "id"]
        constraints = [
            # Collect once: one person, one row.
            models.UniqueConstraint(fields=["id_number_index"], name="one_resident_per_id_number"),
        ]
        indexes = [
            models.Index(fields=["area_path", "name"], name="resident_scope_name",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["area_path", "name_initials"], name="resident_scope_initials",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["area_path", "name_pinyin"], name="resident_scope_pinyin",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["id_last4_index", "area_path"], name="resident_last4"),
            models.Index(fields=["household"], name="resident_household"),
        ]

    def __str__(self) -> str:
        return self.name

    # The full birth date is digits 7-14 of the ID number: outside a reveal of the ID
    # number, pages and the API show the year and the age (docs/security.md).
    @property
    def birth_year(self) -> int:
        return self.birth_date.year

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth_date, day)


class Tag(models.Model):
    """A vulnerable group (重点人群): 独居老人, 残疾人, 低保 …"""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64)
    # Health, disability and minors are sensitive personal information under PIPL Art. 28.
    is_sensitive = models.BooleanField(_("sensitive"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("vulnerable-group tag")
        verbose_name_plural = _("vulnerable-group tags")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class LegalBasis(models.TextChoices):
    """Why we may process a sensitive field (PIPL Art. 13)."""

    CONSENT = "consent", _("Consent of the person")
    STATUTORY_DUTY = "statutory_duty", _("Statutory duty of the community")
    PUBLIC_INTEREST = "public_interest", _("Public health or safety emergency")
    VITAL_INTEREST = "vital_interest", _("Protection of life, health or property")


class ResidentTag(models.Model):
    """A resident's membership of a vulnerable group, with where it came from and until when."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="memberships",
                            verbose_name=_("tag"))
    area_path = models.CharField(max_length=255, editable=False)
    source = models.CharField(_("source"), max_length=100,
                              help_text=_("Where this came from, e.g. 民政局低保名册 2026-10."))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        constraints = [
            models.UniqueConstraint(fields=["resident", "tag", "valid_from"],
                                    name="one_tag_period_start"),
        ]
        indexes = [
            # Counting by tag under an area reads only this index.
            models.Index(fields=["area_path", "tag", "valid_until", "valid_from"],
                         name="residenttag_scope_count",
                         opclasses=["varchar_pattern_ops", "int8_ops", "date_ops", "date_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.tag}"


class SensitiveFieldBasis(models.Model):
    """The legal basis (or consent) on which one sensitive field of a resident is held."""

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", _("ID number")
        PHONE = "phone", _("phone")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="field_bases")
    field = models.CharField(_("field"), max_length=24, choices=Field.choices)
    basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    note = models.CharField(_("reference"), max_length=200, blank=True,
                            help_text=_("The law, notice or signed consent form it rests on."))
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("legal basis of a field")
        verbose_name_plural = _("legal bases of fields")
        constraints = [
            models.UniqueConstraint(fields=["resident", "field"], name="one_basis_per_field"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.field}: {self.basis}"


class GridTally(models.Model):
    """How many residents a grid has, in all (tag empty) and per vulnerable group, on a day.

    A read model: counting a street's 200,000 residents row by row is too slow for a
    dashboard, so counts are kept per grid, refreshed by every write that changes them and
    every night (tags start and end with the calendar), and summed under an area.
    """

    grid = models.ForeignKey("places.Area", on_delete=models.CASCADE, related_name="tallies")
    area_path = models.CharField(max_length=255, editable=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, null=True, blank=True,
                            related_name="tallies")
    residents = models.PositiveIntegerField(default=0)
    as_of = models.DateField()

    class Meta:
        verbose_name = _("grid tally")
        verbose_name_plural = _("grid tallies")
        # Two partial constraints rather than NULLS NOT DISTINCT, which SQLite lacks.
        constraints = [
            models.UniqueConstraint(fields=["grid", "tag"], name="one_tally_per_grid_tag",
                                    condition=models.Q(tag__isnull=False)),
            models.UniqueConstraint(fields=["grid"], name="one_total_tally_per_grid",
                                    condition=models.Q(tag__isnull=True)),
        ]
        indexes = [
            models.Index(fields=["area_path"], name="gridtally_scope",
                         opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.tag_id or '*'}: {self.residents}"
