"""The helpline's IMAP mailbox (imaplib): unseen messages, each fetched without marking it seen
(BODY.PEEK[]) and marked seen only when the caller says so (after its draft is committed). IMAPS, or plain
IMAP upgraded with STARTTLS; `none` (no encryption) only for a local test server."""

import contextlib
import imaplib
import ssl
from dataclasses import dataclass
from types import TracebackType

SECURITY = ("ssl", "starttls", "none")


class MailboxError(RuntimeError):
    """The mailbox could not be read (connection, sign-in or a refused command)."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    user: str
    password: str
    mailbox: str = "INBOX"
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings) -> "ImapSettings":
        found = cls(
            host=str(settings["IMAP_HOST"]),
            port=int(settings["IMAP_PORT"]),
            security=str(settings["IMAP_SECURITY"]).lower(),
            user=str(settings["IMAP_USER"]),
            password=str(settings["IMAP_PASSWORD"]),
            mailbox=str(settings["IMAP_MAILBOX"]) or "INBOX",
        )
        if not found.host or not found.user:
            raise MailboxError("set IMAP_HOST, IMAP_USER and IMAP_PASSWORD to read the helpline's mailbox")
        if found.security not in SECURITY:
            raise MailboxError(f"IMAP_SECURITY must be one of {', '.join(SECURITY)}")
        return found


class ImapInbox:
    def __init__(self, settings: ImapSettings, ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.client: imaplib.IMAP4 | None = None

    def __enter__(self) -> "ImapInbox":
        found = self.settings
        try:
            if found.security == "ssl":
                client = imaplib.IMAP4_SSL(
                    found.host, found.port, ssl_context=self.ssl_context, timeout=found.timeout
                )
            else:
                client = imaplib.IMAP4(found.host, found.port, timeout=found.timeout)
                if found.security == "starttls":
                    client.starttls(ssl_context=self.ssl_context)
            client.login(found.user, found.password)
            status, _ = client.select(found.mailbox)
            if status != "OK":
                raise MailboxError(f"cannot open the mailbox {found.mailbox!r}")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"cannot read {found.host}:{found.port}: {type(exc).__name__}: {exc}") from exc
        self.client = client
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.client.logout()
            self.client = None

    def _ok(self, status: str, what: str) -> None:
        if status != "OK":
            raise MailboxError(f"the mail server refused {what}")

    def unseen(self) -> list[bytes]:
        status, data = self.client.uid("SEARCH", None, "UNSEEN")
        self._ok(status, "SEARCH UNSEEN")
        return data[0].split() if data and data[0] else []

    def fetch(self, uid: bytes) -> bytes:
        status, data = self.client.uid("FETCH", uid, "(BODY.PEEK[])")
        self._ok(status, "FETCH")
        for part in data:
            if isinstance(part, tuple):
                return part[1]
        raise MailboxError(f"the mail server sent no message for uid {uid.decode()}")

    def mark_seen(self, uid: bytes) -> None:
        status, _ = self.client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        self._ok(status, "STORE +FLAGS (\\Seen)")
