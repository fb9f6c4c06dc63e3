"""A person's notice settings: the page, the action, the phone sealed at rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from warmgrid.audit.models import AuditEntry
from warmgrid.errors import ValidationFailed
from warmgrid.notices.actions import do_rotate_contact_keys, do_set_notice_preference
from warmgrid.notices.contacts import open_contact_phone
from warmgrid.notices.models import NoticePreference
from warmgrid.notices.queries import contact_phone

SETTINGS = reverse("notices:preferences")
CHANNELS = ["warmgrid.notices.channels.ConsoleChannel", "warmgrid.notices.channels.EmailChannel",
            "warmgrid.notices.sms.SmsChannel", "warmgrid.notices.wecom.WeComAppChannel"]


@pytest.fixture
def channels(settings):
    settings.WARMGRID_NOTICE_CHANNELS = CHANNELS


def test_the_page_offers_the_personal_channels_all_on_at_first(world, login, channels):
    html = login(world.worker_a).get(SETTINGS).content.decode()
    for name in ("email", "sms", "wecom"):
        assert f'value="{name}"' in html
    assert 'value="console"' not in html  # the server log is not a personal channel
    assert html.count("checked") >= 4  # three channels and "at once"
    assert 'name="phone"' in html and 'name="wecom_userid"' in html


def test_no_sms_field_when_sms_is_not_set_up(world, login, settings):
    settings.WARMGRID_NOTICE_CHANNELS = ["warmgrid.notices.channels.EmailChannel"]
    html = login(world.worker_a).get(SETTINGS).content.decode()
    assert 'name="phone"' not in html and 'name="wecom_userid"' not in html


def test_saving_the_page(world, login, channels):
    client = login(world.worker_a)
    response = client.post(SETTINGS, {"channels": ["sms"], "digest": "daily",
                                      "quiet_start": "22:00", "quiet_end": "07:00",
                                      "phone": "138 1234 5678", "wecom_userid": "ZhangWei"})
    assert response.status_code == 302
    saved = NoticePreference.objects.get(user=world.worker_a)
    assert (saved.channels, saved.digest) == (["sms"], "daily")
    assert (saved.quiet_start, saved.quiet_end) == (dt.time(22), dt.time(7))
    assert saved.phone_masked == "138****5678" and "13812345678" not in saved.phone_cipher
    assert open_contact_phone(saved.phone_cipher) == "13812345678"
    assert saved.wecom_userid == "ZhangWei"
    html = client.get(SETTINGS).content.decode()
    assert "138****5678" in html and "13812345678" not in html
    entry = AuditEntry.objects.filter(object_type="notice_preference").get()
    assert "13812345678" not in str(entry.changes) and "138****5678" in str(entry.changes)


def test_an_empty_phone_keeps_the_number_and_remove_removes_it(world, login, channels):
    client = login(world.worker_a)
    base = {"channels": ["sms"], "digest": "immediate"}
    client.post(SETTINGS, base | {"phone": "13812345678"})
    client.post(SETTINGS, base | {"phone": ""})
    assert contact_phone(NoticePreference.objects.get().user) == "13812345678"
    client.post(SETTINGS, base | {"remove_phone": "on"})
    assert NoticePreference.objects.get().phone_masked == ""


def test_bad_values_are_shown_beside_their_fields(world, login, channels):
    response = login(world.worker_a).post(SETTINGS, {
        "channels": ["email"], "digest": "immediate", "phone": "12345",
        "quiet_start": "22:00", "wecom_userid": "张 伟"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a mainland mobile number" in html
    assert "Give both ends of the quiet hours" in html
    assert "A WeCom user ID has up to 64 letters" in html
    assert not NoticePreference.objects.exists()


def test_only_configured_channels_can_be_chosen(world, channels):
    with pytest.raises(ValidationFailed) as refused:
        do_set_notice_preference(actor=world.worker_a, channels=["pigeon"], digest="daily")
    assert "channels" in refused.value.fields
    with pytest.raises(ValidationFailed):
        do_set_notice_preference(actor=world.worker_a, channels=[], digest="hourly")


def test_each_person_edits_only_their_own(world, login, channels):
    login(world.worker_b).post(SETTINGS, {"channels": [], "digest": "off"})
    assert NoticePreference.objects.get().user == world.worker_b


def test_rotating_keys_re_seals_the_phones(world, settings, channels):
    from warmgrid.lib.crypto import new_key
    from warmgrid.people.identifiers import cipher

    do_set_notice_preference(actor=world.worker_a, channels=["sms"], digest="immediate",
                             phone="13812345678")
    old_ring = settings.WARMGRID_DATA_KEYS
    settings.WARMGRID_DATA_KEYS = f"k9:{new_key()},{old_ring}"
    assert do_rotate_contact_keys() == {"preferences": 1, "rewritten": 1}
    sealed = NoticePreference.objects.get().phone_cipher
    assert cipher().key_id_of(sealed) == "k9"
    assert open_contact_phone(sealed) == "13812345678"
