"""The signing and the status lists against the specifications' own examples: RFC 8037's Ed25519
JWS (appendix A.4) and the Bitstring Status List's example encodedList (an empty 16 KiB list)."""

from __future__ import annotations

import pytest
from jwt.api_jws import PyJWS

from ombuds.credentials import jose, statuslist

RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_signing_reproduces_rfc_8037_a4():
    key = jose.private_key_from_seed(jose.b64url_decode(RFC8037_D))
    assert jose.public_x(key) == RFC8037_X
    signed = PyJWS().encode(
        b"Example of Ed25519 signing", key, algorithm="EdDSA", headers={"typ": None}
    )
    assert signed == RFC8037_JWS


def test_rfc_8037_a4_verifies_and_a_changed_payload_does_not():
    public = jose.public_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})
    assert PyJWS().decode(RFC8037_JWS, public, algorithms=["EdDSA"]) == (
        b"Example of Ed25519 signing"
    )
    header, _payload, signature = RFC8037_JWS.split(".")
    changed = f"{header}.{jose.b64url(b'Example of Ed25519 signinG')}.{signature}"
    with pytest.raises(Exception, match="Signature verification failed"):
        PyJWS().decode(changed, public, algorithms=["EdDSA"])


def test_an_empty_list_encodes_as_the_specifications_example():
    assert statuslist.encode([]) == SPEC_EMPTY_LIST


def test_the_specifications_example_decodes_to_16_kib_of_unset_bits():
    bits = statuslist.decode(SPEC_EMPTY_LIST)
    assert len(bits) * 8 == statuslist.MIN_BITS == 131_072
    assert not any(statuslist.bit(bits, i) for i in (0, 7, 8, 131_071))


def test_bit_zero_is_the_first_bytes_most_significant_bit():
    bits = statuslist.decode(statuslist.encode([0, 9, 131_071]))
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert [statuslist.bit(bits, i) for i in (0, 1, 9, 131_070, 131_071)] == [
        True,
        False,
        True,
        False,
        True,
    ]


@pytest.mark.parametrize(
    "encoded",
    [
        "H4sI-no-prefix",
        "u!!!",
        "u" + jose.b64url(b"not gzip"),
        # a list shorter than the minimum is refused: it would tell too much about one holder
        "u" + jose.b64url(__import__("gzip").compress(bytes(1024), mtime=0)),
    ],
    ids=["no prefix", "not base64url", "not gzip", "too short"],
)
def test_an_unreadable_list_is_refused(encoded):
    with pytest.raises(statuslist.StatusListError):
        statuslist.decode(encoded)
