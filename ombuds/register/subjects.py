"""The two records with a lifecycle, credential and membership, described once.

A `LifecycleSubject` says what differs between them: the model, its transition table, the dates the
lifecycle keeps and the words staff read. The services (`services.transitions`), the staff pages, the
API and the CSV import take a subject instead of keeping one copy of their code for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import models

from ombuds.register.lifecycle import (
    CREDENTIAL_TRANSITIONS,
    MEMBERSHIP_TRANSITIONS,
    Transition,
    TransitionRefused,
)
from ombuds.register.models import Credential, Membership


@dataclass(frozen=True)
class LifecycleSubject:
    name: str  # "credential" or "membership": its keyword in the services, its audit subject type
    plural: str  # the CSV kind and the words of a list: "credentials", "memberships"
    model: type[models.Model]
    transitions: tuple[Transition, ...]
    start_field: str  # the date the record came into force: issued_on, start_date
    due_field: str  # the date it must be renewed by, set anew on reinstatement: expires_on, ...
    due_label: str  # how staff call the due date: "expiry date", "renewal date"
    due_occasion: str  # the move that sets a new due date: "reinstatement", "renewal"
    ended: frozenset[str]  # statuses after which the holder may hold a new one
    sanction_moves: str  # the status changes that apply a sanction, as staff are told them

    @cached_property
    def date_fields(self) -> tuple[str, ...]:
        """The dates the lifecycle sets, in the order of the CSV columns."""
        return (self.start_field, self.due_field, "suspended_until")

    @cached_property
    def statuses(self) -> list[str]:
        return list(self.model.Status.values)

    def organization_id(self, record: Any) -> int:
        """The body the record belongs to (a credential's through its program)."""
        if self.model is Credential:
            return record.program.organization_id
        return record.organization_id

    def describe(self, record: Any) -> str:
        """The record as staff name it: "CPX CPX-1 (Ada Novak)", "membership M-1 (Acme Ltd)"."""
        if self.model is Credential:
            return f"{record.program} {record.number} ({record.holder})"
        return f"membership {record.number} ({record.holder})"

    def find(self, organization_id: int, pk: int) -> Any | None:
        """The body's record with this id, with what its pages show of it; None for another body's."""
        if self.model is Credential:
            return (
                Credential.objects.select_related("holder", "program")
                .filter(pk=pk, program__organization_id=organization_id)
                .first()
            )
        return (
            Membership.objects.select_related("person", "agency", "membership_type")
            .filter(pk=pk, organization_id=organization_id)
            .first()
        )

    def lock(self, pk: int) -> Any:
        """The record, locked for the rest of the transaction (a credential with its program)."""
        if self.model is Credential:
            return (
                Credential.objects.select_for_update(of=("self",))
                .select_related("program")
                .get(pk=pk)
            )
        return Membership.objects.select_for_update().get(pk=pk)

    def refuse_stale(self, record: Any, expected_status: str | None) -> None:
        """TransitionRefused when the (locked) record's status is no longer the one the person
        saw; None expects nothing."""
        if expected_status is not None and record.status != expected_status:
            raise TransitionRefused(
                f"{self.name} {record.number} is now {record.status}, not {expected_status}: "
                "someone changed it meanwhile; reload and try again"
            )


CREDENTIAL = LifecycleSubject(
    name="credential",
    plural="credentials",
    model=Credential,
    transitions=CREDENTIAL_TRANSITIONS,
    start_field="issued_on",
    due_field="expires_on",
    due_label="expiry date",
    due_occasion="reinstatement",
    ended=frozenset({"revoked", "surrendered"}),
    sanction_moves="suspension or revocation",
)
MEMBERSHIP = LifecycleSubject(
    name="membership",
    plural="memberships",
    model=Membership,
    transitions=MEMBERSHIP_TRANSITIONS,
    start_field="start_date",
    due_field="renewal_date",
    due_label="renewal date",
    due_occasion="renewal",
    ended=frozenset({"expelled", "resigned", "lapsed"}),
    sanction_moves="suspension or expulsion",
)
SUBJECTS: dict[str, LifecycleSubject] = {s.name: s for s in (CREDENTIAL, MEMBERSHIP)}


def subject_of(record: Any) -> LifecycleSubject:
    """The subject a credential or membership instance is."""
    return CREDENTIAL if isinstance(record, Credential) else MEMBERSHIP
