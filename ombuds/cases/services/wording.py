"""The wording of a body's notices: its own (a `NoticeTemplate`) in place of Ombuds', or Ombuds'
again. Each change locks the body's wording of that notice, is refused when it changed since the
person read it (``based_on``, the fingerprint of the wording they saw), and writes the
``notice_template.changed`` event with the wording before and after, in one transaction.

Whether the wording is fit to keep (it compiles, reaches no further than a notice may, renders for a
sample case) is checked by the staff page before it calls these (`ombuds.cases.template_views`)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.cases.models import NoticeTemplate
from ombuds.cases.notices import DEFAULTS
from ombuds.cases.rules import CaseChanged, CaseRefused

STALE_SAVE = (
    "Someone else changed this notice's wording since you opened the page (reload the page in "
    "another tab to read theirs): save again to replace it with yours."
)
STALE_REVERT = (
    "Someone else changed this notice's wording since you opened the page: it is shown below. Go "
    "back to Ombuds' wording again if you still mean to."
)


class WordingChanged(CaseChanged):
    """The notice's wording changed since the person read it."""


def wording_fingerprint(subject: str, body: str) -> str:
    """Which wording a page was opened on: a change made since then is not silently overwritten."""
    return hashlib.sha256(f"{subject}\0{body}".encode()).hexdigest()[:20]


def wording_current(organization: Organization, name: str) -> tuple[str, str]:
    """(subject, body) of the notice as the body sends it now: its own wording, or Ombuds'."""
    own = NoticeTemplate.objects.filter(organization=organization, name=name).first()
    return (own.subject, own.body) if own else DEFAULTS[name]


def _locked(organization: Organization, name: str) -> NoticeTemplate | None:
    if name not in DEFAULTS:
        raise CaseRefused(f"there is no notice called {name!r}")
    return (
        NoticeTemplate.objects.select_for_update()
        .filter(organization=organization, name=name)
        .first()
    )


def notice_template_save(
    *,
    organization: Organization,
    name: str,
    subject: str,
    body: str,
    based_on: str,
    acting_user: Any = None,
) -> bool:
    """Keep this wording of the notice for the body: True when it changed, False when it is the
    wording in force already. Ombuds' own wording is kept as no row at all: the body then follows
    it, and any later improvement to it. Raises WordingChanged when the wording in force is no
    longer the one ``based_on`` fingerprints."""
    default = DEFAULTS.get(name)
    with transaction.atomic():
        own = _locked(organization, name)
        current = (own.subject, own.body) if own else default
        if based_on != wording_fingerprint(*current):
            raise WordingChanged(STALE_SAVE)
        if (subject, body) == current:
            return False
        if (subject, body) == default:
            own.delete()
        else:
            NoticeTemplate.objects.update_or_create(
                organization=organization, name=name, defaults={"subject": subject, "body": body}
            )
        _record(organization, name, old=current, new=(subject, body), user=acting_user)
    return True


def notice_template_revert(
    *, organization: Organization, name: str, based_on: str, acting_user: Any = None
) -> bool:
    """Go back to Ombuds' wording of the notice: True when the body had its own, False when it
    already followed Ombuds'. Raises WordingChanged when the body's wording is no longer the one
    ``based_on`` fingerprints."""
    with transaction.atomic():
        own = _locked(organization, name)
        if own is None:
            return False
        old = (own.subject, own.body)
        if based_on != wording_fingerprint(*old):
            raise WordingChanged(STALE_REVERT)
        own.delete()
        _record(organization, name, old=old, new=DEFAULTS[name], user=acting_user)
    return True


def _record(
    organization: Organization,
    name: str,
    *,
    old: tuple[str, str],
    new: tuple[str, str],
    user: Any,
) -> None:
    """The change on the record: the wording now in force (marked when it is Ombuds' own), and the
    wording it replaced under "from"."""
    data: dict[str, Any] = {"subject": new[0], "body": new[1]}
    if new == DEFAULTS[name]:
        data["default"] = True
    data["from"] = {"subject": old[0], "body": old[1], "default": old == DEFAULTS[name]}
    audit.record(
        action="notice_template.changed",
        subject_type="notice_template",
        subject_id=name,
        organization=organization,
        actor=user,
        data=data,
    )
