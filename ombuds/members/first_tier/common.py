"""What the first tier's parts share: the statuses, the refusal, who is who, the client's personal
link, the addresses and the emails sent after the commit."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ombuds.bodies.mail import body_mail
from ombuds.bodies.models import Organization
from ombuds.cases.notices import base_url
from ombuds.cases.services import LIVE_MEMBERSHIP
from ombuds.members.agency_roles import administered_agency
from ombuds.members.models import ClientComplaint
from ombuds.register.models import Affiliation, Agency, Membership

Status = ClientComplaint.Status
# A complaint in one of these takes messages; resolved or closed unresolved, it is final: the
# record stays as it was closed (a matter that comes back is a new complaint, with its own times).
ACTIVE = (Status.OPEN, Status.ANSWERED)
CLOSED = (Status.RESOLVED, Status.UNRESOLVED)

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out on the phone
REFERENCE_ATTEMPTS = 5
MAX_TEXT = 20000
CLIENT_LABEL = "client (personal link)"


class FirstTierRefused(Exception):
    """A change to a client complaint that cannot be made; ``problems`` lists every reason."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


# --- who is who -----------------------------------------------------------------------------------


def _members_now(organization_id: Any) -> QuerySet[Membership]:
    """The live memberships of an agency with the body, as the cases count a member
    (`ombuds.cases.services.respondent_records`: active, in grace or suspended)."""
    return Membership.objects.filter(
        agency=OuterRef("pk"), organization_id=organization_id, status__in=LIVE_MEMBERSHIP
    )


def member_agency(organization: Organization, agency_id: int) -> Agency | None:
    """The body's agency with this number when it is a member of the body now; None otherwise
    (another body's agency, one that is not or no longer a member, or none at all)."""
    return (
        Agency.objects.filter(pk=agency_id, organization=organization)
        .filter(Exists(_members_now(organization.pk)))
        .select_related("organization")
        .first()
    )


def require_admin(user: Any, agency: Agency) -> None:
    """Refuse anyone but the agency's administrators (FirstTierRefused)."""
    if administered_agency(user, agency.pk) is None:
        raise FirstTierRefused(
            f"Only {agency.legal_name}'s administrators answer its clients' complaints."
        )


# --- the client's personal link -------------------------------------------------------------------


def token_hash(token: str) -> str:
    """What is kept of a personal link's token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_for(submission_key: str) -> str:
    """The token of the client's personal link. It is derived from the form's random submission
    key (keyed with the site's secret key), so that the same form sent twice finds the same
    complaint and the second answer shows the same link although only its hash is kept; random
    when the form came without a key of its own."""
    if len(submission_key) < 16:
        return secrets.token_urlsafe(32)
    digest = salted_hmac(
        "ombuds.members.first_tier.token", submission_key, algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_token(link: str) -> str:
    """The token in what a client pasted: their whole personal link, or the token alone."""
    text = (link or "").strip()
    if "/client-complaints/" in text:
        text = text.split("/client-complaints/", 1)[1]
    text = text.split("?", 1)[0].split("#", 1)[0].strip("/ ")
    return text if text and "/" not in text and len(text) <= 100 else ""


def client_complaint_for_token(
    token: str, organization: Organization | None = None
) -> ClientComplaint | None:
    """The client complaint a personal link opens (of an agency of ``organization`` when given),
    or None."""
    if not token or len(token) > 100:
        return None
    found = ClientComplaint.objects.filter(token_hash=token_hash(token)).select_related(
        "agency__organization", "escalated_case"
    )
    if organization is not None:
        found = found.filter(agency__organization=organization)
    return found.first()


def client_url(complaint: ClientComplaint, token: str) -> str:
    """The client's personal link, whole (for the filed page and the first email)."""
    return base_url() + reverse(
        "first_tier:client", kwargs={"org": complaint.agency.organization.slug, "token": token}
    )


def form_url(agency: Agency) -> str:
    """The agency's public complaint form, whole (for the agency to put on its own site)."""
    return base_url() + reverse(
        "first_tier:complain", kwargs={"org": agency.organization.slug, "agency": agency.pk}
    )


def inbox_url(complaint: ClientComplaint) -> str:
    """The complaint in its agency's inbox, whole (for the administrators' emails)."""
    return base_url() + reverse(
        "first_tier:complaint", kwargs={"agency": complaint.agency_id, "pk": complaint.pk}
    )


# --- emails (after the commit) --------------------------------------------------------------------


def mail_after_commit(
    subject: str, text: str, recipients: list[str], organization: Organization | None = None
) -> None:
    """Send each recipient their own copy once the transaction commits, as the body's email
    (`ombuds.bodies.mail`); a mail server that is down is logged and does not undo the change."""
    for address in recipients:
        if address:
            transaction.on_commit(
                lambda a=address: body_mail(organization, subject, text, [a]), robust=True
            )


def admin_addresses(agency: Agency) -> list[str]:
    """Where news of a complaint goes: the agency's current administrators (their account's
    address, else the register's); the agency's own address when it has none."""
    today = timezone.localdate()
    admins = (
        Affiliation.objects.filter(
            agency=agency,
            agency_admin=True,
            person__organization=agency.organization_id,
            person__user__is_active=True,
        )
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=today))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values_list("person__user__email", "person__email")
    )
    addresses = sorted({(account or register).strip().lower() for account, register in admins})
    addresses = [a for a in addresses if a]
    return addresses or ([agency.email] if agency.email else [])


def sign_off(complaint: ClientComplaint) -> str:
    """The end of every email to the client."""
    return (
        f"\n\nReference: {complaint.reference}\nTo read the whole exchange and write to "
        f"{complaint.agency.legal_name}, open the personal link we sent when you made the "
        "complaint.\n"
    )
