"""Field encryption and blind indexes for personal identifiers.

AES-256-GCM (authenticated) with a key ring: the first key encrypts, every key decrypts,
so keys rotate by adding a new first key and re-encrypting (`warmgrid keys rotate`).
The field name is bound into each ciphertext as associated data, so a value cannot be
moved to another column unnoticed. A keyed HMAC gives an exact-match index that reveals
nothing to someone without the index key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "v1"


class KeyConfigError(ValueError):
    pass


class DecryptError(ValueError):
    pass


def new_key() -> str:
    """A fresh 256-bit key, base64 encoded, for the environment."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()



def _decode_key(encoded: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(encoded.strip().encode())
    except (ValueError, TypeError) as exc:
        raise KeyConfigError("a key is not valid base64") from exc
    if len(key) != 32:
        raise KeyConfigError("a key must be 32 bytes (256 bits)")
    return key


def parse_key_ring(spec: str) -> dict[str, bytes]:
    """`"k2:BASE64,k1:BASE64"` → {"k2": …, "k1": …}; the first entry is the current key."""
    ring: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id.isalnum():
            raise KeyConfigError("each key is written as ID:BASE64 with an alphanumeric ID")
        if key_id in ring:
            raise KeyConfigError(f"key id {key_id} appears twice")
        ring[key_id] = _decode_key(encoded)
    if not ring:
        raise KeyConfigError("the key ring is empty")
    return ring


@dataclass(frozen=True)
class FieldCipher:
    keys: dict[str, bytes]
    index_key: bytes

    @classmethod
    def from_config(cls, key_ring: str, index_key: str) -> FieldCipher:
        return cls(keys=parse_key_ring(key_ring), index_key=_decode_key(index_key))

    @property
    def current_key_id(self) -> str:
        return next(iter(self.keys))

    def encrypt(self, plaintext: str, *, field: str) -> str:
        key_id = self.current_key_id
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[key_id]).encrypt(nonce, plaintext.encode(), field.encode())
        return f"{FORMAT}.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, field: str) -> str:
        try:
            fmt, key_id, payload = token.split(".", 2)
        except ValueError as exc:
            raise DecryptError("not a WarmGrid ciphertext") from exc
        if fmt != FORMAT or key_id not in self.keys:
            raise DecryptError(f"unknown format or key id {key_id!r}")
        raw = base64.urlsafe_b64decode(payload.encode())
        try:
            plain = AESGCM(self.keys[key_id]).decrypt(raw[:12], raw[12:], field.encode())
        except InvalidTag as exc:
            raise DecryptError("ciphertext altered or bound to another field") from exc
        return plain.decode()

    def key_id_of(self, token: str) -> str:
        return token.split(".", 2)[1]

    def blind_index(self, value: str, *, field: str) -> str:
        """Deterministic keyed digest for exact lookup; 128 bits is ample against collisions."""
        digest = hmac.new(self.index_key, f"{field}\x00{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


if __name__ == "__main__":  # `python -m warmgrid.lib.crypto`: a key without loading Django
    print(new_key())
