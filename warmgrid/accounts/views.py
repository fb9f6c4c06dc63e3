"""Sign in (password, then TOTP for admins), sign out, and the lockout answer."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from warmgrid.accounts.actions import confirmed_totp_device, do_check_totp
from warmgrid.accounts.forms import OtpForm
from warmgrid.accounts.http import client_ip

LOCKED_MESSAGE = gettext_lazy(
    "Too many failed sign-ins. This account or address is locked for 15 minutes; "
    "try again later or ask your administrator."
)


class WarmGridLoginView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


login_view = WarmGridLoginView.as_view()


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return "/"


def otp_view(request):
    """Ask for the TOTP code. Without an enrolled authenticator there is nothing to ask:
    the page says who can enrol one (`warmgrid otp enroll`), never a secret."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.is_verified():
        return HttpResponseRedirect(_safe_next(request))
    if confirmed_totp_device(request.user) is None:
        return render(request, "accounts/otp.html", {"no_device": True}, status=403)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = do_check_totp(user=request.user, code=form.cleaned_data["code"],
                               ip_address=client_ip(request))
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_safe_next(request))
        form.add_error("code", _("That code is not right or has expired. Try the current one."))
    return render(request, "accounts/otp.html", {"form": form, "next": _safe_next(request)})


def locked_out(request, credentials=None, *args, **kwargs):
    """axes calls this for a locked account or address: JSON for the API, a page otherwise."""
    message = str(LOCKED_MESSAGE)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "message": message, "fields": {}}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
