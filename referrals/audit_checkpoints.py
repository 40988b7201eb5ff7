"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint says "at time T the chain had N events and the last one's hash was H", signed with an Ed25519
private key that only the service holds. Anyone with the public key (`flask --app wsgi audit public-key`) can
check a checkpoint without being able to make one, so a database administrator who rewrites the chain, cuts
events from its end or forges a new chain cannot also forge the checkpoints an auditor already holds.

One checkpoint is one line of JSON (JSON Lines: a file of them is appended to, one per line):

    {"at": "2026-12-07T10:00:00.000000Z", "head": "<64 hex>", "key": "<key id>", "seq": 1234,
     "sig": "<base64 Ed25519 signature>", "type": "oneroute-audit-checkpoint", "v": 1}

The signature covers the canonical JSON (`audit_chain.canonical_json`) of every field but `sig`. `key` is the
first 16 hex digits of the SHA-256 of the raw public key, so a line signed with another key says so.
Public keys are written `ed25519:<base64 of the 32 raw bytes>`; a PEM public key is accepted too. Private keys
are PKCS#8 PEM files (`flask --app wsgi audit keygen`).

Neither Flask nor SQLAlchemy: reading the head is `referrals/audit.py`'s; writing to a file or URL is here.
"""

import base64
import binascii
import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from referrals.audit_chain import HEX64, UTC_FORMAT, Checkpoint, VerifyResult, canonical_json, utc_text

CHECKPOINT_TYPE = "oneroute-audit-checkpoint"
VERSION = 1
PUBLIC_PREFIX = "ed25519:"
FIELDS = frozenset({"at", "head", "key", "seq", "sig", "type", "v"})
HTTP_TIMEOUT_SECONDS = 10


class CheckpointKeyError(ValueError):
    """A key file or public key text cannot be used."""


class InvalidCheckpoint(ValueError):
    """A checkpoint line is malformed, signed with another key, or its signature does not verify."""


class PublishError(RuntimeError):
    """The checkpoint could not be written to its destination."""


def generate_private_key_pem() -> bytes:
    """A new Ed25519 private key as an unencrypted PKCS#8 PEM (keep it readable by the service only)."""
    from cryptography.hazmat.primitives import serialization  # loads ssh and ec: only when used

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization  # loads ssh and ec: only when used

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CheckpointKeyError(
            f"cannot read the checkpoint key {path}: {error.strerror or error}"
        ) from error
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise CheckpointKeyError(f"{path} is not an unencrypted PEM private key ({error})") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError(f"{path} is not an Ed25519 key")
    return key


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization  # loads ssh and ec: only when used

    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """`ed25519:<base64>` (as `audit public-key` prints it) or a PEM public key."""
    from cryptography.hazmat.primitives import serialization  # loads ssh and ec: only when used

    text = text.strip()
    if text.startswith(PUBLIC_PREFIX):
        try:
            raw = base64.b64decode(text[len(PUBLIC_PREFIX) :], validate=True)
            return Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError) as error:
            raise CheckpointKeyError(f"not an Ed25519 public key: {error}") from error
    if text.startswith("-----BEGIN PUBLIC KEY-----"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError as error:
            raise CheckpointKeyError(f"not a PEM public key: {error}") from error
        if isinstance(key, Ed25519PublicKey):
            return key
        raise CheckpointKeyError("the PEM public key is not an Ed25519 key")
    raise CheckpointKeyError(f"a public key is written {PUBLIC_PREFIX}<base64> or as a PEM public key")


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization  # loads ssh and ec: only when used

    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, head_hash: str, at: datetime) -> str:
    """One checkpoint line (no newline)."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError("seq must be a non-negative integer")
    if not HEX64.fullmatch(head_hash):
        raise ValueError("head_hash must be 64 lowercase hex digits")
    body = {"type": CHECKPOINT_TYPE, "v": VERSION, "seq": seq, "head": head_hash, "at": utc_text(at)}
    body["key"] = key_id(key)
    signature = base64.b64encode(key.sign(canonical_json(body))).decode("ascii")
    return canonical_json({**body, "sig": signature}).decode("utf-8")


def verify_checkpoint(line: str, public: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint a line holds, if it is well formed and signed by `public`'s private key."""
    try:
        document = json.loads(line)
    except ValueError as error:
        raise InvalidCheckpoint(f"not JSON ({error.args[0] if error.args else error})") from error
    if not isinstance(document, dict) or document.get("type") != CHECKPOINT_TYPE:
        raise InvalidCheckpoint(f"not a {CHECKPOINT_TYPE}")
    if document.get("v") != VERSION or set(document) != FIELDS:
        raise InvalidCheckpoint(f"not a version {VERSION} checkpoint (fields {', '.join(sorted(FIELDS))})")
    seq, head, at, signature = document["seq"], document["head"], document["at"], document["sig"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise InvalidCheckpoint("seq must be a non-negative integer")
    if not isinstance(head, str) or not HEX64.fullmatch(head):
        raise InvalidCheckpoint("head must be 64 lowercase hex digits")
    if document["key"] != key_id(public):
        raise InvalidCheckpoint(f"signed with another key ({document['key']}, not {key_id(public)})")
    try:
        raw_signature = base64.b64decode(str(signature), validate=True)
        public.verify(raw_signature, canonical_json({k: v for k, v in document.items() if k != "sig"}))
    except (binascii.Error, InvalidSignature) as error:
        raise InvalidCheckpoint("signature does not verify") from error
    try:
        moment = datetime.strptime(str(at), UTC_FORMAT).replace(tzinfo=UTC)
    except ValueError as error:
        raise InvalidCheckpoint(f"time is malformed: {at}") from error
    return Checkpoint(seq, head, moment)


def read_checkpoints(lines: Iterable[str], public: Ed25519PublicKey) -> list[Checkpoint]:
    """Every checkpoint of a JSON Lines file (blank lines skipped); the first bad line raises, naming it."""
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found.append(verify_checkpoint(line, public))
        except InvalidCheckpoint as error:
            raise InvalidCheckpoint(f"line {number}: {error}") from error
    return found


def coverage(result: VerifyResult, checkpoints: list[Checkpoint]) -> Iterator[str]:
    """What a verified chain's checkpoints prove, in words: how far they cover it, and what they do not."""
    if not checkpoints:
        yield "no checkpoints: a rewrite of the whole chain, or events cut from its end, would not show"
        return
    last = max(checkpoints, key=lambda each: (each.count, each.at))
    yield (
        f"covered by {len(checkpoints)} signed checkpoint(s) up to seq {last.count} "
        f"(the last of {utc_text(last.at)})"
    )
    if result.count > last.count:
        yield (
            f"events {last.count + 1} to {result.count} are after the last checkpoint: not yet covered "
            "(a forged or altered event there would not show until a later checkpoint)"
        )


def publish(line: str, destination: str, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
    """Append the line to a file (JSON Lines) or POST it to an HTTP(S) URL (`application/json`)."""
    if destination.startswith(("http://", "https://")):
        import requests  # only for an http(s) destination: not loaded by every command

        try:
            answer = requests.post(
                destination,
                data=line.encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=timeout,
            )
        except requests.RequestException as error:
            raise PublishError(f"cannot POST the checkpoint to {destination}: {error}") from error
        if not 200 <= answer.status_code < 300:
            raise PublishError(f"{destination} answered HTTP {answer.status_code} to the checkpoint")
        return
    try:
        descriptor = os.open(destination, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise PublishError(
            f"cannot append the checkpoint to {destination}: {error.strerror or error}"
        ) from error
    try:
        _append_whole_line(descriptor, (line + "\n").encode("utf-8"))
    except OSError as error:
        raise PublishError(
            f"cannot append the checkpoint to {destination}: {error.strerror or error} "
            "(nothing of it was left in the file)"
        ) from error
    finally:
        os.close(descriptor)


def _append_whole_line(descriptor: int, data: bytes) -> None:
    """Append `data` whole or not at all: on a full disk a part of the line would spoil the file for every
    reader (the next checkpoint would follow half a line), so the file is cut back to where it ended."""
    size = os.fstat(descriptor).st_size
    try:
        written = os.write(descriptor, data)
        if written != len(data):
            raise OSError(errno.ENOSPC, f"only {written} of {len(data)} bytes were written")
        os.fsync(descriptor)
    except OSError:
        with contextlib.suppress(OSError):  # not a regular file (a pipe, a device): nothing to cut
            os.ftruncate(descriptor, size)
        raise


@dataclass
class Schedule:
    """When the worker writes the next checkpoint: at once, then every `interval` seconds; after a failure
    (the destination down) again within `retry_after` seconds. Times are a monotonic clock's."""

    interval: float
    retry_after: float = 60.0
    next_at: float = float("-inf")

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def done(self, now: float, ok: bool) -> None:
        self.next_at = now + (self.interval if ok else min(self.interval, self.retry_after))
