"""What every certification service shares: the refusal, locking an application and refusing a stale
change, recording a move (its event and its audit entry), and the candidate's notices (kept until
sent, sent after the commit, retried by the daily work)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.mail import body_mail
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.certification import workflow
from ombuds.certification.models import (
    Application,
    ApplicationEvent,
    CandidateNotice,
    Requirements,
)
from ombuds.certification.requirements import Requirements as Spec
from ombuds.certification.requirements import load
from ombuds.core.changes import WHOLE, ChangedMeanwhile, ChangeRefused, version_of

logger = logging.getLogger(__name__)
# A notice the mail server refused this many times is left for staff to see (the daily work stops).
NOTICE_ATTEMPTS = 5


class CertificationRefused(ChangeRefused):
    """A certification step that cannot be taken: ``errors`` by field (``WHOLE`` for the whole
    step), every one at once; nothing was written."""

    def __init__(self, problems: str | list[str] | dict[str, list[str]]):
        if isinstance(problems, str):
            problems = {WHOLE: [problems]}
        elif isinstance(problems, list):
            problems = {WHOLE: problems}
        super().__init__(problems)

    @property
    def problems(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]


def sentence(text: str) -> str:
    """A clause as a sentence: a capital letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def real_user(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def staff_label(organization: Organization, user: Any) -> str:
    """The label to record for a staff change: "command line" for no user (the operator, who is
    trusted), "" for a user, who must be the body's staff (CertificationRefused otherwise)."""
    if user is None:
        return "command line"
    if not is_body_staff(user, organization):
        raise CertificationRefused(f"You have no staff role on {organization.short_name}.")
    return ""


def spec_of(requirements: Requirements) -> Spec:
    """The requirements an application is judged against (installed, so already checked)."""
    return load(requirements.text, source=f"{requirements.key} {requirements.version}")


def lock(application: Application, expected_version: str | None) -> Application:
    """The application, locked; ChangedMeanwhile when it changed since the caller read it."""
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organization", "program", "requirements", "person")
        .get(pk=application.pk)
    )
    if expected_version is not None and version_of(locked) != expected_version:
        raise ChangedMeanwhile(
            f"application {locked.reference} changed since you opened it: reload it, and decide "
            "again on what it says now"
        )
    return locked


def move(
    application: Application,
    target: str,
    *,
    by: str,
    reason: str = "",
    acting_user: Any = None,
    actor_label: str = "",
    decision_ref: str = "",
    fields: tuple[str, ...] = (),
    data: dict[str, Any] | None = None,
) -> ApplicationEvent:
    """Move a locked application to ``target`` as the workflow allows (MoveRefused otherwise, as a
    CertificationRefused), save it with ``fields``, and write its event and audit entry."""
    try:
        workflow.check_move(application.state, target, by=by, reason=reason)
    except workflow.MoveRefused as exc:
        raise CertificationRefused(sentence(str(exc))) from exc
    source = application.state
    application.state = target
    if by != workflow.CANDIDATE:
        application.state_reason = reason.strip()
    application.save(update_fields=["state", "state_reason", "updated_at", *fields])
    return event_record(
        application,
        source,
        target,
        reason=reason,
        acting_user=acting_user,
        actor_label=actor_label,
        decision_ref=decision_ref,
        data=data,
    )


def event_record(
    application: Application,
    source: str,
    target: str,
    *,
    reason: str = "",
    acting_user: Any = None,
    actor_label: str = "",
    decision_ref: str = "",
    data: dict[str, Any] | None = None,
) -> ApplicationEvent:
    """The application's history and the audit chain, in the caller's transaction."""
    label = actor_label or ("" if real_user(acting_user) else "the daily work")
    event = ApplicationEvent.objects.create(
        application=application,
        from_state=source,
        to_state=target,
        reason=reason.strip(),
        decision_ref=decision_ref,
        actor=real_user(acting_user),
        actor_label=label[:200],
    )
    audit.record(
        action="certification.application_moved" if source else "certification.application_opened",
        subject_type="certification.application",
        subject_id=application.pk,
        data={
            "reference": application.reference,
            "from": source,
            "to": target,
            "reason": reason.strip(),
            "decision_ref": decision_ref,
            **(data or {}),
        },
        organization=application.organization,
        actor=acting_user,
        actor_label=label,
    )
    return event


# --- the candidate's notices --------------------------------------------------------------------


def application_url(application: Application) -> str:
    return settings.OMBUDS_BASE_URL.rstrip("/") + reverse(
        "certification:application", kwargs={"pk": application.pk}
    )


def notice_make(application: Application, subject: str, text: str) -> CandidateNotice:
    """An email to the candidate, kept in the caller's transaction and sent once it commits."""
    body = application.organization
    notice = CandidateNotice.objects.create(
        application=application,
        email=application.email,
        subject=f"{body.short_name}: {subject}"[:200],
        body=(
            f"Dear {application.full_name},\n\n{text.strip()}\n\n"
            f"Your application {application.reference}: {application_url(application)}\n\n"
            f"{body.name}\n"
        ),
    )
    transaction.on_commit(lambda: notice_send(notice.pk))
    return notice


def notice_send(pk: int) -> bool:
    """Send one notice not sent yet; the mail server's refusal is kept on it (to retry). True if
    it went."""
    with transaction.atomic():
        notice = CandidateNotice.objects.select_for_update().filter(pk=pk).first()
        if notice is None or notice.sent_at is not None:
            return False
        notice.attempts += 1
        try:
            body_mail(
                notice.application.program.organization,
                notice.subject,
                notice.body,
                [notice.email],
            )
        except Exception as exc:  # any transport error: kept and retried, never lost
            notice.last_error = (str(exc) or exc.__class__.__name__)[:300]
            notice.save(update_fields=["attempts", "last_error"])
            logger.warning("certification notice %s not sent: %s", pk, notice.last_error)
            return False
        notice.sent_at = timezone.now()
        notice.last_error = ""
        notice.save(update_fields=["attempts", "last_error", "sent_at"])
    return True


def notices_retry() -> int:
    """Send every notice still waiting (fewer than NOTICE_ATTEMPTS tries); how many went."""
    waiting = CandidateNotice.objects.filter(
        sent_at__isnull=True, attempts__lt=NOTICE_ATTEMPTS
    ).values_list("pk", flat=True)
    return sum(notice_send(pk) for pk in list(waiting))


EDITABLE = (workflow.DRAFT, workflow.MORE_INFORMATION)


def check_own_editable(application: Application, user: Any, what: str = "it") -> None:
    """Only the candidate changes their application, and only while it is a draft or while
    information is asked of them."""
    problems = []
    if not getattr(user, "pk", None) or application.person.user_id != user.pk:
        problems.append("Only the candidate changes their own application.")
    if application.state not in EDITABLE:
        problems.append(
            f"The application is {application.get_state_display().lower()}: {what} can no "
            "longer change."
        )
    if problems:
        raise CertificationRefused(problems)


def date_text(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"
