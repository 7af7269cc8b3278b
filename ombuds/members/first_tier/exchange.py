"""Replies and resolution: the agency answers (its administrators only), the client writes again
through their personal link, and the agency resolves the complaint or closes it unresolved. Each
change locks the complaint, writes its audit event and emails after the commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.members.first_tier.common import (
    CLIENT_LABEL,
    CLOSED,
    MAX_TEXT,
    FirstTierRefused,
    Status,
    admin_addresses,
    inbox_url,
    mail_after_commit,
    require_admin,
    sign_off,
)
from ombuds.members.models import ClientComplaint, ClientMessage


def _lock(complaint: ClientComplaint) -> ClientComplaint:
    return (
        ClientComplaint.objects.select_for_update(of=("self",))
        .select_related("agency__organization")
        .get(pk=complaint.pk)
    )


def _text(body: str, what: str) -> str:
    text = (body or "").strip()
    if not text:
        raise FirstTierRefused(what)
    if len(text) > MAX_TEXT:
        raise FirstTierRefused(f"Write at most {MAX_TEXT} characters.")
    return text


def _still_open(complaint: ClientComplaint) -> None:
    if complaint.status in CLOSED:
        raise FirstTierRefused(
            f"Complaint {complaint.reference} is {complaint.get_status_display().lower()}: it "
            "takes no more messages."
        )


def _record(complaint: ClientComplaint, action: str, data: dict[str, Any], *, user: Any) -> None:
    audit.record(
        action=action,
        subject_type="client_complaint",
        subject_id=complaint.pk,
        organization=complaint.agency.organization,
        actor=user,
        actor_label="" if getattr(user, "pk", None) else CLIENT_LABEL,
        data={"reference": complaint.reference, **data},
    )


def client_complaint_reply(
    *, complaint: ClientComplaint, body: str, acting_user: Any
) -> ClientMessage:
    """The agency answers the client (an administrator of the agency only). The first answer sets
    the time of first response; the complaint is then answered (waiting for the client). The
    client is emailed the answer."""
    text = _text(body, "Write your answer to the client.")
    require_admin(acting_user, complaint.agency)
    with transaction.atomic():
        locked = _lock(complaint)
        _still_open(locked)
        now = timezone.now()
        first = locked.first_response_at is None
        message = ClientMessage.objects.create(
            complaint=locked, from_client=False, author=acting_user, body=text, created_at=now
        )
        locked.first_response_at = locked.first_response_at or now
        locked.status = Status.ANSWERED
        locked.handled_by = acting_user
        locked.save(update_fields=["first_response_at", "status", "handled_by"])
        _record(
            locked,
            "client_complaint.answered",
            {"first response": first, "words": len(text.split())},
            user=acting_user,
        )
        if locked.client_email:
            mail_after_commit(
                f"{locked.agency.legal_name} answered your complaint ({locked.reference})",
                f"Dear {locked.client_name},\n\n{locked.agency.legal_name} wrote:\n\n{text}"
                + sign_off(locked),
                [locked.client_email],
                locked.agency.organization,
            )
    _refresh(complaint, locked)
    return message


def client_complaint_client_reply(*, complaint: ClientComplaint, body: str) -> ClientMessage:
    """The client writes again through their personal link; the complaint waits for the agency
    (open) again, and its administrators are told (without the client's words)."""
    text = _text(body, "Write your message.")
    with transaction.atomic():
        locked = _lock(complaint)
        _still_open(locked)
        message = ClientMessage.objects.create(
            complaint=locked, from_client=True, body=text, created_at=timezone.now()
        )
        locked.status = Status.OPEN
        locked.save(update_fields=["status"])
        _record(locked, "client_complaint.client_wrote", {"words": len(text.split())}, user=None)
        mail_after_commit(
            f"The client wrote again about complaint {locked.reference}",
            f"The client who made complaint {locked.reference} to {locked.agency.legal_name} "
            f"has written again.\n\nRead and answer it in your agency's inbox:\n"
            f"{inbox_url(locked)}\n",
            admin_addresses(locked.agency),
            locked.agency.organization,
        )
    _refresh(complaint, locked)
    return message


def _close(
    complaint: ClientComplaint,
    *,
    status: str,
    text: str,
    acting_user: Any,
    action: str,
    subject: str,
    lead: str,
) -> ClientComplaint:
    require_admin(acting_user, complaint.agency)
    with transaction.atomic():
        locked = _lock(complaint)
        if locked.status in CLOSED:
            raise FirstTierRefused(
                f"Complaint {locked.reference} is already {locked.get_status_display().lower()}."
            )
        now = timezone.now()
        first = locked.first_response_at is None
        # Telling the client how it ends is a response too.
        locked.first_response_at = locked.first_response_at or now
        locked.resolved_at = now
        locked.status = status
        locked.resolution = text
        locked.handled_by = acting_user
        locked.save(
            update_fields=["first_response_at", "resolved_at", "status", "resolution", "handled_by"]
        )
        _record(
            locked,
            action,
            {"first response": first, "words": len(text.split())},
            user=acting_user,
        )
        if locked.client_email:
            mail_after_commit(
                subject.format(agency=locked.agency.legal_name, reference=locked.reference),
                f"Dear {locked.client_name},\n\n{lead.format(agency=locked.agency.legal_name)}"
                f"\n\n{text}" + sign_off(locked),
                [locked.client_email],
                locked.agency.organization,
            )
    _refresh(complaint, locked)
    return complaint


def client_complaint_resolve(
    *, complaint: ClientComplaint, resolution: str, acting_user: Any
) -> ClientComplaint:
    """The agency resolves the complaint, summarising the resolution for the client (required):
    the time of resolution is set, the record is final, and the client is emailed."""
    text = _text(resolution, "Summarise how the complaint was resolved: the client reads it.")
    return _close(
        complaint,
        status=Status.RESOLVED,
        text=text,
        acting_user=acting_user,
        action="client_complaint.resolved",
        subject="{agency} resolved your complaint ({reference})",
        lead="{agency} has marked your complaint resolved:",
    )


def client_complaint_close_unresolved(
    *, complaint: ClientComplaint, reason: str, acting_user: Any
) -> ClientComplaint:
    """The agency closes the complaint without resolving it, saying why (required): the record is
    final and the client is emailed. It counts as closed, not in the time to resolution."""
    text = _text(reason, "Say why the complaint is closed without a resolution.")
    return _close(
        complaint,
        status=Status.UNRESOLVED,
        text=text,
        acting_user=acting_user,
        action="client_complaint.closed_unresolved",
        subject="{agency} closed your complaint without resolving it ({reference})",
        lead="{agency} has closed your complaint without resolving it:",
    )


def _refresh(complaint: ClientComplaint, locked: ClientComplaint) -> None:
    """The caller's object shows the complaint as it now is."""
    for name in ("status", "first_response_at", "resolved_at", "resolution", "handled_by_id"):
        setattr(complaint, name, getattr(locked, name))
