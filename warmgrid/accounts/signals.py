"""Sign-ins, sign-outs, failures and lockouts go to the audit trail.

These are Django's and axes' own authentication signals: the one interface through which
every login path (pages, API, admin) reports, so nothing is missed.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from warmgrid.accounts.http import client_ip
from warmgrid.accounts.models import User
from warmgrid.accounts.scopes import primary_area_path
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry


def _area_of_username(username: str) -> str:
    user = User.objects.filter(username=username).first()
    return primary_area_path(user) if user else ""


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    do_record_audit(
        action=AuditEntry.Action.LOGIN, actor=user,
        ip_address=client_ip(request) if request else "",
        object_type="user", object_id=user.pk, object_repr=user.username,
        area_path=primary_area_path(user),
    )


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is None:
        return
    do_record_audit(
        action=AuditEntry.Action.LOGOUT, actor=user,
        ip_address=client_ip(request) if request else "",
        object_type="user", object_id=user.pk, object_repr=user.username,
        area_path=primary_area_path(user),
    )


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # the lockout entry below says it
    do_record_audit(
        action=AuditEntry.Action.LOGIN_FAILED, actor_username=username,
        ip_address=client_ip(request) if request else "",
        object_type="user", object_repr=username, area_path=_area_of_username(username),
    )


@receiver(user_locked_out)
def audit_locked_out(sender, request, username, ip_address, **kwargs):
    do_record_audit(
        action=AuditEntry.Action.LOCKED_OUT, actor_username=str(username or "")[:150],
        ip_address=ip_address or "", object_type="user", object_repr=str(username or ""),
        area_path=_area_of_username(str(username or "")),
    )
