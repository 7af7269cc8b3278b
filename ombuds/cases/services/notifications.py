"""Notices about a case: made from the body's wording (or Ombuds' own), kept on the case, and sent
after the change commits; the respondent's personal link that some of them carry."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ombuds.bodies.models import BodyRole
from ombuds.cases.facts import facts, respondent_notice_made
from ombuds.cases.models import Case, ComplainantLink, Notice, Recusal, RespondentLink
from ombuds.cases.notices import (
    COMPLAINANT_LINK_PLACEHOLDER,
    LINK_PLACEHOLDER,
    Read,
    complainant_url,
    render,
    respondent_url,
)
from ombuds.cases.procedure import Transition
from ombuds.cases.rules import (
    HANDLERS,
    LINK_DAYS,
    PROCEDURE_LINK_TEMPLATES,
    RESPONDENT_LINK_TEMPLATES,
    CaseRefused,
)
from ombuds.cases.selectors import procedure_of
from ombuds.cases.services.base import (
    bump,
    lock_case,
    record_event,
    refuse_when_closed,
    staff_roles,
)
from ombuds.cases.services.delivery import send_notice_task

# --- the respondent's link ------------------------------------------------------------------------


def respondent_link_issue(case: Case) -> str:
    """A new personal link token for the respondent (returned once; its hash is kept)."""
    token = secrets.token_urlsafe(32)
    RespondentLink.objects.create(
        case=case,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() + dt.timedelta(days=LINK_DAYS),
    )
    return token


def respondent_link_case(token: str) -> Case | None:
    """The case a respondent's link opens, or None when it is unknown, revoked or expired (its use
    is noted on the link)."""
    if not token:
        return None
    link = (
        RespondentLink.objects.filter(token_hash=hashlib.sha256(token.encode()).hexdigest())
        .select_related("case__organization")
        .first()
    )
    now = timezone.now()
    if link is None or link.revoked_at or link.expires_at <= now:
        return None
    RespondentLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return link.case


# --- the complainant's link ----------------------------------------------------------------------


def _address_hash(organization_id: int, email: str) -> str:
    """A keyed hash of a complainant's address within one body: what "send me a new link" looks
    links up by (the address itself is sealed and never searched)."""
    key = f"{organization_id}:{email.strip().lower()}"
    return salted_hmac("ombuds.cases.complainant-address", key, algorithm="sha256").hexdigest()


def complainant_link_issue(case: Case) -> str:
    """A new personal link token for a named complainant with an address ("" for an anonymous
    one, who follows the case with the receipt code and passphrase, or one without an address);
    returned once, its hash kept."""
    if case.anonymous or not case.complainant_email.strip():
        return ""
    token = secrets.token_urlsafe(32)
    ComplainantLink.objects.create(
        case=case,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        address_hash=_address_hash(case.organization_id, case.complainant_email),
        expires_at=timezone.now() + dt.timedelta(days=LINK_DAYS),
    )
    return token


def complainant_link_case(token: str) -> Case | None:
    """The case a complainant's link opens, or None when it is unknown, revoked, expired, or its
    case was purged (its use is noted on the link). A respondent's link opens nothing here."""
    if not token:
        return None
    link = (
        ComplainantLink.objects.filter(token_hash=hashlib.sha256(token.encode()).hexdigest())
        .select_related("case__organization", "case__handler")
        .first()
    )
    now = timezone.now()
    if link is None or link.revoked_at or link.expires_at <= now or link.case.purged_at:
        return None
    ComplainantLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return link.case


def complainant_link_renew(*, organization: Any, email: str) -> int:
    """Send a new personal link, by email, for each of the body's complaints made by a named
    complainant at this address (the address the link goes to is the case's, as it stands now).
    Returns how many were sent: the caller never tells the asker (whatever the address, the
    answer is the same), so nobody learns who complained."""
    wanted = email.strip().lower()
    if not wanted:
        return 0
    cases = Case.objects.filter(
        pk__in=ComplainantLink.objects.filter(
            address_hash=_address_hash(organization.pk, wanted),
            case__organization=organization,
        ).values("case_id"),
        anonymous=False,
        purged_at__isnull=True,
    )
    sent = 0
    for found in cases:
        if found.complainant_email.strip().lower() != wanted:
            continue  # the address was corrected since: the link goes to the new one only
        with transaction.atomic():
            case = lock_case(found, None)
            notices_make(case, "complainant_link", "complainant")
            record_event(case, "case.complainant_link_sent", {}, user=None, label="complainant")
        sent += 1
    return sent


