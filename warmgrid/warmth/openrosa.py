"""OpenRosa for survey waves: the form list, the XForm served for a wave, and reading a
submission (https://docs.getodk.org/openrosa/).

A wave's XForm is the instrument's own, with three additions made here so every
instrument works with ODK Collect, KoboCollect and Enketo unchanged:
- its form ID becomes `<form_id>_w<wave>`, so a submission says which wave it belongs to
  and two waves of one instrument are two forms on a phone;
- a required `warmgrid_invitation` text question first: the interviewer types (or
  scans) the code on the household's invitation card;
- `start` and `end` timestamps, preloaded by the client, from which only the duration is
  kept (for the speeding check); the times themselves are never stored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree

INVITATION = "warmgrid_invitation"
_ADDED = {INVITATION, "start", "end", "instanceID", "instanceName", "deprecatedID"}
_ROOT = re.compile(r'(<instance>\s*<)([\w.-]+)( id=")([^"]+)(")')
_WAVE_ID = re.compile(r"_w(\d+)$")
INVITATION_LABEL = "邀请码 / Invitation code"
MAX_BYTES = 10 * 1024 * 1024  # advertised to clients as X-OpenRosa-Accept-Content-Length


def form_id(version_form_id: str, wave_id: int) -> str:
    return f"{version_form_id}_w{wave_id}"


def wave_xform(xform: str, wave_id: int) -> str:
    """The instrument's XForm rewritten for one wave (see the module docstring)."""
    match = _ROOT.search(xform)
    if match is None:
        raise ValueError("The XForm has no primary instance with an id.")
    root = match.group(2)
    xform = _ROOT.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}"
                      f"{form_id(m.group(4), wave_id)}{m.group(5)}", xform, count=1)
    opening = xform.index(">", match.end()) + 1
    xform = (xform[:opening] + f"<start/><end/><{INVITATION}/>" + xform[opening:])
    binds = (f'<bind nodeset="/{root}/start" type="dateTime" jr:preload="timestamp" '
             f'jr:preloadParams="start"/>'
             f'<bind nodeset="/{root}/end" type="dateTime" jr:preload="timestamp" '
             f'jr:preloadParams="end"/>'
             f'<bind nodeset="/{root}/{INVITATION}" type="string" required="true()"/>')
    end_of_model = xform.rindex("</model>")
    xform = xform[:end_of_model] + binds + xform[end_of_model:]
    body = re.search(r"<h:body[^>]*>", xform)
    question = (f'<input ref="/{root}/{INVITATION}"><label>{escape(INVITATION_LABEL)}'
                f"</label></input>")
    return xform[:body.end()] + question + xform[body.end():]


def form_list(forms: list[dict]) -> str:
    """The OpenRosa formList: dicts with form_id, name, version, hash, url."""
    entries = "".join(
        f"<xform><formID>{escape(f['form_id'])}</formID><name>{escape(f['name'])}</name>"
        f"<version>{escape(f['version'])}</version><hash>md5:{f['hash']}</hash>"
        f"<downloadUrl>{escape(f['url'])}</downloadUrl></xform>" for f in forms)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<xforms xmlns="http://openrosa.org/xforms/xformsList">{entries}</xforms>')


def message(text: str, *, nature: str = "") -> str:
    nature_attr = f" nature={quoteattr(nature)}" if nature else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
            f"<message{nature_attr}>{escape(text)}</message></OpenRosaResponse>")


@dataclass(frozen=True)
class ParsedSubmission:
    wave_id: int
    instance_id: str
    invitation: str
    answers: dict[str, str]
    duration_seconds: int | None
    language: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _timestamp(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_submission(xml: bytes) -> ParsedSubmission:
    """Read a submission's instance: the wave from the form ID, the instanceID, the
    invitation code, the duration and every answered leaf by its name (question names
    are unique in an XLSForm, whatever group holds them). Raises ValueError."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    match = _WAVE_ID.search(root.get("id", ""))
    if match is None:
        raise ValueError("the form ID names no survey wave")
    leaves = {}
    for element in root.iter():
        if len(element) == 0 and element is not root:
            leaves.setdefault(_local(element.tag), (element.text or "").strip())
    instance_id = leaves.get("instanceID", "")
    if not instance_id:
        raise ValueError("the submission has no meta/instanceID")
    start, end = _timestamp(leaves.get("start", "")), _timestamp(leaves.get("end", ""))
    duration = None
    if start and end and (start.tzinfo is None) == (end.tzinfo is None):
        duration = max(0, int((end - start).total_seconds()))
    answers = {name: value for name, value in leaves.items()
               if name not in _ADDED and value}
    return ParsedSubmission(wave_id=int(match.group(1)), instance_id=instance_id,
                            invitation=leaves.get(INVITATION, ""), answers=answers,
                            duration_seconds=duration, language="")
