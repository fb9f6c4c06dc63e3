"""WeCom (企业微信): personal app messages, or a team group's robot.

WeComAppChannel ("wecom") sends each notice to the person's own WeCom account through a
self-built app (自建应用): an access token from /cgi-bin/gettoken (kept in the cache until
shortly before it expires), then /cgi-bin/message/send to the person's userid.
WeComRobotChannel ("wecom_robot") posts to a group robot's webhook (群机器人,
/cgi-bin/webhook/send?key=…), mentioning the person: no app needed, but the whole group
reads it, so it posts the subject only and only for people who gave a WeCom userid.

Both check the answer's `errcode` and raise ChannelError unless it is 0. The base URL is
a setting (WARMGRID_WECOM_BASE_URL) so that tests and intranet relays can stand in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from warmgrid.notices.http import ChannelError, request_json
from warmgrid.notices.queries import preference_of

MAX_TEXT_BYTES = 2048  # WeCom's limit on a text message's content
# The token was refused (invalid, expired): fetch a new one and try once more.
STALE_TOKEN_CODES = frozenset({40001, 40014, 42001})
TOKEN_MARGIN = 300  # seconds before WeCom's own expiry that we stop using a token


def _url(path: str, **query) -> str:
    base = getattr(settings, "WARMGRID_WECOM_BASE_URL", "https://qyapi.weixin.qq.com")
    return f"{base.rstrip('/')}{path}?{urlencode(query)}"


def _checked(answer: dict, what: str) -> dict:
    code = answer.get("errcode")
    if code != 0:
        raise ChannelError(f"WeCom refused {what}: errcode {code} "
                           f"({str(answer.get('errmsg', ''))[:200]})")
    return answer


def cut_to_bytes(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit - 3].decode(errors="ignore") + "…"


def message_text(notice) -> str:
    return cut_to_bytes("\n".join(filter(None, [str(notice.subject), str(notice.body)])))


def wecom_userid(user) -> str:
    preference = preference_of(user)
    return preference.wecom_userid if preference else ""


class WeComAppChannel:
    """WARMGRID_WECOM_CORP_ID, _CORP_SECRET and _AGENT_ID name the app."""

    name = "wecom"
    label = _("WeCom (企业微信)")

    def _token_key(self) -> str:
        return f"notices:wecom:token:{settings.WARMGRID_WECOM_CORP_ID}:" \
               f"{settings.WARMGRID_WECOM_AGENT_ID}"

    def _token(self, *, fresh: bool = False) -> str:
        key = self._token_key()
        token = None if fresh else cache.get(key)
        if token:
            return token
        corp_id = getattr(settings, "WARMGRID_WECOM_CORP_ID", "")
        secret = getattr(settings, "WARMGRID_WECOM_CORP_SECRET", "")
        if not corp_id or not secret:
            raise ChannelError("WARMGRID_WECOM_CORP_ID and WARMGRID_WECOM_CORP_SECRET "
                               "are not set")
        answer = _checked(request_json("GET", _url("/cgi-bin/gettoken", corpid=corp_id,
                                                   corpsecret=secret)), "the token request")
        token = str(answer.get("access_token") or "")
        if not token:
            raise ChannelError("WeCom answered no access_token")
        lifetime = int(answer.get("expires_in") or 7200)
        cache.set(key, token, timeout=max(60, lifetime - TOKEN_MARGIN))
        return token

    def send(self, notice) -> None:
        userid = wecom_userid(notice.recipient)
        if not userid:
            return
        payload = {"touser": userid, "msgtype": "text",
                   "agentid": int(settings.WARMGRID_WECOM_AGENT_ID or 0),
                   "text": {"content": message_text(notice)}, "safe": 0}
        answer = request_json("POST", _url("/cgi-bin/message/send",
                                           access_token=self._token()), payload)
        if answer.get("errcode") in STALE_TOKEN_CODES:
            answer = request_json("POST", _url("/cgi-bin/message/send",
                                               access_token=self._token(fresh=True)), payload)
        _checked(answer, "the message")
        if answer.get("invaliduser"):
            raise ChannelError("WeCom does not know the userid given for this person")


class WeComRobotChannel:
    """WARMGRID_WECOM_ROBOT_KEY is the key in the robot's webhook address."""

    name = "wecom_robot"
    label = _("WeCom group robot (企业微信群)")

    def send(self, notice) -> None:
        userid = wecom_userid(notice.recipient)
        if not userid:
            return
        key = getattr(settings, "WARMGRID_WECOM_ROBOT_KEY", "")
        if not key:
            raise ChannelError("WARMGRID_WECOM_ROBOT_KEY is not set")
        payload = {"msgtype": "text",
                   "text": {"content": cut_to_bytes(str(notice.subject)),
                            "mentioned_list": [userid]}}
        _checked(request_json("POST", _url("/cgi-bin/webhook/send", key=key), payload),
                 "the robot message")
