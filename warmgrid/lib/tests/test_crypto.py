import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmgrid.lib.crypto import (
    DecryptError,
    FieldCipher,
    KeyConfigError,
    new_key,
    parse_key_ring,
)

# Fixed keys: test ids must be the same in every process (pytest-xdist compares them).
K1, K2, IDX = (base64.urlsafe_b64encode(bytes([n]) * 32).decode() for n in (1, 2, 3))


def cipher(ring: str) -> FieldCipher:
    return FieldCipher.from_config(ring, IDX)


@given(st.text(max_size=64))
def test_it_round_trips(value):
    c = cipher(f"k1:{K1}")
    assert c.decrypt(c.encrypt(value, field="f"), field="f") == value


def test_the_same_value_encrypts_differently_each_time():
    c = cipher(f"k1:{K1}")
    assert c.encrypt("370102199001011234", field="f") != c.encrypt("370102199001011234", field="f")


def test_a_ciphertext_bound_to_one_field_does_not_open_as_another():
    c = cipher(f"k1:{K1}")
    with pytest.raises(DecryptError):
        c.decrypt(c.encrypt("13812345678", field="resident.phone"), field="resident.id_number")


def test_a_tampered_ciphertext_is_refused():
    c = cipher(f"k1:{K1}")
    token = c.encrypt("secret", field="f")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptError):
        c.decrypt(flipped, field="f")


def test_rotation_keeps_old_ciphertexts_readable_and_writes_with_the_new_key():
    old = cipher(f"k1:{K1}")
    token = old.encrypt("13812345678", field="f")
    rotated = cipher(f"k2:{K2},k1:{K1}")
    assert rotated.decrypt(token, field="f") == "13812345678"
    assert rotated.key_id_of(rotated.encrypt("x", field="f")) == "k2"
    assert old.key_id_of(token) == "k1"


def test_a_retired_key_can_no_longer_open_its_ciphertexts():
    token = cipher(f"k1:{K1}").encrypt("x", field="f")
    with pytest.raises(DecryptError):
        cipher(f"k2:{K2}").decrypt(token, field="f")


def test_the_blind_index_is_deterministic_keyed_and_field_separated():
    a = FieldCipher.from_config(f"k1:{K1}", IDX)
    b = FieldCipher.from_config(f"k1:{K1}", new_key())
    assert a.blind_index("1234", field="f") == a.blind_index("1234", field="f")
    assert a.blind_index("1234", field="f") != b.blind_index("1234", field="f")
    assert a.blind_index("1234", field="f") != a.blind_index("1234", field="g")


@pytest.mark.parametrize("spec", ["", "nokey", "k1:short", f"k1:{K1},k1:{K2}", f"k-1:{K1}"])
def test_bad_key_rings_are_refused_with_a_reason(spec):
    with pytest.raises(KeyConfigError):
        parse_key_ring(spec)
