"""What every part of attestations shares: the statuses, the refusals, the version attested to and
small helpers (dates in words, CSV cells, chunks of ids)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from ombuds.codes.exports import version_to_markdown
from ombuds.codes.models import CodeVersion
from ombuds.codes.selectors import NEWEST_FIRST
from ombuds.register.models import Affiliation

# Who is "in" an audience. A suspended member or holder is still bound by the code, so still asked.
CURRENT_MEMBERSHIP = ("active", "grace", "suspended")
CURRENT_CREDENTIAL = ("active", "suspended")
# An agency's staff, for CSEC 4.3: its employees and agents (not its principals, who are the member).
STAFF_ROLES = (Affiliation.Role.EMPLOYEE, Affiliation.Role.AGENT)

ATTESTED, OUTDATED, OVERDUE, PENDING, EXCUSED = (
    "attested",
    "outdated",
    "overdue",
    "pending",
    "excused",
)
STATUSES = (ATTESTED, OUTDATED, OVERDUE, PENDING, EXCUSED)
# The statuses a report counts (an excused duty is shown apart).
COUNTED = (ATTESTED, OUTDATED, OVERDUE, PENDING)
STATUS_LABELS = {
    ATTESTED: "Attested",
    OUTDATED: "Outdated (attested to an earlier version)",
    OVERDUE: "Overdue",
    PENDING: "Pending",
    EXCUSED: "Excused (no longer asked)",
}
# The statuses that still ask something of the person.
OPEN_STATUSES = (PENDING, OUTDATED, OVERDUE)

DEFAULT_STATEMENT = (
    "I have read, understand and agree to abide by all provisions of {title} (version {label})."
)
MAX_DAYS = 365
CHUNK = 500


class Refused(Exception):
    """A refusal listing every problem (``problems``)."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class CampaignRefused(Refused):
    """A campaign that cannot be started, synced or closed; ``problems`` lists every reason."""


class AttestationRefused(Refused):
    """An attestation that cannot be recorded; ``problems`` lists every reason."""


class AgencyRefused(Refused):
    """Something an agency administrator may not do; ``problems`` lists every reason."""


def chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """``values`` in slices of at most ``size`` (for ``pk__in`` lists a database accepts)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def real_user(user: Any) -> Any:
    """The user when it is a saved account; None otherwise (the command line, an anonymous user)."""
    return user if getattr(user, "pk", None) else None


def date_text(value: dt.date) -> str:
    """A date as a person writes it: "3 March 2025"."""
    return f"{value.day} {value:%B %Y}"


def csv_cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- versions -----------------------------------------------------------------------------------


def superseding_version(version: CodeVersion) -> CodeVersion | None:
    """The newest published version of the same code published after ``version`` (or at the same
    instant and made after it, `NEWEST_FIRST`); None when ``version`` is the code's current
    (latest published) version."""
    if not version.is_published:
        return None
    return (
        CodeVersion.objects.filter(
            Q(published_at__gt=version.published_at)
            | Q(published_at=version.published_at, pk__gt=version.pk),
            code_id=version.code_id,
            status=CodeVersion.Status.PUBLISHED,
        )
        .order_by(*NEWEST_FIRST)
        .first()
    )


def version_text_sha256(version: CodeVersion) -> str:
    """The SHA-256 of the version's canonical text (its Markdown export: title, version, preamble,
    every provision with its citation). A published version never changes, so neither does this."""
    return hashlib.sha256(version_to_markdown(version).encode("utf-8")).hexdigest()


def default_statement(version: CodeVersion) -> str:
    """The statement a person confirms when no campaign gives its own."""
    return DEFAULT_STATEMENT.format(title=version.title, label=version.label)
