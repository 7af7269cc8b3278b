"""Filing: a client's complaint to a member agency, through the agency's public form, without an
account. The same form sent twice finds the same complaint."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.members.first_tier.common import (
    CLIENT_LABEL,
    MAX_TEXT,
    REFERENCE_ALPHABET,
    REFERENCE_ATTEMPTS,
    FirstTierRefused,
    admin_addresses,
    client_url,
    inbox_url,
    mail_after_commit,
    member_agency,
    token_for,
    token_hash,
)
from ombuds.members.models import ClientComplaint
from ombuds.register.models import Agency


@dataclass(frozen=True)
class FirstTierFiled:
    complaint: ClientComplaint
    token: str  # the client's personal link: returned here only, kept hashed
    duplicate: bool = False  # the same form sent twice: the complaint it already made


def _reference() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"CC-{code[:4]}-{code[4:]}"


def _filing_problems(
    agency: Agency,
    *,
    client_name: str,
    client_email: str,
    client_phone: str,
    client_case_number: str,
    subject: str,
    description: str,
    link_only: bool,
) -> list[str]:
    problems = []
    if not client_name:
        problems.append("Give your name: the agency needs it to find your file.")
    elif len(client_name) > 200:
        problems.append("Your name is longer than 200 characters.")
    if client_email:
        try:
            validate_email(client_email)
        except ValidationError:
            problems.append(f"{client_email} is not an email address.")
    if len(client_phone) > 50:
        problems.append("Your phone number is longer than 50 characters.")
    if not (client_email or client_phone or link_only):
        problems.append(
            f"Give an email address or a phone number so that {agency.legal_name} can answer "
            "you, or confirm that you will follow the complaint through your personal link only."
        )
    if len(client_case_number) > 100:
        problems.append("Your case number is longer than 100 characters.")
    if not subject:
        problems.append("Say in a few words what the complaint is about.")
    elif len(subject) > 200:
        problems.append("What the complaint is about is longer than 200 characters.")
    if not description:
        problems.append("Say what happened.")
    elif len(description) > MAX_TEXT:
        problems.append(f"What happened is longer than {MAX_TEXT} characters.")
    return problems


def _repeated(
    agency: Agency, token: str, client_name: str, description: str
) -> FirstTierFiled | None:
    """The complaint this same form already made, or None. It is the same form only when it says
    the same thing to the same agency: a submission key alone never opens anyone's complaint."""
    existing = (
        ClientComplaint.objects.filter(token_hash=token_hash(token))
        .select_related("agency__organization")
        .first()
    )
    if existing is None:
        return None
    if (
        existing.agency_id != agency.pk
        or existing.client_name != client_name
        or existing.description != description
    ):
        raise FirstTierRefused(
            "This form was already used to send a different complaint: reload the page to make a "
            "new one."
        )
    return FirstTierFiled(existing, token, duplicate=True)


def client_complaint_file(
    *,
    agency: Agency,
    client_name: str,
    subject: str,
    description: str,
    client_email: str = "",
    client_phone: str = "",
    client_case_number: str = "",
    link_only: bool = False,
    submission_key: str = "",
) -> FirstTierFiled:
    """A client's complaint to a member agency: its reference, the personal link's token (returned
    once; its hash is kept), an audit event, and emails after the commit — the link to the client
    when they gave an address, news (without the client's words) to the agency's administrators.

    The client gives at least one way to reply (email or phone) or confirms they follow the
    complaint through the link only. The same form sent twice (same ``submission_key``) gives back
    the first complaint and the same link. Raises FirstTierRefused listing every problem.
    """
    values = {
        "client_name": client_name.strip(),
        "client_email": client_email.strip(),
        "client_phone": client_phone.strip(),
        "client_case_number": client_case_number.strip(),
        "subject": subject.strip(),
        "description": description.strip(),
    }
    token = token_for(submission_key.strip()[:64])
    repeated = _repeated(agency, token, values["client_name"], values["description"])
    if repeated is not None:
        return repeated
    problems = _filing_problems(agency, link_only=link_only, **values)
    if member_agency(agency.organization, agency.pk) is None:
        problems.insert(
            0,
            f"{agency.legal_name} is not a member of {agency.organization.short_name} now: "
            "it takes no complaints here.",
        )
    if problems:
        raise FirstTierRefused(problems)
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            with transaction.atomic():
                complaint = ClientComplaint.objects.create(
                    agency=agency,
                    reference=_reference(),
                    token_hash=token_hash(token),
                    received_at=timezone.now(),
                    **values,
                )
                audit.record(
                    action="client_complaint.filed",
                    subject_type="client_complaint",
                    subject_id=complaint.pk,
                    organization=agency.organization,
                    actor_label=CLIENT_LABEL,
                    data={
                        "reference": complaint.reference,
                        "agency": agency.pk,
                        "email given": bool(complaint.client_email),
                        "phone given": bool(complaint.client_phone),
                    },
                )
                _mail_filed(complaint, token)
            return FirstTierFiled(complaint, token)
        except IntegrityError:
            # The same form at the same moment (its link is taken), or a reference drawn twice.
            repeated = _repeated(agency, token, values["client_name"], values["description"])
            if repeated is not None:
                return repeated
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def _mail_filed(complaint: ClientComplaint, token: str) -> None:
    agency, body = complaint.agency, complaint.agency.organization
    if complaint.client_email:
        mail_after_commit(
            f"Your complaint to {agency.legal_name} ({complaint.reference})",
            f"Dear {complaint.client_name},\n\n{agency.legal_name} has received your complaint "
            f"“{complaint.subject}” through Ombuds. Its reference is {complaint.reference}.\n\n"
            "Your personal link, where you read the agency's answers and write to it (keep it "
            f"to yourself: anyone with it can read the complaint):\n{client_url(complaint, token)}"
            f"\n\nIf the agency does not settle it, you can take it to {body.short_name} from "
            "that page: the exchange shows what you did to settle it first.\n",
            [complaint.client_email],
            body,
        )
    mail_after_commit(
        f"New client complaint to {agency.legal_name} ({complaint.reference})",
        f"A client has made a complaint to {agency.legal_name} through Ombuds "
        f"(reference {complaint.reference}).\n\nRead and answer it in your agency's inbox:\n"
        f"{inbox_url(complaint)}\n",
        admin_addresses(agency),
        body,
    )
