"""Survey instruments as stored, versioned XLSForms."""

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
