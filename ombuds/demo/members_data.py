"""The members' side of the demo: accounts for a few people in the register, an attestation campaign on
the CSEC code with some of it done, an agency's own complaint inbox with two clients' complaints, and
second factors for the demo's staff accounts. Everything goes through the services, as a body's staff
and members would do it. Running it twice changes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.accounts import services as accounts
from ombuds.bodies.models import BodyRole, Organization
from ombuds.codes.selectors import current_version
from ombuds.demo import citations
from ombuds.members import attestations, first_tier
from ombuds.members.models import AttestationCampaign, ClientComplaint
from ombuds.register.models import Affiliation, Credential, Person

# The CSEC agency whose administrator and staff sign in (an active member in the demo register).
CSEC_AGENCY = "CSEC-A002"
RECOVERY_CODES = 10


@dataclass(frozen=True)
class DemoLogins:
    members: list[str]  # "username (what they are)"
    totp_key: str  # base32, shared by the demo's staff accounts (a demo convenience only)
    recovery: dict[str, list[str]]  # username -> unused recovery codes


def account_open(person: Person, password: str | None) -> str:
    """The person's account, opened through an invitation as a member would; its username."""
    if person.user_id is None:
        _invitation, token = accounts.invitation_create(person=person, send=False)
        accounts.invitation_accept(token=token, password=password or secrets.token_urlsafe(16))
        person.refresh_from_db()
    return person.user.get_username()


def load_accounts(csec: Organization, espcc: Organization, password: str | None) -> list[str]:
    """Accounts for a CSEC agency administrator, one of its employees, and an ESPCC credential
    holder, with the demo administrator's password."""
    logins = []
    admin_link = (
        Affiliation.objects.select_related("person")
        .filter(agency__external_id=CSEC_AGENCY, agency__organization=csec, role="principal")
        .first()
    )
    if admin_link is None:
        return logins
    if not admin_link.agency_admin:
        admin_link.agency_admin = True
        admin_link.save(update_fields=["agency_admin", "updated_at"])
    logins.append(f"{account_open(admin_link.person, password)} (agency administrator, CSEC)")
    employee = (
        Affiliation.objects.select_related("person")
        .filter(agency=admin_link.agency, role="employee")
        .order_by("person__external_id")
        .first()
    )
    if employee is not None:
        logins.append(f"{account_open(employee.person, password)} (agency employee, CSEC)")
    holder = (
        Credential.objects.select_related("holder")
        .filter(program__organization=espcc, status="active")
        .exclude(holder__email="")
        .order_by("number")
        .first()
    )
    if holder is not None:
        logins.append(f"{account_open(holder.holder, password)} (credential holder, ESPCC)")
    return logins


def load_campaign(csec: Organization) -> str:
    """CSEC 4.3: the agencies' employees and agents attest to the code; a few did on paper at the
    annual meeting, recorded by the administrator on their behalf."""
    version = current_version(csec)
    if version is None:
        return "CSEC attestation campaign: no published code"
    if AttestationCampaign.objects.filter(organization=csec, code_version=version).exists():
        return "CSEC attestation campaign already started"
    citations.provisions(csec, [citations.ATTESTATION])  # the statement cites it: it must be there
    admin = get_user_model().objects.filter(username="admin").first()
    today = timezone.localdate()
    campaign = attestations.campaign_start(
        organization=csec,
        code_version=version,
        audience=AttestationCampaign.Audience.AGENCY_STAFF,
        due_on=today + dt.timedelta(days=30),
        title=f"Attest to the {version.title} ({version.label})",
        statement=(
            "I have read and understood the CSEC Code of Ethical Conduct, and I agree to follow it "
            f"in my work for my agency (CSEC {citations.ATTESTATION})."
        ),
        reminder_days=[14, 3],
        started_by=admin,
    )
    proxied = 0
    dues = campaign.dues.select_related("person").exclude(agency__external_id=CSEC_AGENCY)
    for due in dues.order_by("person__external_id")[:40:3]:
        attestations.attest_by_proxy(
            person=due.person,
            campaign=campaign,
            reason="Signed the paper attestation at the annual meeting.",
            staff_user=admin,
        )
        proxied += 1
    return f"CSEC attestation campaign: {campaign.dues.count()} people asked, {proxied} by proxy"


def load_client_complaints(csec: Organization) -> str:
    """Two clients' complaints to the demo agency itself: one answered, one waiting."""
    admin_link = (
        Affiliation.objects.select_related("agency", "person__user")
        .filter(agency__external_id=CSEC_AGENCY, agency__organization=csec, agency_admin=True)
        .first()
    )
    if admin_link is None or admin_link.person.user is None:
        return "Agency complaints: no agency administrator"
    agency = admin_link.agency
    if ClientComplaint.objects.filter(agency=agency).exists():
        return "Agency complaints already loaded"
    answered = first_tier.client_complaint_file(
        agency=agency,
        client_name="Marisol Vega",
        client_email="marisol.vega@example.org",
        client_case_number="FS-22817",
        subject="Payment received in May not passed on",
        description=(
            "The other parent paid in May, the court record shows it, and I have not received it. "
            "I called twice and nobody called back."
        ),
    ).complaint
    first_tier.client_complaint_reply(
        complaint=answered,
        body=(
            "We are sorry for the missed calls. We have asked the bank for the May transfer record "
            "and will write again within five working days."
        ),
        acting_user=admin_link.person.user,
    )
    first_tier.client_complaint_file(
        agency=agency,
        client_name="Dale Okafor",
        client_phone="+1 555 0142",
        subject="Fee charged without a written contract",
        description="A fee was taken from my payment but I never signed a contract about fees.",
    )
    return f"Agency complaints: 2 for {agency.legal_name}"


def load_second_factors(usernames: list[str]) -> DemoLogins:
    """A second factor for the demo's staff accounts, which must pass one: one authenticator key for
    all of them (a demo convenience; a real account sets up its own), and recovery codes."""
    users = list(get_user_model().objects.filter(username__in=usernames))
    existing = TOTPDevice.objects.filter(user__in=users, name="demo").first()
    key = existing.key if existing else secrets.token_hex(20)
    recovery: dict[str, list[str]] = {}
    for user in users:
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="demo", key=key, confirmed=True)
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="recovery", defaults={"confirmed": True}
        )
        if device.token_set.count() < 3:
            device.token_set.all().delete()
            for _ in range(RECOVERY_CODES):
                device.token_set.create(token=StaticToken.random_token())
        recovery[user.get_username()] = list(device.token_set.values_list("token", flat=True))
    return DemoLogins(
        members=[],
        totp_key=base64.b32encode(bytes.fromhex(key)).decode(),
        recovery=recovery,
    )


def staff_usernames() -> list[str]:
    """Every demo account with a role on a body (they must pass a second factor)."""
    return sorted(set(BodyRole.objects.values_list("user__username", flat=True)))
