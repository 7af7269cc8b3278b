"""The public register: search, a page per credential and membership, the certificate. No login;
the public sees only what the publication policy allows, and cannot list the register."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.register import public, services
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    Sanction,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


@pytest.fixture
def cgp(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        public_fields=["city", "region"],
    )


@pytest.fixture
def issue(cgp):
    """issue("Ann", "Smith", status="suspended", ...) → a credential of a new holder."""
    numbers = itertools.count(1)

    def make(given, family, *, program=None, city="", status="active", number=None, **fields):
        program = program or cgp
        holder = Person.objects.create(
            organization=program.organization,
            given_name=given,
            family_name=family,
            city=city,
            email=f"{given.lower()}@example.org",
        )
        values = {"issued_on": dt.date(2023, 1, 15), "expires_on": dt.date(2026, 1, 14)}
        if status == "candidate":
            values = {"issued_on": None, "expires_on": None}
        if status == "suspended":
            values["suspended_until"] = TODAY() + dt.timedelta(days=60)
        values.update(fields)
        return Credential.objects.create(
            program=program,
            holder=holder,
            number=number or f"{program.abbreviation}-{next(numbers):04d}",
            status=status,
            **values,
        )

    return make


@pytest.fixture
def agency_member(body):
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )

    def make(legal_name, *, trade_names=(), city="", number="GOE-2001", status="active"):
        agency = Agency.objects.create(
            organization=body, legal_name=legal_name, trade_names=list(trade_names), city=city
        )
        return Membership.objects.create(
            organization=body,
            membership_type=kind,
            agency=agency,
            number=number,
            status=status,
            start_date=dt.date(2019, 3, 1),
            renewal_date=dt.date(2026, 12, 31),
        )

    return make


def sanction(credential=None, *, membership=None, publication="public", provisions=(), **fields):
    body = credential.program.organization if credential else membership.organization
    values = {
        "kind": "suspension",
        "decided_on": dt.date(2024, 5, 2),
        "summary": "Kept a client's money in the practice account.",
        "decision_url": "https://guild.example.org/decisions/2024-7",
    }
    values.update(fields)
    public_until = values.pop("public_until", None)
    return services.sanction_record(
        organization=body,
        record=credential or membership,
        decision=services.SanctionDecision(**values, provisions=list(provisions)),
        publication=services.SanctionPublication(publication, public_until),
    )


def search(client, q, **extra):
    return client.get("/guild/register/", {"q": q}, **extra)


# --- search ---------------------------------------------------------------------------------------


def test_an_empty_search_lists_nobody(client, issue):
    issue("Ann", "Smith")
    response = client.get("/guild/register/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Smith" not in html
    assert '<label for="q">Name, credential number, agency or city</label>' in html
    assert 'role="status"' in html


def test_a_search_by_name_shows_holder_credential_status_and_expiry(client, issue):
    credential = issue("Ann", "Smith", city="Springfield")
    issue("Bo", "Jones")
    html = search(client, "smi").content.decode()
    assert "1 entry matches “smi”." in html
    assert f'href="/guild/register/{credential.number}/"' in html
    assert "Ann Smith" in html and "Springfield" in html
    assert "Certified Guild Practitioner" in html
    assert "Active" in html
    assert "14 Jan 2026" in html
    assert "Bo Jones" not in html


def test_every_word_must_start_a_name(client, issue):
    issue("Ann", "Smith")
    issue("Bo", "Smith")
    issue("Ann", "de la Cruz")
    html = search(client, "ann smi").content.decode()
    assert "Ann Smith" in html and "Bo Smith" not in html
    # A word inside a family name counts, a fragment inside a word does not.
    assert "Ann de la Cruz" in search(client, "Cruz").content.decode()
    assert "Nobody in the register matches" in search(client, "mith").content.decode()


def test_accents_and_case_are_ignored_and_a_renamed_holder_is_found_by_the_new_name(client, issue):
    credential = issue("Zoë", "Müller-Ortíz")
    for q in ("muller", "Zoe Mül", "ORTIZ", "zoë müller"):
        assert "Zoë Müller-Ortíz" in search(client, q).content.decode(), q
    holder = credential.holder
    holder.family_name = "Lindqvist"
    holder.save()
    assert "Zoë Lindqvist" in search(client, "Lindq").content.decode()
    assert "Nobody in the register matches" in search(client, "Muller").content.decode()


def test_a_search_that_finds_nobody_says_so_plainly(client, issue):
    issue("Ann", "Smith")
    html = search(client, "Zimmermann").content.decode()
    assert "Nobody in the register matches “Zimmermann”." in html
    assert "Check the spelling" in html
    assert "<table" not in html


def test_a_short_query_finds_nothing_and_says_why(client, issue):
    issue("Al", "Li")
    html = search(client, "Li").content.decode()
    assert "Type at least 3 characters" in html
    assert "Al Li" not in html


@pytest.mark.parametrize(
    "q",
    [
        "a,,",  # separators made up the length
        "a;;",
        "a a a",
        "a, a",
        "ab ab",  # every word has two characters, none has three
        "ab, ab; ab",
        "Smith a",  # a one-letter word beside a long one still lists every A
        "a Smith",
        "x y z w",
    ],
)
def test_separators_and_one_letter_words_do_not_make_a_search_long_enough(client, issue, q):
    issue("Ann", "Smith")
    issue("Abe", "Abbott", city="Aurora")
    html = search(client, q).content.decode()
    assert (
        "Type at least 3 characters of a name, agency or city, with at least 2 in every word"
        in (html)
    ), q
    assert "Ann Smith" not in html and "Abe Abbott" not in html, q
    assert "<table" not in html


def test_a_two_letter_word_beside_a_long_one_is_searched(client, issue):
    issue("Al", "Smith")
    issue("Bo", "Smith")
    html = search(client, "al smith").content.decode()
    assert "1 entry matches" in html and "Al Smith" in html and "Bo Smith" not in html
    assert "Al Smith" in search(client, "Smith, Al").content.decode()


def test_the_search_form_says_what_a_query_needs(client, body):
    html = client.get("/guild/register/").content.decode()
    assert "At least 3 characters, with at least 2 in every word, or a whole" in html


def test_a_whole_number_finds_its_credential_whatever_its_length_or_case(client, issue):
    credential = issue("Ann", "Smith", number="C7")
    html = search(client, "c7").content.decode()
    assert "Ann Smith" in html and f'href="/guild/register/{credential.number}/"' in html
    issue("Bo", "Jones", number="CGP-1234")
    assert "Bo Jones" in search(client, "cgp 1234").content.decode()


def test_part_of_a_number_finds_nothing(client, issue):
    issue("Bo", "Jones", number="CGP-1234")
    html = search(client, "CGP-123").content.decode()
    assert "Bo Jones" not in html
    assert "Nobody in the register matches" in html


def test_a_city_finds_holders_only_where_the_program_publishes_it(client, body, issue):
    issue("Ann", "Smith", city="Springfield")
    private = CredentialProgram.objects.create(
        organization=body, code="cga", name="Guild Associate", abbreviation="CGA"
    )
    issue("Cy", "Quiet", city="Springfield", program=private)
    html = search(client, "Springfield").content.decode()
    assert "Ann Smith" in html
    assert "Cy Quiet" not in html
    # Found by name, the holder's city still does not show.
    html = search(client, "Quiet").content.decode()
    assert "Cy Quiet" in html and "Springfield" not in html


def test_an_agency_is_found_by_legal_name_trade_name_or_city(client, agency_member):
    agency_member("Lantern Recovery Services, LLC", trade_names=["Lantern Kids"], city="Dayton")
    for q in ("lantern recovery", "Lantern Kids", "Dayton", "GOE-2001"):
        html = search(client, q).content.decode()
        assert "Lantern Recovery Services, LLC" in html, q
        assert 'href="/guild/register/members/GOE-2001/"' in html
        assert "trading as <bdi>Lantern Kids</bdi>" in html


def test_credentials_and_people_and_agencies_memberships_come_together_by_name(
    client, body, issue, agency_member, membership_type
):
    agency_member("Smith Recovery, LLC", number="GOE-2001")
    agency_member("Aardvark Care", trade_names=["Smith Kids"], number="GOE-2002")
    person = Person.objects.create(organization=body, given_name="Ann", family_name="Smith")
    Membership.objects.create(
        organization=body, membership_type=membership_type, person=person, number="M-1"
    )
    issue("Bo", "Smith")
    issue("Cy", "Jones")
    html = search(client, "smith").content.decode()
    assert "4 entries match “smith”." in html
    order = ["Aardvark Care", "Ann Smith", "Bo Smith", "Smith Recovery, LLC"]
    assert [html.index(name) for name in order] == sorted(html.index(name) for name in order)
    assert "Cy Jones" not in html


def test_results_are_capped_with_a_message_to_refine(client, issue, settings):
    settings.OMBUDS_REGISTER_SEARCH_LIMIT = 5
    for n in range(8):
        issue(f"Given{n}", "Smith")
    html = search(client, "Smith").content.decode()
    assert html.count("<tr>") == 1 + 5  # the header row and five results
    assert "More than 5 entries match “Smith”; the first 5 are shown." in html
    assert "Given0 Smith" in html and "Given7 Smith" not in html


def test_another_bodys_register_is_not_searched(client, other_body, issue):
    theirs = CredentialProgram.objects.create(
        organization=other_body, code="ocp", name="Other Practitioner", abbreviation="OCP"
    )
    credential = issue("Ann", "Smith", program=theirs)
    assert "Nobody in the register matches" in search(client, "Smith").content.decode()
    assert "Nobody in the register matches" in search(client, credential.number).content.decode()
    assert client.get(f"/guild/register/{credential.number}/").status_code == 404
    assert client.get(f"/other/register/{credential.number}/").status_code == 200


def test_what_is_searched_is_escaped(client, issue):
    html = search(client, "<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html


# --- rate limits ----------------------------------------------------------------------------------


def test_searches_are_rate_limited_per_client(client, issue, settings):
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 3
    issue("Ann", "Smith")
    for _ in range(3):
        assert search(client, "Smith").status_code == 200
    response = search(client, "Smith")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    html = response.content.decode()
    assert "up to 3 searches from one network in 60 seconds" in html
    assert "Try again in" in html
    # Another client is not held back; an empty form costs nothing.
    assert search(client, "Smith", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/guild/register/").status_code == 200


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(client, issue, settings):
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 1
    issue("Ann", "Smith")
    assert search(client, "Smith", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    # Without a trusted proxy, a client cannot escape the limit by making up a header.
    assert search(client, "Smith", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429
    settings.OMBUDS_TRUSTED_PROXIES = 1
    forwarded = "203.0.113.9, 198.51.100.3"  # the client forged the first address
    assert search(client, "Smith", HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    assert search(client, "Smith", HTTP_X_FORWARDED_FOR="198.51.100.3").status_code == 429
    assert search(client, "Smith", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 200


def test_an_ipv6_client_is_counted_by_its_network(client, issue, settings):
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 1
    issue("Ann", "Smith")
    assert search(client, "Smith", REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    assert search(client, "Smith", REMOTE_ADDR="2001:db8:1:2::ffff").status_code == 429
    assert search(client, "Smith", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_credential_pages_are_rate_limited(client, issue, settings):
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 2
    credential = issue("Ann", "Smith")
    assert client.get(f"/guild/register/{credential.number}/").status_code == 200
    assert client.get("/guild/register/NOPE-1/").status_code == 404
    response = client.get(f"/guild/register/{credential.number}/certificate")
    assert response.status_code == 429
    assert "look-ups" in response.content.decode()


def test_a_refused_look_up_reads_nothing_of_the_record_beyond_its_one_query(
    client, issue, settings
):
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 1
    credential = issue("Ann", "Smith")
    sanction(credential, summary="Public one.")
    assert client.get(f"/guild/register/{credential.number}/").status_code == 200
    with CaptureQueriesContext(connection) as read:
        assert client.get(f"/guild/register/{credential.number}/").status_code == 429
    sanctions_read = [q for q in read.captured_queries if 'FROM "register_sanction"' in q["sql"]]
    assert sanctions_read == []  # only what finds the record, never its sanctions
    with CaptureQueriesContext(connection) as shown:
        settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 0
        assert client.get(f"/guild/register/{credential.number}/").status_code == 200
    assert [q for q in shown.captured_queries if 'FROM "register_sanction"' in q["sql"]]


def test_a_limit_of_zero_turns_rate_limiting_off(client, issue, settings):
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 0
    issue("Ann", "Smith")
    assert all(search(client, "Smith").status_code == 200 for _ in range(5))


# --- a credential's page --------------------------------------------------------------------------


def test_a_credential_page_shows_its_public_facts(client, issue, published):
    credential = issue(
        "Ann",
        "Smith",
        city="Springfield",
        status="suspended",
        conditions="Supervised practice only.",
    )
    provision = published.provisions.get(citation="1.1(b)")
    sanction(
        credential,
        provisions=[provision],
        effective_from=dt.date(2024, 6, 1),
        effective_until=dt.date(2024, 12, 1),
    )
    response = client.get(f"/guild/register/{credential.number}/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Ann Smith",
        "Guild of Examples",
        "Certified Guild Practitioner (CGP)",
        "Springfield",
        "Suspended until",
        "15 January 2023",
        "14 January 2026",
        "Supervised practice only.",
        "2 May 2024",
        "Kept a client&#x27;s money in the practice account.",
        'href="https://guild.example.org/decisions/2024-7"',
        f"http://testserver/guild/register/{credential.number}/",
    ):
        assert text in html, text
    # The cited provision links to its permalink in the version it was cited in.
    assert 'href="/guild/code/v/v1/1.1(b)"' in html and ">GOE 1.1(b)</a>" in html
    # Contact details are never public.
    assert "ann@example.org" not in html


def test_contact_details_stay_hidden_even_if_a_program_lists_them(client, cgp, issue):
    cgp.public_fields = ["email", "phone", "city"]
    cgp.save()
    credential = issue("Ann", "Smith", city="Springfield")
    html = client.get(f"/guild/register/{credential.number}/").content.decode()
    assert "Springfield" in html and "ann@example.org" not in html


@pytest.mark.parametrize(
    ("publication", "days_public", "shown"),
    [
        ("public", None, True),
        ("private", None, False),
        ("public_until", 0, True),
        ("public_until", 30, True),
        ("public_until", -1, False),
    ],
)
def test_a_sanction_shows_only_as_its_publication_allows(
    client, issue, publication, days_public, shown
):
    credential = issue("Ann", "Smith")
    sanction(
        credential,
        publication=publication,
        public_until=None if days_public is None else TODAY() + dt.timedelta(days=days_public),
        summary="Misled a client about fees.",
    )
    html = client.get(f"/guild/register/{credential.number}/").content.decode()
    assert ("Misled a client about fees." in html) is shown
    assert ("has published no sanction against this credential" in html) is not shown


def test_only_this_credentials_sanctions_are_shown(client, issue):
    mine, other = issue("Ann", "Smith"), issue("Bo", "Jones")
    sanction(other, summary="Another holder's sanction.")
    html = client.get(f"/guild/register/{mine.number}/").content.decode()
    assert "Another holder" not in html


def test_an_unknown_number_is_not_found_plainly(client, body):
    response = client.get("/guild/register/CGP-9999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No credential numbered “CGP-9999”" in html
    assert '<form class="search"' in html
    assert client.get("/nobody/register/CGP-9999/").status_code == 404


def test_two_bodies_credentials_of_one_number_each_show_on_their_own_bodys_page(
    client, issue, other_body
):
    issue("Ann", "Smith", number="CGP-0001")
    program = CredentialProgram.objects.create(
        organization=other_body, code="cgp", name="Other Certified", abbreviation="CGP"
    )
    issue("Bo", "Jones", program=program, number="CGP-0001", status="revoked")
    ours = client.get("/guild/register/CGP-0001/").content.decode()
    theirs = client.get("/other/register/CGP-0001/").content.decode()
    assert "Ann Smith" in ours and "Bo Jones" not in ours and "Guild" in ours
    assert "Bo Jones" in theirs and "Ann Smith" not in theirs and "Revoked" in theirs
    assert client.get("/other/register/CGP-0002/").status_code == 404
    assert client.get("/other/register/cgp 0001/")["Location"] == "/other/register/CGP-0001/"


def test_a_credentials_sanctions_are_as_of_today_where_its_body_is(client, issue, monkeypatch):
    credential = issue("Ann", "Smith")
    until = dt.date(2026, 3, 1)
    sanction(credential, publication="public_until", public_until=until, summary="Shown a while.")
    bodies = Organization.objects.filter(slug="guild")
    # 12:00 on 1 March in London is already 2 March in Kiribati, where its publication has ended.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
    bodies.update(time_zone="Europe/London")
    assert "Shown a while." in client.get(f"/guild/register/{credential.number}/").content.decode()
    bodies.update(time_zone="Pacific/Kiritimati")
    html = client.get(f"/guild/register/{credential.number}/").content.decode()
    assert "Shown a while." not in html and "has published no sanction" in html


def test_two_bodies_memberships_of_one_number_each_show_on_their_own_bodys_page(
    client, agency_member, other_body
):
    agency_member("Lantern Recovery, LLC", city="Dayton", number="GOE-0001")
    kind = MembershipType.objects.create(
        organization=other_body, code="agency", name="Agency", kind="organization"
    )
    Membership.objects.create(
        organization=other_body,
        membership_type=kind,
        agency=Agency.objects.create(organization=other_body, legal_name="Harbor Support, Inc."),
        number="GOE-0001",
        status="expelled",
    )
    ours = client.get("/guild/register/members/GOE-0001/").content.decode()
    theirs = client.get("/other/register/members/GOE-0001/").content.decode()
    assert "Lantern Recovery" in ours and "Harbor" not in ours and "Dayton" in ours
    assert "Harbor Support" in theirs and "Lantern" not in theirs and "Expelled" in theirs
    assert client.get("/other/register/members/GOE-0002/").status_code == 404
    assert client.get("/nobody/register/members/GOE-0001/").status_code == 404
    assert (
        client.get("/other/register/members/goe 0001/")["Location"]
        == "/other/register/members/GOE-0001/"
    )


def test_a_memberships_sanctions_are_as_of_today_where_its_body_is(
    client, agency_member, monkeypatch
):
    membership = agency_member("Lantern Recovery, LLC")
    until = dt.date(2026, 3, 1)
    sanction(
        membership=membership,
        publication="public_until",
        public_until=until,
        summary="Shown a while.",
    )
    bodies = Organization.objects.filter(slug="guild")
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
    bodies.update(time_zone="Europe/London")
    page = f"/guild/register/members/{membership.number}/"
    assert "Shown a while." in client.get(page).content.decode()
    bodies.update(time_zone="Pacific/Kiritimati")
    html = client.get(page).content.decode()
    assert "Shown a while." not in html and "has published no sanction" in html


def test_a_number_as_typed_redirects_to_its_stable_address(client, issue):
    credential = issue("Ann", "Smith")
    response = client.get(f"/guild/register/{credential.number.lower()}/")
    assert response.status_code == 301
    assert response["Location"] == f"/guild/register/{credential.number}/"


# --- certificate ----------------------------------------------------------------------------------


def test_the_certificate_has_a_qr_code_of_the_verification_url(client, issue):
    credential = issue("Ann", "Smith", expires_on=TODAY() + dt.timedelta(days=365))
    response = client.get(f"/guild/register/{credential.number}/certificate")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg viewBox="0 0' in html and 'class="segno"' in html
    assert (
        f'aria-label="QR code of the verification address http://testserver/guild/register/{credential.number}/"'
        in html
    )
    assert "This certifies that" in html and "Ann Smith" in html
    assert "Not valid" not in html


def test_the_certificate_of_a_credential_not_in_force_says_so(client, issue):
    credential = issue("Ann", "Smith", status="suspended")
    html = client.get(f"/guild/register/{credential.number}/certificate").content.decode()
    assert "Not valid: on" in html and "as suspended until" in html
    assert "This certifies" not in html


def test_the_qr_code_encodes_the_verification_url(client, issue):
    segno = pytest.importorskip("segno")
    credential = issue("Ann", "Smith", expires_on=TODAY() + dt.timedelta(days=365))
    html = client.get(f"/guild/register/{credential.number}/certificate").content.decode()
    expected = segno.make(
        f"http://testserver/guild/register/{credential.number}/", error="m"
    ).svg_inline(scale=1, omitsize=True, light="#fff")
    assert expected in html


# --- memberships ----------------------------------------------------------------------------------


def test_a_membership_page_shows_the_agency_and_its_public_sanctions(client, agency_member):
    membership = agency_member("Lantern Recovery Services, LLC", trade_names=["Lantern Kids"])
    sanction(membership=membership, kind="reprimand", summary="Confused clients about its name.")
    sanction(membership=membership, publication="private", summary="A private warning.")
    response = client.get("/guild/register/members/GOE-2001/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Lantern Recovery Services, LLC" in html and "Lantern Kids" in html
    assert "Member agency" in html and "Reprimand" in html
    assert "Confused clients about its name." in html
    assert "A private warning." not in html
    # Its clients are pointed to the agency's own complaint form first (CSEC 1.1(c), Article 5).
    assert f'href="/guild/agencies/{membership.agency_id}/complain/"' in html
    assert client.get(f"/guild/agencies/{membership.agency_id}/complain/").status_code == 200


def test_board_seats_and_unknown_members_are_not_in_the_register(client, body):
    board = MembershipType.objects.create(
        organization=body, code="board", name="Board member", kind="board"
    )
    person = Person.objects.create(organization=body, given_name="Di", family_name="Rector")
    Membership.objects.create(
        organization=body, membership_type=board, person=person, number="B-1", status="active"
    )
    assert client.get("/guild/register/members/B-1/").status_code == 404
    assert "Nobody in the register matches" in search(client, "Rector").content.decode()
    assert client.get("/guild/register/members/GOE-0000/").status_code == 404


def test_a_member_persons_place_is_never_published(client, body, make_membership, cgp):
    # The body publishes its credential holders' cities; that policy does not reach memberships.
    member = make_membership()
    member.person.city, member.person.region = "Springfield", "Illinois"
    member.person.save()
    html = client.get(f"/guild/register/members/{member.number}/").content.decode()
    assert member.person.full_name in html
    assert "Springfield" not in html and "Illinois" not in html
    assert "<dt>Place</dt>" not in html
    # Nor searched by it, nor shown beside a result found by name.
    html = search(client, "Springfield").content.decode()
    assert member.person.full_name not in html
    assert "Nobody in the register matches “Springfield”." in html
    html = search(client, member.number).content.decode()
    assert member.person.full_name in html and "Springfield" not in html
    assert public.membership_verify(member.number, organization=body).place == ""
    # Nor in the members directory.
    html = client.get("/guild/members/").content.decode()
    assert member.person.full_name in html and "Springfield" not in html


def test_a_member_agencys_place_stays_public(client, body, agency_member):
    membership = agency_member("Lantern Recovery Services, LLC", city="Dayton")
    membership.agency.region = "Ohio"
    membership.agency.save()
    html = client.get("/guild/register/members/GOE-2001/").content.decode()
    assert "<dt>Place</dt><dd>Dayton, Ohio</dd>" in html
    assert "Lantern Recovery Services, LLC" in search(client, "Dayton").content.decode()
    assert "Dayton, Ohio" in client.get("/guild/members/").content.decode()


# --- numbers as people type them --------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["cgp 1234", "CGP 1234", "cgp-1234", " cgp  1234 "])
def test_a_credential_number_typed_with_spaces_or_in_lower_case_is_verified(client, issue, typed):
    credential = issue("Ann", "Smith", number="CGP-1234")
    found = public.credential_verify(typed)
    assert found is not None and found.number == "CGP-1234" and found.holder == "Ann Smith"
    for path in ("{}/", "{}/certificate"):
        response = client.get("/guild/register/" + path.format(typed.replace(" ", "%20")))
        assert response.status_code == 301, path
        assert response["Location"] == "/guild/register/" + path.format(credential.number)


def test_a_number_without_its_hyphen_is_verified_too(client, issue):
    issue("Ann", "Smith", number="CESP-10189")
    response = client.get("/guild/register/cesp%2010189/")
    assert response.status_code == 301
    assert response["Location"] == "/guild/register/CESP-10189/"
    assert client.get(response["Location"]).status_code == 200


def test_the_form_as_typed_comes_first_when_two_forms_are_stored(issue):
    issue("Ann", "Smith", number="CGP1234")
    issue("Bo", "Jones", number="CGP-1234")
    assert public.credential_verify("cgp 1234").holder == "Ann Smith"
    assert public.credential_verify("cgp-1234").holder == "Bo Jones"


def test_the_verify_command_reads_a_number_as_typed(issue):
    from io import StringIO

    issue("Ann", "Smith", number="CESP-10189")
    out = StringIO()
    call_command("register", "verify", "cesp 10189", stdout=out)
    assert out.getvalue().splitlines()[0] == "CESP-10189  Active"


@pytest.mark.parametrize("typed", ["goe%202001", "goe-2001", "GOE%202001"])
def test_a_membership_number_typed_with_spaces_or_in_lower_case_is_verified(
    client, agency_member, typed
):
    agency_member("Lantern Recovery Services, LLC")
    response = client.get(f"/guild/register/members/{typed}/")
    assert response.status_code == 301
    assert response["Location"] == "/guild/register/members/GOE-2001/"


# --- query bounds ---------------------------------------------------------------------------------


@pytest.fixture
def big_register(body, cgp, published, agency_member):
    """300 credentials, half with two public sanctions citing two provisions each, and 40 agencies."""
    people = Person.objects.bulk_create(
        Person(organization=body, given_name=f"Given{n}", family_name="Smith", city="Springfield")
        for n in range(300)
    )
    credentials = Credential.objects.bulk_create(
        Credential(
            program=cgp,
            holder=p,
            number=f"CGP-{n:05d}",
            status="active",
            issued_on=dt.date(2023, 1, 1),
            expires_on=dt.date(2026, 1, 1),
        )
        for n, p in enumerate(people)
    )
    provisions = list(published.provisions.filter(citation__in=["1.1(a)", "1.2"]))
    for credential in credentials[:150:10]:
        for k in range(2):
            s = Sanction.objects.create(
                organization=body,
                credential=credential,
                kind="reprimand",
                decided_on=dt.date(2024, 1, 1 + k),
                summary=f"Sanction {k}",
                publication="public",
            )
            s.provisions.set(provisions)
    for n in range(40):
        agency_member(f"Smith Agency {n}", trade_names=[f"Smithy {n}"], number=f"GOE-{3000 + n}")
    return credentials


def test_pages_run_a_bounded_number_of_queries_whatever_the_registers_size(
    client, big_register, settings, django_assert_max_num_queries
):
    # The pages' own queries; the rate limits' few are counted in test_rate_limits.
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 0
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 0
    # The body with its programmes, then one statement for credentials, people's and agencies'
    # memberships.
    with django_assert_max_num_queries(2):
        html = search(client, "Smith").content.decode()
    assert "More than 20 entries" in html
    with django_assert_max_num_queries(2):
        assert search(client, "Springfield").status_code == 200
    with django_assert_max_num_queries(4):  # a number not found is then searched as a name
        assert search(client, "CGP-99999").status_code == 200
    # The body with the credential (and whether it has sanctions), its sanctions, their provisions.
    with django_assert_max_num_queries(3):
        html = client.get("/guild/register/CGP-00000/").content.decode()
    assert html.count('class="sanction"') == 2 and "GOE 1.1(a)" in html
    with django_assert_max_num_queries(3):
        assert client.get("/guild/register/CGP-00000/certificate").status_code == 200
    # A credential without sanctions: one query, the body with it.
    with django_assert_max_num_queries(1):
        html = client.get("/guild/register/CGP-00001/").content.decode()
    assert "has published no sanction against this credential" in html
    with django_assert_max_num_queries(1):
        assert client.get("/guild/register/cgp 00001/").status_code == 301
    # A membership without sanctions: one query, the body with it.
    with django_assert_max_num_queries(1):
        assert client.get("/guild/register/members/GOE-3000/").status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get("/guild/register/members/goe 3000/").status_code == 301


def test_search_engines_are_asked_not_to_index_or_keep_register_pages(client, issue):
    credential = issue("Ann", "Smith")
    for url in (
        "/guild/register/?q=Smith",
        f"/guild/register/{credential.number}/",
        f"/guild/register/{credential.number}/certificate",
        "/guild/register/bulk/",
        "/guild/register/NOPE-1/",
    ):
        assert client.get(url)["X-Robots-Tag"] == "noindex, noarchive", url


# --- a search reads a bounded number of matches ---------------------------------------------------


def test_a_search_matching_fewer_than_it_reads_sorts_them_all(client, issue, settings):
    """Below OMBUDS_REGISTER_SEARCH_SCAN matches, the first by name of all of them, as always."""
    settings.OMBUDS_REGISTER_SEARCH_LIMIT = 3
    settings.OMBUDS_REGISTER_SEARCH_SCAN = 10
    for given in ["Zoe", "Yan", "Xia", "Wim", "Val", "Uma", "Ted", "Sam"]:
        issue(given, "Smith")
    html = search(client, "Smith").content.decode()
    assert "More than 3 entries match “Smith”; the first 3 are shown." in html
    assert html.count("<tr>") == 1 + 3
    shown = ["Sam Smith", "Ted Smith", "Uma Smith"]
    assert [html.index(name) for name in shown] == sorted(html.index(name) for name in shown)
    assert "Val Smith" not in html


def test_a_search_matching_more_than_it_reads_says_it_shows_some_of_them(
    client, body, issue, agency_member, membership_type, settings, django_assert_max_num_queries
):
    settings.OMBUDS_REGISTER_SEARCH_LIMIT = 3
    settings.OMBUDS_REGISTER_SEARCH_SCAN = 5
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 0
    for n in range(12):
        issue(f"Given{n:02d}", "Smith")
    with django_assert_max_num_queries(2):  # the programmes, then the search's one statement
        result = public.register_search(body, "Smith")
    assert result.sampled and result.truncated and len(result.results) == 3
    names = [r.holder for r in result.results]
    assert names == sorted(names) and all(n.endswith(" Smith") for n in names)
    html = search(client, "Smith").content.decode()
    assert "Too many entries match “Smith” to sort them all; 3 of them are shown, by name." in html
    assert "More than 3 entries" not in html
    # The same kinds are bounded alike: people's and agencies' memberships.
    for n in range(6):
        agency_member(f"Jones Agency {n}", number=f"GOE-{4000 + n}")
    assert public.register_search(body, "Jones").sampled
    assert not public.register_search(body, "Given03").sampled


def test_each_search_query_reads_at_most_the_set_number_of_matches(body, issue, settings):
    """The bound is in the SQL: the matches are read through a subquery limited to the scan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.OMBUDS_REGISTER_SEARCH_SCAN = 37
    issue("Ann", "Smith")
    with CaptureQueriesContext(connection) as ctx:
        public.register_search(body, "Smith")
    # The engine's full-text condition: the word tables or "@@" on PostgreSQL, "MATCH" on SQLite.
    searching = [
        q["sql"]
        for q in ctx.captured_queries
        if any(mark in q["sql"] for mark in (" @@ ", " MATCH ", "register_person_word"))
    ]
    # One statement: a branch each for credentials, people's memberships, agencies' memberships.
    assert len(searching) == 1
    (sql,) = searching
    assert sql.count(" UNION ALL SELECT * FROM (") == 2, sql
    assert sql.count("LIMIT 37)") == 3, sql
    # Unordered, so that the engine stops at the 37th match: only the queries around them sort.
    for capped in _subqueries_ending_with(sql, "LIMIT 37)"):
        assert "ORDER BY" not in capped, capped
    assert sql.count("ORDER BY") >= 3, sql


def _subqueries_ending_with(sql: str, end: str) -> list[str]:
    """The parenthesised subqueries of `sql` whose text ends with `end` (its closing bracket)."""
    found = []
    at = sql.find(end)
    while at != -1:
        close, depth = at + len(end) - 1, 0
        for start in range(close, -1, -1):
            depth += {")": 1, "(": -1}.get(sql[start], 0)
            if depth == 0:
                found.append(sql[start : close + 1])
                break
        at = sql.find(end, at + 1)
    return found