# --- who a notice goes to -------------------------------------------------------------------------


def respondent_address(case: Case) -> str:
    """Where the respondent's notices (and their personal link) go: the register's address for a
    respondent in the register, as it stands now; the address given on filing otherwise."""
    record = case.respondent_person or case.respondent_agency
    if record is not None:
        return (record.email or "").strip()
    return case.respondent_email.strip()


def _recipients(case: Case, role: str) -> list[str]:
    """The addresses of a notice to a party or to the body's people ("" when there is none: the
    notice is kept to be delivered by other means). Recused and inactive people get nothing."""
    if role == "complainant":
        return [case.complainant_email] if case.complainant_email else [""]
    if role == "respondent":
        return [respondent_address(case)]
    wanted = {"committee": ("committee_member", "ethics_chair"), "chair": ("ethics_chair",)}[role]
    recused = Recusal.objects.filter(case=case).values_list("user_id", flat=True)
    emails = (
        BodyRole.objects.filter(
            organization_id=case.organization_id, role__in=wanted, user__is_active=True
        )
        .exclude(user_id__in=recused)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(emails) or [""]


# --- making them ----------------------------------------------------------------------------------


def notices_make(
    case: Case,
    template: str,
    recipient_role: str,
    *,
    inputs: dict[str, Any] | None = None,
    step: Transition | None = None,
    read: Read | None = None,
) -> list[Notice]:
    """Notices from the body's template (or Ombuds' own), kept on the case and sent after commit.
    Call it inside the transaction of the change that sends them; ``read``: what the caller holds
    of the case already, as it now stands (`ombuds.cases.notices.Read`).

    A respondent without an email address gets a notice *to deliver by other means* (its text,
    with their link written out, printed and posted or handed over; staff record the delivery).
    What the complainant is told by a step that notifies the respondent waits (*held*) until the
    respondent's notice is delivered: nobody is told "notified" before they were."""
    made = []
    held = recipient_role == "complainant" and step is not None and _tells_respondent(case, step)
    link = ""
    if recipient_role == "respondent" and template in RESPONDENT_LINK_TEMPLATES:
        link = respondent_link_issue(case)
    mine = complainant_link_issue(case) if recipient_role == "complainant" else ""
    subject, body = render(
        case,
        template,
        recipient_role,
        respondent_token=link,
        inputs=inputs,
        step=step,
        complainant_token=mine,
        read=read,
    )
    if link:
        # Kept on the case without the link; the link goes into the email only (`notice_send`).
        body = body.replace(respondent_url(link), LINK_PLACEHOLDER)
    if mine:
        url = complainant_url(case.organization.slug, mine)
        body, link = body.replace(url, COMPLAINANT_LINK_PLACEHOLDER), mine
    for email in _recipients(case, recipient_role):
        by_hand = recipient_role == "respondent" and not email
        notice = Notice.objects.create(
            case=case,
            template=template,
            recipient_role=recipient_role,
            recipient_email=email,
            subject=subject,
            body=body,
            # Kept until delivered: the email carries it, or the printed notice writes it out.
            link_token=link if (email or by_hand) else "",
            status=_first_status(email=email, by_hand=by_hand, held=held),
        )
        if email and not held:
            # robust: a queue that is down must not turn a committed change into an error page;
            # the notice stays pending and `notices_retry` sends it.
            transaction.on_commit(lambda pk=notice.pk: _enqueue_notice(pk), robust=True)
        made.append(notice)
    return made


def _first_status(*, email: str, by_hand: bool, held: bool) -> str:
    if held:
        return Notice.Status.HELD
    if email:
        return Notice.Status.PENDING
    return Notice.Status.TO_DELIVER if by_hand else Notice.Status.NO_ADDRESS


def _tells_respondent(case: Case, transition: Transition) -> bool:
    """Whether the step sends the respondent a notice with their link (given the case's facts)."""
    return bool(respondent_notice_templates(transition, facts(case)))


def respondent_notice_templates(transition: Transition, case_facts: dict[str, bool]) -> list[str]:
    """The templates of the notices with their link this step would send the respondent, given the
    case's facts."""
    templates = []
    for effect in transition.effects:
        if effect.kind != "notice" or "respondent" not in effect.to:
            continue
        if effect.template not in PROCEDURE_LINK_TEMPLATES:
            continue
        if all(
            bool(case_facts.get(c.removeprefix("not "), False)) != c.startswith("not ")
            for c in effect.when
        ):
            templates.append(effect.template)
    return templates


def notifies_respondent_first(case: Case, transition: Transition) -> bool:
    """Whether the step tells the respondent of the complaint for the first time (a notice with
    their link, and none before): after it, they read the allegations."""
    carries_link = any(
        e.kind == "notice" and "respondent" in e.to and e.template in PROCEDURE_LINK_TEMPLATES
        for e in transition.effects
    )
    return (
        carries_link
        and not respondent_notice_made(case)
        and bool(respondent_notice_templates(transition, facts(case)))
    )


def respondent_notice_preview(
    case: Case,
    transition: Transition,
    case_facts: dict[str, bool] | None = None,
    read: Read | None = None,
) -> list[tuple[str, str]]:
    """(subject, text) of each notice the step would send the respondent if taken now, exactly as
    they would read it (the dates the step starts included), their personal link shown as the
    notice kept on the case shows it; [] when the step sends them none. ``read``: what the caller
    has read of the case already (`ombuds.cases.notices.Read`)."""
    procedure = procedure_of(case)
    today = timezone.localdate()
    current = (
        [d for d in read.deadlines if d.met_at is None and d.expired_at is None]
        if read is not None
        else case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True)
    )
    due = {
        d.name: d.due_on
        for d in current
        if d.name not in transition.stops and "*" not in transition.stops
    }
    for name in transition.starts:
        if procedure.deadlines[name].after_delivery:
            continue  # counts from the delivery: the notice gives the period, not a date
        due.setdefault(name, procedure.deadlines[name].due(today, procedure.holidays))
    preview_token = "preview"
    notices = []
    for template in respondent_notice_templates(transition, case_facts or facts(case)):
        subject, body = render(
            case,
            template,
            "respondent",
            respondent_token=preview_token,
            step=transition,
            deadlines=due,
            read=read,
        )
        notices.append((subject, body.replace(respondent_url(preview_token), LINK_PLACEHOLDER)))
    return notices


