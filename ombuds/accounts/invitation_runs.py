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
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from ombuds.accounts import selectors, services
from ombuds.accounts.models import Invitation, InvitationRun
from ombuds.audit import services as audit
from ombuds.register.models import Organization, Person

logger = logging.getLogger(__name__)

KEPT_REFUSALS = 200  # the refusals a run keeps to show; refused_count says how many there were
PROGRESS_EVERY = 25  # people between two saves of a run's counts
STALE_AFTER = dt.timedelta(hours=1)

# What became of one person: "sent", "skipped" or "refused", the person, and the invitation sent
# or the reasons for the refusal. The command line lists each one.
PersonOutcome = Callable[[str, Person, Invitation | None, list[str]], None]


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


def _live_invitations():
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def invitation_counts(organization: Organization) -> InvitationCounts:
    """The body's register by account and invitation, in one query."""
    no_account = Q(user__isnull=True)
    live = Q(has_live=True)
    row = (
        Person.objects.filter(organization=organization)
        .annotate(
            has_live=Exists(_live_invitations().filter(person=OuterRef("pk"))),
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
            _finish(
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
    from ombuds.accounts.tasks import invitation_run_task

    invitation_run_task.enqueue(run_id)


def run_execute(run_id: int, *, on_person: PersonOutcome | None = None) -> InvitationRun | None:
    """Run a queued run (the task calls this; so does the command line). Returns the finished run,
    or None when it is not waiting to run (delivered twice, or taken over as stale)."""
    with transaction.atomic():
        run = (
            InvitationRun.objects.select_for_update(of=("self",))
            .select_related("organization", "started_by")
            .filter(pk=run_id, state=InvitationRun.State.QUEUED)
            .first()
        )
        if run is None:
            return None
        ids = list(selectors.people_to_invite(run.organization).values_list("pk", flat=True))
        run.state, run.started_at, run.total = InvitationRun.State.RUNNING, timezone.now(), len(ids)
        run.save(update_fields=["state", "started_at", "total", "updated_at"])
    try:
        for index, person_id in enumerate(ids, start=1):
            _invite_one(run, person_id, on_person)
            run.done = index
            if index % PROGRESS_EVERY == 0:
                run.save(
                    update_fields=[
                        "done",
                        "sent",
                        "skipped",
                        "refused_count",
                        "refused",
                        "updated_at",
                    ]
                )
    except Exception as exc:  # the run must end, and say why, whatever stopped it
        logger.exception("invitation run %s stopped", run.pk)
        _finish(
            run,
            state=InvitationRun.State.FAILED,
            summary=f"Stopped by an internal error ({exc!r}) after {run.done} of {run.total} "
            "people; those invited stay invited, and a new run reaches the others.",
        )
        return run
    _finish(run, state=InvitationRun.State.DONE, summary=run_summary(run))
    return run


def _invite_one(run: InvitationRun, person_id: int, on_person: PersonOutcome | None) -> None:
    """Invite one person in their own transaction (its email leaves on commit), unless they were
    invited or given an account meanwhile; a refusal is kept and the run goes on."""
    try:
        with transaction.atomic():
            person = (
                Person.objects.select_for_update()
                .filter(pk=person_id, organization=run.organization)
                .first()
            )
            if (
                person is None
                or person.user_id
                or not person.email.strip()
                or _live_invitations().filter(person=person).exists()
            ):
                run.skipped += 1
                if person is not None and on_person:
                    on_person("skipped", person, None, [])
                return
            invitation, _token = services.invitation_create(
                person=person, invited_by=run.started_by
            )
    except services.InvitationRefused as refused:
        run.refused_count += 1
        if len(run.refused) < KEPT_REFUSALS:
            run.refused.append(
                f"{person.full_name} (ombuds:{person.pk}): {'; '.join(refused.problems)}"
            )
        if on_person:
            on_person("refused", person, None, refused.problems)
        return
    run.sent += 1
    if on_person:
        on_person("sent", person, invitation, [])


@transaction.atomic
def _finish(run: InvitationRun, *, state: str, summary: str) -> None:
    run.state, run.summary, run.finished_at = state, summary, timezone.now()
    run.save(
        update_fields=[
            "state",
            "summary",
            "finished_at",
            "done",
            "sent",
            "skipped",
            "refused_count",
            "refused",
            "updated_at",
        ]
    )
    audit.record(
        action="account.invitation_run",
        subject_type="invitation_run",
        subject_id=run.pk,
        organization=run.organization,
        actor=run.started_by,
        data={
            "state": state,
            "total": run.total,
            "done": run.done,
            "sent": run.sent,
            "skipped": run.skipped,
            "refused": run.refused_count,
        },
    )


def run_summary(run: InvitationRun) -> str:
    """The run's counts in words: "2 invitations sent, 1 refused, 1 skipped (invited meanwhile)"."""
    text = f"{run.sent} invitation{'s' * (run.sent != 1)} sent"
    if run.refused_count:
        text += f", {run.refused_count} refused"
    if run.skipped:
        text += f", {run.skipped} skipped (invited or given an account meanwhile)"
    return text


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
