"""Deterministic demonstration register for the seed bodies: invented people and agencies only.

ESPCC: the CESP credential, with a few hundred holders and candidates in every state the lifecycle
knows, each reached through its status events. CSEC: member agencies with their staff and agents.
Running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.demo import citations
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    Sanction,
    Seat,
    StatusEvent,
)

GIVEN = [
    "Ada",
    "Alvaro",
    "Amara",
    "Bea",
    "Bram",
    "Carmen",
    "Chidi",
    "Dana",
    "Dev",
    "Elif",
    "Emeka",
    "Farah",
    "Felix",
    "Greta",
    "Hana",
    "Ines",
    "Ivo",
    "Jana",
    "Joon",
    "Kai",
    "Kemal",
    "Lena",
    "Luis",
    "Maya",
    "Mina",
    "Noor",
    "Olek",
    "Omar",
    "Pia",
    "Priya",
    "Rafael",
    "Rosa",
    "Sami",
    "Sofia",
    "Tariq",
    "Teo",
    "Uma",
    "Vera",
    "Wen",
    "Yara",
    "Zofia",
]
FAMILY = [
    "Abara",
    "Bakker",
    "Castillo",
    "Dimitrov",
    "Eriksen",
    "Farouk",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Mbeki",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weiss",
    "Xu",
    "Yilmaz",
    "Zamora",
    "Brennan",
    "Delgado",
    "Fontaine",
    "Horvat",
    "Kim",
    "Moreau",
    "Nakamura",
    "Oduya",
    "Pereira",
    "Reyes",
    "Schmidt",
    "Torres",
    "Valdez",
    "Walsh",
]
CITIES = [
    ("Austin", "TX"),
    ("Denver", "CO"),
    ("Portland", "OR"),
    ("Columbus", "OH"),
    ("Tampa", "FL"),
    ("Madison", "WI"),
    ("Raleigh", "NC"),
    ("Tucson", "AZ"),
    ("Albany", "NY"),
    ("Boise", "ID"),
]
AGENCY_WORDS = [
    "Family",
    "Support",
    "Recovery",
    "Trust",
    "Child",
    "First",
    "Justice",
    "Harbor",
    "Beacon",
    "Keystone",
    "Pioneer",
    "Summit",
    "Liberty",
    "Meridian",
    "Northstar",
    "Cornerstone",
    "Evergreen",
    "Guardian",
    "Heritage",
]

# Dates are set around the day the demo is loaded, so every state is current on that day; the names,
# numbers and the mix of states are the same on every run.
TODAY = timezone.localdate()


def _date(rng: random.Random, start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


@transaction.atomic
def load_espcc(organization: Organization, *, holders: int = 300) -> str:
    program, _ = CredentialProgram.objects.get_or_create(
        organization=organization,
        code="cesp",
        defaults={
            "name": "Certified Employment Support Professional",
            "abbreviation": "CESP",
            "cycle_months": 36,
            "grace_days": 90,
            "required_units": Decimal("36.0"),
            "unit_categories": {"ethics": 3, "employment-support": 24},
            "public_fields": ["city", "region"],
        },
    )
    if program.credentials.exists():
        return "ESPCC register already loaded"
    rng = random.Random(20260115)
    people = []
    for n in range(holders):
        city, region = CITIES[n % len(CITIES)]
        people.append(
            Person(
                organization=organization,
                external_id=f"ESPCC-P{n + 1:05d}",
                given_name=GIVEN[(n * 7) % len(GIVEN)],
                family_name=FAMILY[(n * 11 + n // 37) % len(FAMILY)],
                email=f"holder{n + 1}@example.org",
                city=city,
                region=region,
                country="US",
            )
        )
    Person.objects.bulk_create(people, batch_size=500)
    people = list(Person.objects.filter(organization=organization).order_by("external_id"))
    credentials = [_espcc_credential(rng, program, person, n) for n, person in enumerate(people)]
    Credential.objects.bulk_create(credentials, batch_size=500)
    events = []
    for credential in Credential.objects.filter(program=program):
        events.extend(_credential_history(credential))
    StatusEvent.objects.bulk_create(events, batch_size=1000)
    return f"ESPCC register loaded: {len(people)} people, {len(credentials)} CESP credentials"


# State mix: mostly active, then every other state the lifecycle reaches.
ESPCC_STATES = (
    ["active"] * 60
    + ["candidate"] * 12
    + ["expired"] * 6
    + ["lapsed"] * 6
    + ["inactive"] * 5
    + ["suspended"] * 4
    + ["revoked"] * 3
    + ["surrendered"] * 4
)


def _espcc_credential(
    rng: random.Random, program: CredentialProgram, person: Person, n: int
) -> Credential:
    status = ESPCC_STATES[rng.randrange(len(ESPCC_STATES))]
    # Every date is set from the day the demo loads, so each status is the one the daily task
    # would give on that day: nothing is due when the demo has just loaded.
    term = dt.timedelta(days=3 * 365)
    issued = expires = None
    if status in ("active", "inactive"):
        issued = TODAY - dt.timedelta(days=30 + rng.randrange(1000))
    elif status == "suspended":  # within its term, outlasting the suspension
        issued = TODAY - dt.timedelta(days=200 + rng.randrange(700))
    elif status in ("revoked", "surrendered"):
        issued = TODAY - dt.timedelta(days=600 + rng.randrange(900))
    elif status in ("expired", "lapsed"):
        issued = TODAY - dt.timedelta(days=30 if status == "expired" else 200) - term
    if issued is not None:
        expires = issued + term
    return Credential(
        program=program,
        holder=person,
        number=f"CESP-{10000 + n * 7:05d}",
        external_id=f"ESPCC-C{n + 1:05d}",
        status=status,
        issued_on=issued,
        expires_on=expires,
        suspended_until=TODAY + dt.timedelta(days=120) if status == "suspended" else None,
        conditions="Practises under supervision until the end of the current cycle."
        if n % 41 == 5 and status == "active"
        else "",
    )


def _credential_history(c: Credential) -> list[StatusEvent]:
    """The events that lead from candidate to the credential's present state."""
    issued = c.issued_on or TODAY
    rows = [("", "candidate", issued - dt.timedelta(days=60), "Application accepted", "")]
    if c.status != "candidate":
        rows.append(("candidate", "active", issued, "Passed the CESP examination", ""))
    if c.status in ("expired", "lapsed"):
        rows.append(
            (
                "active",
                "expired",
                # Active on its expiry date, expired the day after.
                c.expires_on + dt.timedelta(days=1),
                "Reached its expiry date without recertification",
                "",
            )
        )
    if c.status == "lapsed":
        rows.append(
            (
                "expired",
                "lapsed",
                c.expires_on + dt.timedelta(days=91),
                "Not reinstated within the 90-day grace period",
                "",
            )
        )
    if c.status == "inactive":
        rows.append(
            (
                "active",
                "inactive",
                min(issued + dt.timedelta(days=400), TODAY - dt.timedelta(days=1)),
                "At the holder's request (leave)",
                "",
            )
        )
    if c.status == "suspended":
        rows.append(
            (
                "active",
                "suspended",
                TODAY - dt.timedelta(days=30),
                "Sanction: suspension",
                f"ESPCC-EC-{c.pk}",
            )
        )
    if c.status == "revoked":
        rows.append(
            (
                "active",
                "revoked",
                issued + dt.timedelta(days=500),
                "Sanction: revocation",
                f"ESPCC-EC-{c.pk}",
            )
        )
    if c.status == "surrendered":
        rows.append(
            (
                "active",
                "surrendered",
                issued + dt.timedelta(days=300),
                "Surrendered by the holder",
                "",
            )
        )
    return [
        StatusEvent(
            credential=c,
            from_status=a,
            to_status=b,
            effective_date=d,
            reason=r,
            decision_ref=ref,
            automatic=b in ("expired", "lapsed"),
        )
        for a, b, d, r, ref in rows
    ]


