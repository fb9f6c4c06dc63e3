"""Bearer tokens: issuing one for a password (and TOTP for admins), and checking it.

The token endpoint signs in through `django.contrib.auth.authenticate`, so django-axes
counts failures and locks out exactly as on the login page; its middleware then answers
a locked account or address with 429 through `warmgrid.accounts.views.locked_out`.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from warmgrid.accounts.actions import do_check_totp, do_issue_api_token, user_for_api_token
from warmgrid.accounts.http import client_ip
from warmgrid.accounts.scopes import needs_second_factor
from warmgrid.api.errors import ErrorOut, Text, Unauthorized


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the user becomes `request.user` for the scopes."""

    def authenticate(self, request, token):
        user = user_for_api_token(token) if token else None
        if user is None:
            return None
        request.user = user
        return user


router = Router(tags=["auth"])


class TokenIn(Schema):
    model_config = {"extra": "forbid"}

    username: Text(150, min_length=1)
    password: Text(1024, min_length=1)
    otp: Text(16) | None = None


class TokenOut(Schema):
    access_token: str
    token_type: str
    expires_in: int


@router.post(
    "/token", auth=None, operation_id="issueToken", summary="Issue an API token",
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 415: ErrorOut, 422: ErrorOut,
              429: ErrorOut},
)
def issue_token(request, credentials: TokenIn, response: HttpResponse):
    """Exchange a username and password (and a TOTP code, for roles that need one) for a
    bearer token. The token ends after `expires_in` seconds, or sooner if unused for 30
    minutes. Five failed attempts per account or address within 15 minutes lock sign-in
    (429)."""
    response["Cache-Control"] = "no-store"
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if user is None:
        raise Unauthorized(_("The username or password is not right."),
                           code="invalid_credentials")
    ip_address = client_ip(request)
    if needs_second_factor(user):
        if not credentials.otp:
            raise Unauthorized(_("Your role needs the code from your authenticator app."),
                               code="otp_required", fields={"otp": [_("Enter the code.")]})
        if do_check_totp(user=user, code=credentials.otp, ip_address=ip_address) is None:
            raise Unauthorized(_("That code is not right or has expired. Try the current one."),
                               code="otp_invalid", fields={"otp": [_("The code is not right.")]})
    token = do_issue_api_token(user=user, ip_address=ip_address)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(settings.API_TOKEN_LIFETIME.total_seconds()),
    }