def _enqueue_notice(notice_id: int) -> None:
    send_notice_task.enqueue(notice_id)


def respondent_notice_resend(
    *,
    case: Case,
    acting_user: Any = None,
    notice_id: int | None = None,
    expected_version: int | None = None,
) -> list[Notice]:
    """Make the respondent's notice with a link again (``notice_id``, or their latest), with a new
    personal link (the old links keep working until they expire): sent by email when they have an
    address, else a new notice to deliver by other means (printed with the new link; staff record
    its delivery). Refused before the procedure has made them a notice: a resend must not tell a
    member of a complaint before the Chair does (CSEC Article 5)."""
    with transaction.atomic():
        case = lock_case(case, expected_version)
        staff_roles(acting_user, case, HANDLERS)
        refuse_when_closed(case)
        sent = case.notices.filter(
            recipient_role="respondent", template__in=PROCEDURE_LINK_TEMPLATES
        ).order_by("-created_at", "-pk")
        last = sent.filter(pk=notice_id).first() if notice_id is not None else sent.first()
        if last is None:
            raise CaseRefused(
                "the respondent has not been notified of the complaint yet"
                if notice_id is None
                else f"notice {notice_id} is not one of the respondent's notices on this case"
            )
        notices = notices_make(case, last.template, "respondent")
        bump(case)
        record_event(
            case,
            "case.respondent_link_sent",
            {
                "template": last.template,
                "notice": last.pk,
                "by": "email" if respondent_address(case) else "other means",
            },
            user=acting_user,
            label="",
        )
    return notices
