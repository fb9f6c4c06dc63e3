"""Writing warmth data: import an XLSForm as a version, publish (freeze) a version; open a
wave with its sample and invitations; take in a response (web form or OpenRosa); close a
wave; keep a community's governance record.

Responses are anonymous by construction (docs/warmth.md, "Anonymity"): the action that
stores one marks its invitation used and copies only the community and the grid; nothing
that is written — the response, the invitation, an audit entry — ties the two together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import is_system_admin, paths_with_roles, roles_of, within
from warmgrid.audit.actions import do_record_audit
from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, Forbidden, NotFound, ValidationFailed
from warmgrid.lib.warmth import instrument as xlsform
from warmgrid.people.models import Household
from warmgrid.places.models import Area
from warmgrid.warmth import openrosa
from warmgrid.warmth.instruments import instrument_of
from warmgrid.warmth.models import (
    CommunityRecord,
    Instrument,
    InstrumentVersion,
    Invitation,
    Response,
    Submission,
    Wave,
    WaveCommunity,
)

FORMATS = (".xlsx", ".xls", ".md")
MIN_COMPLETES, MAX_COMPLETES = 5, 1000


def may_manage_instruments(actor) -> bool:
    """District admins and system admins; None is the operator at the command line."""
    return actor is None or is_system_admin(actor) or Role.DISTRICT_ADMIN in roles_of(actor)


def _check(actor) -> None:
    if not may_manage_instruments(actor):
        raise Forbidden(_("Only district administrators manage survey instruments."))


def _summary(form: xlsform.Instrument) -> dict:
    return {"questions": len(form.questions), "items": len(form.items),
            "facets": sorted({i.facet for i in form.items}),
            "dimensions": sorted({i.dimension for i in form.items}),
            "languages": list(form.languages), "default_language": form.default_language,
            "minutes": round(xlsform.estimated_minutes(form), 1)}


def _read(name: str, content: bytes) -> tuple[xlsform.Instrument, str]:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise ValidationFailed(_("An instrument is an XLSForm: .xlsx, .xls or .md."),
                               code="instrument_format")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"form{suffix}"
        path.write_bytes(content)
        try:
            return xlsform.read_instrument(path), xlsform.to_xform(path)
        except ValueError as exc:
            raise ValidationFailed(_("This form cannot be used: %(reason)s")
                                   % {"reason": exc}, code="instrument_invalid") from exc


def do_import_instrument(*, actor, name: str, content: bytes) -> tuple[InstrumentVersion, bool]:
    """Store an XLSForm as a version of its instrument; returns (version, created).

    The same file again changes nothing. Other content under a version that is not yet
    published replaces that draft; under a published version it is refused."""
    _check(actor)
    form, xform = _read(name, content)
    if not form.form_id or not form.version:
        raise ValidationFailed(_("Give the form a form_id and a version in its settings "
                                 "sheet."), code="instrument_unversioned")
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        instrument, _created = Instrument.objects.select_for_update().get_or_create(
            form_id=form.form_id, defaults={"title": form.title or form.form_id})
        existing = instrument.versions.filter(version=form.version).first()
        if existing is not None and existing.digest == digest:
            return existing, False
        if existing is not None and existing.is_published:
            raise Conflict(_("Version %(version)s of %(form_id)s is published and frozen: "
                             "give the changed form a new version in its settings sheet.")
                           % {"version": form.version, "form_id": form.form_id},
                           code="instrument_version_frozen")
        fields = {"source_name": Path(name).name[:200], "source": content, "digest": digest,
                  "xform": xform, "summary": _summary(form)}
        if existing is None:
            version = InstrumentVersion.objects.create(instrument=instrument,
                                                       version=form.version, **fields)
        else:
            for key, value in fields.items():
                setattr(existing, key, value)
            existing.save()
            version = existing
        instrument.title = form.title or instrument.title
        instrument.save(update_fields=["title"])
        do_record_audit(action=AuditEntry.Action.CREATE if existing is None
                        else AuditEntry.Action.UPDATE, actor=actor,
                        object_type="instrument_version", object_id=version.pk,
                        object_repr=str(version)[:60],
                        changes={"digest": digest, "items": len(form.items)})
    return version, existing is None


def xlsform_workbook(version: InstrumentVersion) -> tuple[bytes, str]:
    """A version as a workbook XLSForm and its suffix: a markdown form is converted to
    .xlsx, a workbook (.xlsx or the older .xls) is given back as it was uploaded."""
    suffix = Path(version.source_name).suffix.lower()
    if suffix in (".xlsx", ".xls"):
        return bytes(version.source), suffix
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"form{suffix}"
        source.write_bytes(bytes(version.source))
        return xlsform.to_xlsx(source, Path(folder) / "form.xlsx").read_bytes(), ".xlsx"


def do_publish_version(*, actor, version: InstrumentVersion) -> InstrumentVersion:
    """Freeze a version for collection; publishing twice is a no-op."""
    _check(actor)
    with transaction.atomic():
        moved = (InstrumentVersion.objects.filter(pk=version.pk, published_at__isnull=True)
                 .update(published_at=timezone.now()))
        version.refresh_from_db()
        if moved:
            do_record_audit(action=AuditEntry.Action.UPDATE, actor=actor,
                            object_type="instrument_version", object_id=version.pk,
                            object_repr=str(version)[:60], changes={"published": True})
    return version


# --- Waves ---

WAVE_MANAGERS = frozenset({Role.STREET_ADMIN, Role.DISTRICT_ADMIN})
# Who may interview a sampled household of their area (door to door, or with ODK).
INTERVIEWERS = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF,
                          Role.STREET_ADMIN, Role.DISTRICT_ADMIN})
# Invitation codes are typed from a card: no 0/O or 1/I; 32^10 ≈ 10^15 codes.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def wave_manager_paths(actor) -> list[str] | None:
    """Areas in which the actor may open waves (None: everywhere; an actor of None is the
    operator at the command line, as for the demo)."""
    return None if actor is None else paths_with_roles(actor, WAVE_MANAGERS)


def interviewer_paths(actor) -> list[str] | None:
    return paths_with_roles(actor, INTERVIEWERS)


def new_invitation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A code as typed or scanned: any case, with spaces or a dash, or the whole link."""
    text = (text or "").strip().rstrip("/").rsplit("/", 1)[-1]
    return "".join(c for c in text.upper() if c.isalnum())[:CODE_LENGTH * 2]


