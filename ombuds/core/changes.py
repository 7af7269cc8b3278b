"""What every write path shares: a change refused with its reasons by field, a change refused because
the record changed since the caller read it, the version a caller reads, and what a change changes.

The services that edit a record (`ombuds.register.records`, `ombuds.bodies.services`) raise these;
the pages show them in their error summary and the API answers 400 and 409 with their text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

WHOLE = "__all__"  # the key of a reason about the whole change, not one field


class ChangeRefused(Exception):
    """The values cannot be saved. ``errors`` lists the reasons by field (``WHOLE`` for reasons
    about the whole change), in the order of the fields; nothing was written."""

    def __init__(self, errors: Mapping[str, Iterable[str]]) -> None:
        self.errors = {name: list(messages) for name, messages in errors.items() if messages}
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        for name, messages in self.errors.items():
            text = " ".join(messages)
            parts.append(text if name == WHOLE else f"{name}: {text}")
        return "; ".join(parts)


class ChangedMeanwhile(Exception):
    """The record changed since the caller read it (its version is no longer the one they sent), or
    a concurrent request created the same record first: nothing was written."""


def version_of(instance: models.Model) -> str:
    """The version of a record as a caller reads it and sends it back with a change: the time it
    was last saved, to the microsecond."""
    return instance.updated_at.isoformat(timespec="microseconds")


def clean_values(
    rules: Mapping[str, forms.Field], values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values normalised by their rules (Django form fields used as validators: the messages
    are the ones Django's forms give), and the reasons for those that fail, by field."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, rule in rules.items():
        if name not in values:
            continue
        try:
            cleaned[name] = rule.clean(values[name])
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    return cleaned, errors


def changes_of(instance: models.Model, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value would change, with the old and the new value (for the audit log)."""
    return {
        name: {"old": getattr(instance, name), "new": value}
        for name, value in values.items()
        if getattr(instance, name) != value
    }
