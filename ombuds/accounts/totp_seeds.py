"""Second-factor seeds sealed at rest. django-otp's TOTPDevice keeps its seed in `key`, a hex
varchar(80) it reads through `bin_key`; a device model of our own would copy its verification code,
so the seed is sealed in place instead: on save, the hex seed becomes "~" and the sealed bytes in
unpadded URL-safe base64 (72 characters for django-otp's 20-byte seeds), with the deployment's own
data key; on load, and after the save, the row holds the hex seed again, so django-otp works
unchanged. `ombuds keys rotate` re-seals the column (registered with the bodies' keyring)."""

from __future__ import annotations

import base64
import binascii

from django.db.models.signals import post_init, post_save, pre_save
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.bodies.keys import SealedColumn, register_sealed_column
from ombuds.core import crypto

PREFIX = "~"
CONTEXT = f"{TOTPDevice._meta.db_table}.key"
MAX_LENGTH = TOTPDevice._meta.get_field("key").max_length


def decode(text: str) -> bytes | None:
    if not text.startswith(PREFIX):
        return None
    body = text[len(PREFIX) :]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise crypto.DecryptionFailed("a second-factor seed is not valid sealed text") from None


def encode(blob: bytes) -> str:
    text = PREFIX + base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")
    if len(text) > MAX_LENGTH:
        raise ValueError("a second-factor seed longer than 20 bytes does not fit its column sealed")
    return text


def seal_seed(hex_seed: str) -> str:
    key_id, key = crypto.keyring().current(None)
    return encode(crypto.seal(bytes.fromhex(hex_seed), key, key_id, CONTEXT.encode()))


def open_seed(text: str) -> str:
    blob = decode(text)
    if blob is None:
        return text  # written before seeds were sealed, not yet migrated
    key = crypto.keyring().key(crypto.sealed_key_id(blob))
    return crypto.unseal(blob, key, CONTEXT.encode()).hex()


def _sealing(sender, instance, **kwargs):
    if instance.key and not instance.key.startswith(PREFIX):
        instance.key = seal_seed(instance.key)


def _opening(sender, instance, **kwargs):
    key = instance.__dict__.get("key")  # absent when deferred
    if key and key.startswith(PREFIX):
        instance.key = open_seed(key)


def connect() -> None:
    pre_save.connect(_sealing, sender=TOTPDevice, dispatch_uid="ombuds_totp_seal")
    post_save.connect(_opening, sender=TOTPDevice, dispatch_uid="ombuds_totp_open_saved")
    post_init.connect(_opening, sender=TOTPDevice, dispatch_uid="ombuds_totp_open_loaded")
    register_sealed_column(
        SealedColumn(
            table=TOTPDevice._meta.db_table,
            pk=TOTPDevice._meta.pk.column,
            column="key",
            context=CONTEXT,
            decode=decode,
            encode=encode,
        )
    )


def seal_existing(device_model) -> int:
    """Seal the seeds stored before (a data migration, with the historical model)."""
    done = 0
    for pk, key in device_model.objects.values_list("pk", "key"):
        if key and not key.startswith(PREFIX):
            done += device_model.objects.filter(pk=pk, key=key).update(key=seal_seed(key))
    return done
