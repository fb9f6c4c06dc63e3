"""OpenRosa: the form list and a wave's XForm for ODK Collect, and submissions that are
idempotent on instanceID (same ID and body: no-op; same ID, other body: 409)."""

from __future__ import annotations

import base64
import uuid

import pytest
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from warmgrid.testing import PASSWORD
from warmgrid.warmth.models import Invitation, Response, Submission
from warmgrid.warmth.openrosa import INVITATION, parse_submission, wave_xform
from warmgrid.warmth.tests.waves import add_households, open_wave, valid_answers

XFORMS = "{http://www.w3.org/2002/xforms}"


@pytest.fixture
def wave(world):
    add_households(world)
    return open_wave(world)


def basic(user) -> dict:
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def instance(wave, code: str, instance_id: str, answers: dict) -> bytes:
    fields = "".join(f"<{name}>{value}</{name}>" for name, value in answers.items())
    return (f'<?xml version="1.0"?><data id="shequ_wendu_w{wave.pk}" version="2026.1">'
            "<start>2026-11-27T10:00:00.000+08:00</start>"
            "<end>2026-11-27T10:14:30.000+08:00</end>"
            f"<{INVITATION}>{code}</{INVITATION}><interests>{fields}</interests>"
            f"<meta><instanceID>{instance_id}</instanceID></meta></data>").encode()


def submit(client, user, xml: bytes):
    upload = SimpleUploadedFile("submission.xml", xml, content_type="text/xml")
    return client.post(reverse("openrosa:submission"), {"xml_submission_file": upload},
                       **basic(user))


def test_form_list_and_form_for_an_interviewer(client, world, wave):
    assert client.get(reverse("openrosa:form_list")).status_code == 401
    listed = client.get(reverse("openrosa:form_list"), **basic(world.worker_a))
    assert listed.status_code == 200 and listed["X-OpenRosa-Version"] == "1.0"
    root = ElementTree.fromstring(listed.content)
    ids = [e.text for e in root.iter("{http://openrosa.org/xforms/xformsList}formID")]
    assert ids == [f"shequ_wendu_w{wave.pk}"]
    url = next(root.iter("{http://openrosa.org/xforms/xformsList}downloadUrl")).text
    form = client.get(url, **basic(world.worker_a))
    xform = ElementTree.fromstring(form.content)
    data = next(xform.iter(f"{XFORMS}instance"))[0]
    assert data.get("id") == f"shequ_wendu_w{wave.pk}"
    assert [child.tag for child in data][:3] == [f"{XFORMS}start", f"{XFORMS}end",
                                                 f"{XFORMS}{INVITATION}"]
    binds = {b.get("nodeset"): b for b in xform.iter(f"{XFORMS}bind")}
    assert binds[f"/data/{INVITATION}"].get("required") == "true()"
    assert "jr:itext('/data/interests/needs_shopping:label')" in form.content.decode()
    # Someone whose areas the wave does not cover sees no form and cannot fetch it.
    outside = client.get(reverse("openrosa:form_list"), **basic(world.resident_a))
    assert b"formID" not in outside.content
    assert client.get(url, **basic(world.resident_a)).status_code == 404


def test_a_password_does_not_open_a_role_that_needs_a_second_factor(client, world, wave):
    assert client.get(reverse("openrosa:form_list"),
                      **basic(world.district_admin)).status_code == 401


def test_submission_is_idempotent_on_instance_id(client, world, wave):
    code = wave.invitations.filter(grid=world.grid_a).first().token
    answers = valid_answers(wave.version)
    xml = instance(wave, code, f"uuid:{uuid.uuid4()}", answers)
    head = client.head(reverse("openrosa:submission"), **basic(world.worker_a))
    assert head.status_code == 204 and head["X-OpenRosa-Accept-Content-Length"]
    first = submit(client, world.worker_a, xml)
    assert first.status_code == 201, first.content
    response = Response.objects.get()
    assert response.channel == Response.Channel.OPENROSA
    assert response.mode == Response.Mode.INTERVIEWER
    assert response.duration_seconds == 870
    assert INVITATION not in response.answers and "start" not in response.answers
    again = submit(client, world.worker_a, xml)
    assert again.status_code == 202
    changed = instance(wave, code, xml.decode().split("<instanceID>")[1].split("<")[0],
                       {**answers, "needs_shopping": "2"})
    conflict = submit(client, world.worker_a, changed)
    assert conflict.status_code == 409
    assert Response.objects.count() == 1 and Submission.objects.count() == 1


def test_submission_for_another_grid_or_with_bad_answers_is_refused(client, world, wave):
    other = wave.invitations.filter(grid=world.grid_b).first().token
    answers = valid_answers(wave.version)
    refused = submit(client, world.worker_a,
                     instance(wave, other, f"uuid:{uuid.uuid4()}", answers))
    assert refused.status_code == 404
    mine = wave.invitations.filter(grid=world.grid_a).first().token
    bad = submit(client, world.worker_a, instance(wave, mine, f"uuid:{uuid.uuid4()}",
                                                  {**answers, "thermometer": "99"}))
    assert bad.status_code == 400 and b"thermometer" in bad.content
    unreadable = submit(client, world.worker_a, b"<data")
    assert unreadable.status_code == 400
    assert not Response.objects.exists() and not Submission.objects.exists()
    assert not Invitation.objects.filter(used=True).exists()


def test_wave_xform_and_parse_round_trip(wave):
    xform = wave_xform(wave.version.xform, wave.pk)
    ElementTree.fromstring(xform.encode())  # still well-formed
    parsed = parse_submission(instance(wave, "ABCDE-23456", "uuid:x", {"needs_help": "4"}))
    assert parsed.wave_id == wave.pk and parsed.invitation == "ABCDE-23456"
    assert parsed.answers == {"needs_help": "4"} and parsed.duration_seconds == 870
    with pytest.raises(ValueError):
        parse_submission(b'<data id="other_form"><meta><instanceID>x</instanceID></meta>'
                         b"</data>")


def test_a_code_of_another_wave_is_not_taken_through_this_waves_form(client, world, wave):
    other = open_wave(world, seed=9)
    code = other.invitations.filter(grid=world.grid_a).first().token
    refused = submit(client, world.worker_a, instance(wave, code, f"uuid:{uuid.uuid4()}",
                                                      valid_answers(wave.version)))
    assert refused.status_code == 404
    assert not Invitation.objects.filter(used=True).exists()
