"""Photos over the JSON API: upload (multipart), list, fetch; errors in the API's one
shape; scope as everywhere."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from warmgrid.attachments.actions import do_attach_photos
from warmgrid.attachments.models import Attachment
from warmgrid.attachments.tests.photos import GPS_IFD, jpeg_bytes, upload
from warmgrid.cases import actions as case_actions
from warmgrid.cases.models import Case, Category


def bearer(api_token, user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


@pytest.fixture
def case(world):
    return case_actions.do_report_case(
        actor=world.resident_a, channel=Case.Channel.RESIDENT,
        data=case_actions.CaseInput(description="3号楼门口垃圾没人清运",
                                    category=Category.objects.get(code="garbage"),
                                    household=world.household_a))


def photos_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/photos"


def test_the_reporter_uploads_photos_with_the_report(world, case, client, api_token):
    response = client.post(photos_url(case), {"photos": [upload(jpeg_bytes()),
                                                         upload(jpeg_bytes())]},
                           **bearer(api_token, world.resident_a))
    assert response.status_code == 201, response.content
    body = response.json()
    assert [p["kind"] for p in body] == ["report", "report"]
    first = Attachment.objects.get(pk=body[0]["id"])
    assert body[0] | {"created_at": None} == {
        "id": first.pk, "url": f"/api/v1/attachments/{first.pk}",
        "preview_url": f"/api/v1/attachments/{first.pk}?size=preview",
        "content_type": "image/jpeg", "size": first.size, "width": 64, "height": 48,
        "kind": "report", "step_id": case.events.get(action="report").pk,
        "original_name": "photo.jpg", "created_at": None}


def test_a_handler_uploads_photos_with_a_note(world, case, client, api_token):
    headers = bearer(api_token, world.worker_a)
    missing = client.post(photos_url(case), {"photos": [upload(jpeg_bytes())]}, **headers)
    assert missing.status_code == 422 and missing.json()["fields"] == {
        "note": ["Write the note."]}
    response = client.post(photos_url(case), {"photos": [upload(jpeg_bytes())],
                                              "note": "物业已到场"}, **headers)
    assert response.status_code == 201
    step = case.events.get(action="note")
    assert response.json()[0]["kind"] == "handling"
    assert response.json()[0]["step_id"] == step.pk and step.note == "物业已到场"


def test_a_list_and_a_file(world, case, client, api_token):
    do_attach_photos(actor=world.resident_a, case=case, kind="report",
                     files=[upload(jpeg_bytes())])
    headers = bearer(api_token, world.worker_a)
    listed = client.get(photos_url(case), **headers)
    assert listed.status_code == 200 and len(listed.json()) == 1
    response = client.get(listed.json()[0]["url"], **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    image = Image.open(BytesIO(b"".join(response.streaming_content)))
    assert not image.getexif().get_ifd(GPS_IFD)
    preview = client.get(listed.json()[0]["preview_url"], **headers)
    assert preview.status_code == 200


def test_the_reporter_does_not_list_internal_photos(world, case, client, api_token):
    note = case_actions.do_add_note(actor=world.worker_a, case=case, note="内部")
    hidden = do_attach_photos(actor=world.worker_a, case=case, kind="handling", event=note,
                              files=[upload(jpeg_bytes())])[0]
    headers = bearer(api_token, world.resident_a)
    assert client.get(photos_url(case), **headers).json() == []
    assert client.get(f"/api/v1/attachments/{hidden.pk}", **headers).status_code == 404


def test_bad_photos_answer_in_the_one_error_shape(world, case, client, api_token):
    response = client.post(photos_url(case), {"photos": [
        upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>", name="x.jpg")]},
        **bearer(api_token, world.resident_a))
    assert response.status_code == 422
    assert response.json() == {"code": "bad_photo", "message": "Some fields need correcting.",
                               "fields": {"photos": ["“x.jpg” is not a JPEG, PNG or WebP photo."]}}
    assert not Attachment.objects.exists()


def test_no_photos_is_a_422(world, case, client, api_token):
    response = client.post(photos_url(case), {}, **bearer(api_token, world.resident_a))
    assert response.status_code == 422 and response.json()["code"] == "no_photos"


def test_ten_photos_are_a_422(world, case, client, api_token):
    response = client.post(photos_url(case), {"photos": [upload(jpeg_bytes())
                                                         for _ in range(10)]},
                           **bearer(api_token, world.resident_a))
    assert response.status_code == 422 and response.json()["code"] == "too_many_photos"


def test_a_resident_cannot_add_to_a_case_they_follow_but_did_not_report(world, client,
                                                                        api_token):
    from warmgrid.accounts.models import Role
    from warmgrid.testing import make_user

    neighbour = make_user("neighbour", (Role.RESIDENT, world.grid_a),
                          household=world.household_a)
    theirs = case_actions.do_report_case(
        actor=neighbour, channel=Case.Channel.RESIDENT,
        data=case_actions.CaseInput(description="楼道堆放杂物", household=world.household_a))
    case_actions.do_join_case(actor=world.resident_a, case=theirs)  # "me too": may read it
    headers = bearer(api_token, world.resident_a)
    assert client.get(photos_url(theirs), **headers).status_code == 200
    for kind in ("report", "handling"):
        response = client.post(photos_url(theirs), {"photos": [upload(jpeg_bytes())],
                                                    "kind": kind, "note": "我也看到了"},
                               **headers)
        assert response.status_code == 403, kind
    assert not Attachment.objects.exists()


def test_other_grids_get_404(world, case, client, api_token):
    photo = do_attach_photos(actor=world.resident_a, case=case, kind="report",
                             files=[upload(jpeg_bytes())])[0]
    for person in (world.worker_b, world.street2_admin, world.outsider):
        headers = bearer(api_token, person)
        assert client.get(photos_url(case), **headers).status_code == 404
        assert client.get(f"/api/v1/attachments/{photo.pk}", **headers).status_code == 404
        response = client.post(photos_url(case), {"photos": [upload(jpeg_bytes())],
                                                  "note": "看看"}, **headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Attachment.objects.count() == 1


def test_no_token_no_photos(world, case, client):
    assert client.get(photos_url(case)).status_code == 401
    assert client.post(photos_url(case), {"photos": [upload(jpeg_bytes())]}).status_code == 401
