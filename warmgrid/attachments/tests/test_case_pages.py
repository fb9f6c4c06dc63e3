"""Photos through the case pages: sent with a report, with a note, with the result; one bad
photo refuses the whole form; thumbnails in the history, each only to who may see it."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from warmgrid.attachments.actions import do_attach_photos
from warmgrid.attachments.models import Attachment
from warmgrid.attachments.tests.photos import jpeg_bytes, png_bytes, upload
from warmgrid.audit.models import AuditEntry
from warmgrid.cases import actions as case_actions
from warmgrid.cases.models import Case, CaseEvent, Category

REPORT = reverse("cases:report")


def report_body(world, *photos, key="k-photos"):
    return {"description": "3号楼门口垃圾没人清运", "category": "garbage",
            "household": world.household_a.pk, "idempotency_key": key, "photos": list(photos)}


def garbage_case(world):
    return case_actions.do_report_case(
        actor=world.resident_a, channel=Case.Channel.RESIDENT,
        data=case_actions.CaseInput(description="3号楼门口垃圾没人清运",
                                    category=Category.objects.get(code="garbage"),
                                    household=world.household_a))


def act(case) -> str:
    return reverse("cases:act", args=[case.pk])


def detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def test_the_report_form_asks_for_photos_as_multipart(world, login):
    html = login(world.resident_a).get(REPORT).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="photos"' in html and "multiple" in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert "Up to 9 photos" in unescape(html)


def test_a_report_with_photos_makes_the_case_and_its_photos(world, login):
    client = login(world.resident_a)
    response = client.post(REPORT, report_body(
        world, upload(jpeg_bytes(), name="门口.jpg"),
        upload(png_bytes(), name="近景.png", content_type="image/png")))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(case)
    photos = list(case.attachments.order_by("id"))
    assert [p.original_name for p in photos] == ["门口.jpg", "近景.png"]
    assert {p.kind for p in photos} == {"report"}
    assert {p.event.action for p in photos} == {"report"}
    assert AuditEntry.objects.filter(object_type="case", object_id=str(case.pk),
                                     changes__photos_added=2).exists()
    html = client.get(detail(case)).content.decode()
    for photo in photos:
        assert f'src="/attachments/{photo.pk}/view/?size=preview"' in html
        assert f'href="/attachments/{photo.pk}/"' in html
    assert 'loading="lazy"' in html and 'alt="Photo 1 of 2"' in html


def test_a_report_with_one_bad_photo_saves_nothing(world, login, media_root):
    client = login(world.resident_a)
    before = Case.objects.count()
    response = client.post(REPORT, report_body(
        world, upload(jpeg_bytes(), name="good.jpg"),
        upload(b"<html><script>alert(1)</script></html>", name="photo.jpg")),
        HTTP_HX_REQUEST="true")
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "“photo.jpg” is not a JPEG, PNG or WebP photo." in html
    assert 'id="id_photos_error"' in html
    assert "Choose your photos again" in html
    assert Case.objects.count() == before
    assert not Attachment.objects.exists() and not CaseEvent.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_ten_photos_with_a_report_are_refused(world, login):
    client = login(world.resident_a)
    response = client.post(REPORT, report_body(
        world, *[upload(jpeg_bytes(), name=f"{n}.jpg") for n in range(10)]))
    assert "Choose at most 9 photos." in unescape(response.content.decode())
    assert not Case.objects.exists()


def test_a_report_without_photos_is_as_before(world, login):
    client = login(world.resident_a)
    body = report_body(world)
    del body["photos"]
    assert client.post(REPORT, body).status_code == 302
    assert Case.objects.count() == 1 and not Attachment.objects.exists()


def test_a_handler_adds_a_note_with_photos(world, login):
    case = garbage_case(world)
    client = login(world.worker_a)
    html = client.get(detail(case)).content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="note-photos"' in html
    response = client.post(act(case), {"action": "note", "note-note": "物业已到场",
                                       "note-photos": [upload(jpeg_bytes())]})
    assert response.status_code == 302
    note = case.events.get(action="note")
    photo = Attachment.objects.get()
    assert (photo.event, photo.kind, photo.uploaded_by) == (note, "handling", world.worker_a)
    html = client.get(detail(case)).content.decode()
    assert f"/attachments/{photo.pk}/view/" in html
    # The reporter sees neither the internal note nor its photo.
    html = login(world.resident_a).get(detail(case)).content.decode()
    assert f"/attachments/{photo.pk}/" not in html and "物业已到场" not in html


def test_a_note_with_a_bad_photo_is_not_added(world, login):
    case = garbage_case(world)
    response = login(world.worker_a).post(act(case), {
        "action": "note", "note-note": "物业已到场",
        "note-photos": [upload(png_bytes()[:60], name="screen.png",
                               content_type="image/png")]})
    assert response.status_code == 200
    assert "“screen.png” is damaged or incomplete" in unescape(response.content.decode())
    assert not case.events.filter(action="note").exists()
    assert not Attachment.objects.exists()


def test_the_result_is_recorded_with_photos_the_reporter_sees(world, login):
    case = garbage_case(world)
    case_actions.do_accept_case(actor=world.worker_a, case=case)
    response = login(world.worker_a).post(act(case), {
        "action": "resolve", "resolve-outcome": "fixed", "resolve-result": "已清运",
        "resolve-photos": [upload(jpeg_bytes(), name="after.jpg")]})
    assert response.status_code == 302
    photo = Attachment.objects.get()
    assert photo.event.action == "resolve"
    html = login(world.resident_a).get(detail(case)).content.decode()
    assert f'src="/attachments/{photo.pk}/view/?size=preview"' in html


def test_a_result_with_a_bad_photo_is_not_recorded(world, login):
    case = garbage_case(world)
    case_actions.do_accept_case(actor=world.worker_a, case=case)
    login(world.worker_a).post(act(case), {
        "action": "resolve", "resolve-outcome": "fixed", "resolve-result": "已清运",
        "resolve-photos": [upload(b"%PDF-1.7", name="report.jpg")]})
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.outcome == ""
    assert not Attachment.objects.exists()


def test_photos_do_not_add_queries_to_the_case_page(world, login,
                                                     django_assert_max_num_queries):
    case = garbage_case(world)
    client = login(world.worker_a)
    do_attach_photos(actor=world.resident_a, case=case, kind="report",
                     files=[upload(jpeg_bytes())])
    client.get(detail(case))  # warm the per-process caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(detail(case))
    do_attach_photos(actor=world.resident_a, case=case, kind="report",
                     files=[upload(jpeg_bytes()) for _ in range(8)])
    for _ in range(3):
        note = case_actions.do_add_note(actor=world.worker_a, case=case, note="跟进")
        do_attach_photos(actor=world.worker_a, case=case, kind="handling", event=note,
                         files=[upload(jpeg_bytes())])
    with django_assert_max_num_queries(len(one)):
        response = client.get(detail(case))
    assert response.content.decode().count("/view/?size=preview") == 12


@pytest.mark.parametrize("person", ["outsider", "worker_b"])
def test_strangers_cannot_post_photos_to_a_case(world, login, person):
    case = garbage_case(world)
    response = login(getattr(world, person)).post(act(case), {
        "action": "note", "note-note": "看看", "note-photos": [upload(jpeg_bytes())]})
    assert response.status_code == 404
    assert not Attachment.objects.exists()
