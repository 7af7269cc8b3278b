"""An application's states and the moves between them, as data, and the one place that enforces them.
Pure Python.

Every allowed move is a row: from, to, who takes it (the candidate, the body's staff, or the daily
work), its name, and whether it needs a reason. A move that is not a row is refused with the reason
(`MoveRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass

CANDIDATE, STAFF, SYSTEM = "candidate", "staff", "system"

DRAFT = "draft"
SUBMITTED = "submitted"
MORE_INFORMATION = "more_information"
COMPLETE = "complete"
ELIGIBLE = "eligible"
SUSPENDED = "suspended"
CERTIFIED = "certified"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
LAPSED = "lapsed"
EXPIRED = "expired"
EXHAUSTED = "exhausted"

LABELS = {
    DRAFT: "Draft: not sent yet",
    SUBMITTED: "Submitted: waiting for review",
    MORE_INFORMATION: "More information needed",
    COMPLETE: "Complete: eligibility being decided",
    ELIGIBLE: "Eligible to sit the examination",
    SUSPENDED: "Eligibility suspended",
    CERTIFIED: "Certified",
    REFUSED: "Refused",
    WITHDRAWN: "Withdrawn",
    LAPSED: "Lapsed: the information asked for did not come in time",
    EXPIRED: "Eligibility ended before a pass",
    EXHAUSTED: "Every attempt used without a pass",
}
# Where an application waits for someone, and what it takes to move on.
OPEN = (DRAFT, SUBMITTED, MORE_INFORMATION, COMPLETE)  # not decided yet
LIVE = (*OPEN, ELIGIBLE, SUSPENDED)  # one per person and programme at a time
FINAL = (CERTIFIED, REFUSED, WITHDRAWN, LAPSED, EXPIRED, EXHAUSTED)  # a voided pass aside
TO_REVIEW = (SUBMITTED, COMPLETE)  # staff act next


class MoveRefused(Exception):
    """A move the workflow does not allow, or one missing its reason."""


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    by: str
    name: str
    needs_reason: bool = False


MOVES: tuple[Move, ...] = (
    Move(DRAFT, SUBMITTED, CANDIDATE, "Submit the application"),
    Move(MORE_INFORMATION, SUBMITTED, CANDIDATE, "Send the information asked for"),
    Move(SUBMITTED, COMPLETE, STAFF, "Complete: decide eligibility next"),
    Move(SUBMITTED, MORE_INFORMATION, STAFF, "Ask for more information", True),
    Move(COMPLETE, MORE_INFORMATION, STAFF, "Ask for more information", True),
    Move(COMPLETE, ELIGIBLE, STAFF, "Eligible to sit the examination"),
    Move(SUBMITTED, REFUSED, STAFF, "Refuse", True),
    Move(COMPLETE, REFUSED, STAFF, "Refuse", True),
    Move(MORE_INFORMATION, REFUSED, STAFF, "Refuse", True),
    Move(MORE_INFORMATION, LAPSED, SYSTEM, "Lapse: no answer by the date asked", True),
    *(Move(s, WITHDRAWN, CANDIDATE, "Withdraw the application") for s in OPEN),
    Move(ELIGIBLE, WITHDRAWN, CANDIDATE, "Withdraw the application"),
    Move(ELIGIBLE, SUSPENDED, STAFF, "Suspend eligibility (sanction)", True),
    Move(SUSPENDED, ELIGIBLE, STAFF, "Restore eligibility", True),
    Move(SUSPENDED, ELIGIBLE, SYSTEM, "End of the suspension", True),
    Move(ELIGIBLE, CERTIFIED, SYSTEM, "Passed the examination: certified", True),
    Move(ELIGIBLE, EXHAUSTED, SYSTEM, "Every attempt used without a pass", True),
    Move(ELIGIBLE, EXPIRED, SYSTEM, "Eligibility ended", True),
    Move(SUSPENDED, EXPIRED, SYSTEM, "Eligibility ended", True),
    # A pass voided as a sanction takes the certification back (its credential is revoked).
    Move(CERTIFIED, ELIGIBLE, STAFF, "Result voided: eligible again", True),
    Move(CERTIFIED, EXPIRED, STAFF, "Result voided after eligibility ended", True),
)

# What staff decide on a review, and the state each decision leads to.
DECISIONS = {
    "complete": COMPLETE,
    "more_information": MORE_INFORMATION,
    "eligible": ELIGIBLE,
    "refused": REFUSED,
}


def check_move(source: str, target: str, *, by: str, reason: str = "") -> Move:
    """The row allowing source → target for this actor, or MoveRefused saying why not."""
    if source == target:
        raise MoveRefused(f"the application is already {LABELS[target].split(':')[0].lower()}")
    rows = [m for m in MOVES if m.source == source and m.target == target]
    if not rows:
        if source in FINAL:
            raise MoveRefused(
                f"the application is {LABELS[source].split(':')[0].lower()}: it cannot change; "
                "a new application starts again"
            )
        allowed = sorted(
            {
                LABELS[m.target].split(":")[0].lower()
                for m in MOVES
                if m.source == source and m.by == by
            }
        )
        hint = f"; from here it can become: {', '.join(allowed)}" if allowed else ""
        raise MoveRefused(
            f"a {LABELS[source].split(':')[0].lower()} application cannot become "
            f"{LABELS[target].split(':')[0].lower()}{hint}"
        )
    mine = [m for m in rows if m.by == by]
    if not mine:
        who = {CANDIDATE: "the candidate", STAFF: "the body's staff", SYSTEM: "the daily work"}
        raise MoveRefused(f"only {who[rows[0].by]} take that step ({rows[0].name.lower()})")
    if mine[0].needs_reason and not reason.strip():
        raise MoveRefused(f"{mine[0].name} needs a reason")
    return mine[0]


def moves_for(source: str, by: str) -> list[Move]:
    """The moves this actor may take from this state, in the table's order."""
    return [m for m in MOVES if m.source == source and m.by == by]
