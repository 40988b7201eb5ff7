"""Secrets kept for a person who signs in (their TOTP secret, the provider's refresh token), sealed
with AES-GCM under a key derived from SECRET_KEY (HKDF, one key per purpose) and bound to the user's id, so a
copied column is unreadable without the key and cannot be moved to another user. A new SECRET_KEY makes them
unreadable: people then enrol their authenticator again (`users reset-two-factor`) and sign in again."""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:v1:"


def _key(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"oneroute {purpose}".encode())
    return hkdf.derive(secret_key.encode())


def seal(secret_key: str, purpose: str, user_id: int, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret_key, purpose)).encrypt(nonce, plaintext.encode(), str(user_id).encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(secret_key: str, purpose: str, user_id: int, sealed: str | None) -> str | None:
    """The secret, or None when there is none or it cannot be read (another key, another user)."""
    if not sealed or not sealed.startswith(PREFIX):
        return None
    raw = base64.b64decode(sealed[len(PREFIX) :])
    try:
        return AESGCM(_key(secret_key, purpose)).decrypt(raw[:12], raw[12:], str(user_id).encode()).decode()
    except InvalidTag:
        return None
