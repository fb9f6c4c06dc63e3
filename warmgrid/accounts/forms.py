from django import forms
from django.utils.translation import gettext_lazy as _


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"), max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "autofocus": True}),
    )
