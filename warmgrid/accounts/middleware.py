"""Street, district and system admins must pass a TOTP second factor before anything else."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from warmgrid.accounts.scopes import needs_second_factor

EXEMPT_PREFIXES = (
    "/accounts/login/", "/accounts/logout/", "/accounts/otp/", "/static/", "/i18n/", "/api/",
    "/open311/",
)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and needs_second_factor(user)
            and not user.is_verified()
        ):
            return redirect(f"{reverse('accounts:otp')}?next={request.get_full_path()}")
        return self.get_response(request)
