"""The complainant's page, through both doors: a named complainant's personal link (sent with every
notice to them, renewable by email address) and an anonymous complainant's receipt code and
passphrase. Both show the procedure's stages, take messages and documents, and take the proof of
efforts when the procedure asks the complainant for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from ombuds.cases import services
from ombuds.cases.models import (
    ComplainantLink,
    Document,
    Message,
    Notice,
    NoticeTemplate,
    PartyLink,
    RespondentLink,
)
from ombuds.cases.notices import COMPLAINANT_LINK_PLACEHOLDER
from ombuds.cases.procedure import PROCEDURES_DIR, load
from ombuds.cases.services.complainant import COMPLAINANT_DOCUMENT
from tests.cases.conftest import PDF, file_case, take

PASSPHRASE = "correct horse battery"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def link_of(case) -> str:
    """The token the latest notice to the complainant carries (kept until the email goes)."""
    notice = case.notices.filter(recipient_role="complainant").exclude(link_token="").last()
    assert notice is not None
    return notice.link_token


def url(case, token: str) -> str:
    return reverse("cases:complainant", kwargs={"org": case.organization.slug, "token": token})


def text(response) -> str:
    return response.content.decode()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def awaiting_efforts(csec):
    case = take(file_case(csec), "acknowledge", csec.chair)
    return take(case, "request_efforts", csec.chair, message="Your emails to the agency, please.")


# --- the link -------------------------------------------------------------------------------------


def test_a_named_complainant_gets_a_personal_link_with_the_receipt(csec):
    case = file_case(csec)
    [receipt] = case.notices.filter(template="receipt")
    assert receipt.link_token
    # The notice kept on the case says where the link goes, never the link itself.
    assert COMPLAINANT_LINK_PLACEHOLDER in receipt.body
    assert receipt.link_token not in receipt.body
    [link] = ComplainantLink.objects.filter(case=case)
    assert link.party == PartyLink.Party.COMPLAINANT
    assert receipt.link_token not in link.token_hash
    assert not RespondentLink.objects.filter(case=case).exists()
    # The email carries it, and it opens the complainant's page.
    assert services.notice_send(receipt.pk) == "sent"
    [email] = mail.outbox
    assert url(case, receipt.link_token) in email.body
    assert COMPLAINANT_LINK_PLACEHOLDER not in email.body


def test_the_link_is_added_to_a_bodys_own_wording_that_does_not_place_it(csec):
    NoticeTemplate.objects.create(
        organization=csec.org, name="receipt", subject="Received", body="We have it."
    )
    [receipt] = file_case(csec).notices.filter(template="receipt")
    assert receipt.body.index("We have it.") < receipt.body.index(COMPLAINANT_LINK_PLACEHOLDER)
    assert receipt.body.index(COMPLAINANT_LINK_PLACEHOLDER) < receipt.body.index(csec.org.name)


def test_an_anonymous_complainant_gets_no_link(csec):
    case = file_case(
        csec, anonymous=True, complainant_name="", complainant_email="", passphrase=PASSPHRASE
    )
    assert not ComplainantLink.objects.filter(case=case).exists()


def test_every_notice_to_the_complainant_carries_a_new_link(csec):
    case = take(file_case(csec), "acknowledge", csec.chair)
    [ack] = case.notices.filter(template="acknowledgement")
    assert ack.link_token and COMPLAINANT_LINK_PLACEHOLDER in ack.body
    assert ComplainantLink.objects.filter(case=case).count() == 2


def test_the_link_opens_the_page_with_the_stepper(client, csec):
    case = file_case(csec)
    response = client.get(url(case, link_of(case)))
    assert response.status_code == 200
    page = text(response)
    assert case.reference in page
    assert '<ol class="stepper">' in page
    assert '<li class="stage-current" aria-current="step"><span class="stage-name">Received' in page
    assert "Your complaint has arrived. We will acknowledge it within 7 days." in page
    assert "the CSEC Ethics Committee Chair" in page
    assert "no one yet" not in page.lower()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_stepper_follows_the_case_and_names_the_handler(client, csec):
    case = take(file_case(csec), "acknowledge", csec.chair)
    services.case_handler_set(case=case, handler=csec.investigator, acting_user=csec.chair)
    page = text(client.get(url(case, link_of(case))))
    assert '<li class="stage-done"><span class="stage-name">Received' in page
    assert 'aria-current="step"><span class="stage-name">Review' in page
    assert "Investigator, for CSEC" in page  # the handler's name (first_name in the fixtures)
    # The next date the procedure gives the complainant: the feedback deadline.
    feedback = case.deadlines.get(name="feedback")
    assert f"Give the complainant feedback: by {feedback.due_on:%-d %B %Y}" in page


def test_the_stepper_says_what_the_procedure_file_says(client, csec, monkeypatch):
    source = (PROCEDURES_DIR / "csec-article-5.toml").read_text()
    told = "Your complaint has arrived. We will acknowledge it within 7 days."
    assert told in source
    copy = load(
        source.replace('key = "csec-article-5"', 'key = "csec-copy"')
        .replace(told, "A body's own words: we have your complaint.")
        .replace('"The respondent\'s answer"', '"Their side"')
    )
    from ombuds.cases import selectors

    installed = {**selectors.installed_procedures(), "csec-copy": copy}
    monkeypatch.setattr(selectors, "installed_procedures", lambda: installed)
    monkeypatch.setattr(selectors, "shipped_procedures", lambda: installed)
    case = file_case(csec)
    case.procedure_key, case.procedure_sha256 = "csec-copy", ""
    case.save(update_fields=["procedure_key", "procedure_sha256"])
    page = text(client.get(url(case, link_of(case))))
    assert "A body&#x27;s own words: we have your complaint." in page
    assert told not in page
    assert '<span class="stage-name">Their side</span>' in page


@pytest.mark.parametrize("how", ["unknown", "expired", "revoked", "other body"])
def test_a_wrong_or_expired_link_is_a_neutral_404(client, csec, espcc, how):
    case = file_case(csec)
    token = link_of(case)
    link = ComplainantLink.objects.get(case=case)
    target = url(case, token)
    if how == "unknown":
        target = url(case, token[:-4] + "AAAA")
    elif how == "expired":
        ComplainantLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    elif how == "revoked":
        ComplainantLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    else:
        target = reverse("cases:complainant", kwargs={"org": espcc.org.slug, "token": token})
    response = client.get(target)
    assert response.status_code == 404
    page = text(response)
    assert case.reference not in page and "expired" not in page.lower()
    assert "This link does not open a case" in page
    assert client.post(target, {"body": "Hello"}).status_code == 404
    assert not case.messages.exists()


def test_the_respondents_link_and_the_complainants_do_not_open_each_others_page(client, csec):
    case = take(
        take(file_case(csec), "acknowledge", csec.chair),
        "waive_efforts",
        csec.chair,
        waiver_reason="Urgent.",
    )
    case = take(case, "notify_member", csec.chair)
    respondent_token = case.notices.get(template="allegations").link_token
    complainant_token = link_of(case)
    assert client.get(url(case, respondent_token)).status_code == 404
    respondent_url = reverse("cases:respondent", kwargs={"token": complainant_token})
    assert client.get(respondent_url).status_code == 404
    assert client.get(url(case, complainant_token)).status_code == 200


def test_another_cases_link_reads_only_its_own_case(client, csec):
    mine = file_case(csec, what_happened="Mine: the payment of March.")
    other = file_case(csec, complainant_name="Lee Other", complainant_email="lee@example.org")
    Message.objects.create(
        case=mine, audience=Message.Audience.COMPLAINANT, body="For Pat only.", author_label="x"
    )
    page = text(client.get(url(other, link_of(other))))
    assert other.reference in page
    assert mine.reference not in page and "For Pat only." not in page


def test_the_complainant_never_sees_internal_notes_respondent_messages_or_staff_documents(
    client, csec
):
    case = file_case(csec)
    for audience, body in [
        (Message.Audience.INTERNAL, "Internal: probably weak."),
        (Message.Audience.RESPONDENT, "To the agency only."),
        (Message.Audience.COMPLAINANT, "To you, from the Chair."),
    ]:
        Message.objects.create(case=case, audience=audience, body=body, author_label="Sam Okafor")
    services.document_add(
        case=case, name="chair-notes.pdf", data=PDF, kind="report", acting_user=csec.chair
    )
    page = text(client.get(url(case, link_of(case))))
    assert "To you, from the Chair." in page
    assert "Internal: probably weak." not in page
    assert "To the agency only." not in page
    assert "chair-notes.pdf" not in page
    assert "Sam Okafor" not in page  # who wrote a message: the body, not the person


# --- sending ---------------------------------------------------------------------------------------


def test_the_complainant_sends_a_message_and_documents_through_the_link(client, csec):
    case = file_case(csec)
    target = url(case, link_of(case))
    response = client.post(
        target,
        {
            "action": "documents",
            "documents-note": "Here is their letter.",
            "documents-files": [upload("letter.pdf", PDF)],
        },
    )
    assert response.status_code == 302 and response["Location"] == target
    message = case.messages.get()
    assert (message.audience, message.from_party) == (Message.Audience.COMPLAINANT, True)
    document = case.documents.get(kind=COMPLAINANT_DOCUMENT)
    assert document.visibility == Document.Visibility.INTERNAL
    assert document.uploaded_by_label == "complainant (link)"
    # Encrypted at rest, like every document.
    raw = Path(default_storage.path(document.file.name)).read_bytes()
    assert b"%PDF" not in raw
    with document.file.open("rb") as f:
        assert f.read() == PDF
    # The Chair is told.
    assert case.notices.filter(template="complainant_sent", recipient_role="chair").exists()
    page = text(client.get(target))
    assert "Your documents were sent." in page
    assert "letter.pdf" in page and "Here is their letter." in page


def test_a_file_that_is_not_what_it_claims_is_refused(client, csec):
    case = file_case(csec)
    target = url(case, link_of(case))
    response = client.post(
        target, {"action": "documents", "documents-files": [upload("proof.pdf", EXE)]}
    )
    assert response.status_code == 400
    page = text(response)
    assert 'class="error-summary" role="alert" tabindex="-1"' in page
    assert "proof.pdf" in page
    assert not case.documents.filter(kind=COMPLAINANT_DOCUMENT).exists()
    assert not case.notices.filter(template="complainant_sent").exists()


def test_nothing_to_send_is_refused_with_the_field_named(client, csec):
    case = file_case(csec)
    response = client.post(url(case, link_of(case)), {"action": "message", "body": "  "})
    assert response.status_code == 400
    assert 'href="#id_body"' in text(response)


# --- proof of efforts -------------------------------------------------------------------------------


def test_proof_of_efforts_is_offered_only_when_the_procedure_asks_for_it(client, csec):
    case = file_case(csec)
    page = text(client.get(url(case, link_of(case))))
    assert "Send your proof of efforts" not in page
    refused = client.post(
        url(case, link_of(case)), {"action": "proof", "proof-proof": [upload("p.pdf", PDF)]}
    )
    assert refused.status_code == 400
    assert "no proof of efforts is asked of you now" in text(refused)
    assert not case.documents.filter(kind="efforts_proof").exists()


def test_the_proof_lands_as_the_procedure_expects_and_the_chair_sees_it(client, csec):
    case = awaiting_efforts(csec)
    target = url(case, link_of(case))
    page = text(client.get(target))
    assert "Send your proof of efforts" in page
    assert "we need proof that you tried to resolve it" in page  # the state's own text
    response = client.post(
        target,
        {
            "action": "proof",
            "proof-version": case.version,
            "proof-proof": [upload("my-emails.pdf", PDF), upload("reply.png", PNG_BYTES)],
            "proof-note": "They never answered the second one.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "chair_review"
    assert case.efforts_proven_at is not None
    assert case.deadlines.get(name="efforts").met_at is not None
    proofs = case.documents.filter(kind="efforts_proof").order_by("pk")
    assert [d.original_name for d in proofs] == ["my-emails.pdf", "reply.png"]
    assert {d.visibility for d in proofs} == {Document.Visibility.INTERNAL}
    assert case.notices.filter(template="complainant_sent", recipient_role="chair").exists()
    # The Chair now may notify the member: the efforts are settled.
    steps = {t.name for t in services.available_steps(case, csec.chair)}
    assert "notify_member" in steps
    client.force_login(csec.chair)
    staff_page = text(
        client.get(
            reverse("cases_staff:case", kwargs={"org": csec.org.slug, "reference": case.reference})
        )
    )
    assert "my-emails.pdf" in staff_page


def test_a_stale_proof_form_is_refused(client, csec):
    case = awaiting_efforts(csec)
    target = url(case, link_of(case))
    response = client.post(
        target,
        {
            "action": "proof",
            "proof-version": case.version - 1,
            "proof-proof": [upload("p.pdf", PDF)],
        },
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == "awaiting_efforts" and case.efforts_proven_at is None


# --- the anonymous door -------------------------------------------------------------------------


def test_the_anonymous_follow_up_is_the_same_page_with_uploads_and_proof(client, csec):
    case = file_case(
        csec, anonymous=True, complainant_name="", complainant_email="", passphrase=PASSPHRASE
    )
    code = case.receipt_code
    case = take(case, "acknowledge", csec.chair)
    case = take(case, "request_efforts", csec.chair, message="Your letters, please.")
    followup = reverse("cases:followup", kwargs={"org": csec.org.slug})
    client.post(followup, {"receipt_code": code, "passphrase": PASSPHRASE})
    page = text(client.get(followup))
    assert 'aria-current="step"><span class="stage-name">Review' in page
    assert "Send your proof of efforts" in page
    response = client.post(
        followup,
        {"action": "proof", "proof-version": case.version, "proof-proof": [upload("p.pdf", PDF)]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.efforts_proven_at is not None
    assert case.documents.get(kind="efforts_proof").uploaded_by_label == "anonymous complainant"
    refused = client.post(
        followup, {"action": "documents", "documents-files": [upload("x.pdf", EXE)]}
    )
    assert refused.status_code == 400
    # Still this door's own cookie, never the Django session.
    assert "sessionid" not in client.cookies


# --- a new link -----------------------------------------------------------------------------------


def test_a_new_link_is_sent_whatever_the_address_with_the_same_answer(client, csec):
    case = file_case(csec)
    before = ComplainantLink.objects.filter(case=case).count()
    new_link = reverse("cases:complainant_new_link", kwargs={"org": csec.org.slug})
    known = client.post(new_link, {"email": " PAT@example.org "}, follow=True)
    unknown = client.post(new_link, {"email": "nobody@example.org"}, follow=True)
    assert known.status_code == unknown.status_code == 200

    def without_csrf(response) -> str:
        return re.sub(r'value="[A-Za-z0-9]{64}"', "", text(response))

    assert without_csrf(known) == without_csrf(unknown)
    [notice] = case.notices.filter(template="complainant_link")
    assert notice.recipient_email == "pat@example.org"
    assert ComplainantLink.objects.filter(case=case).count() == before + 1
    assert client.get(url(case, notice.link_token)).status_code == 200


def test_asking_for_new_links_is_rate_limited(client, csec, settings):
    settings.OMBUDS_FOLLOWUP_ATTEMPTS_PER_HOUR = 2
    new_link = reverse("cases:complainant_new_link", kwargs={"org": csec.org.slug})
    for _ in range(2):
        assert client.post(new_link, {"email": "a@example.org"}).status_code == 302
    assert client.post(new_link, {"email": "a@example.org"}).status_code == 429


def test_the_gone_page_of_a_complainants_link_offers_a_new_one(client, csec):
    page = text(client.get(url(file_case(csec), "no-such-token")))
    assert reverse("cases:complainant_new_link", kwargs={"org": csec.org.slug}) in page


# --- queries ----------------------------------------------------------------------------------------


def test_the_page_takes_the_same_number_of_queries_whatever_the_case_holds(client, csec):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = file_case(csec)
    target = url(case, link_of(case))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(target).status_code == 200
        return len(queries)

    few = count()
    for i in range(6):
        Message.objects.create(
            case=case,
            audience=Message.Audience.COMPLAINANT,
            body=f"Message {i}",
            author_label="x",
            from_party=bool(i % 2),
        )
        services.complainant_send(
            case=case, files=[(f"f{i}.pdf", PDF)], actor_label="complainant (link)"
        )
    Notice.objects.filter(case=case).update(status=Notice.Status.SENT)
    assert count() == few


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def test_the_purge_removes_the_complainants_links_and_their_address_hash(client, csec):
    case = file_case(csec, respondent_agency=csec.non_member_agency)
    token = link_of(case)
    case = take(
        take(case, "acknowledge", csec.chair),
        "dismiss",
        csec.chair,
        ground="withdrawn",
        reasons="Withdrawn.",
    )
    assert client.get(url(case, token)).status_code == 200  # closed: still read
    services.case_purge(case=case, reason="Retention period over.", acting_user=None)
    assert not PartyLink.objects.filter(case=case).exists()
    assert client.get(url(case, token)).status_code == 404