def _common_path(paths: list[str]) -> str:
    prefix = paths[0]
    for path in paths[1:]:
        while not path.startswith(prefix):
            prefix = prefix[:prefix.rstrip("/").rfind("/") + 1]
    return prefix


def do_create_wave(*, actor, name: str, version: InstrumentVersion, communities: list[Area],
                   seed: int, completes_wanted: int, response_rate: float,
                   opens_on: dt.date, closes_on: dt.date) -> Wave:
    """Open a wave: draw its sample from the registry (stratified by grid, reproducible
    from the seed; warmgrid.lib.warmth.sampling) and issue one invitation a household."""
    paths = wave_manager_paths(actor)
    if paths == []:
        raise Forbidden(_("Only street and district administrators open survey waves."))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the wave a name.")]
    if not version.is_published:
        errors["version"] = [_("Publish the instrument version before collecting with it.")]
    if not communities:
        errors["communities"] = [_("Choose at least one community.")]
    elif any(c.level != Area.Level.COMMUNITY or not within(c.path, paths)
             for c in communities):
        errors["communities"] = [_("Choose communities within your own area.")]
    if closes_on < opens_on:
        errors["closes_on"] = [_("The wave cannot close before it opens.")]
    if not 0 < response_rate <= 1:
        errors["response_rate"] = [_("The expected response rate is a share above 0 and "
                                     "at most 1.")]
    if not MIN_COMPLETES <= completes_wanted <= MAX_COMPLETES:
        errors["completes_wanted"] = [
            _("Ask for between %(low)s and %(high)s completed responses a community.")
            % {"low": MIN_COMPLETES, "high": MAX_COMPLETES}]
    if errors:
        raise ValidationFailed(fields=errors)
    from warmgrid.lib.warmth import sampling  # scipy: loaded when a wave is drawn

    rows = (Household.objects.filter(grid__parent__in=communities)
            .values_list("pk", "grid_id", "grid__parent_id"))
    drawn = sampling.draw_sample(rows, seed=seed, response_rate=response_rate,
                                 completes=completes_wanted)
    grid_of = dict(Household.objects.filter(pk__in=drawn["households"])
                   .values_list("pk", "grid_id"))
    grids = {a.pk: a for a in Area.objects.filter(pk__in=set(grid_of.values()))}
    by_id = {c.pk: c for c in communities}
    with transaction.atomic():
        wave = Wave.objects.create(
            name=name.strip()[:120], version=version,
            area_path=_common_path(sorted(c.path for c in communities)), seed=seed,
            completes_wanted=completes_wanted, response_rate=response_rate,
            opens_on=opens_on, closes_on=closes_on, created_by=actor,
            plan={"plan": drawn["plan"], "warnings": drawn["warnings"],
                  "choices": drawn["choices"]})
        WaveCommunity.objects.bulk_create(
            WaveCommunity(wave=wave, community=c, area_path=c.path, quota=completes_wanted,
                          households=drawn["plan"].get(str(c.pk), {}).get("households", 0))
            for c in communities)
        Invitation.objects.bulk_create(
            (Invitation(wave=wave, household_id=h, grid_id=grid_of[h],
                        community=by_id[grids[grid_of[h]].parent_id],
                        area_path=grids[grid_of[h]].path, token=new_invitation_code())
             for h in drawn["households"]), batch_size=2000)
        do_record_audit(action=AuditEntry.Action.CREATE, actor=actor, object_type="wave",
                        object_id=wave.pk, object_repr=wave.name[:60],
                        area_path=wave.area_path,
                        changes={"communities": len(communities),
                                 "invitations": len(drawn["households"]), "seed": seed})
    return wave


