"""Database backends that link a transaction's audit events into the chain as it commits.

`ombuds.audit.services.record` does not lock the chain head: it adds its event to the events
waiting on its connection, in the order they were recorded. Just before the transaction commits,
still inside it, the backend's commit locks the head, numbers and links every waiting event,
writes them and moves the head (`services.link_waiting`); the lock is then held for those few
statements and the commit, not for the rest of the change's transaction, so transactions that
append no longer wait for each other's work. What the chain guarantees is unchanged: one head, no
forks, events in the order of their commits and, within a transaction, in the order they were
recorded; a change and its events are committed together or not at all.

A savepoint rolled back forgets the events recorded since it was made; a transaction rolled back
or a connection closed forgets them all. Reading the log (`Event.objects`, `ChainHead.objects`)
first links the transaction's own waiting events, so it reads what it wrote; that takes the head
from then to the commit, as every append did before. Events linked inside a savepoint that is then
rolled back had their writes undone with it: those recorded before the savepoint wait again.

The head is now the last lock a transaction takes, unless it reads the log first: a transaction
that reads the log and then locks rows can deadlock with one that locked those rows and waits for
the head at its commit (PostgreSQL then refuses one of them). Read the log after taking row locks.

`AUDIT_LINK_AT_ONCE` (the tests' setting, where a test's transaction never commits): `record`
links each event as it is recorded, inside the transaction, as it did before. Linking earlier is
always correct: a savepoint rolled back afterwards undoes those writes too.
"""

from __future__ import annotations

from typing import Any


class LinksAuditEventsAtCommit:
    """Mixed into a Django `DatabaseWrapper`: keeps the events its transaction recorded."""

    # Every event the open transaction recorded, in order; the first `audit_linked` are written.
    audit_recorded: list[Any]
    audit_linked: int
    # For each open savepoint: its id, and how many events were recorded and linked when it was made.
    audit_marks: list[tuple[str, int, int]]
    audit_linking: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit_forget()

    @property
    def audit_waiting(self) -> list[Any]:
        """The events recorded and not yet linked, in order."""
        return self.audit_recorded[self.audit_linked :]

    def audit_wait(self, event: Any) -> None:
        """Keep `event` to be linked when this transaction commits."""
        self.audit_recorded.append(event)

    def audit_unwait(self, event: Any) -> None:
        """Forget `event`, the last recorded, not linked (its append was refused)."""
        if self.audit_recorded[self.audit_linked :][-1:] == [event]:
            self.audit_recorded.pop()

    def audit_link(self) -> None:
        """Link the waiting events now, inside the transaction: the head is then held to its end."""
        if self.audit_linking or self.audit_linked == len(self.audit_recorded):
            return
        if self.get_autocommit():
            return
        from ombuds.audit.services import link_waiting

        self.audit_linking = True  # its own reads of the head do not link again
        try:
            link_waiting(self.audit_recorded[self.audit_linked :], using=self.alias)
        finally:
            self.audit_linking = False
        self.audit_linked = len(self.audit_recorded)

    def audit_forget(self) -> None:
        self.audit_recorded, self.audit_linked, self.audit_marks = [], 0, []
        self.audit_linking = False

    def _commit(self) -> None:
        # Django calls this once its checks pass (no atomic block open, the right thread).
        if self.audit_linked < len(self.audit_recorded):
            try:
                self.audit_link()
            except BaseException:
                self.rollback()  # the change goes with its events
                raise
        self.audit_forget()
        super()._commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        self.audit_forget()
        super()._rollback()  # type: ignore[misc]

    def _close(self) -> None:
        self.audit_forget()
        super()._close()  # type: ignore[misc]

    def _set_autocommit(self, autocommit: bool) -> None:
        # Turning autocommit on commits an open transaction on SQLite: its events go with it.
        if autocommit and self.audit_linked < len(self.audit_recorded):
            self.audit_link()
        super()._set_autocommit(autocommit)  # type: ignore[misc]
        if autocommit:
            self.audit_forget()

    def _savepoint(self, sid: str) -> None:
        super()._savepoint(sid)  # type: ignore[misc]
        self.audit_marks.append((sid, len(self.audit_recorded), self.audit_linked))

    def _savepoint_rollback(self, sid: str) -> None:
        super()._savepoint_rollback(sid)  # type: ignore[misc]
        for index in range(len(self.audit_marks) - 1, -1, -1):
            if self.audit_marks[index][0] == sid:
                _, recorded, linked = self.audit_marks[index]
                # The events recorded since are forgotten. Those recorded before but linked since
                # had their writes undone with the savepoint's (the head's too): they wait again.
                del self.audit_recorded[recorded:]
                self.audit_linked = min(self.audit_linked, linked)
                del self.audit_marks[index + 1 :]  # the savepoints made after it are gone
                return

    def _savepoint_commit(self, sid: str) -> None:
        super()._savepoint_commit(sid)  # type: ignore[misc]
        for index in range(len(self.audit_marks) - 1, -1, -1):
            if self.audit_marks[index][0] == sid:
                del self.audit_marks[index:]
                return
