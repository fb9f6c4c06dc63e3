from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from warmgrid.lib import casestates


class Category(models.Model):
    """A kind of event, in a configurable tree (环境卫生 → 垃圾清运 …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent category"))
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64)
    response_hours = models.PositiveSmallIntegerField(
        _("first response within (working hours)"))
    resolve_days = models.PositiveSmallIntegerField(_("resolution within (working days)"))
    priority = models.PositiveSmallIntegerField(_("priority"), default=3,
                                                help_text=_("1 urgent … 4 low."))
    needs_check = models.BooleanField(_("closing needs a second person's check"),
                                      default=False)
    difficulty = models.DecimalField(_("difficulty weight"), max_digits=4, decimal_places=2,
                                     default=1)
    # A Department.Kind, or "grid"/"community" for the area's own team.
    unit_kind = models.CharField(_("default handling unit"), max_length=32)
    # Open311 service definition attributes (GeoReport v2), as a list of dicts.
    open311_attributes = models.JSONField(_("Open311 attributes"), default=list, blank=True)
    # Public categories are listed to the public (Open311 GET requests); family, dispute,
    # assistance and health matters never are.
    is_public = models.BooleanField(_("shown to the public"), default=True)
    is_active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """One event (事件) over its whole life, whatever channel it came in by."""

    class State(models.TextChoices):
        REPORTED = casestates.REPORTED, _("Reported")
        TRIAGE = casestates.TRIAGE, _("Awaiting triage")
        DISPATCHED = casestates.DISPATCHED, _("Dispatched")
        IN_PROGRESS = casestates.IN_PROGRESS, _("In progress")
        WAITING = casestates.WAITING, _("Waiting for the resident")
        RESOLVED = casestates.RESOLVED, _("Resolved")
        CLOSED = casestates.CLOSED, _("Closed")
        MERGED = casestates.MERGED, _("Merged into another case")

    class Channel(models.TextChoices):
        RESIDENT = "resident", _("Resident on a phone")
        GRID_WORKER = "grid_worker", _("Grid worker")
        PHONE = "phone", _("Phone call")
        HOTLINE = "hotline_12345", _("12345 hotline ticket")
        API = "api", _("JSON API")
        OPEN311 = "open311", _("Open311 client")

    class Outcome(models.TextChoices):
        FIXED = "fixed", _("Fixed")
        PARTLY_FIXED = "partly_fixed", _("Partly fixed")
        NOT_FIXED = "not_fixed", _("Closed, not fixed")
        NOT_OURS = "not_ours", _("Outside our remit, referred on")
        UNREASONABLE = "unreasonable", _("Unreasonable demand")

    description = models.TextField(_("description"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="cases", verbose_name=_("category"))
    suggested_category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+")
    suggestion_confidence = models.FloatField(null=True, blank=True)
    urgent_reasons = models.JSONField(default=list, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=3)
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.REPORTED)

    # The grid when the place is known; otherwise the case is filed under the area that is
    # known (area_path), and a person places it during triage.
    grid = models.ForeignKey("places.Area", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="cases", verbose_name=_("grid"))
    area_path = models.CharField(max_length=255, editable=False)
    building = models.ForeignKey("places.Building", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="cases", verbose_name=_("building"))
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="cases",
                                  verbose_name=_("household"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("external number"), max_length=64, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="reported_cases")
    on_behalf_of = models.ForeignKey("people.Resident", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="cases")
    open311_client = models.ForeignKey("cases.Open311Client", on_delete=models.SET_NULL,
                                       null=True, blank=True, related_name="cases")
    anonymous = models.BooleanField(_("anonymous toward the public"), default=False)

    lead_department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="lead_cases",
                                        verbose_name=_("lead unit"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="assigned_cases",
                                 verbose_name=_("handled by"))
    routing_note = models.CharField(_("why it went there"), max_length=200, blank=True)
    # Why the assignee was chosen (warmgrid.lib.assignment), as data so that each reader
    # sees it in their own language: {"user": id, "on_duty": …, "load": "3.5", …}.
    assignment_reason = models.JSONField(_("why this person"), default=dict, blank=True)

    # Early warning, kept up to date by the deadline watch (cases.watch_deadlines):
    # "", "yellow" (75 % of the working-time budget used) or "red" (overdue), and how far
    # up the ladder it has gone (1 grid leader, 2 community, 3 street, 4 district).
    warning = models.CharField(_("warning"), max_length=8, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalated to level"), default=0)
    extension_requested_days = models.PositiveSmallIntegerField(null=True, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices,
                               blank=True)
    result = models.TextField(_("result"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="merged_cases")
    split_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="split_cases")
    created_at = models.DateTimeField(_("reported at"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "state", "resolve_due"], name="case_scope_due",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops",
                                    "timestamptz_ops"]),
            models.Index(fields=["lead_department", "state"], name="case_department_state"),
            models.Index(fields=["reporter", "created_at"], name="case_reporter"),
            models.Index(fields=["created_at"], name="case_created"),
            # The supervision board reads only open cases: warning first so the overdue
            # list stops at its twentieth row; the rest make per-grid counts index-only.
            # Sorted, because a frozenset's order changes between runs.
            models.Index(fields=["warning", "resolve_due", "area_path", "grid", "state"],
                         name="case_open_board",
                         condition=models.Q(state__in=sorted(casestates.OPEN_STATES)),
                         opclasses=["varchar_pattern_ops", "timestamptz_ops",
                                    "varchar_pattern_ops", "int8_ops", "varchar_pattern_ops"]),
            # Each handler's open load, summed at every assignment: without it the sum
            # reads every case the unit's people ever held.
            models.Index(fields=["assignee", "category"], name="case_open_load",
                         condition=models.Q(state__in=sorted(casestates.LOAD_STATES))),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__isnull=True)
                                   | models.Q(rating__gte=1, rating__lte=5),
                                   name="case_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.description[:30]}"

    @property
    def is_open(self) -> bool:
        return self.state in casestates.OPEN_STATES


class CaseEvent(models.Model):
    """The append-only history of a case: every transition, note and rating."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_state}→{self.to_state}"


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an Idempotency-Key, to give again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(max_length=128)
    scope = models.CharField(max_length=40)
    body_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"],
                                               name="one_answer_per_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class Open311Client(models.Model):
    """A system that reports through Open311 GeoReport v2 with an API key."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_digest = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """An ordered, editable dispatch rule: the first that matches a case decides its unit.

    Empty fields match anything; an area matches itself and everything under it; hours
    are the time of day (Asia/Shanghai) at reporting, `from_hour` inclusive, `to_hour`
    exclusive, wrapping past midnight when `to_hour` < `from_hour`.
    """

    order = models.PositiveIntegerField(_("order"), unique=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="routing_rules", verbose_name=_("category"))
    area = models.ForeignKey("places.Area", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="routing_rules", verbose_name=_("area"))
    from_hour = models.PositiveSmallIntegerField(_("from hour"), null=True, blank=True)
    to_hour = models.PositiveSmallIntegerField(_("to hour"), null=True, blank=True)
    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE,
                                   related_name="routing_rules", verbose_name=_("handling unit"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order"]

    def __str__(self) -> str:
        return f"#{self.order} → {self.department}"


class CaseFollower(models.Model):
    """Everyone who reported the same thing: "me too" and merged duplicates' reporters are
    kept here and told of every change, as the first reporter is."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="followed_cases")
    joined_at = models.DateTimeField()
    via = models.CharField(max_length=20)  # "me_too" or "merge"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"],
                                               name="one_follow_per_case")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.case_id}"


