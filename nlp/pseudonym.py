"""Keyed pseudonymisation of identifiers (requirement R09).

Identifiers (phone numbers, e-mail addresses, messenger handles) are stored only as
``"<key_version>:<kind>:<hex HMAC-SHA-256>"``. A plain hash is never used: the space of
8-digit Danish phone numbers can be enumerated in seconds, so without the secret key a
pseudonym must not be reversible by brute force.

The key comes from the environment (``THBSCAN_PSEUDONYM_KEY``, hex or base64, at least 32
bytes) and is kept outside the database. ``THBSCAN_PSEUDONYM_KEY_VERSION`` (default ``k1``)
prefixes every pseudonym so that keys can be rotated.

In ``demo`` and ``test`` mode, and only there, a missing key is replaced by :data:`DEMO_KEY`
with key version ``demo``. The demo key is public (it is written below), so pseudonyms made
with it protect nothing; production mode refuses it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping

from nlp.errors import ConfigurationError, InputError

KEY_ENV = "THBSCAN_PSEUDONYM_KEY"
KEY_VERSION_ENV = "THBSCAN_PSEUDONYM_KEY_VERSION"
DEFAULT_KEY_VERSION = "k1"
MIN_KEY_BYTES = 32

#: Public, documented key for demo and test mode only. Never usable in production.
DEMO_KEY = b"thbscan-public-demo-key-NOT-FOR-PRODUCTION-0001"
DEMO_KEY_VERSION = "demo"

MODES = ("production", "demo", "test")

_GENERATE_HINT = 'python -c "import secrets; print(secrets.token_hex(32))"'
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_B64_RE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_VERSION_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_KIND_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_E164_RE = re.compile(r"\+[1-9]\d{6,14}")


def _decode_key(raw: str) -> bytes:
    """Decode a key given as hex or base64 (standard or URL-safe)."""
    raw = raw.strip()
    if _HEX_RE.fullmatch(raw) and len(raw) % 2 == 0:
        return bytes.fromhex(raw)
    padded = raw + "=" * (-len(raw) % 4)
    if _B64_RE.fullmatch(padded):
        try:
            return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            pass
    raise ConfigurationError(
        f"{KEY_ENV} is neither hex nor base64. Generate a key with: {_GENERATE_HINT}"
    )


class Pseudonymiser:
    """Turn normalised identifiers into keyed, versioned pseudonyms.

    ``pseudonymise("phone", "+4520551234")`` returns
    ``"k1:phone:<hmac_sha256(key, 'phone:+4520551234').hexdigest()>"``.
    """

    __slots__ = ("_key", "key_version")

    def __init__(self, key: bytes, key_version: str) -> None:
        if not isinstance(key, bytes | bytearray):
            raise ConfigurationError("the pseudonymisation key must be bytes")
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"the pseudonymisation key has {len(key)} bytes; at least {MIN_KEY_BYTES} are "
                f"required. Generate one with: {_GENERATE_HINT}"
            )
        if not isinstance(key_version, str) or not _VERSION_RE.fullmatch(key_version):
            raise ConfigurationError(
                f"key version {key_version!r} is not valid: use 1-32 characters from "
                "A-Z a-z 0-9 _ . - (no colon), for example 'k1'"
            )
        self._key = bytes(key)
        self.key_version = key_version

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(key_version={self.key_version!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, mode: str) -> Pseudonymiser:
        """Build from ``THBSCAN_PSEUDONYM_KEY`` / ``THBSCAN_PSEUDONYM_KEY_VERSION``.

        ``mode`` is ``"production"``, ``"demo"`` or ``"test"``. Without a key, demo and test
        mode fall back to the public :data:`DEMO_KEY` (version ``demo``); production mode
        raises :class:`~nlp.errors.ConfigurationError`.
        """
        if mode not in MODES:
            raise ConfigurationError(f"unknown mode {mode!r}; expected one of {MODES}")
        raw = environ.get(KEY_ENV, "").strip()
        if not raw:
            if mode == "production":
                raise ConfigurationError(
                    f"{KEY_ENV} is not set: production mode needs a secret pseudonymisation "
                    f"key of at least {MIN_KEY_BYTES} bytes (hex or base64), kept outside the "
                    f"database. Generate one with: {_GENERATE_HINT}"
                )
            return cls(DEMO_KEY, DEMO_KEY_VERSION)
        key = _decode_key(raw)
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"{KEY_ENV} decodes to {len(key)} bytes; at least {MIN_KEY_BYTES} are required. "
                f"Generate a key with: {_GENERATE_HINT}"
            )
        version = environ.get(KEY_VERSION_ENV, "").strip() or DEFAULT_KEY_VERSION
        if mode == "production" and (
            hmac.compare_digest(key, DEMO_KEY) or version == DEMO_KEY_VERSION
        ):
            raise ConfigurationError(
                f"the public demo key or key version {DEMO_KEY_VERSION!r} cannot be used in "
                f"production: set {KEY_ENV} to a secret key ({_GENERATE_HINT}) and "
                f"{KEY_VERSION_ENV} to a version such as 'k1'"
            )
        return cls(key, version)

    def pseudonymise(self, kind: str, value: str) -> str:
        """Return ``"<key_version>:<kind>:<hex HMAC-SHA-256 of 'kind:value'>"``.

        Phones must already be E.164 (``+4520551234``); e-mail addresses are lowercased;
        other values are stripped of surrounding whitespace.
        """
        if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
            raise InputError(f"kind {kind!r} is not valid: use lowercase letters, digits and _")
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"cannot pseudonymise an empty {kind} value")
        value = value.strip()
        if kind == "phone" and not _E164_RE.fullmatch(value):
            raise InputError("phone values must be E.164 (for example +4520551234)")
        if kind == "email":
            value = value.lower()
        message = f"{kind}:{value}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).hexdigest()
        return f"{self.key_version}:{kind}:{digest}"
