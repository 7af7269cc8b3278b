"""Bitstring Status List v1.0 (W3C): a list of bits, one per issued credential, GZIP-compressed and
written as multibase base64url (the "u" prefix). Pure Python.

Bit 0 is the most significant bit of the first byte (the specification's order). A list holds at
least 131,072 bits (16 KiB), so that one credential's bit hides among many (herd privacy).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable

MIN_BITS = 131_072
PURPOSES = ("suspension", "revocation")


class StatusListError(ValueError):
    """An encoded list that cannot be read, or an index outside it."""


def encode(set_bits: Iterable[int], *, length: int = MIN_BITS) -> str:
    """The encodedList of a list of `length` bits with these bits set."""
    if length < MIN_BITS or length % 8:
        raise StatusListError(f"a status list has at least {MIN_BITS} bits, in whole bytes")
    data = bytearray(length // 8)
    for index in set_bits:
        if not 0 <= index < length:
            raise StatusListError(f"index {index} is outside a list of {length} bits")
        data[index // 8] |= 0x80 >> (index % 8)
    # mtime=0 and level 6: the same statuses give the same bytes (the signed list and its ETag are
    # stable), and an empty list gives the specification's own example byte for byte.
    compressed = gzip.compress(bytes(data), compresslevel=6, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an encodedList (refused when shorter than the minimum or unreadable)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("the encoded list is not multibase base64url (it must start with u)")
    text = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = gzip.decompress(compressed)
    except (binascii.Error, ValueError, OSError, EOFError, zlib.error) as exc:
        raise StatusListError(f"the encoded list cannot be decompressed: {exc}") from None
    if len(data) * 8 < MIN_BITS:
        raise StatusListError(f"the list has {len(data) * 8} bits, fewer than {MIN_BITS}")
    return data


def bit(bitstring: bytes, index: int) -> bool:
    """Whether the bit at `index` is set."""
    if not 0 <= index < len(bitstring) * 8:
        raise StatusListError(f"index {index} is outside a list of {len(bitstring) * 8} bits")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))
