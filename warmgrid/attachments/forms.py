"""The photo picker that report and handling forms share (Django's "uploading multiple
files" recipe). It only collects the uploads; attachments.actions.check_photos judges
them, with a message per file."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from warmgrid.attachments.actions import MAX_PHOTOS, max_upload_bytes


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


def _photos_help() -> str:
    megabytes = max_upload_bytes() / 1024 / 1024
    return gettext("Up to %(count)s photos: JPEG, PNG or WebP, at most %(size)s MB each. "
                   "Where a photo was taken is removed before it is stored.") % {
        "count": MAX_PHOTOS, "size": f"{megabytes:g}"}


class PhotosField(forms.FileField):
    """Any number of files (the count is the action's rule): a list, maybe empty."""

    def __init__(self, **kwargs):
        # Explicit types, not image/*: iPhones then send their HEIC photos as JPEG. No
        # `capture`: it would force the camera and hide the photos already taken.
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={
            "accept": "image/jpeg,image/png,image/webp"}))
        kwargs.setdefault("label", _("Photos"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", lazy(_photos_help, str)())
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []
