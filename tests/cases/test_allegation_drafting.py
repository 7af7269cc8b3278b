"""What the respondent reads is what a handler approved: the complainant's narrative stays the
body's; allegation 1 starts as a verbatim draft of it; allegations are edited and redacted until the
respondent is notified (every edit on the record, old and new text kept); the step that notifies the
respondent shows what they will receive and is refused while an allegation is still the narrative of
a complainant who does not share their identity, unless a handler confirms it with a reason, from
the page, the API and the command line alike."""

from __future__ import annotations

from html import unescape
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ombuds.audit.models import Event
from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import AllegationRevision, Case, Notice, NoticeTemplate
from ombuds.register.tokens import token_create
from tests.cases.conftest import file_case, take

NARRATIVE = (
    "Two of our job coaches at the Eastside office told me the agency kept my support payment "
    "for three months."
)
DRAFT = "The agency kept a client's support payment for three months without accounting for it."


def _anonymous(csec, **fields) -> Case:
    """An anonymous complaint about an agency that is not a member, with allegation 1 left as the
    complainant wrote it, acknowledged: the next step notifies the respondent."""
    case = file_case(
        csec,
        drafted=False,
        anonymous=True,
        complainant_name="",
        complainant_email="",
        passphrase="correct horse battery",
        respondent_agency=csec.non_member_agency,
        what_happened=NARRATIVE,
        **fields,
    )
    return take(case, "acknowledge", csec.chair)


def _edit(case: Case, user, text: str = DRAFT, provisions=None) -> Case:
    services.allegation_edit(
        case=case,
        allegation=case.allegations.get(position=1),
        text=text,
        provisions=provisions
        if provisions is not None
        else list(case.allegations.get(position=1).provisions.all()),
        expected_version=case.version,
        acting_user=user,
    )
    return Case.objects.get(pk=case.pk)


def _respondent_notices(case: Case) -> list[Notice]:
    return list(Notice.objects.filter(case=case, recipient_role="respondent"))


# --- filing and editing ---------------------------------------------------------------------------


def test_the_narrative_stays_on_the_case_and_allegation_one_is_a_verbatim_draft(csec):
    case = _anonymous(csec)
    allegation = case.allegations.get()
    assert case.what_happened == NARRATIVE
    assert allegation.summary == NARRATIVE and allegation.verbatim
    assert allegation.provisions.count() == 1  # the citation the complaint gave


def test_the_respondent_is_not_notified_with_an_anonymous_complainants_words(csec):
    # The reproduction: "two of our job coaches" reached the respondent with the notice.
    case = _anonymous(csec)
    with pytest.raises(services.CaseRefused) as refused:
        take(case, "notify_agency", csec.chair)
    assert "allegation 1 is still the complainant's own account word for word" in str(refused.value)
    case.refresh_from_db()
    assert case.state == "chair_review"
    assert _respondent_notices(case) == []
    assert not case.respondent_links.exists()


def test_a_named_complainant_without_consent_is_protected_too(csec):
    case = file_case(
        csec, drafted=False, respondent_agency=csec.non_member_agency, what_happened=NARRATIVE
    )
    assert not case.consent_to_share
    case = take(case, "acknowledge", csec.chair)
    with pytest.raises(services.CaseRefused):
        take(case, "notify_agency", csec.chair)


def test_a_complainant_who_shares_their_identity_may_be_quoted(csec):
    case = file_case(
        csec,
        drafted=False,
        consent_to_share=True,
        respondent_agency=csec.non_member_agency,
        what_happened=NARRATIVE,
    )
    case = take(take(case, "acknowledge", csec.chair), "notify_agency", csec.chair)
    assert case.state == "respondent_notified"
    assert NARRATIVE in _respondent_notices(case)[0].body


def test_an_edited_allegation_is_what_the_respondent_reads(csec, client):
    case = _anonymous(csec)
    provision = csec.provision("1.1(a)")
    case = _edit(case, csec.chair, text=f"  {DRAFT}  ", provisions=[provision])
    allegation = case.allegations.get()
    assert allegation.summary == DRAFT and not allegation.verbatim
    assert case.what_happened == NARRATIVE  # the complainant's words stay the body's
    case = take(case, "notify_agency", csec.chair)
    (notice,) = _respondent_notices(case)
    assert DRAFT in notice.body
    assert "job coaches" not in notice.body and "Eastside" not in notice.body
    token = services.respondent_link_issue(case)
    page = unescape(
        client.get(reverse("cases:respondent", kwargs={"token": token})).content.decode()
    )
    assert DRAFT in page and "job coaches" not in page


def test_every_edit_keeps_the_old_and_new_text_for_the_body(csec):
    case = _anonymous(csec)
    case = _edit(case, csec.chair, text="The agency kept a payment. [Names redacted.]")
    case = _edit(case, csec.investigator, text=DRAFT)
    revisions = list(AllegationRevision.objects.filter(allegation__case=case))
    assert [(r.old_summary, r.new_summary) for r in revisions] == [
        (NARRATIVE, "The agency kept a payment. [Names redacted.]"),
        ("The agency kept a payment. [Names redacted.]", DRAFT),
    ]
    assert [r.edited_by for r in revisions] == [csec.chair, csec.investigator]
    events = Event.objects.filter(
        subject_type="case", subject_id=str(case.pk), action="case.allegation_edited"
    ).order_by("seq")
    assert [(e.data["old"], e.data["new"]) for e in events] == [
        (r.old_summary, r.new_summary) for r in revisions
    ]
    assert events[0].data["old provisions"] == ["1.1(a)"]
    assert not events[1].data["verbatim"]


def test_editing_back_to_the_narrative_is_verbatim_again(csec):
    case = _anonymous(csec)
    case = _edit(case, csec.chair)
    case = _edit(case, csec.chair, text=f"Complainant says: {NARRATIVE.upper()}")
    assert case.allegations.get().verbatim
    with pytest.raises(services.CaseRefused):
        take(case, "notify_agency", csec.chair)


def test_allegations_are_not_edited_once_the_respondent_is_notified(csec):
    case = _anonymous(csec)
    case = take(_edit(case, csec.chair), "notify_agency", csec.chair)
    with pytest.raises(services.CaseRefused) as refused:
        _edit(case, csec.chair, text="Something else.")
    assert "the respondent has been notified" in str(refused.value)
    assert case.allegations.get().summary == DRAFT
    # Nor is the narrative added again as a new allegation the respondent would read.
    with pytest.raises(services.CaseRefused):
        services.allegation_add(case=case, summary=NARRATIVE, provisions=[], acting_user=csec.chair)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"text": "   "}, "say what the allegation is"),
        ({"text": NARRATIVE}, "the allegation is unchanged"),
        ({"stale": True}, "changed since this page was opened"),
        ({"user": "another body's chair"}, "only the"),
        ({"provisions": "other"}, "is not in the version of the code"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(csec, espcc, change, expected):
    case = _anonymous(csec)
    version = case.version
    allegation = case.allegations.get()
    with pytest.raises(services.CaseRefused) as refused:
        services.allegation_edit(
            case=case,
            allegation=allegation,
            text=change.get("text", DRAFT),
            provisions=[espcc.provision("3.2")]
            if change.get("provisions")
            else list(allegation.provisions.all()),
            expected_version=version - 1 if change.get("stale") else version,
            acting_user=espcc.chair if change.get("user") else csec.chair,
        )
    assert expected in str(refused.value)
    assert Case.objects.get(pk=case.pk).version == version
    assert case.allegations.get().summary == NARRATIVE
    assert not AllegationRevision.objects.exists()


def test_a_handler_may_confirm_the_words_with_a_reason_on_the_record(csec):
    case = _anonymous(csec)
    reason = "The complainant's account names nobody and the agency already knows of it."
    case = services.case_step(
        case=case, step="notify_agency", acting_user=csec.chair, confirm_verbatim=reason
    )
    assert case.state == "respondent_notified"
    assert NARRATIVE in _respondent_notices(case)[0].body
    step = Event.objects.filter(
        subject_type="case", subject_id=str(case.pk), action="case.step"
    ).latest("seq")
    assert step.data["verbatim confirmed"] == {"allegations": [1], "reason": reason}


def test_a_confirmation_is_not_asked_on_other_steps(csec):
    case = _anonymous(csec)
    # Dismissing tells the complainant only: nothing of the allegation reaches the respondent.
    case = take(case, "dismiss", csec.chair, ground="withdrawn", reasons="Nothing to act on.")
    assert case.state == "dismissed"


def test_a_bodys_own_wording_cannot_send_the_narrative_to_the_respondent(csec):
    NoticeTemplate.objects.create(
        organization=csec.org,
        name="allegations",
        subject="Complaint {{ case.reference }}",
        body="They wrote: [{{ case.what_happened }}] [{{ case.outcome_sought }}]\n"
        "{% for a in allegations %}{{ a.summary }}{% endfor %} {{ respondent_url }}",
    )
    case = _edit(_anonymous(csec, outcome_sought="Fire the coaches."), csec.chair)
    case = take(case, "notify_agency", csec.chair)
    body = _respondent_notices(case)[0].body
    assert "They wrote: [] []" in body and DRAFT in body
    assert "job coaches" not in body and "Fire" not in body


# --- the notice step shows what the respondent will receive ---------------------------------------


def test_the_preview_is_exactly_the_notice_the_respondent_receives(csec):
    case = _edit(_anonymous(csec), csec.chair)
    transition = services.procedure_of(case).transition("notify_agency")
    ((subject, text),) = services.respondent_notice_preview(case, transition)
    assert "Please answer within 30 days" in text  # counted from the delivery
    case = take(case, "notify_agency", csec.chair)
    (notice,) = _respondent_notices(case)
    assert (subject, text) == (notice.subject, notice.body)


def _page(client, case: Case) -> str:
    response = client.get(f"/staff/{case.organization.slug}/cases/{case.reference}/")
    return unescape(response.content.decode())


def test_the_case_page_previews_the_notice_and_asks_for_a_reason(csec, client):
    case = _anonymous(csec)
    client.force_login(csec.chair)
    page = _page(client, case)
    assert "What the respondent will receive" in page
    assert "A complaint about you" in page
    assert "complainant has not agreed to share" in page
    assert "The complainant's own account, word for word" in page
    assert 'name="step-notify_agency-confirm_verbatim"' in page
    # Taken without a reason: refused on the page, nothing sent.
    response = client.post(
        f"/staff/csec/cases/{case.reference}/",
        {"action": "step:notify_agency", "step-notify_agency-version": case.version},
    )
    assert response.status_code == 400
    assert "word for word" in response.content.decode()
    assert _respondent_notices(case) == []
    # With one: notified, and the reason on the record.
    response = client.post(
        f"/staff/csec/cases/{case.reference}/",
        {
            "action": "step:notify_agency",
            "step-notify_agency-version": case.version,
            "step-notify_agency-confirm_verbatim": "Agreed with the complainant by phone.",
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "respondent_notified"


def test_allegations_are_edited_from_the_case_page_until_notice(csec, client):
    case = _anonymous(csec)
    client.force_login(csec.chair)
    provision = csec.provision("1.1(a)")
    assert 'value="edit:1"' in _page(client, case)
    response = client.post(
        f"/staff/csec/cases/{case.reference}/",
        {
            "action": "edit:1",
            "e1-version": case.version,
            "e1-summary": DRAFT,
            "e1-provisions": [provision.pk],
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.allegations.get().summary == DRAFT
    page = _page(client, case)
    assert "confirm_verbatim" not in page  # nothing left to confirm
    assert DRAFT in page
    case = take(case, "notify_agency", csec.chair)
    page = _page(client, case)
    assert 'value="edit:1"' not in page
    response = client.post(
        f"/staff/csec/cases/{case.reference}/",
        {"action": "edit:1", "e1-version": case.version, "e1-summary": "Other."},
    )
    assert response.status_code == 400
    assert "no longer edited" in response.content.decode()
    assert case.allegations.get().summary == DRAFT


def test_an_edit_posted_with_problems_lists_them(csec, client):
    case = _anonymous(csec)
    client.force_login(csec.chair)
    response = client.post(
        f"/staff/csec/cases/{case.reference}/",
        {"action": "edit:1", "e1-version": case.version, "e1-summary": ""},
    )
    assert response.status_code == 400
    assert case.allegations.get().summary == NARRATIVE


# --- the API and the command line ------------------------------------------------------------------


def test_the_api_takes_the_confirmation(csec, client):
    case = _anonymous(csec)
    BodyRole.objects.create(user=csec.chair, organization=csec.org, role="staff")  # for a token
    secret = token_create(user=csec.chair, organization=csec.org, name="sync")[1]
    path = f"/api/v1/bodies/csec/cases/{case.reference}/steps"
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"step": "notify_agency", "expected_version": case.version}
    response = client.post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert "word for word" in response.json()["detail"]
    body["confirm_verbatim"] = "The words name nobody."
    response = client.post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert response.json()["state"] == "respondent_notified"


def test_the_command_line_takes_the_confirmation(csec):
    case = _anonymous(csec)
    args = ["step", case.reference, "notify_agency", "--as", csec.chair.username]
    with pytest.raises(CommandError) as refused:
        call_command("cases", *args, stdout=StringIO())
    assert "word for word" in str(refused.value)
    out = StringIO()
    call_command("cases", *args, "--confirm-verbatim", "The words name nobody.", stdout=out)
    assert out.getvalue().startswith(f"{case.reference}: now ")
    assert Case.objects.get(pk=case.pk).state == "respondent_notified"


def test_the_api_edits_an_allegation_until_notice(csec, client):
    case = _anonymous(csec)
    BodyRole.objects.create(user=csec.chair, organization=csec.org, role="staff")  # for a token
    secret = token_create(user=csec.chair, organization=csec.org, name="sync")[1]
    headers = {"Authorization": f"Bearer {secret}"}
    path = f"/api/v1/bodies/csec/cases/{case.reference}/allegations/1"
    read = client.get(f"/api/v1/bodies/csec/cases/{case.reference}", headers=headers).json()
    assert read["allegations"][0]["verbatim"] is True
    body = {"text": DRAFT, "provisions": ["1.1(a)"], "expected_version": case.version}
    response = client.put(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert response.json()["allegations"][0] == {
        "position": 1,
        "summary": DRAFT,
        "provisions": ["1.1(a)"],
        "determination": "pending",
        "reasons": "",
        "verbatim": False,
    }
    stale = client.put(path, body, content_type="application/json", headers=headers)
    assert stale.status_code == 409
    body["expected_version"] = response.json()["version"]
    unknown = client.put(
        path, {**body, "provisions": ["9.9"]}, content_type="application/json", headers=headers
    )
    assert unknown.status_code == 400 and "9.9" in unknown.json()["detail"]
    missing = client.put(
        path.replace("/1", "/7"), body, content_type="application/json", headers=headers
    )
    assert missing.status_code == 404


def test_the_command_line_edits_an_allegation(csec):
    case = _anonymous(csec)
    shown = StringIO()
    call_command("cases", "show", case.reference, stdout=shown)
    assert "still the complainant's own words" in shown.getvalue()
    args = ["allegation", case.reference, "1", "--as", csec.chair.username, "--text", DRAFT]
    out = StringIO()
    call_command(
        "cases", *args, "--cite", "1.1(a)", "--expected-version", str(case.version), stdout=out
    )
    assert "allegation 1 changed" in out.getvalue()
    assert case.allegations.get().summary == DRAFT
    with pytest.raises(CommandError) as refused:
        call_command("cases", *args, "--expected-version", str(case.version), stdout=StringIO())
    assert "changed since" in str(refused.value)


@pytest.mark.parametrize("action", ["edit:", "edit:abc", "edit:99", "edit:1x", "edit:-1"])
def test_an_edit_of_no_such_allegation_is_a_clear_refusal(csec, client, action):
    case = _anonymous(csec)
    client.force_login(csec.chair)
    response = client.post(
        f"/staff/csec/cases/{case.reference}/",
        {"action": action, "e1-version": case.version, "e1-summary": DRAFT},
    )
    assert response.status_code == 400
    assert "no such allegation" in response.content.decode()
    assert case.allegations.get().summary == NARRATIVE


@pytest.mark.parametrize("position", [0, 99, 2**40])
def test_the_api_answers_no_such_allegation_with_404(csec, client, position):
    case = _anonymous(csec)
    BodyRole.objects.create(user=csec.chair, organization=csec.org, role="staff")
    secret = token_create(user=csec.chair, organization=csec.org, name="sync")[1]
    response = client.put(
        f"/api/v1/bodies/csec/cases/{case.reference}/allegations/{position}",
        {"text": DRAFT, "provisions": [], "expected_version": case.version},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 404


def test_the_page_with_its_edit_forms_and_preview_takes_the_same_queries_however_many_allegations(
    csec, client
):
    case = _anonymous(csec)
    client.force_login(csec.chair)
    counts = []
    for more in (0, 6):
        for i in range(more):
            services.allegation_add(
                case=case,
                summary=f"Allegation {i}",
                provisions=[csec.provision("1.1(a)")],
                acting_user=csec.chair,
            )
        with CaptureQueriesContext(connection) as queries:
            page = _page(client, case)
        assert page.count('name="action" value="edit:') == case.allegations.count()
        counts.append(len(queries))
    assert counts[0] == counts[1]
