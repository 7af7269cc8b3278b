"""Who works on a case: recusals (a declared conflict of interest, or being a party: the case is
then hidden from them and they cannot act on it) and the case's handler.

Every recusal of an existing case goes through `case_recuse`, which locks the case, bumps its
version and writes the ``case.recusal`` event: the chair's, administrators' and staff's recusals
from the case page (`recusal_record`), and the ones a disclosure of a conflict of interest brings
(`ombuds.members.services` calls `cases_recuse`). A case being filed is recused from in the filing's
own transaction (`recuse_new_case`), and its filing event lists who."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from ombuds.cases import hooks
from ombuds.cases.models import Case, Recusal
from ombuds.cases.rules import DECIDERS, HANDLERS, RECUSERS, CaseRefused
from ombuds.cases.selectors import roles_on_case
from ombuds.cases.services.base import account, bump, lock_case, record_event, staff_roles

PARTY_REASON = "The respondent's registered email is this person's."


def case_recuse(
    *,
    case: Case,
    user: Any,
    reason: str,
    acting_user: Any = None,
    details: Mapping[str, Any] | None = None,
) -> bool:
    """Recuse ``user`` from the case, as the caller has decided (no role is checked here): the case
    locked, its version bumped and the ``case.recusal`` event written (with ``details`` added), all
    in one transaction. False, changing nothing, when they were already recused."""
    if not reason.strip():
        raise CaseRefused("say why they are recused")
    with transaction.atomic():
        case = lock_case(case, None)
        _, created = Recusal.objects.get_or_create(
            case=case,
            user=user,
            defaults={"reason": reason.strip(), "recorded_by": account(acting_user)},
        )
        if created:
            bump(case)
            record_event(
                case,
                "case.recusal",
                {"user": user.get_username(), "reason": reason.strip(), **(details or {})},
                user=acting_user,
                label="",
            )
    return created


def cases_recuse(
    *,
    user: Any,
    recusals: Iterable[tuple[Case, str, Mapping[str, Any]]],
    acting_user: Any = None,
) -> list[str]:
    """Recuse ``user`` from several cases at once (a disclosed conflict of interest naming their
    respondent): each (case, reason, details) through `case_recuse`, in one transaction; the
    references of the cases newly recused from."""
    references = []
    with transaction.atomic():
        for case, reason, details in recusals:
            if case_recuse(
                case=case, user=user, reason=reason, acting_user=acting_user, details=details
            ):
                references.append(case.reference)
    return references


def recusal_record(*, case: Case, user: Any, reason: str, acting_user: Any = None) -> Recusal:
    """Recuse someone from a case, as the chair, an administrator or staff (from the case page; a
    call with no ``acting_user`` is the system's)."""
    if not reason.strip():
        raise CaseRefused("say why they are recused")
    with transaction.atomic():
        case = lock_case(case, None)
        if acting_user is not None:
            staff_roles(acting_user, case, RECUSERS)
        case_recuse(case=case, user=user, reason=reason, acting_user=acting_user)
        return Recusal.objects.get(case=case, user=user)


def recuse_new_case(case: Case, *, acting_user: Any) -> list[str]:
    """Recuse from a case being filed (inside its transaction) the body's people who are its
    respondent as the register knows them, then those the providers of `ombuds.cases.hooks` name
    (a disclosed conflict of interest); the usernames newly recused."""
    recused = recuse_parties(case, acting_user=acting_user)
    for user, reason in hooks.new_case_recusals(case):
        _, created = Recusal.objects.get_or_create(
            case=case, user=user, defaults={"reason": reason, "recorded_by": account(acting_user)}
        )
        if created:
            recused.append(user.get_username())
    return recused


def recuse_parties(case: Case, *, acting_user: Any) -> list[str]:
    """Recuse the body's people who are the respondent as the register knows them (their account
    has the respondent's registered email), inside the caller's transaction; the usernames newly
    recused. The complainant's email is typed by the complainant, so it is not trusted to hide a
    case from someone."""
    record = case.respondent_person or case.respondent_agency
    address = (record.email or "").strip() if record is not None else ""
    if not address:
        return []
    users = (
        get_user_model()
        .objects.filter(email__iexact=address, body_roles__organization_id=case.organization_id)
        .distinct()
    )
    recused = []
    for user in users:
        _, created = Recusal.objects.get_or_create(
            case=case,
            user=user,
            defaults={"reason": PARTY_REASON, "recorded_by": account(acting_user)},
        )
        if created:
            recused.append(user.get_username())
    return recused


def case_handler_set(*, case: Case, handler: Any, acting_user: Any = None) -> Case:
    """Who handles the case (the complainant sees it, so they can raise a conflict of interest).
    Set by someone with a role on the case, to someone with one (not recused)."""
    with transaction.atomic():
        case = lock_case(case, None)
        staff_roles(acting_user, case, HANDLERS | DECIDERS)
        if not roles_on_case(handler, case) & (HANDLERS | DECIDERS):
            raise CaseRefused(f"{handler.get_username()} has no role on this case")
        case.handler = handler
        bump(case, "handler")
        record_event(
            case, "case.handler", {"handler": handler.get_username()}, user=acting_user, label=""
        )
    return case
