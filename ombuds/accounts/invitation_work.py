"""Doing an invitation run (`ombuds.accounts.invitation_runs` starts it): each person invited in
their own transaction, the counts saved every few people, and the run finished with its summary
and audit event. The task worker (`tasks.invitation_run_task`) and the command line call
`run_execute`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ombuds.accounts import selectors, services
from ombuds.accounts.models import Invitation, InvitationRun
from ombuds.audit import services as audit
from ombuds.register.models import Person

logger = logging.getLogger("ombuds.accounts.invitation_runs")

KEPT_REFUSALS = 200  # the refusals a run keeps to show; refused_count says how many there were
PROGRESS_EVERY = 25  # people between two saves of a run's counts

# What became of one person: "sent", "skipped" or "refused", the person, and the invitation sent
# or the reasons for the refusal. The command line lists each one.
PersonOutcome = Callable[[str, Person, Invitation | None, list[str]], None]


def live_invitations() -> QuerySet[Invitation]:
    """Invitations not accepted, withdrawn or expired."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


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
        finish(
            run,
            state=InvitationRun.State.FAILED,
            summary=f"Stopped by an internal error ({exc!r}) after {run.done} of {run.total} "
            "people; those invited stay invited, and a new run reaches the others.",
        )
        return run
    finish(run, state=InvitationRun.State.DONE, summary=run_summary(run))
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
                or live_invitations().filter(person=person).exists()
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
def finish(run: InvitationRun, *, state: str, summary: str) -> None:
    """End the run (done or failed) with its summary, and its audit event."""
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
