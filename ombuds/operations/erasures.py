"""Re-applying the erasure journal (`ombuds.core.erasure_journal`): every case and client's
complaint the journal names is erased again where this database still holds its personal data,
as after restoring a backup taken before the erasure. `ombuds restore` does it once the restore is
checked, `ombuds erasures reapply` on demand, and the daily work every day. Idempotent: an entry
whose record is erased already changes nothing."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from ombuds.cases.services import erasure
from ombuds.core import erasure_journal
from ombuds.members import first_tier

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reapplied:
    """What re-applying the journal did: its entries, those erased again, those erased already,
    those naming a record this database does not have, and those that failed."""

    entries: int
    erased: int
    already: int
    missing: int
    failed: int

    def __str__(self) -> str:
        text = (
            f"erasure journal: {self.erased} of {self.entries} entries re-applied "
            f"({self.already} erased already, {self.missing} not in this database"
        )
        if self.failed:
            text += f", {self.failed} failed: see the log"
        return text + ")"


def erasures_reapply() -> Reapplied:
    """Re-apply every entry of the journal, oldest first, each in its own transaction (one that
    fails is logged by its entry id, which names nobody, and the others still run).
    erasure_journal.JournalError when the journal cannot be read."""
    outcomes: list[bool | None] = []
    failed = 0
    found = erasure_journal.entries()
    for entry in found:
        try:
            if entry.kind == "case":
                outcomes.append(erasure.erasure_reapply(entry))
            else:
                outcomes.append(first_tier.forget_reapply(entry))
        except Exception:  # one record that cannot be erased must not keep the others
            logger.exception("erasure journal entry %s could not be re-applied", entry.id)
            failed += 1
    return Reapplied(
        entries=len(found),
        erased=outcomes.count(True),
        already=outcomes.count(False),
        missing=outcomes.count(None),
        failed=failed,
    )


def daily_work(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily re-application (ombuds.operations.daily); a failed entry fails the run."""
    done = erasures_reapply()
    if done.failed:
        raise RuntimeError(str(done))
    return {"entries": done.entries, "re-applied": done.erased, "failed": done.failed}
