from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from warmgrid.notices.channels import channel_label, choosable_channels
from warmgrid.notices.models import NoticePreference


class PreferenceForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("Send my notices by"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Every notice is also in your inbox here."))
    digest = forms.ChoiceField(
        label=_("When"), choices=NoticePreference.Digest.choices, widget=forms.RadioSelect,
        help_text=_("Urgent cases and escalations are always sent at once."))
    quiet_start = forms.TimeField(
        label=_("Quiet from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Beijing time. Nothing but urgent notices is sent in the quiet hours."))
    quiet_end = forms.TimeField(label=_("Quiet until"), required=False,
                                widget=forms.TimeInput(attrs={"type": "time"}))
    phone = forms.CharField(
        label=_("Mobile for SMS"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("A mainland mobile number. Text messages carry the subject only."))
    remove_phone = forms.BooleanField(label=_("Remove my mobile number"), required=False)
    wecom_userid = forms.CharField(
        label=_("WeCom user ID"), required=False, max_length=64,
        help_text=_("Your account name in the WeCom (企业微信) address book."))

    def __init__(self, *args, preference: NoticePreference | None = None, **kwargs):
        offered = choosable_channels()
        names = {c.name for c in offered}
        if preference is None:
            initial = {"channels": sorted(names), "digest": NoticePreference.Digest.IMMEDIATE}
        else:
            initial = {"channels": preference.channels, "digest": preference.digest,
                       "quiet_start": preference.quiet_start,
                       "quiet_end": preference.quiet_end,
                       "wecom_userid": preference.wecom_userid}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["channels"].choices = [(c.name, channel_label(c)) for c in offered]
        if "sms" not in names:
            del self.fields["phone"], self.fields["remove_phone"]
        elif preference is not None and preference.phone_masked:
            self.fields["phone"].help_text = _(
                "On file: %(masked)s. Leave empty to keep it.") % {
                "masked": preference.phone_masked}
        if not names & {"wecom", "wecom_robot"}:
            del self.fields["wecom_userid"]

    def phone_change(self) -> str | None:
        """None keeps the number on file, "" removes it, a number replaces it."""
        if "phone" not in self.fields:
            return None
        if self.cleaned_data.get("remove_phone"):
            return ""
        return self.cleaned_data.get("phone") or None