def do_close_wave(*, actor, wave: Wave) -> Wave:
    if not within(wave.area_path, wave_manager_paths(actor)):
        raise Forbidden(_("Only street and district administrators close survey waves."))
    if Wave.objects.filter(pk=wave.pk, status=Wave.Status.OPEN).update(
            status=Wave.Status.CLOSED):
        do_record_audit(action=AuditEntry.Action.UPDATE, actor=actor, object_type="wave",
                        object_id=wave.pk, object_repr=wave.name[:60],
                        area_path=wave.area_path, changes={"status": "closed"})
    wave.refresh_from_db()
    return wave


REASONS = {
    xlsform.REQUIRED: _("Please answer this question."),
    xlsform.NOT_A_CHOICE: _("Choose one of the answers offered."),
    xlsform.NOT_A_NUMBER: _("Enter a whole number."),
    xlsform.OUT_OF_RANGE: _("This number is outside the allowed range."),
    xlsform.TOO_LONG: _("This answer is too long."),
}


def _open_invitation(code: str) -> Invitation:
    # Lock the invitation only: locking its wave too would queue every submission.
    invitation = (Invitation.objects.select_for_update(of=("self",)).select_related("wave")
                  .filter(token=normalise_code(code)).first())
    if invitation is None:
        raise NotFound(_("This invitation code is not known. Check it against the card."),
                       code="invitation_unknown")
    if invitation.used:
        raise Conflict(_("This invitation has already been used: each household answers "
                         "once. Thank you."), code="invitation_used")
    today = timezone.localdate()
    wave = invitation.wave
    if wave.status != Wave.Status.OPEN or not wave.opens_on <= today <= wave.closes_on:
        raise Conflict(_("This survey is not collecting answers now."), code="wave_closed")
    return invitation