@transaction.atomic
def load_csec(organization: Organization, *, agencies: int = 36) -> str:
    agency_type, _ = MembershipType.objects.get_or_create(
        organization=organization,
        code="agency",
        defaults={"name": "Member agency", "kind": "organization"},
    )
    MembershipType.objects.get_or_create(
        organization=organization, code="board", defaults={"name": "Board member", "kind": "board"}
    )
    if Agency.objects.filter(organization=organization).exists():
        return "CSEC register already loaded"
    rng = random.Random(2001)
    agency_list = _csec_agencies(organization, rng, agencies)
    staff = _csec_staff(organization, agency_list)
    people = {p.external_id: p for p in Person.objects.filter(organization=organization)}
    affiliations, memberships = [], []
    for n, agency in enumerate(agency_list):
        for k, role in enumerate(("principal", "employee", "employee", "agent")):
            affiliations.append(
                Affiliation(
                    agency=agency,
                    person=people[f"CSEC-P{n + 1:03d}-{k + 1}"],
                    role=role,
                    start_date=_date(rng, dt.date(2015, 1, 1), 3000),
                )
            )
        memberships.append(_csec_membership(rng, organization, agency_type, agency, n))
    Affiliation.objects.bulk_create(affiliations)
    Membership.objects.bulk_create(memberships)
    StatusEvent.objects.bulk_create(
        event
        for m in Membership.objects.filter(organization=organization)
        for event in _membership_history(m)
    )
    return (
        f"CSEC register loaded: {len(agency_list)} member agencies, {len(staff)} staff and agents"
    )


