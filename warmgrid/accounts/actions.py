"""Writes about accounts: API tokens and second-factor devices."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.accounts.models import ApiToken, User
from warmgrid.accounts.scopes import primary_area_path
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry

# Touch last_used_at at most this often: a token in use does not write on every call.
_TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_issue_api_token(*, user: User, ip_address: str = "") -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.create(
            user=user, digest=_digest(token), created_at=now, last_used_at=now,
            expires_at=now + settings.API_TOKEN_LIFETIME,
        )
        do_record_audit(
            action=AuditEntry.Action.TOKEN, actor=user, ip_address=ip_address,
            object_type="user", object_id=user.pk, object_repr=user.username,
            area_path=primary_area_path(user),
        )
    return token


def user_for_api_token(token: str) -> User | None:
    """The active user behind a token that has not expired or idled out, else None."""
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(token), revoked_at__isnull=True, expires_at__gt=now,
                last_used_at__gt=now - settings.API_TOKEN_IDLE)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    if now - row.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def do_revoke_api_tokens(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, TOTPDevice):
            return device
    return None


def do_check_totp(*, user: User, code: str, ip_address: str = "") -> TOTPDevice | None:
    """Verify a code against the user's enrolled device; audit failures."""
    code = "".join(code.split())
    device = confirmed_totp_device(user)
    if device is not None and code.isdigit() and device.verify_token(code):
        return device
    do_record_audit(
        action=AuditEntry.Action.OTP_FAILED, actor=user, ip_address=ip_address,
        object_type="user", object_id=user.pk, object_repr=user.username,
        area_path=primary_area_path(user),
    )
    return None
