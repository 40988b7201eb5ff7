"""An email to the helpline read for a draft call (pure: no Flask, no database): the sender's address and
name, the subject and the text, the HTML part turned into plain text when there is no plain one (scripts,
styles and markup dropped: nothing of it is ever shown as HTML), and the names of attachments, which are
refused (never stored or opened: the draft says one was sent)."""

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from safe_text.controls import without_controls

SUBJECT_LIMIT = 500
BODY_LIMIT = 20_000
NAME_LIMIT = 200
BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table")


@dataclass(frozen=True)
class ReadEmail:
    message_id: (
        str  # the Message-ID, or a digest of the message when it has none: the same email twice is one
    )
    sender: str  # the address
    sender_name: str
    subject: str
    body: str
    attachments: tuple[str, ...]  # the names of files refused
    sent_at: datetime | None = None


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: scripts, styles and comments dropped, block elements on their own lines."""
    from bs4 import BeautifulSoup  # a tenth of a second to import: only when an email has HTML

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title", "noscript", "template"]):
        tag.decompose()
    for tag in soup.find_all(BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return tidy(soup.get_text())


def tidy(text: str, limit: int = BODY_LIMIT) -> str:
    """Line breaks kept, other control characters dropped, runs of blank lines and spaces closed up."""
    text = without_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text[:limit]


def one_line(text: str, limit: int) -> str:
    return re.sub(r"\s+", " ", without_controls(text or "")).strip()[:limit]


def sender_of(header: str) -> tuple[str, str]:
    """(address, name) of a From header; ("", "") when it holds no address."""
    found = [(name, address) for name, address in getaddresses([header or ""]) if "@" in address]
    if not found:
        return "", ""
    name, address = found[0]
    return one_line(address, 320).lower(), one_line(name, NAME_LIMIT)


def read_email(raw: bytes) -> ReadEmail:
    """An RFC 822 message (as IMAP fetches it)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    address, name = sender_of(str(message.get("From", "")))
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    if plain is not None:
        body = tidy(plain.get_content())
    elif html is not None:
        body = html_to_text(html.get_content())
    else:
        body = ""
    attachments = tuple(
        one_line(part.get_filename() or part.get_content_type(), NAME_LIMIT)
        for part in message.iter_attachments()
    )
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    message_id = one_line(str(message.get("Message-ID", "")), 300) or digest(raw)
    return ReadEmail(
        message_id,
        address,
        name,
        one_line(str(message.get("Subject", "")), SUBJECT_LIMIT),
        body,
        attachments,
        sent_at,
    )


def from_fields(
    *,
    sender: str,
    subject: str = "",
    text: str = "",
    html: str = "",
    attachments: list[str] | tuple[str, ...] = (),
    message_id: str = "",
) -> ReadEmail:
    """An email as a mail provider's webhook posts it (fields already parsed)."""
    address, name = sender_of(sender)
    body = tidy(text) if text.strip() else html_to_text(html) if html.strip() else ""
    subject = one_line(subject, SUBJECT_LIMIT)
    key = one_line(message_id, 300) or digest(f"{address}\n{subject}\n{body}".encode())
    names = tuple(one_line(name, NAME_LIMIT) or "an attachment" for name in attachments)
    return ReadEmail(key, address, name, subject, body, names)


def digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()
