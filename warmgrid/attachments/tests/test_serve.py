"""Serving photos: headers that keep a browser from treating them as anything else, and
404 for everyone outside the case's scope (or the step's, for internal notes)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from PIL import Image

from warmgrid.attachments import queries
from warmgrid.attachments.actions import do_attach_photos
from warmgrid.attachments.tests.photos import jpeg_bytes, upload
from warmgrid.cases import actions as case_actions
from warmgrid.cases.models import Case, Category


@pytest.fixture
def case(world):
    return case_actions.do_report_case(
        actor=world.resident_a, channel=Case.Channel.RESIDENT,
        data=case_actions.CaseInput(description="3号楼门口垃圾没人清运",
                                    category=Category.objects.get(code="garbage"),
                                    household=world.household_a))


@pytest.fixture
def report_photo(world, case):
    return do_attach_photos(actor=world.resident_a, case=case, kind="report",
                            files=[upload(jpeg_bytes(), name="门口.jpg")])[0]


@pytest.fixture
def note_photo(world, case):
    """A photo with an internal note between the units."""
    note = case_actions.do_add_note(actor=world.worker_a, case=case, note="物业电话打不通")
    return do_attach_photos(actor=world.worker_a, case=case, kind="handling", event=note,
                            files=[upload(jpeg_bytes())])[0]


def download(photo) -> str:
    return reverse("attachments:download", args=[photo.pk])


def view(photo) -> str:
    return reverse("attachments:view", args=[photo.pk])


def test_it_is_served_as_a_download_that_no_browser_sniffs(world, login, report_photo):
    response = login(world.resident_a).get(download(report_photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E9%97%A8%E5%8F%A3.jpg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "private" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert Image.open(BytesIO(body)).format == "JPEG" and not Image.open(BytesIO(body)).getexif()


def test_the_page_variant_is_inline_and_offers_the_small_copy(world, login, report_photo):
    client = login(world.worker_a)
    response = client.get(view(report_photo))
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    full = Image.open(BytesIO(b"".join(response.streaming_content)))
    small = client.get(view(report_photo) + "?size=preview")
    assert small.status_code == 200 and small["Content-Type"] == "image/jpeg"
    assert Image.open(BytesIO(b"".join(small.streaming_content))).size == full.size == (64, 48)


def test_outsiders_and_other_grids_get_404(world, login, report_photo):
    for person in (world.outsider, world.worker_b, world.street2_admin, world.volunteer):
        client = login(person)
        for url in (download(report_photo), view(report_photo)):
            assert client.get(url).status_code == 404, (person, url)
            assert client.post(url).status_code == 404, (person, url)


def test_a_missing_id_is_404(world, login):
    assert login(world.worker_a).get("/attachments/999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, report_photo):
    for url in (download(report_photo), view(report_photo)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_only_get_is_answered(world, login, report_photo):
    assert login(world.resident_a).post(download(report_photo)).status_code == 405


def test_the_reporter_sees_report_photos_but_not_those_of_internal_notes(
        world, login, report_photo, note_photo):
    resident = login(world.resident_a)
    assert resident.get(download(report_photo)).status_code == 200
    assert resident.get(download(note_photo)).status_code == 404
    assert login(world.worker_a).get(download(note_photo)).status_code == 200
    assert login(world.street_admin).get(download(note_photo)).status_code == 200


def test_the_reporter_sees_the_photos_of_the_result(world, login, case):
    case_actions.do_accept_case(actor=world.worker_a, case=case)
    case_actions.do_resolve_case(actor=world.worker_a, case=case, outcome="fixed",
                                 result="已清运")
    step = case.events.get(action="resolve")
    photo = do_attach_photos(actor=world.worker_a, case=case, kind="handling", event=step,
                             files=[upload(jpeg_bytes())])[0]
    assert login(world.resident_a).get(download(photo)).status_code == 200


def test_a_file_gone_from_disk_is_404_not_500(world, login, report_photo):
    report_photo.file.delete(save=False)
    assert login(world.resident_a).get(download(report_photo)).status_code == 404


@pytest.mark.parametrize("assisted", [False, True])
def test_who_sees_internal_photos_is_who_sees_internal_notes(world, case, assisted):
    """The file view's rule and the case page's rule must not drift apart."""
    from warmgrid.accounts.models import Department, User

    if assisted:  # the police assist (协办): their handler becomes staff on the case
        case_actions.do_set_case_units(actor=world.community_staff, case=case,
                                       assist=[Department.objects.get(code="police-370102")])
    # With the units at hand (the case page) or fetched (the file view): the same answer.
    units = list(case.units.all())
    for person in User.objects.all():
        assert queries.reads_case_internals(person, case) == queries.reads_case_internals(
            person, case, units), person
    assert queries.reads_case_internals(world.handler, case) is assisted
    assert not queries.reads_case_internals(world.resident_a, case)


def test_an_assisting_unit_adds_photos_with_its_own_note(world, case):
    from warmgrid.accounts.models import Department

    case_actions.do_set_case_units(actor=world.community_staff, case=case,
                                   assist=[Department.objects.get(code="police-370102")])
    note = case_actions.do_add_note(actor=world.handler, case=case, note="已派民警查看")
    photo = do_attach_photos(actor=world.handler, case=case, kind="handling", event=note,
                             files=[upload(jpeg_bytes())])[0]
    assert photo.event == note
    other = case_actions.do_add_note(actor=world.worker_a, case=case, note="物业已通知")
    from warmgrid.errors import Forbidden

    with pytest.raises(Forbidden):  # not on someone else's step
        do_attach_photos(actor=world.handler, case=case, kind="handling", event=other,
                         files=[upload(jpeg_bytes())])
