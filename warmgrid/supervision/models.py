from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClusterAlert(models.Model):
    """Several similar cases at one building, or in one grid, within hours (聚集预警): a
    sign of one cause behind them (a burst pipe, a broken lift, a blocked drain) that a
    supervisor should see before more residents call."""

    class Kind(models.TextChoices):
        BUILDING = "building", _("In one building")
        GRID = "grid", _("In one grid")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    grid = models.ForeignKey("places.Area", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("grid"))
    # The grid's path, copied so that scope filters need no join.
    area_path = models.CharField(max_length=255, editable=False)
    building = models.ForeignKey("places.Building", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("building"))
    # The category family (top-level category) the cases share; empty when only their
    # text links them.
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("category"))
    cases = models.ManyToManyField("cases.Case", related_name="cluster_alerts",
                                   verbose_name=_("cases"))
    case_count = models.PositiveIntegerField(_("cases"))
    first_case_at = models.DateTimeField(_("first reported at"))
    last_case_at = models.DateTimeField(_("last reported at"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.OPEN)
    detected_at = models.DateTimeField(_("detected at"))
    updated_at = models.DateTimeField(_("updated at"))
    # Set when the area's grid leader and community staff were told; they are told once.
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+",
                                        verbose_name=_("acknowledged by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cluster alert")
        verbose_name_plural = _("cluster alerts")
        ordering = ["-last_case_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "state"], name="cluster_alert_scope",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["state", "last_case_at"], name="cluster_alert_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.case_count})"


class CaseMonthTally(models.Model):
    """Cases reported and closed per area, category and month (Asia/Shanghai): the read
    model behind the trends chart and the recurring problems (主动治理), so that neither
    scans millions of cases. Rebuilt from the cases by `do_refresh_case_tallies`; never
    edited by hand."""

    month = models.DateField(_("month"))  # its first day
    # The cases' own area path: a grid's, or a community's or street's for cases not yet
    # placed in a grid. Scope is the same prefix rule as for the cases themselves.
    area_path = models.CharField(max_length=255)
    grid = models.ForeignKey("places.Area", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    category = models.ForeignKey("cases.Category", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+")
    # The category's top-level category (its family), copied for the trends chart.
    family = models.ForeignKey("cases.Category", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    reported = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    # Cases reported this month per building: {"building id": count}.
    buildings = models.JSONField(default=dict, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["area_path", "month"], name="tally_scope_month",
                         opclasses=["varchar_pattern_ops", "date_ops"]),
            models.Index(fields=["month"], name="tally_month"),
            # The months before, for each candidate recurring problem.
            models.Index(fields=["grid", "category", "month"], name="tally_grid_category"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area_path} {self.category_id}: {self.reported}"
