"""What cases learn from the apps above it, without importing them.

Cases sits below members in the layering (members' pages show a member the cases they answer, and
file complaints to the body), so cases never imports members. Two things only members knows are
still needed while a case is filed and worked on:

- **where proof of efforts comes from** (CSEC Article 5): a complaint the complainant made to a
  member agency first, in the agency's own inbox, travels with the complaint to the body as a
  personal link. Its record proves the efforts to resolve, names the agency as the respondent, is
  attached to the case inside the filing's transaction, and is shown on the staff case page;
- **who is recused from a new case**: the body's people whose disclosed conflict of interest names
  the respondent;
- **what members holds of a case's people**: the client's complaint to the agency that travelled
  with the case, forgotten when the case is erased or purged (`case_forget`).

Members registers a provider of each in its `AppConfig.ready` (`ombuds.members.apps`); cases calls
them through the functions below. The providers only read and check: every row of cases (the
case, its recusals, its events) is written by cases' own services. Without a provider (an app left
out, or a test that clears them), a complaint carries no first-tier record and no disclosed
conflict recuses anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ombuds.cases.complaint import Complaint
from ombuds.cases.models import Case


class _Prepare(Protocol):
    def __call__(
        self, *, organization: Any, complaint: Complaint
    ) -> tuple[Any | None, Complaint, list[str]]: ...


class _Attach(Protocol):
    def __call__(self, *, record: Any, case: Case, actor_label: str = "") -> None: ...


@dataclass(frozen=True)
class ProofOfEffortsSource:
    """A complaint made to a member agency first, as the body's complaint takes it in.

    - ``find(organization, link)``: the record a personal link opens, or None;
    - ``prepare(organization=, complaint=)``: (the record, the complaint with the agency as its
      respondent, every problem) for a complaint carrying ``first_tier_link``;
    - ``attach(record=, case=, actor_label=)``: attach the record to the case just filed, inside
      its transaction (raising `CaseRefused` when it was attached meanwhile to another);
    - ``for_case(case)``: the records a case carries, with their exchange, for the case page;
    - ``initial(record, link)``: what the body's complaint form starts with for that record;
    - ``unknown_link(organization)``: what a complainant is told when their link opens nothing;
    - ``forget(case)``: forget, inside the erasure's transaction, the personal data of the records
      that travelled with a case being erased or purged (idempotent); how many were forgotten.
    """

    find: Callable[[Any, str], Any | None]
    prepare: _Prepare
    attach: _Attach
    for_case: Callable[[Case], list[Any]]
    initial: Callable[[Any, str], dict[str, Any]]
    unknown_link: Callable[[Any], str]
    forget: Callable[[Case], int] | None = None


# The users to recuse from a case just filed, each with the reason to record.
NewCaseRecusals = Callable[["Case"], list[tuple[Any, str]]]

_efforts: list[ProofOfEffortsSource] = []
_recusals: list[NewCaseRecusals] = []


def proof_of_efforts_register(source: ProofOfEffortsSource | None) -> None:
    """Set where proof of efforts comes from (None: nowhere)."""
    _efforts[:] = [source] if source is not None else []


def proof_of_efforts() -> ProofOfEffortsSource | None:
    """The registered source of proof of efforts, or None."""
    return _efforts[0] if _efforts else None


def case_forget(case: Case) -> int:
    """Ask the registered source to forget what it holds of a case's people (the case is being
    erased or purged, in the caller's transaction); how many records it forgot."""
    source = proof_of_efforts()
    if source is None or source.forget is None:
        return 0
    return source.forget(case)


def new_case_recusals_register(provider: NewCaseRecusals) -> None:
    """Add a provider of recusals for new cases (registering the same one twice adds it once)."""
    if provider not in _recusals:
        _recusals.append(provider)


def new_case_recusals(case: Case) -> list[tuple[Any, str]]:
    """Everyone the providers say is to be recused from a case just filed, once each, with the
    first reason given for them."""
    found: dict[Any, tuple[Any, str]] = {}
    for provider in _recusals:
        for user, reason in provider(case):
            found.setdefault(user.pk, (user, reason))
    return list(found.values())