def _csec_agencies(organization: Organization, rng: random.Random, count: int) -> list[Agency]:
    rows = []
    # Distinct pairs of distinct words: no two demo agencies share a name, and none repeats a word
    # ("Child Child Child Support Services").
    words = [w for w in AGENCY_WORDS if w not in ("Child", "Support")]
    pairs = [(a, b) for a in words for b in words if a != b]
    rng.shuffle(pairs)
    for n in range(count):
        first, second = pairs[n]
        city, region = CITIES[(n * 3) % len(CITIES)]
        rows.append(
            Agency(
                organization=organization,
                external_id=f"CSEC-A{n + 1:03d}",
                legal_name=f"{first} {second} Child Support Services, LLC",
                trade_names=[f"{first} {second} Recovery"],
                registration_numbers=[
                    {"authority": f"State of {region}", "number": f"PCSEA-{region}-{100 + n}"}
                ],
                address=f"{100 + n * 7} Main Street",
                city=city,
                region=region,
                postal_code=f"{70000 + n * 13}",
                country="US",
                email=f"office{n + 1}@agency.example.org",
            )
        )
    Agency.objects.bulk_create(rows)
    return list(Agency.objects.filter(organization=organization).order_by("external_id"))


def _csec_staff(organization: Organization, agencies: list[Agency]) -> list[Person]:
    """Four people for each agency: its principal, two employees and an agent."""
    staff = []
    for n, agency in enumerate(agencies):
        for k in range(4):
            staff.append(
                Person(
                    organization=organization,
                    external_id=f"CSEC-P{n + 1:03d}-{k + 1}",
                    given_name=GIVEN[(n * 5 + k * 3) % len(GIVEN)],
                    family_name=FAMILY[(n * 3 + k * 7) % len(FAMILY)],
                    email=f"staff{n + 1}-{k + 1}@agency.example.org",
                    city=agency.city,
                    region=agency.region,
                    country="US",
                )
            )
    Person.objects.bulk_create(staff)
    return staff


def _csec_membership(
    rng: random.Random,
    organization: Organization,
    agency_type: MembershipType,
    agency: Agency,
    n: int,
) -> Membership:
    status = "active" if n % 9 else ("grace" if n % 2 else "suspended")
    return Membership(
        organization=organization,
        membership_type=agency_type,
        agency=agency,
        external_id=f"CSEC-M{n + 1:03d}",
        number=f"CSEC-{2001 + n}",
        status=status,
        start_date=_date(rng, dt.date(2002, 1, 1), 7000),
        renewal_date=TODAY + dt.timedelta(days=200 + n * 3)
        if status != "grace"
        else TODAY - dt.timedelta(days=20),
        suspended_until=TODAY + dt.timedelta(days=90) if status == "suspended" else None,
    )


def _membership_history(m: Membership) -> list[StatusEvent]:
    """Admitted on its start date, then in grace or suspended where it is."""
    events = [
        StatusEvent(
            membership=m,
            from_status="",
            to_status="active",
            effective_date=m.start_date,
            reason="Admitted by the Board",
        )
    ]
    if m.status != "active":
        events.append(
            StatusEvent(
                membership=m,
                from_status="active",
                to_status=m.status,
                # Grace from the day after the renewal date; a suspension 20 days ago.
                effective_date=m.renewal_date + dt.timedelta(days=1)
                if m.status == "grace"
                else TODAY - dt.timedelta(days=20),
                reason="Renewal date passed" if m.status == "grace" else "Sanction: suspension",
                decision_ref="" if m.status == "grace" else f"CSEC-EC-{m.pk}",
                automatic=m.status == "grace",
            )
        )
    return events


