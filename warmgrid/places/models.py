from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from warmgrid.places.validators import validate_outline


class Area(models.Model):
    """A node of the governance map: district → street → community → grid."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid")

    # Parent level of each level; the map is exactly four deep.
    PARENT_LEVEL = {
        Level.STREET: Level.DISTRICT,
        Level.COMMUNITY: Level.STREET,
        Level.GRID: Level.COMMUNITY,
    }

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent area"),
    )
    # Materialised path of codes ("370102/370102001/…/"): everything under an area is
    # one prefix query on an index, with no recursion.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    # Optional GeoJSON geometry (Polygon or MultiPolygon, WGS 84) of the area's outline.
    outline = models.JSONField(_("outline"), null=True, blank=True,
                               validators=[validate_outline])

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["level", "path"], name="area_level_path"),
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A residential building (楼栋) in one grid."""

    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("grid"),
        limit_choices_to={"level": Area.Level.GRID},
    )
    # The grid's path, copied so that scope filters need no join.
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, help_text=_("For example 3号楼."))
    address = models.CharField(_("address"), max_length=200, blank=True)
    unit_count = models.PositiveSmallIntegerField(_("units"), default=1)
    # Where the building stands (WGS 84): places a report made from a point on the map.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    floor_count = models.PositiveSmallIntegerField(_("floors"), default=6)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