class CaseUnit(models.Model):
    """A unit besides the lead (主责) on a case: assisting (协办) units may read it and add
    notes; copied (抄送) units may only read it."""

    class Role(models.TextChoices):
        ASSIST = "assist", _("Assisting (协办)")
        COPY = "copy", _("Copied (抄送)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="units")
    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE,
                                   related_name="case_roles", verbose_name=_("handling unit"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        verbose_name = _("case unit")
        verbose_name_plural = _("case units")
        constraints = [models.UniqueConstraint(fields=["case", "department"],
                                               name="one_role_per_unit_and_case")]
        # A unit's queue and its read scope: the cases it assists or is copied on.
        indexes = [models.Index(fields=["department", "role"], name="case_unit_department")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.role} {self.department_id}"


class DutyShift(models.Model):
    """One person on duty (值班) for a span of time: for a department, for an area's own
    team, or (both empty) for every unit they work in. Assignment prefers people on duty."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="duty_shifts", verbose_name=_("person"))
    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE,
                                   null=True, blank=True, related_name="duty_shifts",
                                   verbose_name=_("handling unit"))
    area = models.ForeignKey("places.Area", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="duty_shifts", verbose_name=_("area team"))
    starts_at = models.DateTimeField(_("shift starts"))
    ends_at = models.DateTimeField(_("shift ends"))
    note = models.CharField(_("note"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at", "id"]
        indexes = [
            # "Which of these people are on duty at t": user IN (…) AND starts_at <= t.
            models.Index(fields=["user", "starts_at", "ends_at"], name="duty_user_time"),
            # The roster page: shifts of a unit from a day on.
            models.Index(fields=["department", "starts_at"], name="duty_department_time"),
            models.Index(fields=["area", "starts_at"], name="duty_area_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="duty_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"