# Demonstration profiles, in our own words (the bodies' real pages are not copied here).
PROFILES = {
    "espcc": {
        "about": "The council certifies employment support professionals and keeps the register of "
        "**CESP** credential holders and candidates, who agree to its code of conduct.",
        "how_to_complain": "Anyone may report a concern about a credential holder or candidate. Write to "
        "the council's ethics office with what happened, when, and the provisions you think were breached.",
        "faq": "## How do I check a credential?\n\nSearch the public register by name or credential number.\n\n"
        "## How long is a credential valid?\n\nThree years, renewed by recertification.",
        "contact_email": "ethics@espcc.example.org",
        "languages": "en",
        "seats": [
            ("board", "Chair", "Priya Okafor"),
            ("board", "Member", "Teo Lindqvist"),
            ("ethics_committee", "Chair", "Hana Delgado"),
            ("ethics_committee", "Member", "Kemal Ueda"),
        ],
    },
    "csec": {
        "about": "The council brings together private child support enforcement agencies that agree to "
        "its code of ethical conduct.",
        "how_to_complain": "A complaint about any private child support enforcement agency, member or not, "
        "goes to the Chair of the Ethics Committee. If the agency is a member, include what you did to "
        "resolve it with the agency first.",
        "faq": "## Is my agency a member?\n\nSee *Our members*, or search the public register.",
        "contact_email": "ethics-chair@csec.example.org",
        # CSEC's clients complain in English or Spanish; its pages offer both.
        "languages": "en, es",
        "seats": [
            ("board", "President", "Rafael Brennan"),
            ("board", "Treasurer", "Mina Castillo"),
            ("board", "Secretary", "Ivo Moreau"),
            ("ethics_committee", "Chair", "Sofia Nakamura"),
            ("ethics_committee", "Member", "Tariq Walsh"),
            ("ethics_committee", "Member", "Elif Rossi"),
        ],
    },
}


@transaction.atomic
def load_profile(organization: Organization) -> None:
    """Fill an empty profile; a profile staff have written is left as it is."""
    profile = PROFILES.get(organization.slug)
    if profile is None or organization.about:
        return
    fields = ("about", "how_to_complain", "faq", "contact_email", "languages")
    for field in fields:
        setattr(organization, field, profile[field])
    organization.save(update_fields=list(fields))
    if not organization.seats.exists():
        Seat.objects.bulk_create(
            Seat(organization=organization, group=g, title=t, name=n, position=i)
            for i, (g, t, n) in enumerate(profile["seats"])
        )


SANCTION_KINDS = {"suspended": "suspension", "revoked": "revocation"}


@transaction.atomic
def load_sanctions(organization: Organization) -> str:
    """Sanctions for the demo's suspended and revoked credentials and memberships, citing the code in
    force, in each publication: public, public until a date, private."""
    if Sanction.objects.filter(organization=organization).exists():
        return f"{organization.short_name} sanctions already loaded"
    plans = {
        status: (citations.provisions(organization, cited), summary)
        for status, (cited, summary) in citations.SANCTIONS[organization.slug].items()
    }
    made = 0
    subjects = [
        (c, None)
        for c in Credential.objects.filter(program__organization=organization, status__in=plans)
    ] + [(None, m) for m in Membership.objects.filter(organization=organization, status__in=plans)]
    for n, (credential, membership) in enumerate(sorted(subjects, key=lambda s: (s[0] or s[1]).pk)):
        status = (credential or membership).status
        provisions, summary = plans[status]
        kind = SANCTION_KINDS[status]
        publication = ("public", "public_until", "private")[n % 3]
        event = (
            (credential or membership)
            .events.filter(to_status=status)
            .order_by("-recorded_at")
            .first()
        )
        decided = event.effective_date if event else TODAY - dt.timedelta(days=30)
        sanction = Sanction.objects.create(
            organization=organization,
            credential=credential,
            membership=membership,
            kind=kind,
            decided_on=decided,
            effective_from=decided,
            effective_until=(credential or membership).suspended_until,
            summary=summary,
            publication=publication,
            public_until=TODAY + dt.timedelta(days=365) if publication == "public_until" else None,
        )
        sanction.provisions.set(provisions)
        made += 1
    return f"{organization.short_name}: {made} sanctions recorded"
