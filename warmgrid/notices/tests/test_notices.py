"""Notices: one inbox entry per person, in their language, delivered once per channel."""

import pytest
from django.utils.translation import gettext_lazy as _

from warmgrid.notices import tasks
from warmgrid.notices.actions import do_deliver, do_mark_read, do_notify
from warmgrid.notices.queries import unread_count
from warmgrid.notices.tasks import deliver_notice


class Recorder:
    name = "recorder"
    sent: list = []

    def send(self, notice):
        Recorder.sent.append(notice.pk)


def test_each_recipient_reads_it_in_their_own_language(world):
    world.worker_b.language = "en"
    world.worker_b.save()
    notices = do_notify(recipients=[world.worker_a, world.worker_b, world.worker_a],
                        kind="test", subject=_("Case #%(id)s is closed. Please rate how it "
                                               "was handled."), params={"id": 7})
    by_user = {n.recipient.username: n.subject for n in notices}
    assert len(notices) == 2
    assert by_user["worker_b"] == "Case #7 is closed. Please rate how it was handled."
    assert "7" in by_user["worker_a"] and by_user["worker_a"] != by_user["worker_b"]


def test_delivery_is_safe_to_run_twice(world, settings):
    settings.WARMGRID_NOTICE_CHANNELS = ["warmgrid.notices.tests.test_notices.Recorder"]
    Recorder.sent = []
    notice = do_notify(recipients=[world.worker_a], kind="test", subject="x")[0]
    assert do_deliver(notice.pk) == ["recorder"]
    assert deliver_notice.apply(args=[notice.pk]).get() == []
    assert Recorder.sent == [notice.pk]


class FailsForOne(Recorder):
    name = "fails-for-one"
    broken: int | None = None

    def send(self, notice):
        if notice.pk == FailsForOne.broken:
            raise OSError("gateway refused")
        Recorder.sent.append(notice.pk)


def test_recipients_due_together_share_one_task_message(world, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr(tasks.deliver_notices, "apply_async",
                        lambda args, eta=None: enqueued.append((args, eta)))
    with django_capture_on_commit_callbacks(execute=True):
        notices = do_notify(recipients=[world.worker_a, world.worker_b, world.leader_a],
                            kind="case_urgent", subject="x")
    assert enqueued == [([[n.pk for n in notices]], None)]


def test_one_failing_notice_does_not_hold_back_the_rest(world, settings):
    settings.WARMGRID_NOTICE_CHANNELS = ["warmgrid.notices.tests.test_notices.FailsForOne"]
    Recorder.sent = []
    first, second = do_notify(recipients=[world.worker_a, world.worker_b], kind="case_urgent",
                              subject="x")
    FailsForOne.broken = first.pk
    with pytest.raises(OSError):
        tasks.deliver_notices.run([first.pk, second.pk])
    assert Recorder.sent == [second.pk]
    FailsForOne.broken = None
    assert tasks.deliver_notices.run([first.pk, second.pk]) == {first.pk: ["fails-for-one"],
                                                                 second.pk: []}
    assert Recorder.sent == [second.pk, first.pk]


def test_the_inbox_counts_what_is_unread(world):
    notices = do_notify(recipients=[world.worker_a], kind="test", subject="x")
    assert unread_count(world.worker_a) == 1
    assert do_mark_read(user=world.worker_b, notice_ids=[notices[0].pk]) == 0
    assert do_mark_read(user=world.worker_a, notice_ids=[notices[0].pk]) == 1
    assert unread_count(world.worker_a) == 0
