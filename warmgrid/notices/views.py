"""The inbox and notice preferences. Thin: parse, access, act, render.

Every notice named in a URL is fetched with access_notice_for_user: only its recipient
sees it; anyone else gets 404. htmx requests get the row or list back with the unread
badge swapped out of band; plain forms are redirected back to the inbox.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from warmgrid.accounts.http import client_ip
from warmgrid.notices.actions import do_mark_all_read, do_mark_read, do_set_notice_preference
from warmgrid.notices.forms import PreferenceForm
from warmgrid.notices.queries import access_notice_for_user, inbox_of, preference_of
from warmgrid.pages import act, wants_partial

PAGE_SIZE = 20


def local_path(url: str) -> str | None:
    """The notice's link if it is a path on this site; None for anything else (another
    host, a scheme, "//host", a backslash trick), so opening a notice never leaves it."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return None


def _inbox_context(request) -> dict:
    page = Paginator(inbox_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page_obj": page, "notices": page.object_list}


@login_required
def inbox(request):
    """The user's notices, newest first, unread ones marked."""
    context = _inbox_context(request)
    template = "notices/inbox.html#list" if wants_partial(request) else "notices/inbox.html"
    return render(request, template, context)


@login_required
@require_POST
def mark_read(request, notice_id):
    notice = access_notice_for_user(request.user, notice_id)
    do_mark_read(user=request.user, notice_ids=[notice.pk])
    if request.htmx:
        notice.read_at = notice.read_at or timezone.now()
        return render(request, "notices/inbox.html#row", {"notice": notice, "row_badge": True})
    return redirect("notices:inbox")


@login_required
@require_POST
def mark_all_read(request):
    do_mark_all_read(user=request.user)
    if request.htmx:
        return render(request, "notices/inbox.html#list",
                      {**_inbox_context(request), "list_badge": True})
    messages.success(request, _("All notices are marked as read."))
    return redirect("notices:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def open_notice(request, notice_id):
    """Mark it read and follow its link when that link stays on this site."""
    notice = access_notice_for_user(request.user, notice_id)
    do_mark_read(user=request.user, notice_ids=[notice.pk])
    return redirect(local_path(notice.url) or reverse("notices:inbox"))


@login_required
def preferences(request):
    user = request.user
    preference = preference_of(user)
    form = PreferenceForm(request.POST if request.method == "POST" else None,
                          preference=preference)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        saved = act(form, lambda: do_set_notice_preference(
            actor=user, channels=data.get("channels") or [], digest=data["digest"],
            quiet_start=data.get("quiet_start"), quiet_end=data.get("quiet_end"),
            phone=form.phone_change(), wecom_userid=data.get("wecom_userid") or "",
            ip_address=client_ip(request)))
        if saved is not None:
            messages.success(request, _("Your notice settings are saved."))
            return redirect("notices:preferences")
    return render(request, "notices/preferences.html", {"form": form,
                                                        "preference": preference})
