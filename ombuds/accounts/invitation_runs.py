"""Inviting a whole register: everyone of a body with an email address, no account and no live
invitation (`selectors.people_to_invite`), in one run.

The staff page starts a run in the background (Django's tasks framework, `tasks.invitation_run_task`);
the command line (`ombuds accounts invite ORG --all`) runs the same code at once. Each person is
invited in their own transaction through `services.invitation_create`, so one refusal (an address
that is not valid) is recorded and the run goes on, and each email leaves once its invitation is
committed. The run's counts are saved every few people: the page reads them as its progress.

A run delivered twice runs once, and a person invited (or given an account) while a run goes on is
skipped. One run at a time per body; a run that has shown no progress for `STALE_AFTER` (its worker
stopped) no longer blocks the next one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from ombuds.accounts import selectors
from ombuds.accounts.invitation_work import (  # noqa: F401  the run's public functions, in one place
    KEPT_REFUSALS,
    PROGRESS_EVERY,
    PersonOutcome,
    finish,
    live_invitations,
    run_execute,
    run_summary,
)
from ombuds.accounts.models import Invitation, InvitationRun
from ombuds.accounts.tasks import invitation_run_task
from ombuds.bodies.models import Organization
from ombuds.register.models import Person

STALE_AFTER = dt.timedelta(hours=1)


class InvitationRunRefused(Exception):
    """A run that cannot be started now; ``problems`` lists every reason, in words."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class InvitationCounts:
    """Where the body's register stands with accounts. ``invited``, ``lapsed``, ``no_email`` and
    ``to_invite`` count only people without an account; ``to_invite`` (an email address, no live
    invitation) includes those of ``lapsed`` who have an email address."""

    people: int
    with_account: int
    invited: int
    lapsed: int
    no_email: int
    to_invite: int


def invitation_counts(organization: Organization) -> InvitationCounts:
    """The body's register by account and invitation, in one query."""
    no_account = Q(user__isnull=True)
    live = Q(has_live=True)
    row = (
        Person.objects.filter(organization=organization)
        .annotate(
            has_live=Exists(live_invitations().filter(person=OuterRef("pk"))),
            has_any=Exists(Invitation.objects.filter(person=OuterRef("pk"))),
        )
        .aggregate(
            people=Count("pk"),
            with_account=Count("pk", filter=~no_account),
            invited=Count("pk", filter=no_account & live),
            lapsed=Count("pk", filter=no_account & ~live & Q(has_any=True)),
            no_email=Count("pk", filter=no_account & ~live & Q(email="")),
            to_invite=Count("pk", filter=no_account & ~live & ~Q(email="")),
        )
    )
    return InvitationCounts(**row)


def _stale(run: InvitationRun, now: dt.datetime) -> bool:
    return run.active and now - run.updated_at > STALE_AFTER


def run_stale(run: InvitationRun) -> bool:
    """Whether an unfinished run has shown no progress for `STALE_AFTER` (its worker stopped)."""
    return _stale(run, timezone.now())


@transaction.atomic
def run_start(
    *,
    organization: Organization,
    started_by: Any = None,
    enqueue: bool = True,
    allow_empty: bool = False,
) -> InvitationRun:
    """Queue a run inviting everyone of the body not yet invited; with ``enqueue`` it goes to the
    task worker once committed, else the caller runs it (`run_execute`). Refused while another run
    of the body is going, and (unless ``allow_empty``) when nobody is left to invite."""
    # The body's row is locked so that two runs started at once queue one (the unique constraint
    # on active runs stands behind it on a database without row locks).
    Organization.objects.select_for_update().get(pk=organization.pk)
    now = timezone.now()
    problems = []
    for other in InvitationRun.objects.filter(
        organization=organization, state__in=InvitationRun.ACTIVE_STATES
    ):
        if _stale(other, now):
            finish(
                other,
                state=InvitationRun.State.FAILED,
                summary=f"Stopped: no progress for over {_duration(STALE_AFTER)}, so a new run "
                "took its place (the people it had not reached yet were left to that run).",
            )
        else:
            problems.append(
                f"An invitation run is already {'waiting to start' if other.state == 'queued' else 'going'} "
                f"(started {timezone.localtime(other.created_at):%-d %B %Y %H:%M}): wait for it "
                "to finish, then start another one for whoever it did not reach."
            )
    if not allow_empty and not selectors.people_to_invite(organization).exists():
        problems.append(
            "Nobody is left to invite: everyone with an email address has an account or a live "
            "invitation."
        )
    if problems:
        raise InvitationRunRefused(problems)
    try:
        with transaction.atomic():
            run = InvitationRun.objects.create(
                organization=organization,
                started_by=started_by if getattr(started_by, "pk", None) else None,
            )
    except IntegrityError as taken:  # a run started a moment ago
        raise InvitationRunRefused(
            "An invitation run was started a moment ago: wait for it to finish."
        ) from taken
    if enqueue:
        transaction.on_commit(lambda: _enqueue(run.pk), robust=True)
    return run


def _enqueue(run_id: int) -> None:
    invitation_run_task.enqueue(run_id)


def _duration(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' * (hours != 1)}"
    return f"{minutes} minutes"


def runs_recent(organization: Organization, limit: int = 5) -> list[InvitationRun]:
    """The body's latest runs, newest first."""
    return list(
        InvitationRun.objects.filter(organization=organization).select_related("started_by")[:limit]
    )
