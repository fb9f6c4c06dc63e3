"""SMS and WeCom adapters against a local fake provider; delivery across channels."""

from __future__ import annotations

import logging
import uuid

import pytest

from warmgrid.notices.actions import do_deliver, do_notify, do_set_notice_preference
from warmgrid.notices.http import ChannelError
from warmgrid.notices.models import Notice
from warmgrid.notices.sms import ConsoleSmsGateway, HttpSmsGateway, SmsChannel, sms_text
from warmgrid.notices.tests.conftest import BROKEN, RECORDER
from warmgrid.notices.wecom import WeComAppChannel, WeComRobotChannel, cut_to_bytes

PHONE = "13812345678"


class GatewayRecorder:
    sent: list = []

    def send(self, phone, text):
        GatewayRecorder.sent.append((phone, text))


def notice_for(user, subject="3号楼的事件已办结，请评价处理情况。", body="详情见暖网。"):
    return Notice.objects.create(recipient=user, kind="test", subject=subject, body=body,
                                 created_at="2026-03-01T09:00:00+08:00")


def with_contacts(user, *, phone="", wecom=""):
    do_set_notice_preference(actor=user, channels=[], digest="immediate", phone=phone,
                             wecom_userid=wecom)


# --- SMS -------------------------------------------------------------------------------

def test_an_sms_carries_the_subject_cut_to_one_segment():
    assert sms_text("短" * 70) == "短" * 70
    assert sms_text("长" * 71) == "长" * 69 + "…"
    assert len(sms_text("x" * 500)) == 70
    assert sms_text("line one\nline  two") == "line one line two"


def test_the_console_gateway_logs_the_number_masked(caplog):
    with caplog.at_level(logging.INFO, logger="warmgrid.notices.sms"):
        ConsoleSmsGateway().send(PHONE, "请回电 13987654321 联系网格员")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "138****5678" in logged
    assert PHONE not in logged and "13987654321" not in logged


def test_the_sms_channel_sends_to_the_number_on_file(world, settings):
    settings.WARMGRID_SMS_GATEWAY = "warmgrid.notices.tests.test_channels.GatewayRecorder"
    GatewayRecorder.sent = []
    with_contacts(world.worker_a, phone="+86 138-1234-5678")
    SmsChannel().send(notice_for(world.worker_a, subject="长" * 100))
    assert GatewayRecorder.sent == [(PHONE, "长" * 69 + "…")]


def test_no_number_no_sms(world, settings):
    settings.WARMGRID_SMS_GATEWAY = "warmgrid.notices.tests.test_channels.GatewayRecorder"
    GatewayRecorder.sent = []
    SmsChannel().send(notice_for(world.worker_a))
    assert GatewayRecorder.sent == []


def test_the_http_gateway_posts_json_with_the_secret(settings, provider):
    settings.WARMGRID_SMS_HTTP_URL = f"{provider.url}/sms/send"
    settings.WARMGRID_SMS_HTTP_SECRET = "s3cret"
    HttpSmsGateway().send(PHONE, "您有一条新通知")
    [request] = provider.received
    assert (request.method, request.path) == ("POST", "/sms/send")
    assert request.body == {"phone": PHONE, "text": "您有一条新通知"}
    assert request.headers["x-warmgrid-secret"] == "s3cret"
    assert request.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("status", [500, 403, 302])
def test_the_http_gateway_raises_on_anything_but_2xx(settings, provider, status):
    settings.WARMGRID_SMS_HTTP_URL = f"{provider.url}/sms/send?token=abc"
    provider.answer(status, {"error": "no"})
    with pytest.raises(ChannelError) as failed:
        HttpSmsGateway().send(PHONE, "您有一条新通知")
    assert str(status) in str(failed.value)
    # Neither the number nor the query string (a key) is in the message that gets logged.
    assert PHONE not in str(failed.value) and "abc" not in str(failed.value)
    assert len(provider.received) == 1  # a redirect is not followed


def test_the_http_gateway_gives_up_after_its_timeout(settings, provider):
    settings.WARMGRID_SMS_HTTP_URL = f"{provider.url}/sms/send"
    settings.WARMGRID_NOTICE_HTTP_TIMEOUT = 0.1
    provider.answer(200, {}, delay=0.5)
    with pytest.raises(ChannelError, match="could not be reached"):
        HttpSmsGateway().send(PHONE, "您有一条新通知")


def test_an_unreachable_gateway_raises_a_channel_error(settings):
    settings.WARMGRID_SMS_HTTP_URL = "http://127.0.0.1:9/sms"  # discard port: refused
    with pytest.raises(ChannelError):
        HttpSmsGateway().send(PHONE, "x")


# --- WeCom -----------------------------------------------------------------------------

@pytest.fixture
def wecom(settings, provider):
    settings.WARMGRID_WECOM_BASE_URL = provider.url
    settings.WARMGRID_WECOM_ROBOT_KEY = "robot-key"
    settings.WARMGRID_WECOM_CORP_ID = f"corp-{uuid.uuid4().hex[:8]}"  # a token cache of its own
    settings.WARMGRID_WECOM_CORP_SECRET = "corp-secret"
    settings.WARMGRID_WECOM_AGENT_ID = "1000002"
    return provider


