"""What every service of cases does the same way: lock the case and refuse a stale change, bump its
version, name who acted, write the audit event, check a role."""

from __future__ import annotations

from typing import Any

from ombuds.audit import services as audit
from ombuds.cases.models import Case
from ombuds.cases.rules import CaseChanged, CaseRefused
from ombuds.cases.selectors import procedure_of, roles_on_case


def lock_case(case: Case, expected_version: int | None) -> Case:
    """The case, locked for the transaction; CaseChanged when it is no longer at
    ``expected_version`` (None: any version)."""
    locked = (
        Case.objects.select_for_update(of=("self",)).select_related("organization").get(pk=case.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise CaseChanged(
            f"{locked.reference} changed since this page was opened (now "
            f"{procedure_of(locked).state(locked.state).label.lower()}): reload it and try again"
        )
    return locked


def bump(case: Case, *fields: str) -> None:
    """Save the case with these fields changed and its version one higher."""
    case.version += 1
    case.save(update_fields=["version", "updated_at", *fields])


def account(user: Any) -> Any:
    """The user when it is a saved account (a foreign key's value), else None."""
    return user if getattr(user, "pk", None) else None


def label_for(user: Any, label: str) -> str:
    """How the record names who acted: the label given, the user's name, or the system."""
    if label:
        return label
    if getattr(user, "pk", None):
        return user.get_full_name() or user.get_username()
    return audit.SYSTEM


def record_event(case: Case, action: str, data: dict[str, Any], *, user: Any, label: str) -> None:
    """The case's audit event (call it inside the change's transaction)."""
    audit.record(
        action=action,
        subject_type="case",
        subject_id=case.pk,
        data={"reference": case.reference, **data},
        organization=case.organization,
        actor=user,
        actor_label=label_for(user, label),
    )


def staff_roles(user: Any, case: Case, allowed: set[str] | frozenset[str]) -> set[str]:
    """The user's roles on the case; CaseRefused when none of them is allowed."""
    roles = roles_on_case(user, case)
    if not roles & allowed:
        raise CaseRefused(
            "only the " + ", ".join(sorted(r.replace("_", " ") for r in allowed)) + " may do that"
        )
    return roles


def refuse_when_closed(case: Case) -> None:
    if procedure_of(case).state(case.state).final:
        raise CaseRefused("the case is closed")
