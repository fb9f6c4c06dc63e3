"""Digests and delivery choices: one message for many notices, in the person's language;
urgent kinds never wait; quiet hours hold the rest; running anything twice sends once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from warmgrid.notices import tasks
from warmgrid.notices.actions import do_deliver, do_notify, do_send_digest, do_set_notice_preference
from warmgrid.notices.models import Notice, NoticeDigest
from warmgrid.notices.queries import digest_user_ids
from warmgrid.notices.tests.conftest import BROKEN, RECORDER, Broken

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED = _("Case #%(id)s is closed. Please rate how it was handled.")
TODAY = dt.date(2026, 3, 2)


def daily(user, language="en", channels=("recorder",)):
    user.language = language
    user.save(update_fields=["language"])
    do_set_notice_preference(actor=user, channels=list(channels), digest="daily")


def five_notices(user):
    made = []
    for n in range(1, 6):
        made += do_notify(recipients=[user], kind="case_closed", subject=CLOSED,
                          params={"id": n}, url=f"/cases/{n}/")
    return made


def test_a_daily_digest_is_one_message_for_many_notices(world, recorder,
                                                       django_capture_on_commit_callbacks):
    daily(world.worker_a)
    with django_capture_on_commit_callbacks() as queued:
        notices = five_notices(world.worker_a)
    assert queued == []  # nothing goes out at once
    assert {n.delivery for n in notices} == {Notice.Delivery.DIGEST}
    assert do_send_digest(user_id=world.worker_a.pk, day=TODAY) == ["recorder"]
    [(username, subject, body)] = recorder.sent
    assert username == "worker_a"
    assert subject.startswith("You have 5 new notices: Case #1 is closed.")
    assert body.count("Please rate how it was handled.") == 5
    assert all(n.sent_on == ["recorder"] for n in Notice.objects.all())
    assert NoticeDigest.objects.get().notice_count == 5


def test_a_digest_is_written_in_the_recipients_language(world, recorder):
    daily(world.worker_a, language="zh-hans")
    daily(world.worker_b, language="en")
    for user in (world.worker_a, world.worker_b):
        five_notices(user)
        do_send_digest(user_id=user.pk, day=TODAY)
    sent = {username: (subject, body) for username, subject, body in recorder.sent}
    english_subject, english_body = sent["worker_b"]
    assert english_body.count("Please rate how it was handled.") == 5
    chinese_subject, chinese_body = sent["worker_a"]
    assert english_subject.startswith("You have 5 new notices:")
    # The notices themselves were written in each person's language when they were made.
    with translation.override("zh-hans"):
        closed_in_chinese = str(CLOSED) % {"id": 1}
    assert closed_in_chinese != "Case #1 is closed. Please rate how it was handled."
    assert closed_in_chinese in chinese_body and "Please rate" not in chinese_body
    assert chinese_subject.startswith("您有 5 条新通知：")  # 您, as STYLE.md asks


def test_one_notice_is_a_singular_digest(world, recorder):
    daily(world.worker_a)
    do_notify(recipients=[world.worker_a], kind="case_closed", subject=CLOSED, params={"id": 9})
    do_send_digest(user_id=world.worker_a.pk, day=TODAY)
    assert recorder.sent[0][1] == ("You have 1 new notice: Case #9 is closed. Please rate how "
                                   "it was handled")


def test_urgent_kinds_go_at_once_whatever_the_digest(world, recorder,
                                                    django_capture_on_commit_callbacks):
    daily(world.worker_a)
    with django_capture_on_commit_callbacks() as queued:
        [urgent] = do_notify(recipients=[world.worker_a], kind="case_urgent",
                             subject="Urgent case #1")
        [escalated] = do_notify(recipients=[world.worker_a], kind="case_escalated",
                                subject="Overdue case #2")
    assert len(queued) == 2
    assert urgent.delivery == escalated.delivery == Notice.Delivery.IMMEDIATE
    assert do_deliver(urgent.pk) == ["recorder"]
    do_send_digest(user_id=world.worker_a.pk, day=TODAY)
    assert [subject for _, subject, _ in recorder.sent] == ["Urgent case #1"]
    assert not NoticeDigest.objects.get().notice_count


def test_off_keeps_notices_in_the_inbox_only(world, recorder,
                                             django_capture_on_commit_callbacks):
    do_set_notice_preference(actor=world.worker_a, channels=["recorder"], digest="off")
    with django_capture_on_commit_callbacks() as queued:
        [notice] = do_notify(recipients=[world.worker_a], kind="case_closed", subject="x")
    assert queued == [] and notice.delivery == Notice.Delivery.INBOX
    assert do_deliver(notice.pk) == []
    assert digest_user_ids() == []
    assert recorder.sent == []


def test_quiet_hours_hold_a_notice_until_they_end(world, recorder, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    now = timezone.localtime()
    start = (now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    do_set_notice_preference(actor=world.worker_a, channels=["recorder"], digest="immediate",
                             quiet_start=start, quiet_end=end)
    enqueued = []
    monkeypatch.setattr(tasks.deliver_notices, "apply_async",
                        lambda args, eta=None: enqueued.append((args, eta)))
    with django_capture_on_commit_callbacks(execute=True):
        [calm] = do_notify(recipients=[world.worker_a], kind="case_closed", subject="x")
        [urgent] = do_notify(recipients=[world.worker_a], kind="case_urgent", subject="y")
    (calm_args, calm_eta), (urgent_args, urgent_eta) = enqueued
    assert calm_args == [[calm.pk]] and urgent_args == [[urgent.pk]]
    assert urgent_eta is None  # urgent kinds ignore quiet hours
    assert calm_eta.astimezone(SHANGHAI).time() == end
    assert calm_eta > timezone.now()


def test_running_the_digest_twice_sends_once(world, recorder):
    daily(world.worker_a)
    five_notices(world.worker_a)
    day = TODAY.isoformat()
    assert tasks.send_digest.apply(args=[world.worker_a.pk, day]).get() == ["recorder"]
    assert tasks.send_digest.apply(args=[world.worker_a.pk, day]).get() == []
    assert len(recorder.sent) == 1


def test_the_morning_task_fans_out_and_is_safe_to_run_twice(world, recorder, monkeypatch):
    daily(world.worker_a)
    daily(world.worker_b)
    five_notices(world.worker_a)
    five_notices(world.worker_b)
    do_notify(recipients=[world.leader_a], kind="case_closed", subject="immediate person")
    monkeypatch.setattr(tasks.send_digest, "delay",
                        lambda *args: tasks.send_digest.apply(args=args))
    assert tasks.send_digests.apply().get() == 2
    assert tasks.send_digests.apply().get() == 0
    assert sorted(u for u, _, _ in recorder.sent) == ["worker_a", "worker_b"]


def test_notices_after_the_digest_wait_for_the_next_one(world, recorder):
    daily(world.worker_a)
    five_notices(world.worker_a)
    do_send_digest(user_id=world.worker_a.pk, day=TODAY)
    do_notify(recipients=[world.worker_a], kind="case_closed", subject=CLOSED, params={"id": 6})
    assert do_send_digest(user_id=world.worker_a.pk, day=TODAY) == []  # today's is done
    assert do_send_digest(user_id=world.worker_a.pk,
                          day=TODAY + dt.timedelta(days=1)) == ["recorder"]
    assert recorder.sent[-1][1].startswith("You have 1 new notice: Case #6")


def test_a_failed_channel_is_retried_alone(world, recorder, settings):
    settings.WARMGRID_NOTICE_CHANNELS = [BROKEN, RECORDER]
    daily(world.worker_a, channels=("recorder", "broken"))
    five_notices(world.worker_a)
    with pytest.raises(OSError):
        do_send_digest(user_id=world.worker_a.pk, day=TODAY)
    Broken.fail = False
    assert do_send_digest(user_id=world.worker_a.pk, day=TODAY) == ["broken"]
    assert [u for u, _, _ in recorder.sent] == ["worker_a", "broken"]
    assert sorted(Notice.objects.first().sent_on) == ["broken", "recorder"]


def test_held_notices_still_go_after_switching_back_to_at_once(world, recorder):
    daily(world.worker_a)
    five_notices(world.worker_a)
    do_set_notice_preference(actor=world.worker_a, channels=["recorder"], digest="immediate")
    assert digest_user_ids() == [world.worker_a.pk]
    do_set_notice_preference(actor=world.worker_a, channels=["recorder"], digest="off")
    assert digest_user_ids() == []
