"""Survey instruments as stored, versioned XLSForms; waves, their invitations and anonymous
responses; staff-entered governance records."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Instrument(models.Model):
    """A questionnaire, known by its XLSForm `form_id`; its content lives in versions."""

    form_id = models.CharField(_("form ID"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")
        ordering = ["form_id"]

    def __str__(self):
        return f"{self.title} ({self.form_id})"


class InstrumentVersion(models.Model):
    """One version of an instrument: the XLSForm as given, the XForm made from it and a
    summary. Once published it is frozen: a changed form needs a new version (ODK clients
    tell a form's versions apart by that string)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT,
                                   related_name="versions")
    version = models.CharField(_("version"), max_length=64)
    source_name = models.CharField(_("file name"), max_length=200)
    source = models.BinaryField(_("XLSForm file"))
    digest = models.CharField(max_length=64)  # SHA-256 of source
    xform = models.TextField(_("XForm XML"))
    summary = models.JSONField(default=dict)  # questions, items, facets, languages, minutes
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ["instrument", "created_at"]
        constraints = [models.UniqueConstraint(fields=["instrument", "version"],
                                               name="instrument_version_unique")]

    def __str__(self):
        return f"{self.instrument.form_id} {self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Wave(models.Model):
    """One round of the survey over chosen communities, with its sample drawn from the
    registry. Responses of a wave are anonymous (see Response)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Collecting")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=120)
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT,
                                related_name="waves", verbose_name=_("instrument version"))
    # The widest area the wave covers (its communities' common ancestor), for scope.
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    seed = models.PositiveIntegerField(_("sampling seed"))
    completes_wanted = models.PositiveSmallIntegerField(
        _("completed responses wanted per community"))
    response_rate = models.FloatField(_("expected response rate"))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    plan = models.JSONField(default=dict)  # the sampling plan as drawn (sampling.draw_sample)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")
        ordering = ["-opens_on", "-pk"]

    def __str__(self):
        return self.name


class WaveCommunity(models.Model):
    """A community in a wave and its quota: the completed responses it should reach."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="communities")
    community = models.ForeignKey("places.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, editable=False)
    quota = models.PositiveSmallIntegerField(_("quota"))
    households = models.PositiveIntegerField(_("households in the registry"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wave", "community"],
                                               name="wave_community_unique")]

    def __str__(self):
        return f"{self.wave_id}/{self.community_id}"


class Invitation(models.Model):
    """A single-use invitation for one sampled household. It records only whether it was
    used: never when, how, by whom or which response it became."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    household = models.ForeignKey("people.Household", on_delete=models.CASCADE,
                                  related_name="+")
    grid = models.ForeignKey("places.Area", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("places.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    token = models.CharField(max_length=32, unique=True)
    used = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wave", "household"],
                                               name="one_invitation_per_household")]

    def __str__(self):
        return f"{self.wave_id}/{self.token[:4]}…"


class Response(models.Model):
    """One completed questionnaire. Deliberately without a link to a resident, household,
    invitation, worker or account, with a random key (a sequence would order responses
    against used invitations) and the day only."""

    class Mode(models.TextChoices):
        SELF = "self", _("Self-completed")
        INTERVIEWER = "interviewer", _("Interviewer")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        OPENROSA = "openrosa", _("ODK / KoboCollect")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    community = models.ForeignKey("places.Area", on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("places.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    answers = models.JSONField()  # question name → the answer as the form submitted it
    mode = models.CharField(max_length=12, choices=Mode.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=8, blank=True)
    submitted_on = models.DateField()
    duration_seconds = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["wave", "grid"], name="response_wave_grid")]

    def __str__(self):
        return str(self.pk)


class Submission(models.Model):
    """An OpenRosa submission seen, by digests of its instanceID and body, so a re-sent
    form is a no-op and a changed one a conflict. It holds no link to its response."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="+")
    instance_digest = models.CharField(max_length=64, unique=True)
    body_digest = models.CharField(max_length=64)

    def __str__(self):
        return self.instance_digest[:12]


class CommunityRecord(models.Model):
    """Governance facts staff enter for a community and year, beside what the platform
    records itself: level-2 predictors of temperature."""

    class PropertyModel(models.TextChoices):
        COMPANY = "company", _("Property management company")
        SELF_MANAGED = "self", _("Residents manage themselves")
        GOVERNMENT = "government", _("Managed by the community or street")
        NONE = "none", _("No property management")

    community = models.ForeignKey("places.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    organisations = models.PositiveSmallIntegerField(
        _("residents' organisations"), help_text=_("Registered or filed community "
                                                   "organisations and volunteer teams."))
    meetings = models.PositiveSmallIntegerField(
        _("consultation meetings"), help_text=_("Residents' councils, hearings and "
                                                "consultations held in the year."))
    funds_yuan = models.DecimalField(_("community funds (yuan)"), max_digits=12,
                                     decimal_places=2)
    property_model = models.CharField(_("property management"), max_length=12,
                                      choices=PropertyModel.choices)
    entered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("community governance record")
        verbose_name_plural = _("community governance records")
        constraints = [models.UniqueConstraint(fields=["community", "year"],
                                               name="community_record_year")]

    def __str__(self):
        return f"{self.community_id} {self.year}"
