"""The credential and membership lifecycles as data, and the one place that enforces them. Pure Python.

Every allowed move is a row: from, to, the name staff see, whether only the scheduler takes it, and what
it requires. A move that is not a row is refused with a reason (`TransitionRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class TransitionRefused(Exception):
    """A status change the lifecycle does not allow, or one missing what it requires."""


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    name: str
    automatic: bool = False  # taken only by the scheduled task, on its date
    requires: frozenset[str] = field(default_factory=frozenset)  # e.g. {"until"}, {"decision_ref"}


def _t(source: str, target: str, name: str, *, automatic: bool = False, requires=()) -> Transition:
    return Transition(source, target, name, automatic, frozenset(requires))


CREDENTIAL_TRANSITIONS: tuple[Transition, ...] = (
    _t("candidate", "active", "Certify"),
    _t("active", "expired", "Expire at the expiry date", automatic=True),
    _t("expired", "lapsed", "Lapse after the grace period", automatic=True),
    _t("active", "inactive", "Make inactive (at the holder's request)"),
    _t("inactive", "active", "Reactivate"),
    _t("active", "suspended", "Suspend (sanction)", requires={"until", "decision_ref"}),
    _t("suspended", "active", "Reinstate after suspension"),
    _t("suspended", "active", "End of suspension", automatic=True),
    # A suspension that outlasts the expiry date ends in expiry, not in a day of being active.
    _t("suspended", "expired", "End of suspension after the expiry date", automatic=True),
    _t("inactive", "expired", "Expire at the expiry date (inactive)", automatic=True),
    _t("suspended", "revoked", "Revoke (sanction)", requires={"decision_ref"}),
    _t("active", "revoked", "Revoke (sanction)", requires={"decision_ref"}),
    _t("active", "surrendered", "Surrender"),
    _t("inactive", "surrendered", "Surrender"),
    _t("expired", "active", "Reinstate (requirements met)", requires={"expires_on"}),
    _t("lapsed", "active", "Reinstate (requirements met)", requires={"expires_on"}),
    # revoked: only through a new application, i.e. a new credential.
)

MEMBERSHIP_TRANSITIONS: tuple[Transition, ...] = (
    _t("applicant", "active", "Admit"),
    _t("active", "grace", "Renewal overdue: grace period", automatic=True),
    _t("grace", "active", "Renew", requires={"renewal_date"}),
    _t("grace", "lapsed", "Lapse after the grace period", automatic=True),
    _t("lapsed", "active", "Reinstate", requires={"renewal_date"}),
    _t("active", "suspended", "Suspend (sanction)", requires={"until", "decision_ref"}),
    _t("suspended", "active", "Reinstate after suspension"),
    _t("suspended", "active", "End of suspension", automatic=True),
    _t("suspended", "grace", "End of suspension after the renewal date", automatic=True),
    _t("active", "expelled", "Expel (sanction)", requires={"decision_ref"}),
    _t("suspended", "expelled", "Expel (sanction)", requires={"decision_ref"}),
    _t("active", "resigned", "Resign"),
    _t("grace", "resigned", "Resign"),
)


def manual_transitions(table: tuple[Transition, ...], source: str) -> list[Transition]:
    """The moves staff may take from this status, in the table's order."""
    return [t for t in table if t.source == source and not t.automatic]


def check_transition(
    table: tuple[Transition, ...],
    source: str,
    target: str,
    *,
    automatic: bool = False,
    given: set[str] | frozenset[str] = frozenset(),
) -> Transition:
    """The row allowing source → target, or TransitionRefused saying why not."""
    if source == target:
        raise TransitionRefused(f"the status is already {target}")
    rows = [
        t for t in table if t.source == source and t.target == target and t.automatic == automatic
    ]
    if not rows:
        if source == "revoked":
            raise TransitionRefused(
                "a revoked credential cannot change: it takes a new application"
            )
        if not any(t.source == source for t in table):
            raise TransitionRefused(
                f"{source} is final: it cannot change; it takes a new application"
            )
        other_kind = [t for t in table if t.source == source and t.target == target]
        if other_kind and other_kind[0].automatic:
            raise TransitionRefused(
                f"{source} cannot become {target} by hand: that change ({other_kind[0].name}) "
                "is made automatically on its date by the daily task"
            )
        if other_kind:
            raise TransitionRefused(
                f"{source} cannot become {target} automatically: only staff take that step"
            )
        allowed = sorted({t.target for t in table if t.source == source and not t.automatic})
        hint = f"; from {source} it can become: {', '.join(allowed)}" if allowed else ""
        raise TransitionRefused(f"{source} cannot become {target}{hint}")
    row = rows[0]
    missing = sorted(row.requires - set(given))
    if missing:
        raise TransitionRefused(f"{row.name} requires {', '.join(missing)}")
    return row
