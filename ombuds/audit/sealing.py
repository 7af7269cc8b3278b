"""Sealed event details: `Event.data` is encrypted at rest with the data key of the event's body
(the deployment's own key for an event of no body), the keys being those of `ombuds.bodies.keys`,
above this app, which registers its sealer here when it is imported.

The chain does not change: an event's `data_hash` is still the keyed hash of the canonical
plaintext, so verifying opens each event's details (a key rotation re-seals them and a purge empties
them, and neither touches a hash). Details stored before sealing (plain JSON) are read as they are
and sealed by the audit migration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from django.db import models

CONTEXT = "audit_event.data"
SEALED_PREFIX = "enc1:"  # as ombuds.core.crypto writes a sealed column


class Sealer(Protocol):
    def seal(self, text: str, owner: int | None, context: str) -> str: ...

    def open(self, text: str, context: str) -> str: ...

    def opener(self, context: str) -> Callable[[str], str]: ...


_sealer: Sealer | None = None


def register_sealer(sealer: Sealer) -> None:
    global _sealer
    _sealer = sealer


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def seal(value: Any, owner: int | None) -> str:
    """The details as stored: empty details as "{}" (what a purge leaves), others sealed."""
    if not value:
        return "{}"
    if _sealer is None:
        raise RuntimeError("no sealer is registered for the audit details (ombuds.bodies)")
    return _sealer.seal(_text(value), owner, CONTEXT)


def open_details(text: str | None) -> Any:
    """The details of a stored value: opened when sealed, read as JSON when stored before."""
    if not text:
        return {}
    if text.startswith(SEALED_PREFIX):
        if _sealer is None:
            raise RuntimeError("no sealer is registered for the audit details (ombuds.bodies)")
        text = _sealer.open(text, CONTEXT)
    return json.loads(text)


def text_opener() -> Callable[[str], str]:
    """The stored details' text as it was sealed (the canonical JSON whose hash is ``data_hash``),
    for a pass over many events: each data key set up once."""
    if _sealer is None:
        raise RuntimeError("no sealer is registered for the audit details (ombuds.bodies)")
    opened = _sealer.opener(CONTEXT)

    def text(value: str | None) -> str:
        if not value:
            return "{}"
        return opened(value) if value.startswith(SEALED_PREFIX) else value

    return text


class SealedJSONField(models.TextField):
    """A JSON value sealed on save with the data key of the row's `organization_id`; read back as
    the value. `update(data={})` (a purge) stores "{}"; any other value given to `update()` is
    sealed with the deployment's own key. It cannot be searched."""

    def pre_save(self, model_instance, add):
        # Sealed beforehand (`sealed_beforehand`): written as it is.
        sealed = model_instance.__dict__.get(f"_sealed_{self.attname}")
        if sealed is not None:
            return sealed
        return seal(getattr(model_instance, self.attname), model_instance.organization_id)

    def get_prep_value(self, value):
        if isinstance(value, str):
            return value
        return seal(value, None)

    def from_db_value(self, value, expression, connection):
        return open_details(value)

    def to_python(self, value):
        if isinstance(value, str):
            return open_details(value)
        return value if value is not None else {}

    def value_to_string(self, obj):
        return _text(self.value_from_object(obj))

    def formfield(self, **kwargs):
        return None  # not editable in forms or the admin

    def get_lookup(self, lookup_name):
        return None  # ciphertext: nothing to compare with


def sealed_beforehand(instance: models.Model, name: str) -> None:
    """Seal the value of `instance`'s field `name` now, with the data key of its organisation as
    now read, and write that when the row is written (`ombuds.audit.services.record`: an event is
    sealed in its change's transaction, not while the chain's head is held at its commit)."""
    instance.__dict__[f"_sealed_{name}"] = seal(getattr(instance, name), instance.organization_id)


def sealed_forgotten(instance: models.Model, name: str) -> None:
    """Forget what `sealed_beforehand` sealed, once written: a later save seals what the field
    then holds."""
    instance.__dict__.pop(f"_sealed_{name}", None)
