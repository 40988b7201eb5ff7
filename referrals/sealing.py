"""Sealing personal details in audit payloads with a per-resident AES-GCM key (crypto-shredding).

The sealed text is what the hash chain covers, so destroying the key at erasure leaves every hash valid
while making the details unreadable."""

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import event
from sqlalchemy.orm import Session

from referrals.models import ResidentSecret

PREFIX = "sealed:v1:"
NEW_KEYS = "oneroute_new_resident_keys"


def new_key(session: Session, resident_id: int) -> bytes:
    """The key of a resident created in this transaction, who cannot have one yet (no lookup needed)."""
    key = AESGCM.generate_key(bit_length=256)
    session.add(ResidentSecret(resident_id=resident_id, key=key))
    session.info.setdefault(NEW_KEYS, {})[resident_id] = key
    return key


def _key(session: Session, resident_id: int, create: bool) -> bytes | None:
    made = session.info.get(NEW_KEYS, {}).get(resident_id)
    if made is not None:
        return made
    secret = session.get(ResidentSecret, resident_id)
    if secret is None and create:
        return new_key(session, resident_id)
    return secret.key if secret else None


@event.listens_for(Session, "after_transaction_end")
def _forget_new_keys(session: Session, transaction) -> None:
    """Committed, rolled back or closed: a key made in the transaction is looked up normally from now on."""
    if transaction.parent is None:
        session.info.pop(NEW_KEYS, None)


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
    session.info.get(NEW_KEYS, {}).pop(resident_id, None)
    secret = session.get(ResidentSecret, resident_id)
    if secret is not None:
        session.delete(secret)
