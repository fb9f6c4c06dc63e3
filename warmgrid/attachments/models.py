from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmgrid.lib.images import PREVIEW_SIDE


def photo_path(instance: Attachment, filename: str) -> str:
    """cases/<yyyy>/<mm>/<random>.<ext>: nothing of the uploader's file name reaches the
    disk, and the name cannot be guessed (the files are never served by name anyway)."""
    extension = filename.rsplit(".", 1)[-1]
    month = (instance.created_at or timezone.now()).strftime("%Y/%m")
    return f"cases/{month}/{uuid.uuid4().hex}.{extension}"


class Attachment(models.Model):
    """A photo of a case, re-encoded without metadata: sent with the report, or with a
    handling step (a note, the result)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("With the report")
        HANDLING = "handling", _("From the handling")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="attachments", verbose_name=_("case"))
    # The step it belongs to: the report event, or the note or result it was sent with.
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    file = models.FileField(_("file"), upload_to=photo_path, max_length=200)
    # A small copy for the case's history (the same format, at most 640 px).
    preview = models.FileField(upload_to=photo_path, max_length=200, blank=True)
    original_name = models.CharField(_("original name"), max_length=100, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="attachment_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.original_name or self.pk}"

    @property
    def preview_width(self) -> int:
        return self._preview_size()[0]

    @property
    def preview_height(self) -> int:
        return self._preview_size()[1]

    def _preview_size(self) -> tuple[int, int]:
        """As warmgrid.lib.images made the small copy: the long side at most 640 px."""
        side = max(self.width, self.height)
        if side <= PREVIEW_SIDE:
            return self.width, self.height
        scale = PREVIEW_SIDE / side
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1]

    def download_name(self) -> str:
        """The name offered on download: the uploader's, with the extension of what we
        store (a PNG renamed .jpg is stored and served as the PNG it is)."""
        stem = self.original_name.rsplit(".", 1)[0] if "." in self.original_name else ""
        return f"{stem or f'case-{self.case_id}-photo-{self.pk}'}.{self.extension}"
