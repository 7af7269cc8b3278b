"""An agency's own complaint inbox: the first tier (CSEC 1.1(c): members respond to all client
complaints and seek a fair, reasonable and timely resolution of them).

A member agency's client complains to the agency itself, without an account, through the agency's
public form. They follow the complaint through a personal link whose token is returned once (only
its SHA-256 is kept). The agency's administrators — people whose current affiliation with the
agency makes them its administrator — answer and resolve it in their inbox; its timestamps give the
time to first response and the time to resolution. When the client takes the complaint to the
body, the record travels with it (`ombuds.cases.services.case_file` with the link): it is the proof
of reasonable efforts to resolve that CSEC Article 5 asks for, and the Chair reads the exchange.

Every change is atomic (a change to a complaint locks it first), writes its audit event in the same
transaction and sends its emails after the commit. Refusals raise `FirstTierRefused` listing every problem and
change nothing. Audit events hold references, counts and who acted, never the client's words.

The agency never learns from its inbox that a client took a complaint to the body: the body tells
the agency itself, when its procedure says so, and names the complainant only with their consent.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import statistics
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ombuds.audit import services as audit
from ombuds.cases.services import LIVE_MEMBERSHIP, CaseRefused
from ombuds.members.agency_roles import (  # noqa: F401 - the inbox's access rules
    administered_agencies,
    administered_agency,
    works_for,
)
from ombuds.members.models import ClientComplaint, ClientMessage
from ombuds.register.models import Affiliation, Agency, Membership, Organization
from ombuds.register.names import THRESHOLD, normalise_name, similarity

if TYPE_CHECKING:
    from ombuds.cases.models import Case
    from ombuds.cases.services import Complaint

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


def _require_admin(user: Any, agency: Agency) -> None:
    if administered_agency(user, agency.pk) is None:
        raise FirstTierRefused(
            f"Only {agency.legal_name}'s administrators answer its clients' complaints."
        )


# --- the client's personal link -------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_for(submission_key: str) -> str:
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
    found = ClientComplaint.objects.filter(token_hash=_hash(token)).select_related(
        "agency__organization", "escalated_case"
    )
    if organization is not None:
        found = found.filter(agency__organization=organization)
    return found.first()


def client_url(complaint: ClientComplaint, token: str) -> str:
    """The client's personal link, whole (for the filed page and the first email)."""
    from ombuds.cases.notices import base_url

    return base_url() + reverse(
        "first_tier:client", kwargs={"org": complaint.agency.organization.slug, "token": token}
    )


def form_url(agency: Agency) -> str:
    """The agency's public complaint form, whole (for the agency to put on its own site)."""
    from ombuds.cases.notices import base_url

    return base_url() + reverse(
        "first_tier:complain", kwargs={"org": agency.organization.slug, "agency": agency.pk}
    )


def _inbox_url(complaint: ClientComplaint) -> str:
    from ombuds.cases.notices import base_url

    return base_url() + reverse(
        "first_tier:complaint", kwargs={"agency": complaint.agency_id, "pk": complaint.pk}
    )


# --- emails (after the commit) --------------------------------------------------------------------


def _mail(subject: str, text: str, recipients: list[str]) -> None:
    """Send each recipient their own copy once the transaction commits; a mail server that is
    down is logged and does not undo the change."""
    for address in recipients:
        if address:
            transaction.on_commit(
                lambda a=address: send_mail(subject, text, None, [a]), robust=True
            )


def _admin_addresses(agency: Agency) -> list[str]:
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


def _sign_off(complaint: ClientComplaint) -> str:
    return (
        f"\n\nReference: {complaint.reference}\nTo read the whole exchange and write to "
        f"{complaint.agency.legal_name}, open the personal link we sent when you made the "
        "complaint.\n"
    )


