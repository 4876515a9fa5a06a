"""Tests for nlp.pseudonym (R09): keyed, versioned, never a plain hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import pytest

from nlp.errors import ConfigurationError, InputError
from nlp.pseudonym import DEMO_KEY, KEY_ENV, KEY_VERSION_ENV, Pseudonymiser

KEY = bytes(range(32))


def test_format_and_value():
    p = Pseudonymiser(KEY, "k7")
    out = p.pseudonymise("phone", "+4520551234")
    expected = hmac.new(KEY, b"phone:+4520551234", hashlib.sha256).hexdigest()
    assert out == f"k7:phone:{expected}"


def test_stable_and_key_dependent_and_not_a_plain_hash():
    a = Pseudonymiser(KEY, "k1")
    b = Pseudonymiser(bytes(reversed(KEY)), "k1")
    value = "+4520551234"
    assert a.pseudonymise("phone", value) == a.pseudonymise("phone", value)
    assert a.pseudonymise("phone", value) != b.pseudonymise("phone", value)
    plain = hashlib.sha256(f"phone:{value}".encode()).hexdigest()
    assert plain not in a.pseudonymise("phone", value)


def test_kind_is_part_of_the_message():
    p = Pseudonymiser(KEY, "k1")
    assert (
        p.pseudonymise("email", "a@b.dk").split(":")[2]
        != p.pseudonymise("handle", "a@b.dk").split(":")[2]
    )


def test_email_lowercased_and_phone_must_be_e164():
    p = Pseudonymiser(KEY, "k1")
    assert p.pseudonymise("email", "Anna@Gmail.COM") == p.pseudonymise("email", "anna@gmail.com")
    with pytest.raises(InputError):
        p.pseudonymise("phone", "20 55 12 34")
    with pytest.raises(InputError):
        p.pseudonymise("phone", "")


def test_short_key_refused():
    with pytest.raises(ConfigurationError, match="at least 32"):
        Pseudonymiser(b"short", "k1")
    with pytest.raises(ConfigurationError, match="token_hex"):
        Pseudonymiser.from_env({KEY_ENV: "ab" * 16}, mode="test")


def test_from_env_hex_and_base64_and_version():
    key = secrets.token_bytes(32)
    from_hex = Pseudonymiser.from_env({KEY_ENV: key.hex()}, mode="production")
    from_b64 = Pseudonymiser.from_env(
        {KEY_ENV: base64.b64encode(key).decode(), KEY_VERSION_ENV: "k2"}, mode="production"
    )
    assert from_hex.key_version == "k1"
    assert from_b64.key_version == "k2"
    assert (
        from_hex.pseudonymise("phone", "+4520551234").split(":")[2]
        == from_b64.pseudonymise("phone", "+4520551234").split(":")[2]
    )


def test_missing_key_in_production_raises_with_instructions():
    with pytest.raises(ConfigurationError) as info:
        Pseudonymiser.from_env({}, mode="production")
    message = str(info.value)
    assert KEY_ENV in message
    assert 'python -c "import secrets; print(secrets.token_hex(32))"' in message


@pytest.mark.parametrize("mode", ["demo", "test"])
def test_demo_key_in_demo_and_test_mode(mode):
    p = Pseudonymiser.from_env({}, mode=mode)
    assert p.key_version == "demo"
    assert p.pseudonymise("phone", "+4520551234").startswith("demo:phone:")


def test_demo_key_refused_in_production():
    with pytest.raises(ConfigurationError):
        Pseudonymiser.from_env({KEY_ENV: DEMO_KEY.hex()}, mode="production")
    with pytest.raises(ConfigurationError):
        Pseudonymiser.from_env(
            {KEY_ENV: secrets.token_hex(32), KEY_VERSION_ENV: "demo"}, mode="production"
        )


def test_bad_values_refused():
    with pytest.raises(ConfigurationError):
        Pseudonymiser.from_env({KEY_ENV: "not a key!"}, mode="production")
    with pytest.raises(ConfigurationError):
        Pseudonymiser.from_env({}, mode="staging")
    with pytest.raises(ConfigurationError):
        Pseudonymiser(KEY, "k:1")
    with pytest.raises(InputError):
        Pseudonymiser(KEY, "k1").pseudonymise("Phone:x", "+4520551234")


def test_repr_hides_key():
    assert KEY.hex() not in repr(Pseudonymiser(KEY, "k1"))