def do_submit_response(*, code: str, answers: dict, mode: str, channel: str,
                       language: str = "", duration_seconds: int | None = None,
                       interviewer=None, wave: Wave | None = None) -> Response:
    """Store one completed questionnaire for an invitation and mark the invitation used,
    in one transaction. An interviewer must have the invitation's grid in scope; they are
    not recorded. Refuses answers the form would refuse."""
    with transaction.atomic():
        invitation = _open_invitation(code)
        # An interviewer answers only for their grids; an ODK form only for its wave.
        outside = interviewer is not None and not within(invitation.area_path,
                                                         interviewer_paths(interviewer))
        if outside or (wave is not None and invitation.wave_id != wave.pk):
            raise NotFound(_("This invitation code is not known. Check it against the "
                             "card."), code="invitation_unknown")
        form = instrument_of(invitation.wave.version)
        clean, problems = xlsform.check_answers(form, answers)
        if problems:
            raise ValidationFailed(fields={name: [REASONS[reason]]
                                           for name, reason in problems.items()})
        response = Response.objects.create(
            wave_id=invitation.wave_id, community_id=invitation.community_id,
            grid_id=invitation.grid_id, area_path=invitation.area_path, answers=clean,
            mode=mode, channel=channel, language=language[:8],
            submitted_on=timezone.localdate(),
            duration_seconds=(max(0, min(int(duration_seconds), 24 * 3600))
                              if duration_seconds is not None else None))
        Invitation.objects.filter(pk=invitation.pk).update(used=True)
    return response


def do_receive_submission(*, actor, xml: bytes) -> tuple[Response | None, bool]:
    """An OpenRosa submission (ODK Collect, KoboCollect, Enketo): returns (response,
    created). The same instanceID with the same body again is a no-op (None, False);
    with another body it is refused (409)."""
    parsed = openrosa.parse_submission(xml)
    instance_digest = hashlib.sha256(parsed.instance_id.encode()).hexdigest()
    body_digest = hashlib.sha256(xml).hexdigest()
    wave = Wave.objects.filter(pk=parsed.wave_id).first()
    if wave is None:
        raise NotFound(_("This form is not one of an open survey wave."), code="form_unknown")
    with transaction.atomic():
        seen = Submission.objects.select_for_update().filter(
            instance_digest=instance_digest).first()
        if seen is not None:
            if seen.body_digest == body_digest:
                return None, False
            raise Conflict(_("A different submission with this instanceID was received "
                             "before."), code="instance_conflict")
        response = do_submit_response(
            code=parsed.invitation, answers=parsed.answers,
            mode=Response.Mode.INTERVIEWER, channel=Response.Channel.OPENROSA,
            language=parsed.language, duration_seconds=parsed.duration_seconds,
            interviewer=actor, wave=wave)
        Submission.objects.create(wave=wave, instance_digest=instance_digest,
                                  body_digest=body_digest)
    return response, True


# --- Governance records ---

def record_editor_paths(actor) -> list[str] | None:
    return paths_with_roles(actor, {Role.COMMUNITY_STAFF, *WAVE_MANAGERS})


def do_save_community_record(*, actor, community: Area, year: int, organisations: int,
                             meetings: int, funds_yuan, property_model: str
                             ) -> CommunityRecord:
    """Enter or correct a community's governance record for a year (audited)."""
    if community.level != Area.Level.COMMUNITY or not within(
            community.path, record_editor_paths(actor)):
        raise Forbidden(_("Only the community's staff and its street and district "
                          "administrators keep its governance record."))
    if property_model not in CommunityRecord.PropertyModel.values:
        raise ValidationFailed(fields={"property_model": [_("Choose one of the models.")]})
    with transaction.atomic():
        record, created = CommunityRecord.objects.update_or_create(
            community=community, year=year,
            defaults={"area_path": community.path, "organisations": organisations,
                      "meetings": meetings, "funds_yuan": funds_yuan,
                      "property_model": property_model, "entered_by": actor})
        do_record_audit(action=AuditEntry.Action.CREATE if created
                        else AuditEntry.Action.UPDATE, actor=actor,
                        object_type="community_record", object_id=record.pk,
                        object_repr=f"{community.code} {year}", area_path=community.path,
                        changes={"organisations": organisations, "meetings": meetings,
                                 "funds_yuan": str(funds_yuan),
                                 "property_model": property_model})
    return record