# --- filing ---------------------------------------------------------------------------------------


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
        ClientComplaint.objects.filter(token_hash=_hash(token))
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
    token = _token_for(submission_key.strip()[:64])
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
                    token_hash=_hash(token),
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
        _mail(
            f"Your complaint to {agency.legal_name} ({complaint.reference})",
            f"Dear {complaint.client_name},\n\n{agency.legal_name} has received your complaint "
            f"“{complaint.subject}” through Ombuds. Its reference is {complaint.reference}.\n\n"
            "Your personal link, where you read the agency's answers and write to it (keep it "
            f"to yourself: anyone with it can read the complaint):\n{client_url(complaint, token)}"
            f"\n\nIf the agency does not settle it, you can take it to {body.short_name} from "
            "that page: the exchange shows what you did to settle it first.\n",
            [complaint.client_email],
        )
    _mail(
        f"New client complaint to {agency.legal_name} ({complaint.reference})",
        f"A client has made a complaint to {agency.legal_name} through Ombuds "
        f"(reference {complaint.reference}).\n\nRead and answer it in your agency's inbox:\n"
        f"{_inbox_url(complaint)}\n",
        _admin_addresses(agency),
    )


# --- the exchange ---------------------------------------------------------------------------------


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
    _require_admin(acting_user, complaint.agency)
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
            _mail(
                f"{locked.agency.legal_name} answered your complaint ({locked.reference})",
                f"Dear {locked.client_name},\n\n{locked.agency.legal_name} wrote:\n\n{text}"
                + _sign_off(locked),
                [locked.client_email],
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
        _mail(
            f"The client wrote again about complaint {locked.reference}",
            f"The client who made complaint {locked.reference} to {locked.agency.legal_name} "
            f"has written again.\n\nRead and answer it in your agency's inbox:\n"
            f"{_inbox_url(locked)}\n",
            _admin_addresses(locked.agency),
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
    _require_admin(acting_user, complaint.agency)
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
            _mail(
                subject.format(agency=locked.agency.legal_name, reference=locked.reference),
                f"Dear {locked.client_name},\n\n{lead.format(agency=locked.agency.legal_name)}"
                f"\n\n{text}" + _sign_off(locked),
                [locked.client_email],
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


# --- reading: the inbox, its figures, one exchange ------------------------------------------------


def exchange(complaint: ClientComplaint) -> list[ClientMessage]:
    """The complaint's messages in order, each with its author (one query)."""
    return list(complaint.messages.select_related("author").order_by("created_at", "pk"))


def inbox(agency: Agency, *, status: str = "") -> QuerySet[ClientComplaint]:
    """The agency's complaints, newest first, of one status when given."""
    complaints = ClientComplaint.objects.filter(agency=agency).select_related("handled_by")
    if status in Status.values:
        complaints = complaints.filter(status=status)
    return complaints.order_by("-received_at", "-pk")


def duration_text(delta: dt.timedelta | None) -> str:
    """A duration as a person says it: "2 days 3 hours", "45 minutes", "under a minute"."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)

    def part(n: int, unit: str) -> str:
        return f"{n} {unit}{'s' * (n != 1)}"

    if days:
        return part(days, "day") + (f" {part(hours, 'hour')}" if hours else "")
    if hours:
        return part(hours, "hour") + (f" {part(minutes, 'minute')}" if minutes else "")
    return part(minutes, "minute") if minutes else "under a minute"


@dataclass(frozen=True)
class Times:
    """How long something took, over the complaints it applies to."""

    count: int = 0
    median: dt.timedelta | None = None
    mean: dt.timedelta | None = None

    @classmethod
    def of(cls, durations: list[dt.timedelta]) -> Times:
        if not durations:
            return cls()
        seconds = [d.total_seconds() for d in durations]
        return cls(
            count=len(durations),
            median=dt.timedelta(seconds=statistics.median(seconds)),
            mean=dt.timedelta(seconds=statistics.fmean(seconds)),
        )

    @property
    def median_text(self) -> str:
        return duration_text(self.median)

    @property
    def mean_text(self) -> str:
        return duration_text(self.mean)


@dataclass(frozen=True)
class InboxFigures:
    """An agency's counts by status and its times (CSEC 1.1(c): timely resolution)."""

    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    awaiting_first_response: int = 0
    oldest_awaiting: dt.datetime | None = None
    first_response: Times = Times()  # over the complaints answered at least once
    resolution: Times = Times()  # over the resolved ones (not those closed unresolved)


def inbox_figures(agency: Agency) -> InboxFigures:
    """Counts by status, the time to first response and the time to resolution (median and
    mean), from the complaints' own timestamps, in one query."""
    rows = ClientComplaint.objects.filter(agency=agency).values_list(
        "status", "received_at", "first_response_at", "resolved_at"
    )
    counts = dict.fromkeys(Status.values, 0)
    first, resolved, waiting = [], [], []
    for status, received, responded, closed in rows:
        counts[status] = counts.get(status, 0) + 1
        if responded is not None:
            first.append(responded - received)
        else:
            waiting.append(received)
        if status == Status.RESOLVED and closed is not None:
            resolved.append(closed - received)
    return InboxFigures(
        counts=counts,
        total=sum(counts.values()),
        awaiting_first_response=len(waiting),
        oldest_awaiting=min(waiting) if waiting else None,
        first_response=Times.of(first),
        resolution=Times.of(resolved),
    )


def time_to_first_response(complaint: ClientComplaint) -> dt.timedelta | None:
    if complaint.first_response_at is None:
        return None
    return complaint.first_response_at - complaint.received_at


def time_to_resolution(complaint: ClientComplaint) -> dt.timedelta | None:
    if complaint.status != Status.RESOLVED or complaint.resolved_at is None:
        return None
    return complaint.resolved_at - complaint.received_at


def with_times(complaint: ClientComplaint) -> ClientComplaint:
    """The complaint with its time to first response and to resolution, in words."""
    complaint.first_response_text = duration_text(time_to_first_response(complaint))
    complaint.resolution_text = duration_text(time_to_resolution(complaint))
    return complaint


def for_case(case: Case) -> list[ClientComplaint]:
    """The first-tier records a case carries, each with its messages (and their authors) and its
    times, for the body's people who see the case (a fixed number of queries). A record is
    attached only on filing, which proves the efforts too: a case without that proof has none, and
    costs no query."""
    if case.efforts_proven_at is None:
        return []
    records = case.first_tier_complaints.select_related("agency", "handled_by").prefetch_related(
        Prefetch(
            "messages",
            queryset=ClientMessage.objects.select_related("author").order_by("created_at", "pk"),
        )
    )
    return [with_times(c) for c in records]


# --- taking it to the body (CSEC Article 5: proof of efforts to resolve) ---------------------------


def escalation_record(organization: Organization, link: str) -> ClientComplaint | None:
    """The client complaint a personal link (or its token) opens, of an agency of this body."""
    return client_complaint_for_token(link_token(link), organization)


def unknown_link(organization: Organization) -> str:
    """What a complainant is told when their link opens no complaint to the body's agencies."""
    return (
        "The link to your complaint to the agency does not open a complaint made to one of "
        f"{organization.short_name}'s member agencies: copy the whole link, or leave it out."
    )


def escalation_initial(complaint: ClientComplaint, link: str) -> dict[str, Any]:
    """What the body's complaint form starts with when the client comes from their first-tier
    page: the record attached, the client as the complainant, the agency as the respondent."""
    return {
        "first_tier_link": link_token(link),
        "who": "named",
        "complainant_name": complaint.client_name,
        "complainant_email": complaint.client_email,
        "complainant_phone": complaint.client_phone,
        "complainant_relation": "client",
        "respondent_kind": "agency",
        "respondent_name": complaint.agency.legal_name,
        "what_happened": complaint.description,
    }


def _names_agency(agency: Agency, name: str) -> bool:
    """Whether a name typed for the respondent can be this agency's: one of its names, alike
    once normalised, or words all taken from one of them ("Faithful" for "Faithful Support")."""
    wanted = normalise_name(name)
    if not wanted:
        return True
    for known in [agency.legal_name, *(n for n in agency.trade_names or [] if isinstance(n, str))]:
        norm = normalise_name(known)
        if similarity(wanted, norm) >= THRESHOLD or set(wanted.split()) <= set(norm.split()):
            return True
    return False


def escalation_ready_on(record: ClientComplaint) -> dt.date | None:
    """The day from which the record proves reasonable efforts to resolve (CSEC Article 5), or None
    when it does already: once the agency has answered or closed it, or once it has had
    settings.OMBUDS_FIRST_TIER_DAYS to answer. A complaint made minutes ago proves no effort."""
    if record.first_response_at or record.status != ClientComplaint.Status.OPEN:
        return None
    ready = timezone.localdate(record.received_at) + dt.timedelta(
        days=settings.OMBUDS_FIRST_TIER_DAYS
    )
    return ready if ready > timezone.localdate() else None


def escalation_prepare(
    *, organization: Organization, complaint: Complaint
) -> tuple[ClientComplaint | None, Complaint, list[str]]:
    """Check the first-tier record a complaint to the body carries (``complaint.first_tier_link``):
    (the record, the complaint with the agency as its respondent when it named none in the
    register, every problem). The record must be a complaint to one of this body's agencies, not
    already taken to the body, by a complainant who gives their name (the record names them), and
    about the same agency."""
    if not complaint.first_tier_link.strip():
        return None, complaint, []
    record = escalation_record(organization, complaint.first_tier_link)
    if record is None:
        return None, complaint, [unknown_link(organization)]
    agency = record.agency
    problems = []
    if record.escalated_case_id is not None:
        problems.append(
            f"Your complaint to {agency.legal_name} ({record.reference}) was already taken to "
            f"{organization.short_name}: it cannot be attached to a second complaint. Follow "
            "the first one instead."
        )
    ready_on = escalation_ready_on(record)
    if ready_on is not None:
        problems.append(
            f"{agency.legal_name} has not answered your complaint ({record.reference}) yet: give "
            f"it until {ready_on:%-d %B %Y} to answer, then attach it; or leave the link out and "
            f"complain now ({organization.short_name} may then ask you what you did to settle it "
            "with the agency)."
        )
    if complaint.anonymous:
        problems.append(
            f"Your complaint to {agency.legal_name} has your name on it: to attach it, give your "
            "name here too, or leave the link out to stay anonymous."
        )
    named = complaint.respondent_person or complaint.respondent_agency
    if named is not None and named != agency:
        problems.append(
            f"Your complaint to the agency first was to {agency.legal_name}, but this complaint "
            f"is about {named}: make it about {agency.legal_name}, or leave the link out."
        )
    elif named is None and not _names_agency(agency, complaint.respondent_name):
        problems.append(
            f"Your complaint to the agency first was to {agency.legal_name}, but this complaint "
            f"is about “{complaint.respondent_name.strip()}”: make it about "
            f"{agency.legal_name}, or leave the link out."
        )
    else:
        complaint = replace(complaint, respondent_person=None, respondent_agency=agency)
    return record, complaint, problems


def escalation_attach(*, record: ClientComplaint, case: Case, actor_label: str = "") -> None:
    """Attach the first-tier record to the case just filed, inside its transaction: the record
    points at the case, and both carry an audit event (the case's notes the record's reference as
    the proof of efforts). A record attached meanwhile to another case refuses the filing."""
    attached = ClientComplaint.objects.filter(pk=record.pk, escalated_case__isnull=True).update(
        escalated_case=case
    )
    if not attached:
        raise CaseRefused(
            f"Your complaint to {record.agency.legal_name} ({record.reference}) was already "
            f"taken to {case.organization.short_name}: it cannot be attached to a second "
            "complaint."
        )
    record.escalated_case = case
    audit.record(
        action="client_complaint.escalated",
        subject_type="client_complaint",
        subject_id=record.pk,
        organization=case.organization,
        actor_label=actor_label or CLIENT_LABEL,
        data={"reference": record.reference, "case": case.reference},
    )
    audit.record(
        action="case.first_tier_attached",
        subject_type="case",
        subject_id=case.pk,
        organization=case.organization,
        actor_label=actor_label or CLIENT_LABEL,
        data={
            "reference": case.reference,
            "first tier reference": record.reference,
            "agency": record.agency.legal_name,
            "efforts proven": True,
        },
    )
