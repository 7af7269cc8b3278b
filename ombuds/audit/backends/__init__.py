"""Database backends that link a transaction's audit events into the chain as it commits.

`ombuds.audit.services.record` does not lock the chain head: it adds its event to the events
waiting on its connection, in the order they were recorded. Just before the transaction commits,
still inside it, `commit` locks the head, numbers and links every waiting event, writes them and
moves the head (`services.link_waiting`); the lock is then held for those few statements and the
commit, not for the rest of the change's transaction, so transactions that append no longer wait
for each other's work. What the chain guarantees is unchanged: one head, no forks, events in the
order of their commits and, within a transaction, in the order they were recorded; a change and
its events are committed together or not at all.

A savepoint rolled back forgets the events recorded since it was made; a transaction rolled back
or a connection closed forgets them all. Reading the log (`Event.objects`, `ChainHead.objects`)
first links the transaction's own waiting events, so it reads what it wrote; that takes the head
from then to the commit, as every append did before.

`AUDIT_LINK_AT_ONCE` (the tests' setting, where a test's transaction never commits): `record`
links each event as it is recorded, inside the transaction, as it did before. Linking earlier is
always correct: a savepoint rolled back afterwards undoes those writes too.
"""

from __future__ import annotations

from typing import Any


class LinksAuditEventsAtCommit:
    """Mixed into a Django `DatabaseWrapper`: keeps the connection's waiting audit events."""

    audit_waiting: list[Any]
    # For each open savepoint: its id and how many events were waiting when it was made.
    audit_marks: list[tuple[str, int]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit_waiting, self.audit_marks = [], []

    def audit_wait(self, event: Any) -> None:
        """Keep `event` to be linked when this transaction commits."""
        self.audit_waiting.append(event)

    def audit_link(self) -> None:
        """Link the waiting events now, inside the transaction: the head is then held to its end."""
        if not self.audit_waiting or self.get_autocommit():
            return
        from ombuds.audit.services import link_waiting

        events, marks = self.audit_waiting, self.audit_marks
        # Whatever a savepoint rolls back from here is undone in the database, these writes too.
        self.audit_waiting, self.audit_marks = [], [(sid, 0) for sid, _ in marks]
        try:
            link_waiting(events, using=self.alias)
        except BaseException:
            self.audit_waiting, self.audit_marks = events, marks  # still waiting, as they were
            raise

    def audit_forget(self) -> None:
        self.audit_waiting, self.audit_marks = [], []

    def commit(self) -> None:
        if self.audit_waiting:
            try:
                self.audit_link()
            except BaseException:
                self.audit_forget()
                self.rollback()
                raise
        super().commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        self.audit_forget()
        super()._rollback()  # type: ignore[misc]

    def _close(self) -> None:
        self.audit_forget()
        super()._close()  # type: ignore[misc]

    def _savepoint(self, sid: str) -> None:
        super()._savepoint(sid)  # type: ignore[misc]
        self.audit_marks.append((sid, len(self.audit_waiting)))

    def _savepoint_rollback(self, sid: str) -> None:
        super()._savepoint_rollback(sid)  # type: ignore[misc]
        for index in range(len(self.audit_marks) - 1, -1, -1):
            if self.audit_marks[index][0] == sid:
                del self.audit_waiting[self.audit_marks[index][1] :]
                del self.audit_marks[index + 1 :]  # the savepoints made after it are gone
                return

    def _savepoint_commit(self, sid: str) -> None:
        super()._savepoint_commit(sid)  # type: ignore[misc]
        for index in range(len(self.audit_marks) - 1, -1, -1):
            if self.audit_marks[index][0] == sid:
                del self.audit_marks[index:]
                return
