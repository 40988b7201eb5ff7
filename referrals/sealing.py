"""Sealing personal details in audit payloads with a per-resident AES-GCM key (crypto-shredding).

The sealed text is what the hash chain covers, so destroying the key at erasure leaves every hash valid
while making the details unreadable."""

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from referrals.models import ResidentSecret

PREFIX = "sealed:v1:"


def _key(session: Session, resident_id: int, create: bool) -> bytes | None:
    secret = session.get(ResidentSecret, resident_id)
    if secret is None and create:
        secret = ResidentSecret(resident_id=resident_id, key=AESGCM.generate_key(bit_length=256))
        session.add(secret)
        session.flush()
    return secret.key if secret else None


def seal(session: Session, resident_id: int, data: dict) -> str:
    nonce = os.urandom(12)
    plaintext = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    ciphertext = AESGCM(_key(session, resident_id, create=True)).encrypt(
        nonce, plaintext, str(resident_id).encode()
    )
    return PREFIX + base64.b64encode(nonce + ciphertext).decode()


def unseal(session: Session, resident_id: int, sealed: str) -> dict | None:
    """The details, or None once the resident's key has been destroyed."""
    key = _key(session, resident_id, create=False)
    if key is None or not sealed.startswith(PREFIX):
        return None
    raw = base64.b64decode(sealed[len(PREFIX) :])
    try:
        plaintext = AESGCM(key).decrypt(raw[:12], raw[12:], str(resident_id).encode())
    except InvalidTag:
        return None
    return json.loads(plaintext)


def destroy_key(session: Session, resident_id: int) -> None:
    secret = session.get(ResidentSecret, resident_id)
    if secret is not None:
        session.delete(secret)
