"""Serving case photos: only to someone who may read the case (404 otherwise), never by
the file's name, and with headers that stop a browser from treating the bytes as anything
but the image we re-encoded (docs/attachments.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.utils.cache import patch_cache_control

from warmgrid.attachments.models import Attachment
from warmgrid.attachments.queries import access_attachment_for_user

# The browser may keep a photo for five minutes, in this user's cache only.
CACHE_SECONDS = 300


def photo_response(attachment: Attachment, *, inline: bool = False,
                   preview: bool = False) -> FileResponse:
    """The stored file with its stored type. `inline` is safe only because every stored
    byte is our own re-encoding of a checked image; the headers hold even so."""
    field = attachment.preview if preview and attachment.preview else attachment.file
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=not inline,
                            filename=attachment.download_name(),
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, the photo may load nothing and run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    patch_cache_control(response, private=True, max_age=CACHE_SECONDS)
    return response


def _serve(request, attachment_id, *, inline: bool):
    # The scope check comes first: another grid's photo is 404 whatever the method.
    attachment = access_attachment_for_user(request.user, attachment_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return photo_response(attachment, inline=inline,
                          preview=inline and request.GET.get("size") == "preview")


@login_required
def photo_download(request, attachment_id):
    """The photo as a download (Content-Disposition: attachment)."""
    return _serve(request, attachment_id, inline=False)


@login_required
def photo_view(request, attachment_id):
    """The photo shown in the page (<img src>); ?size=preview gives the small copy."""
    return _serve(request, attachment_id, inline=True)
