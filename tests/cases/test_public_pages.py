"""The public case pages: the complaint form (named and anonymous), the page that acknowledges it,
the anonymous complainant's follow-up, and the respondent's personal link."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.cases import services, views
from ombuds.cases.models import (
    Allegation,
    BodyProcedure,
    Case,
    Document,
    Message,
    Notice,
    RespondentLink,
)
from ombuds.codes.models import Provision
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)

# A PDF with one blank page, as small as a real one gets: what is shared with the respondent must
# open to be cleaned of its metadata (ombuds.cases.cleaning).
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
PASSPHRASE = "correct horse battery"


@pytest.fixture
def procedure(body) -> BodyProcedure:
    return BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")


@pytest.fixture
def credential(body) -> Credential:
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    holder = Person.objects.create(organization=body, given_name="Rita", family_name="Marsh")
    return Credential.objects.create(
        program=program,
        holder=holder,
        number="CGP-0042",
        status="active",
        issued_on=dt.date(2022, 7, 1),
        expires_on=dt.date(2030, 6, 30),
    )


@pytest.fixture
def agency_membership(body) -> Membership:
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Agency member", kind="organization"
    )
    agency = Agency.objects.create(organization=body, legal_name="Prompt Recovery LLC")
    return Membership.objects.create(
        organization=body,
        agency=agency,
        membership_type=kind,
        number="M-0007",
        status="active",
        start_date=dt.date(2020, 1, 1),
        renewal_date=dt.date(2030, 1, 1),
    )


def _form(**changes) -> dict:
    """What a named complainant types; changes replace or add fields."""
    data = {
        "who": "named",
        "complainant_name": "Dana Whitfield",
        "complainant_email": "dana@example.org",
        "complainant_phone": "",
        "complainant_relation": "client",
        "respondent_kind": "person",
        "respondent_name": "Rita Marsh",
        "respondent_number": "",
        "respondent_details": "",
        "happened_on": "2025-03-02",
        "happened_until": "",
        "what_happened": "She kept my deposit and would not answer my letters.",
        "outcome_sought": "My deposit back.",
        "submission_key": "k" * 32,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _anonymous(**changes) -> dict:
    fields = {
        "who": "anonymous",
        "complainant_name": "",
        "complainant_email": "",
        "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE,
    }
    return _form(**{**fields, **changes})


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _complain_url(body) -> str:
    return reverse("cases:complain", kwargs={"org": body.slug})


def _followup_url(body) -> str:
    return reverse("cases:followup", kwargs={"org": body.slug})


def _leaf(published, citation: str) -> Provision:
    return published.provisions.get(citation=citation)


def _file(body, **changes) -> Case:
    """A complaint filed through the service, as the form would."""
    fields = {
        "what_happened": "She kept my deposit.",
        "respondent_name": "Rita Marsh",
        "complainant_name": "Dana Whitfield",
        "complainant_relation": "client",
    }
    fields.update(changes)
    return services.case_file(organization=body, complaint=services.Complaint(**fields)).case


def _text(response) -> str:
    return response.content.decode()


# --- the form -------------------------------------------------------------------------------------


def test_the_form_offers_the_provisions_of_the_code_in_force(client, body, procedure, published):
    response = client.get(_complain_url(body))
    assert response.status_code == 200
    page = _text(response)
    assert "Which parts of the code you think were broken" in page
    for citation in ("1.1(a)", "1.1(b)", "1.2", "2.1"):
        provision = _leaf(published, citation)
        assert f'value="{provision.pk}"' in page
    # A provision that only introduces its sub-provisions is not offered on its own.
    assert f'value="{_leaf(published, "1.1").pk}"' not in page
    assert 'name="submission_key"' in page
    assert re.search(r'name="submission_key" value="[0-9a-f]{32}"', page)


def test_without_a_code_in_force_the_form_has_no_provisions_field(client, body, procedure):
    response = client.get(_complain_url(body))
    assert response.status_code == 200
    assert 'name="provisions"' not in _text(response)
    assert "Which parts of the code" not in _text(response)


def test_the_form_is_accessible_in_its_structure(client, body, procedure, published):
    page = _text(client.get(_complain_url(body)))
    # Each group of choices is a fieldset with its legend; inputs say what they are for.
    assert "<legend>Who is complaining</legend>" in page
    assert "<legend>Which parts of the code you think were broken</legend>" in page
    assert 'autocomplete="name"' in page
    assert 'autocomplete="email"' in page
    assert 'type="tel"' in page
    assert 'autocomplete="new-password"' in page
    for name in ("what_happened", "respondent_name", "files", "passphrase"):
        assert f'<label for="id_{name}">' in page
    assert 'accept=".pdf,.png,.jpg,.jpeg,.txt,.docx,.odt"' in page


def test_a_body_without_a_procedure_takes_no_complaints(client, body):
    response = client.get(_complain_url(body))
    assert response.status_code == 404
    assert "does not take complaints through this site" in _text(response)
    response = client.post(_complain_url(body), _form())
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_a_body_that_closed_its_form_takes_no_complaints(client, body, procedure):
    procedure.taking_complaints = False
    procedure.save()
    assert client.get(_complain_url(body)).status_code == 404


def test_an_unknown_body_is_not_found(client, db):
    assert client.get("/nobody/complain/").status_code == 404


# --- filing ---------------------------------------------------------------------------------------


def test_a_named_complaint_makes_a_case_with_the_provisions_cited(
    client, body, procedure, published
):
    cited = [_leaf(published, "1.1(b)"), _leaf(published, "2.1")]
    response = client.post(
        _complain_url(body),
        _form(
            provisions=[p.pk for p in cited],
            consent_to_share="on",
            files=[_upload("receipt.pdf", PDF)],
        ),
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "cases:filed", kwargs={"org": body.slug, "reference": case.reference}
    )
    assert not case.anonymous
    assert case.complainant_name == "Dana Whitfield"
    assert case.complainant_email == "dana@example.org"
    assert case.consent_to_share
    assert case.channel == Case.Channel.WEB
    assert case.code_version == published
    assert case.receipt_code is None
    allegation = case.allegations.get()
    assert set(allegation.provisions.all()) == set(cited)
    assert allegation.summary == "She kept my deposit and would not answer my letters."
    document = case.documents.get()
    assert (document.original_name, document.content_type) == ("receipt.pdf", "application/pdf")
    assert document.visibility == Document.Visibility.INTERNAL

    filed = client.get(response["Location"])
    assert filed.status_code == 200
    assert case.reference in _text(filed)
    assert "receipt code" not in _text(filed).lower()
    assert "dana@example.org" in _text(filed)


def test_an_anonymous_complaint_shows_its_receipt_code_for_a_few_minutes(
    client, body, procedure, published, monkeypatch
):
    response = client.post(
        _complain_url(body),
        # What a named complainant would have typed is not kept once they choose anonymity.
        _anonymous(
            complainant_name="Dana Whitfield",
            complainant_email="dana@example.org",
            consent_to_share="on",
        ),
    )
    case = Case.objects.get()
    assert case.anonymous
    assert (case.complainant_name, case.complainant_email) == ("", "")
    assert not case.consent_to_share
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", case.receipt_code)
    assert PASSPHRASE not in case.passphrase_hash

    filed = client.get(response["Location"])
    assert filed.status_code == 200
    assert case.receipt_code in _text(filed)
    assert "only for a few minutes" in _text(filed)
    assert filed["Referrer-Policy"] == "same-origin"
    assert "no-store" in filed["Cache-Control"]
    # Copy and print, offered to scripts (the buttons are hidden without them).
    assert 'data-copy="receipt-code"' in filed.content.decode()
    assert "data-print" in filed.content.decode()

    # A reload soon after shows it again, in this browser only...
    again = client.get(response["Location"])
    assert again.status_code == 200
    assert case.receipt_code in _text(again)
    # ...and no longer once the few minutes are over.
    later = time.time() + views.RECEIPT_SHOWN_FOR + 1
    monkeypatch.setattr(views.time, "time", lambda: later)
    gone = client.get(response["Location"])
    assert gone.status_code == 200
    assert case.receipt_code not in _text(gone)
    assert services.followup_case(case.receipt_code, PASSPHRASE) == case


def test_the_filed_page_is_only_for_the_browser_that_filed(client, body, procedure):
    from django.test import Client

    response = client.post(_complain_url(body), _anonymous())
    case = Case.objects.get()
    other = Client()
    elsewhere = other.get(response["Location"])
    assert elsewhere.status_code == 404
    # A page that says so and how to follow the complaint up, without the code.
    assert "cannot be shown again" in _text(elsewhere)
    assert case.receipt_code not in _text(elsewhere)
    assert _followup_url(body) in elsewhere.content.decode()
    # Nor does the reference of another case open it in the browser that filed.
    other_case = _file(body)
    url = reverse("cases:filed", kwargs={"org": body.slug, "reference": other_case.reference})
    assert client.get(url).status_code == 404
    assert case.receipt_code in _text(client.get(response["Location"]))


def test_every_problem_is_shown_at_once_and_nothing_is_written(client, body, procedure):
    response = client.post(
        _complain_url(body),
        _form(
            complainant_name="",
            what_happened="   ",
            happened_on="2025-03-02",
            happened_until="2025-03-01",
            files=[_upload("setup.exe", EXE), _upload("photo.pdf", PNG)],
        ),
    )
    assert response.status_code == 400
    page = _text(response)
    summary = page[
        page.index('class="error-summary"') : page.index("</div>", page.index("error-summary"))
    ]
    assert 'href="#id_complainant_name"' in summary
    assert "Give your name, or choose to stay anonymous." in summary
    assert 'href="#id_what_happened"' in summary
    assert "Say what happened." in summary
    assert 'href="#id_happened_until"' in summary
    assert 'href="#id_files"' in summary
    assert "setup.exe is not one of the formats taken" in summary
    assert "photo.pdf is named as .pdf but its content is PNG image" in summary
    # Each field says its own problem too, and is marked invalid for assistive technology.
    assert 'id="id_what_happened_error"' in page
    textarea = re.search(r'<textarea[^>]*id="id_what_happened"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in textarea
    assert 'aria-describedby="id_what_happened_helptext id_what_happened_error"' in textarea
    assert "attach them again" in page
    assert "<title>Error: " in page
    assert not Case.objects.exists()
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("passphrase", "again", "problems"),
    [
        ("short", "short", ["at least 10 characters"]),
        (PASSPHRASE, PASSPHRASE + "!", ["The two passphrases differ."]),
        ("", "", ["at least 10 characters", "Type the passphrase again."]),
        ("short", "other", ["at least 10 characters", "The two passphrases differ."]),
    ],
)
def test_an_anonymous_complainant_needs_a_passphrase_typed_twice(
    client, body, procedure, passphrase, again, problems
):
    data = _anonymous(what_happened="")
    data.update(passphrase=passphrase, passphrase_again=again)
    response = client.post(_complain_url(body), data)
    assert response.status_code == 400
    page = _text(response)
    for problem in problems:
        assert problem in page
    assert "Say what happened." in page  # listed with the passphrase's problems
    assert not Case.objects.exists()


def test_a_respondent_number_from_the_register_links_their_record(
    client, body, procedure, credential
):
    client.post(_complain_url(body), _form(respondent_number="cgp 0042"))
    case = Case.objects.get()
    assert case.respondent_person == credential.holder
    assert case.respondent_agency is None


def test_a_member_agencys_number_links_the_agency(client, body, procedure, agency_membership):
    client.post(
        _complain_url(body),
        _form(respondent_kind="agency", respondent_name="Prompt", respondent_number="m-0007"),
    )
    case = Case.objects.get()
    assert case.respondent_agency == agency_membership.agency
    assert case.respondent_person is None


def test_an_agency_named_exactly_is_linked_without_its_number(
    client, body, procedure, agency_membership
):
    client.post(
        _complain_url(body),
        _form(respondent_kind="agency", respondent_name="prompt recovery llc"),
    )
    assert Case.objects.get().respondent_agency == agency_membership.agency


def test_an_unknown_respondent_number_is_an_error_listed_with_the_others(
    client, body, procedure, credential
):
    response = client.post(
        _complain_url(body), _form(respondent_number="CGP-9999", what_happened="")
    )
    assert response.status_code == 400
    page = _text(response)
    assert 'href="#id_respondent_number"' in page
    assert "No credential or membership numbered CGP-9999" in page
    assert "Say what happened." in page
    assert not Case.objects.exists()


def test_the_same_form_sent_twice_makes_one_case(client, body, procedure):
    first = client.post(_complain_url(body), _anonymous())
    second = client.post(_complain_url(body), _anonymous())
    case = Case.objects.get()
    assert first["Location"] == second["Location"]
    # Whichever answer the browser shows, the receipt code is on it.
    assert case.receipt_code in _text(client.get(second["Location"]))
    # A new form has a new key, and makes a new case.
    client.post(_complain_url(body), _anonymous(submission_key="n" * 32))
    assert Case.objects.count() == 2


def test_complaints_from_one_network_are_limited(client, body, procedure, settings):
    settings.OMBUDS_COMPLAINTS_PER_HOUR = 2
    for n in range(2):
        assert client.post(_complain_url(body), _form(submission_key=f"key{n}")).status_code == 302
    response = client.post(_complain_url(body), _form(submission_key="key3"))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    page = _text(response)
    assert "Your complaint was not sent" in page
    # What was typed is still there to send later.
    assert "She kept my deposit and would not answer my letters." in page
    assert Case.objects.count() == 2


# --- the anonymous follow-up ----------------------------------------------------------------------


@pytest.fixture
def anonymous_case(body, procedure) -> tuple[Case, str]:
    filed = services.case_file(
        organization=body,
        complaint=services.Complaint(
            what_happened="He shouted at me in the office.",
            respondent_name="Rita Marsh",
            anonymous=True,
            passphrase=PASSPHRASE,
        ),
    )
    return filed.case, filed.receipt_code


@pytest.mark.parametrize("wrong", ["code", "passphrase", "both", "other body"])
def test_a_wrong_code_or_passphrase_gets_one_answer(
    client, body, other_body, anonymous_case, wrong
):
    case, code = anonymous_case
    BodyProcedure.objects.create(organization=other_body, procedure_key="csec-article-5")
    typed = {
        "code": ("ABCD-EFGH-JKMN", PASSPHRASE),
        "passphrase": (code, "not the passphrase"),
        "both": ("ABCD-EFGH-JKMN", "not the passphrase"),
        "other body": (code, PASSPHRASE),
    }[wrong]
    org = other_body if wrong == "other body" else body
    response = client.post(_followup_url(org), {"receipt_code": typed[0], "passphrase": typed[1]})
    assert response.status_code == 400
    page = _text(response)
    assert "That receipt code and passphrase do not match a complaint." in page
    assert case.reference not in page
    assert client.get(_followup_url(org)).status_code == 200
    assert case.reference not in _text(client.get(_followup_url(org)))


def test_the_right_code_and_passphrase_show_the_case(client, body, anonymous_case, personas):
    case, code = anonymous_case
    handler = personas["body_staff"]
    handler.first_name, handler.last_name = "Sam", "Okafor"
    handler.save()
    Case.objects.filter(pk=case.pk).update(handler=handler)
    Notice.objects.create(
        case=case,
        template="acknowledgement",
        recipient_role="complainant",
        subject="Your complaint is acknowledged",
        body="We have your complaint.\nThe Chair reviews it.",
        status=Notice.Status.NO_ADDRESS,
    )
    Notice.objects.create(
        case=case,
        template="allegations",
        recipient_role="respondent",
        subject="A complaint about you",
        body="Answer within 30 days.",
        status=Notice.Status.NO_ADDRESS,
    )
    Message.objects.create(
        case=case,
        audience=Message.Audience.COMPLAINANT,
        body="Could you tell us the date?",
        author_label="Sam Okafor",
    )
    Message.objects.create(
        case=case,
        audience=Message.Audience.INTERNAL,
        body="Internal: the complainant may be the neighbour.",
        author_label="Sam Okafor",
    )
    Message.objects.create(
        case=case,
        audience=Message.Audience.RESPONDENT,
        body="To the respondent only.",
        author_label="Sam Okafor",
    )

    # The code is read as typed on a phone: lower case, spaces, no dashes.
    response = client.post(
        _followup_url(body),
        {"receipt_code": code.lower().replace("-", " "), "passphrase": PASSPHRASE},
    )
    assert response.status_code == 302
    page = _text(client.get(_followup_url(body)))
    assert case.reference in page
    assert "Received" in page  # the state's label
    assert "Sam Okafor, for GOE" in page
    assert "Your complaint is acknowledged" in page
    assert "The Chair reviews it." in page
    assert "Could you tell us the date?" in page
    assert "A complaint about you" not in page
    assert "Internal: the complainant" not in page
    assert "To the respondent only." not in page


def test_the_complainant_sends_a_message(client, body, anonymous_case):
    case, code = anonymous_case
    client.post(_followup_url(body), {"receipt_code": code, "passphrase": PASSPHRASE})
    response = client.post(_followup_url(body), {"body": "It was on <b>2 March</b>."})
    assert response.status_code == 302
    message = case.messages.get()
    assert (message.audience, message.from_party) == (Message.Audience.COMPLAINANT, True)
    page = _text(client.get(_followup_url(body)))
    assert "Your message was sent." in page
    assert "It was on &lt;b&gt;2 March&lt;/b&gt;." in page

    empty = client.post(_followup_url(body), {"body": "  "})
    assert empty.status_code == 400
    assert 'href="#id_body"' in _text(empty)
    assert case.messages.count() == 1


def test_closing_the_complaint_on_this_device_forgets_it(client, body, anonymous_case):
    case, code = anonymous_case
    client.post(_followup_url(body), {"receipt_code": code, "passphrase": PASSPHRASE})
    client.post(_followup_url(body), {"action": "sign_out"})
    page = _text(client.get(_followup_url(body)))
    assert case.reference not in page
    assert "Follow your complaint" in page
    # A message can no longer be sent from this browser.
    client.post(_followup_url(body), {"body": "Hello"})
    assert not case.messages.exists()


def test_follow_up_attempts_are_limited(client, body, anonymous_case, settings):
    settings.OMBUDS_FOLLOWUP_ATTEMPTS_PER_HOUR = 2
    case, code = anonymous_case
    for _ in range(2):
        response = client.post(
            _followup_url(body), {"receipt_code": code, "passphrase": "guess guess"}
        )
        assert response.status_code == 400
    # Over the limit even the right passphrase is not tried.
    response = client.post(_followup_url(body), {"receipt_code": code, "passphrase": PASSPHRASE})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many attempts" in _text(response)
    assert case.reference not in _text(client.get(_followup_url(body)))


# --- the respondent's link ------------------------------------------------------------------------


@pytest.fixture
def respondent_case(body, procedure, published) -> Case:
    return _file(
        body,
        provisions=[_leaf(published, "1.1(a)"), _leaf(published, "2.1")],
        what_happened="They never answered my complaint <script>alert(1)</script>.",
    )


def _respondent_url(token: str) -> str:
    return reverse("cases:respondent", kwargs={"token": token})


def _document(case: Case, name: str, data: bytes, visibility: str) -> Document:
    return services.document_store(
        case, name, data, kind="evidence", visibility=visibility, user=None, label="test"
    )


def test_the_respondent_reads_the_allegations_and_provisions(client, respondent_case):
    token = services.respondent_link_issue(respondent_case)
    response = client.get(_respondent_url(token))
    assert response.status_code == 200
    page = _text(response)
    assert respondent_case.reference in page
    assert "Members shall answer every complaint within ten days" in page
    assert "Members shall not mislead a client." in page
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]


def test_html_in_what_happened_is_shown_as_text(client, respondent_case):
    page = _text(client.get(_respondent_url(services.respondent_link_issue(respondent_case))))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_the_complainant_is_not_named_without_consent(client, respondent_case):
    page = _text(client.get(_respondent_url(services.respondent_link_issue(respondent_case))))
    assert "Dana Whitfield" not in page
    assert "has not agreed to share their identity" in page


def test_the_complainant_is_named_with_consent(client, body, procedure):
    case = _file(body, consent_to_share=True)
    page = _text(client.get(_respondent_url(services.respondent_link_issue(case))))
    assert "Dana Whitfield" in page


def test_internal_notes_and_documents_are_never_shown(client, respondent_case):
    Message.objects.create(
        case=respondent_case,
        audience=Message.Audience.INTERNAL,
        body="Internal: weak case.",
        author_label="Sam",
    )
    Message.objects.create(
        case=respondent_case,
        audience=Message.Audience.COMPLAINANT,
        body="To the complainant only.",
        author_label="Sam",
    )
    Message.objects.create(
        case=respondent_case,
        audience=Message.Audience.RESPONDENT,
        body="Please answer by the date.",
        author_label="Sam",
    )
    internal = _document(respondent_case, "notes.txt", b"internal", Document.Visibility.INTERNAL)
    complainants = _document(
        respondent_case, "for-complainant.txt", b"c", Document.Visibility.COMPLAINANT
    )
    shared = _document(respondent_case, "letter.pdf", PDF, Document.Visibility.RESPONDENT)
    token = services.respondent_link_issue(respondent_case)
    page = _text(client.get(_respondent_url(token)))
    assert "Please answer by the date." in page
    assert "Internal: weak case." not in page
    assert "To the complainant only." not in page
    # Under a neutral name: the respondent never learns what the file was called.
    assert "document-1.pdf" in page and "letter.pdf" not in page
    assert internal.original_name not in page and internal.token not in page
    assert complainants.original_name not in page

    download = client.get(
        reverse("cases:respondent_document", kwargs={"token": token, "doc": shared.token})
    )
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert "document-1.pdf" in download["Content-Disposition"]
    # The copy cleaned of metadata, not the original (tests/cases/test_document_cleaning.py).
    with shared.shared_file.open("rb") as copy:
        assert b"".join(download.streaming_content) == copy.read()
    for hidden in (internal, complainants):
        url = reverse("cases:respondent_document", kwargs={"token": token, "doc": hidden.token})
        assert client.get(url).status_code == 404
    # A document of this case is not reachable through another case's link either.
    other = services.respondent_link_issue(_file(respondent_case.organization))
    url = reverse("cases:respondent_document", kwargs={"token": other, "doc": shared.token})
    assert client.get(url).status_code == 404


def test_the_respondent_answers_with_a_document(client, respondent_case):
    token = services.respondent_link_issue(respondent_case)
    response = client.post(
        _respondent_url(token),
        {"body": "I answered on 3 March.", "files": [_upload("answer.pdf", PDF)]},
    )
    assert response.status_code == 302
    respondent_case.refresh_from_db()
    assert respondent_case.respondent_answered_at is not None
    message = respondent_case.messages.get(audience=Message.Audience.RESPONDENT)
    assert (message.body, message.from_party) == ("I answered on 3 March.", True)
    document = respondent_case.documents.get(kind="answer")
    assert document.visibility == Document.Visibility.RESPONDENT
    page = _text(client.get(_respondent_url(token)))
    assert "Your answer was sent." in page
    assert "answer.pdf" in page


def test_an_empty_answer_or_a_bad_file_is_refused(client, respondent_case):
    token = services.respondent_link_issue(respondent_case)
    empty = client.post(_respondent_url(token), {"body": " "})
    assert empty.status_code == 400
    assert "Write your answer or attach a document." in _text(empty)
    bad = client.post(
        _respondent_url(token), {"body": "See file", "files": [_upload("a.pdf", EXE)]}
    )
    assert bad.status_code == 400
    assert "a.pdf is not one of the formats taken" in _text(bad)
    respondent_case.refresh_from_db()
    assert respondent_case.respondent_answered_at is None
    assert not respondent_case.documents.exists()


def test_the_respondent_lodges_an_appeal_when_the_procedure_allows_it(client, respondent_case):
    Case.objects.filter(pk=respondent_case.pk).update(state="appeal_window")
    token = services.respondent_link_issue(respondent_case)
    page = _text(client.get(_respondent_url(token)))
    assert 'name="step" value="lodge_appeal"' in page
    assert '<label for="step-lodge_appeal-grounds">Grounds of appeal</label>' in page

    version = Case.objects.get(pk=respondent_case.pk).version
    refused = client.post(
        _respondent_url(token), {"step": "lodge_appeal", "version": version, "grounds": " "}
    )
    assert refused.status_code == 400
    assert "Grounds of appeal" in _text(refused)
    response = client.post(
        _respondent_url(token),
        {"step": "lodge_appeal", "version": version, "grounds": "The facts were wrong."},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=respondent_case.pk).state == "appeal"


def test_a_respondent_cannot_take_a_body_step(client, respondent_case):
    token = services.respondent_link_issue(respondent_case)
    response = client.post(_respondent_url(token), {"step": "acknowledge"})
    assert response.status_code == 400
    assert Case.objects.get(pk=respondent_case.pk).state == "received"


@pytest.mark.parametrize("link", ["unknown", "expired", "revoked"])
def test_an_unknown_expired_or_revoked_link_is_not_found(client, respondent_case, link):
    token = services.respondent_link_issue(respondent_case)
    shared = _document(respondent_case, "letter.pdf", PDF, Document.Visibility.RESPONDENT)
    stored = RespondentLink.objects.get()
    if link == "unknown":
        token = token[:-4] + "AAAA"
    elif link == "expired":
        stored.expires_at = timezone.now() - dt.timedelta(seconds=1)
        stored.save()
    else:
        stored.revoked_at = timezone.now()
        stored.save()
    response = client.get(_respondent_url(token))
    assert response.status_code == 404
    page = _text(response).lower()
    assert "expired" not in page and "revoked" not in page  # nor which of them it is
    url = reverse("cases:respondent_document", kwargs={"token": token, "doc": shared.token})
    assert client.get(url).status_code == 404
    assert client.post(_respondent_url(token), {"body": "x"}).status_code == 404
    assert not Message.objects.filter(audience=Message.Audience.RESPONDENT).exists()


def test_the_404_pages_of_links_are_alike(client, respondent_case):
    token = services.respondent_link_issue(respondent_case)
    RespondentLink.objects.update(revoked_at=timezone.now())
    revoked = client.get(_respondent_url(token))
    unknown = client.get(_respondent_url("no-such-token"))
    assert revoked.status_code == unknown.status_code == 404
    # The same page (but for the address itself, in the sign-in link's "next").
    assert _text(revoked).replace(token, "T") == _text(unknown).replace("no-such-token", "T")
    assert "Ask the body that wrote to you for a new link" in _text(revoked)
    assert respondent_case.reference not in _text(revoked)


# --- how many queries -----------------------------------------------------------------------------


def test_the_form_page_takes_a_bounded_number_of_queries(
    client, body, procedure, published, django_assert_max_num_queries
):
    client.get(_complain_url(body))  # the session and the procedure's file are warm
    # The body, its procedure, the code in force, its provisions (read once for the page).
    with django_assert_max_num_queries(4):
        assert client.get(_complain_url(body)).status_code == 200


def test_a_named_complaint_takes_a_bounded_number_of_queries(
    client, body, procedure, published, django_assert_max_num_queries
):
    client.post(_complain_url(body), _form(submission_key="warm" * 8))  # the procedure stored
    cited = _leaf(published, "1.2").pk
    # The body's procedure and code and its data key read once each; nothing read back that the
    # filing has just written (its receipt notice is made from what it holds). 52 on SQLite
    # before, 32 now; PostgreSQL adds the reference's advisory lock.
    with django_assert_max_num_queries(33):
        response = client.post(_complain_url(body), _form(provisions=[cited]))
    assert response.status_code == 302
    case = Case.objects.latest("pk")
    assert case.what_happened == _form()["what_happened"]
    assert [p.citation for p in case.allegations.get().provisions.all()] == ["1.2"]


def _grow(case: Case, published, n: int) -> None:
    provisions = list(published.provisions.exclude(citation="").filter(children__isnull=True))
    for position in range(2, n + 1):
        allegation = Allegation.objects.create(
            case=case, position=position, summary=f"Allegation {position}", source="staff"
        )
        allegation.provisions.set(provisions[: 1 + position % len(provisions)])
    for n_message in range(n):
        Message.objects.create(
            case=case,
            audience=Message.Audience.RESPONDENT,
            body=f"Message {n_message}",
            author_label="Sam",
        )
    for n_doc in range(n):
        _document(case, f"doc{n_doc}.pdf", PDF, Document.Visibility.PARTIES)


@pytest.mark.parametrize("n", [2, 20])
def test_the_respondent_page_takes_the_same_queries_however_long_the_case(
    client, body, procedure, published, django_assert_max_num_queries, n
):
    case = _file(body, provisions=[_leaf(published, "1.2")])
    _grow(case, published, n)
    token = services.respondent_link_issue(case)
    with django_assert_max_num_queries(10):
        response = client.get(_respondent_url(token))
    assert response.status_code == 200
    assert f"Allegation {n}" in _text(response)
    assert f"Message {n - 1}" in _text(response)


def test_a_docx_and_a_fake_docx_are_told_apart(client, body, procedure):
    real = io.BytesIO()
    with zipfile.ZipFile(real, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("payload.js", "alert(1)")
    response = client.post(
        _complain_url(body),
        _form(files=[_upload("letter.docx", real.getvalue()), _upload("x.docx", fake.getvalue())]),
    )
    assert response.status_code == 400
    assert "x.docx is not one of the formats taken" in _text(response)
    assert "letter.docx" not in _text(response).split("error-summary")[1].split("</div>")[0]