def test_the_robot_posts_the_subject_and_mentions_the_person(world, wecom):
    with_contacts(world.worker_a, wecom="ZhangWei")
    WeComRobotChannel().send(notice_for(world.worker_a))
    [request] = wecom.received
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": ["robot-key"]}
    assert request.body == {"msgtype": "text", "text": {
        "content": "3号楼的事件已办结，请评价处理情况。", "mentioned_list": ["ZhangWei"]}}


def test_the_robot_raises_when_wecom_answers_an_errcode(world, wecom):
    with_contacts(world.worker_a, wecom="ZhangWei")
    wecom.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(ChannelError, match="93000"):
        WeComRobotChannel().send(notice_for(world.worker_a))


def test_the_robot_raises_on_http_500(world, wecom):
    with_contacts(world.worker_a, wecom="ZhangWei")
    wecom.answer(500, {})
    with pytest.raises(ChannelError, match="500"):
        WeComRobotChannel().send(notice_for(world.worker_a))


def test_the_robot_skips_people_without_a_wecom_id(world, wecom):
    WeComRobotChannel().send(notice_for(world.worker_a))
    assert wecom.received == []


def test_an_app_message_goes_to_the_persons_userid_with_a_token_kept(world, wecom):
    with_contacts(world.worker_a, wecom="ZhangWei")
    wecom.answer(200, {"errcode": 0, "access_token": "T1", "expires_in": 7200})
    channel = WeComAppChannel()
    channel.send(notice_for(world.worker_a))
    channel.send(notice_for(world.worker_a, subject="第二条"))
    assert wecom.paths() == ["/cgi-bin/gettoken", "/cgi-bin/message/send",
                             "/cgi-bin/message/send"]
    token, first, _second = wecom.received
    assert token.query == {"corpid": [wecom_corp(world)], "corpsecret": ["corp-secret"]}
    assert first.query == {"access_token": ["T1"]}
    assert first.body == {"touser": "ZhangWei", "msgtype": "text", "agentid": 1000002,
                          "text": {"content": "3号楼的事件已办结，请评价处理情况。\n详情见暖网。"},
                          "safe": 0}


def wecom_corp(world):
    from django.conf import settings

    return settings.WARMGRID_WECOM_CORP_ID


def test_an_expired_token_is_fetched_again_once(world, wecom):
    with_contacts(world.worker_a, wecom="ZhangWei")
    wecom.answer(200, {"errcode": 0, "access_token": "OLD", "expires_in": 7200})
    wecom.answer(200, {"errcode": 42001, "errmsg": "access_token expired"})
    wecom.answer(200, {"errcode": 0, "access_token": "NEW", "expires_in": 7200})
    wecom.answer(200, {"errcode": 0, "errmsg": "ok"})
    WeComAppChannel().send(notice_for(world.worker_a))
    assert [r.query.get("access_token") for r in wecom.received] == [
        None, ["OLD"], None, ["NEW"]]


@pytest.mark.parametrize("answer", [
    {"errcode": 81013, "errmsg": "user & party & tag all invalid"},
    {"errcode": 0, "errmsg": "ok", "invaliduser": "ZhangWei"},
])
def test_an_app_message_wecom_refuses_raises(world, wecom, answer):
    with_contacts(world.worker_a, wecom="ZhangWei")
    wecom.answer(200, {"errcode": 0, "access_token": "T1", "expires_in": 7200})
    wecom.answer(200, answer)
    with pytest.raises(ChannelError):
        WeComAppChannel().send(notice_for(world.worker_a))


def test_a_refused_token_request_raises(world, wecom):
    with_contacts(world.worker_a, wecom="ZhangWei")
    wecom.answer(200, {"errcode": 40013, "errmsg": "invalid corpid"})
    with pytest.raises(ChannelError, match="40013"):
        WeComAppChannel().send(notice_for(world.worker_a))
    assert wecom.paths() == ["/cgi-bin/gettoken"]


def test_long_text_is_cut_within_wecoms_byte_limit():
    text = cut_to_bytes("事" * 1000)
    assert len(text.encode()) <= 2048 and text.endswith("…")


# --- delivery across channels ------------------------------------------------------------

def test_one_failing_channel_does_not_hold_back_the_others(world, recorder, settings):
    settings.WARMGRID_NOTICE_CHANNELS = [BROKEN, RECORDER]
    [notice] = do_notify(recipients=[world.worker_a], kind="test", subject="x")
    with pytest.raises(OSError, match="provider down"):
        do_deliver(notice.pk)
    assert Notice.objects.get(pk=notice.pk).sent_on == ["recorder"]
    recorder.sent.clear()
    from warmgrid.notices.tests.conftest import Broken

    Broken.fail = False  # the provider is back; the task's retry sends only what is left
    assert do_deliver(notice.pk) == ["broken"]
    assert recorder.sent == [("broken", "x", "")]
    assert sorted(Notice.objects.get(pk=notice.pk).sent_on) == ["broken", "recorder"]


def test_delivery_goes_only_on_the_channels_the_person_chose(world, recorder, settings):
    settings.WARMGRID_NOTICE_CHANNELS = [RECORDER, BROKEN,
                                         "warmgrid.notices.channels.ConsoleChannel"]
    do_set_notice_preference(actor=world.worker_a, channels=["recorder"], digest="immediate")
    [notice] = do_notify(recipients=[world.worker_a], kind="test", subject="x")
    # The console is not personal: it always keeps its record.
    assert do_deliver(notice.pk) == ["recorder", "console"]
    assert do_deliver(notice.pk) == []
