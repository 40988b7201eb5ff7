"""The Twilio SMS sender, and a Twilio REST client that can be pointed at the fake Twilio server."""

import json
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from notify.errors import SmsSendError, is_transient
from notify.sms_sender import SentMessage


def rewrite_twilio_url(url: str, base_url: str) -> str:
    """`https://api.twilio.com/2010-04-01/M.json?x=1` -> `<base_url>/2010-04-01/M.json?x=1`.
    URLs of other hosts are returned unchanged."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    base = urlsplit(base_url)
    return urlunsplit(
        (base.scheme, base.netloc, base.path.rstrip("/") + parts.path, parts.query, parts.fragment)
    )


class RedirectingHttpClient(TwilioHttpClient):
    """Sends every request meant for *.twilio.com to `base_url` instead (the fake Twilio server)."""

    def __init__(self, base_url: str, timeout: float | None = None):
        super().__init__(timeout=timeout)
        self.base_url = base_url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            rewrite_twilio_url(url, self.base_url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def make_twilio_client(
    account_sid: str, auth_token: str, base_url: str | None = None, timeout: float = 10
) -> Client:
    """The real twilio `Client`, talking to Twilio itself or, given `base_url`, to the fake Twilio server.
    Either way each request gives up after `timeout` seconds (the library's default is to wait forever)."""
    if base_url:
        http_client: TwilioHttpClient = RedirectingHttpClient(base_url, timeout=timeout)
    else:
        http_client = TwilioHttpClient(timeout=timeout)
    return Client(account_sid, auth_token, http_client=http_client)


def _twilio_code(code: int | None, status: int | None) -> int | None:
    """twilio-python fills `code` with the HTTP status when the body had no Twilio code; drop that."""
    return None if code is None or code == status else code


class TwilioSmsSender:
    def __init__(self, client: Client, from_: str | None = None, messaging_service_sid: str | None = None):
        if not from_ and not messaging_service_sid:
            raise ValueError("TwilioSmsSender needs a From number or a messaging service SID")
        self.client = client
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid

    def send(
        self, to: str, body: str, status_callback: str | None = None, reference: str | None = None
    ) -> SentMessage:
        """`reference` is not sent: Twilio's status callback URL already names the row and attempt."""
        sender = (
            {"from_": self.from_} if self.from_ else {"messaging_service_sid": self.messaging_service_sid}
        )
        callback = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **sender, **callback)
        except (TwilioRestException, TwilioServiceException) as exc:
            code = _twilio_code(exc.code, exc.status)
            detail = exc.msg if isinstance(exc, TwilioRestException) else (exc.detail or exc.title)
            raise SmsSendError(code, exc.status, detail, transient=is_transient(code, exc.status)) from exc
        except requests.RequestException as exc:
            raise SmsSendError(None, None, f"{type(exc).__name__}: {exc}", transient=True) from exc
        except json.JSONDecodeError as exc:
            raise SmsSendError(None, None, f"unreadable answer from Twilio: {exc}", transient=True) from exc
        return SentMessage(
            sid=str(message.sid), status=str(message.status), num_segments=int(message.num_segments or 1)
        )
