"""The wording of a body's notices: who reads the list and who changes it, saving, going back to
Ombuds' wording, wording that does not compile or render, the preview, the audit log, and real
notices made after a change."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.bodies.models import BodyRole
from ombuds.cases import notices, services
from ombuds.cases.models import Case, Notice, NoticeTemplate
from ombuds.cases.services import wording_fingerprint as _fingerprint
from ombuds.cases.template_views import DESCRIPTIONS, NoticeWordingForm
from tests.cases.conftest import file_case

pytestmark = pytest.mark.django_db

ACK_SUBJECT = "{{ body.short_name }} is looking at {{ case.reference }}"
ACK_BODY = "Hello {{ case.complainant_name }},\n\n{{ handler }} now looks after your complaint."


def list_url(body) -> str:
    return reverse("cases_staff:notice_templates", kwargs={"org": body.org.slug})


def edit_url(body, name: str) -> str:
    return reverse("cases_staff:notice_template", kwargs={"org": body.org.slug, "name": name})


def text(response) -> str:
    """A page's text as a reader sees it (entities decoded)."""
    return html.unescape(response.content.decode())


def events() -> list[Event]:
    return list(Event.objects.filter(action="notice_template.changed").order_by("seq"))


def post(client, on, name: str, /, **fields):
    """Send the edit form as the page would (``action`` "save" unless told), on the wording in use
    when the page was opened."""
    own = NoticeTemplate.objects.filter(organization=on.org, name=name).first()
    current = (own.subject, own.body) if own else notices.DEFAULTS[name]
    data = {
        "subject": current[0],
        "body": current[1],
        "based_on": _fingerprint(*current),
        "action": "save",
    }
    data.update(fields)
    return client.post(edit_url(on, name), data)


# --- who may do what ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, csec):
    for url in (list_url(csec), edit_url(csec, "receipt")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["committee_member", "investigator"])
def test_the_committee_and_investigators_read_the_list_but_change_nothing(client, csec, role):
    client.force_login(csec.people[role])
    response = client.get(list_url(csec))
    assert response.status_code == 200
    assert edit_url(csec, "receipt") not in text(response)
    assert client.get(edit_url(csec, "receipt")).status_code == 403
    assert post(client, csec, "receipt", subject="Changed").status_code == 403
    assert post(client, csec, "receipt", action="revert").status_code == 403
    assert not NoticeTemplate.objects.exists()
    assert events() == []


@pytest.mark.parametrize("role", ["administrator", "ethics_chair", "staff"])
def test_the_administrator_chair_and_staff_change_the_wording(client, csec, role):
    client.force_login(csec.people[role])
    response = client.get(list_url(csec))
    assert response.status_code == 200
    assert edit_url(csec, "receipt") in text(response)
    assert client.get(edit_url(csec, "receipt")).status_code == 200
    response = post(client, csec, "receipt", subject="Got it: {{ case.reference }}")
    assert response.status_code == 302
    assert NoticeTemplate.objects.get(organization=csec.org, name="receipt").subject == (
        "Got it: {{ case.reference }}"
    )


def test_people_without_a_role_on_the_body_are_refused(client, csec, espcc, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", "nobody@example.org", "pw")
    for user in (nobody, espcc.admin, espcc.chair):
        client.force_login(user)
        assert client.get(list_url(csec)).status_code == 403
        assert client.get(edit_url(csec, "receipt")).status_code == 403
        assert post(client, csec, "receipt", subject="Theirs").status_code == 403
    assert not NoticeTemplate.objects.exists()


def test_a_superuser_acts_as_an_administrator(client, csec, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    assert client.get(edit_url(csec, "receipt")).status_code == 200


def test_an_unknown_notice_is_not_found(client, csec):
    client.force_login(csec.admin)
    assert client.get(edit_url(csec, "no_such_notice")).status_code == 404


def test_the_inbox_links_to_the_list(client, csec):
    client.force_login(csec.committee)
    response = client.get(reverse("cases_staff:inbox", kwargs={"org": csec.org.slug}))
    assert list_url(csec) in text(response)


# --- the list -------------------------------------------------------------------------------------


def test_the_list_names_every_notice_what_it_is_for_and_whose_wording_it_uses(client, csec, espcc):
    NoticeTemplate.objects.create(
        organization=csec.org, name="closure", subject="Closed", body="Closed."
    )
    NoticeTemplate.objects.create(
        organization=espcc.org, name="decision", subject="Decided", body="Decided."
    )
    client.force_login(csec.investigator)
    page = text(client.get(list_url(csec)))
    for name in notices.DEFAULTS:
        assert f">{name}<" in page
    assert set(DESCRIPTIONS) >= set(notices.DEFAULTS)
    assert DESCRIPTIONS["allegations"].split(":")[0] in page
    assert page.count("CSEC's own (changed") == 1
    assert page.count("Ombuds' wording") == len(notices.DEFAULTS) - 1


# --- saving and going back ------------------------------------------------------------------------


def test_saving_keeps_the_wording_and_writes_it_to_the_audit_log(client, csec):
    client.force_login(csec.chair)
    response = post(client, csec, "acknowledgement", subject=ACK_SUBJECT, body=ACK_BODY + "\r\n")
    assert response.status_code == 302
    assert response["Location"] == edit_url(csec, "acknowledgement")
    own = NoticeTemplate.objects.get(organization=csec.org, name="acknowledgement")
    assert (own.subject, own.body) == (ACK_SUBJECT, ACK_BODY)
    [event] = events()
    assert event.subject_type == "notice_template"
    assert event.subject_id == "acknowledgement"
    assert event.organization == csec.org
    assert event.actor == csec.chair
    # The wording now in force, and (issue 10: old and new values) the wording it replaced.
    default_subject, default_body = notices.DEFAULTS["acknowledgement"]
    assert event.data == {
        "subject": ACK_SUBJECT,
        "body": ACK_BODY,
        "from": {"subject": default_subject, "body": default_body, "default": True},
    }

    page = text(client.get(edit_url(csec, "acknowledgement")))
    assert "CSEC uses its own wording" in page
    assert "is looking at" in page
    # Changed again: the row is updated, and the change is on the record too.
    assert post(client, csec, "acknowledgement", subject="Second").status_code == 302
    assert NoticeTemplate.objects.get(organization=csec.org, name="acknowledgement").subject == (
        "Second"
    )
    assert [e.data["subject"] for e in events()] == [ACK_SUBJECT, "Second"]


def test_going_back_to_ombuds_wording_deletes_the_bodys_own(client, csec):
    client.force_login(csec.staff)
    post(client, csec, "closure", subject="Closed: {{ case.reference }}")
    assert NoticeTemplate.objects.filter(organization=csec.org, name="closure").exists()
    page = text(client.get(edit_url(csec, "closure")))
    assert "Go back to Ombuds' wording" in page
    response = post(client, csec, "closure", action="revert")
    assert response.status_code == 302
    assert not NoticeTemplate.objects.filter(organization=csec.org, name="closure").exists()
    last = events()[-1]
    assert last.actor == csec.staff
    assert {k: v for k, v in last.data.items() if k != "from"} == {
        "subject": notices.DEFAULTS["closure"][0],
        "body": notices.DEFAULTS["closure"][1],
        "default": True,
    }
    # The wording it replaced (issue 10: old and new values).
    assert last.data["from"]["subject"] == "Closed: {{ case.reference }}"
    page = text(client.get(edit_url(csec, "closure")))
    assert "CSEC uses Ombuds' wording" in page
    assert "Go back to Ombuds' wording" not in page


def test_saving_ombuds_own_wording_keeps_no_copy_of_it(client, csec):
    client.force_login(csec.admin)
    post(client, csec, "progress", subject="Progress")
    default_subject = notices.DEFAULTS["progress"][0]
    assert post(client, csec, "progress", subject=default_subject).status_code == 302
    assert not NoticeTemplate.objects.filter(organization=csec.org, name="progress").exists()
    assert events()[-1].data["default"] is True


def test_saving_over_a_change_made_since_the_page_was_opened_is_refused(client, csec):
    client.force_login(csec.admin)
    opened = _fingerprint(*notices.DEFAULTS["referral"])
    NoticeTemplate.objects.create(
        organization=csec.org, name="referral", subject="Theirs", body="Their text."
    )
    response = post(client, csec, "referral", subject="Mine", based_on=opened)
    assert response.status_code == 400
    assert "Someone else changed" in text(response)
    assert NoticeTemplate.objects.get(organization=csec.org, name="referral").subject == "Theirs"
    # The page now carries the wording as it is: sent again, it replaces it.
    assert post(client, csec, "referral", subject="Mine").status_code == 302
    assert NoticeTemplate.objects.get(organization=csec.org, name="referral").subject == "Mine"


# --- wording that does not work -------------------------------------------------------------------


def test_a_syntax_error_is_shown_on_its_field_with_its_line(client, csec):
    client.force_login(csec.admin)
    response = post(
        client, csec, "receipt", body="Dear {{ case.complainant_name }},\n\n{% if case.anonymous %}"
    )
    assert response.status_code == 400
    page = text(response)
    assert 'id="id_body_error"' in page
    assert "Line 3:" in page
    assert "Unclosed tag" in page
    assert 'href="#id_body"' in page  # the error summary leads to the field
    response = post(client, csec, "receipt", subject="{{ case.reference|no_such_filter }}")
    assert response.status_code == 400
    assert 'id="id_subject_error"' in text(response)
    assert "no_such_filter" in text(response)
    assert not NoticeTemplate.objects.exists()
    assert events() == []


def test_wording_that_fails_to_render_is_refused_on_its_field(client, csec):
    client.force_login(csec.admin)
    response = post(client, csec, "receipt", body="See {% url 'no-such-page' %}")
    assert response.status_code == 400
    page = text(response)
    assert 'id="id_body_error"' in page
    assert "It cannot be made for a sample case" in page
    assert "NoReverseMatch" in page
    response = post(client, csec, "receipt", subject="{% url 'no-such-page' %}", action="preview")
    assert response.status_code == 400
    assert 'id="id_subject_error"' in text(response)
    assert not NoticeTemplate.objects.exists()
    assert events() == []


def test_every_problem_is_listed_at_once(client, csec):
    client.force_login(csec.admin)
    response = post(client, csec, "receipt", subject="{% if x %}", body="{{ }}")
    assert response.status_code == 400
    page = text(response)
    assert 'id="id_subject_error"' in page and 'id="id_body_error"' in page
    assert "There are problems" in page


def test_wording_that_reaches_the_complainant_past_the_case_is_refused(client, csec):
    client.force_login(csec.admin)
    for wording in (
        "{% for a in allegations %}{{ a.case.complainant_name }}{% endfor %}",
        "{{ allegations.0.case.what_happened }}",
        "{% for c in body.cases.all %}{{ c.reference }}{% endfor %}",
        "{% debug %}",
    ):
        response = post(client, csec, "allegations", body=wording)
        assert response.status_code == 400, wording
        assert 'id="id_body_error"' in text(response)
    assert not NoticeTemplate.objects.exists()


def test_ombuds_own_wording_passes_every_check():
    for name, (subject, body) in notices.DEFAULTS.items():
        form = NoticeWordingForm({"subject": subject, "body": body, "based_on": ""})
        assert form.is_valid(), (name, form.errors)


# --- the preview ----------------------------------------------------------------------------------


def test_the_preview_shows_the_notice_for_the_newest_case(client, csec):
    file_case(csec, complainant_name="Older Complainant")
    newest = file_case(csec, complainant_name="Newest Complainant")
    client.force_login(csec.chair)
    page = text(client.get(edit_url(csec, "receipt")))
    assert f"{newest.reference}, CSEC's newest case" in page
    assert f"has received your complaint {newest.reference}" in page
    assert "Dear Newest Complainant" in page

    # Previewing shows the wording sent, without keeping it.
    response = post(
        client, csec, "receipt", action="preview", subject="Hi {{ case.complainant_name }}"
    )
    assert response.status_code == 200
    assert "Hi Newest Complainant" in text(response)
    assert "not saved yet" in text(response)
    assert not NoticeTemplate.objects.exists()
    assert events() == []


def test_the_preview_of_a_notice_to_the_respondent_hides_the_complainant(client, csec):
    file_case(csec, complainant_name="Pat Complainant")
    client.force_login(csec.chair)
    response = post(
        client,
        csec,
        "allegations",
        action="preview",
        body="From [{{ case.complainant_name }}]. {{ respondent_url }}",
    )
    page = text(response)
    assert "To the respondent" in page
    assert "From []." in page
    assert "/respond/sample-link/" in page


def test_a_body_without_cases_is_shown_a_sample_that_is_not_kept(client, csec):
    client.force_login(csec.admin)
    page = text(client.get(edit_url(csec, "allegations")))
    year = timezone.localdate().year
    assert "a sample case (not a real one" in page
    assert f"CSEC-{year}-0000" in page
    assert "Sample Respondent" in page
    assert "Please answer by" in page  # the sample's deadlines are running
    page = text(client.get(edit_url(csec, "sanction")))
    assert "Reprimand" in page  # the sample sanction
    assert not Case.objects.exists()
    assert not NoticeTemplate.objects.exists()


def test_the_preview_leaves_out_cases_the_viewer_is_recused_from(client, csec):
    seen = file_case(csec)
    hidden = file_case(csec, recuse=True)
    client.force_login(csec.recused)
    # A committee member cannot open the page; make the recused person staff on the body too.
    BodyRole.objects.create(user=csec.recused, organization=csec.org, role="staff")
    page = text(client.get(edit_url(csec, "receipt")))
    assert seen.reference in page
    assert hidden.reference not in page


# --- notices made after a change ------------------------------------------------------------------


def test_a_notice_made_after_the_change_uses_the_new_wording(client, csec):
    client.force_login(csec.admin)
    assert (
        post(client, csec, "acknowledgement", subject=ACK_SUBJECT, body=ACK_BODY).status_code == 302
    )
    case = file_case(csec)
    services.case_step(case=case, step="acknowledge", acting_user=csec.chair)
    notice = Notice.objects.get(case=case, template="acknowledgement")
    assert notice.recipient_role == "complainant"
    assert notice.subject == f"CSEC is looking at {case.reference}"
    # The Chair's acknowledgement made the case hers: the notice names her.
    assert notice.body.startswith(
        "Hello Pat Complainant,\n\nEthics Chair now looks after your complaint."
    )
    assert "Child Support Enforcement Council" in notice.body  # the signature is still added
    other = NoticeTemplate.objects.filter(organization__slug="espcc")
    assert not other.exists()


def test_a_bodys_wording_naming_the_complainant_is_blank_for_the_respondent(csec):
    NoticeTemplate.objects.create(
        organization=csec.org,
        name="allegations",
        subject="Complaint by {{ case.complainant_name }}",
        body="Made by [{{ case.complainant_name }}] <{{ case.complainant_email }}>.",
    )
    case = file_case(csec, complainant_name="Pat Complainant", consent_to_share=False)
    subject, body = notices.render(case, "allegations", "respondent")
    assert subject == "Complaint by"
    assert "Made by [] <>." in body
    assert "Pat" not in subject + body
    # The complainant's own notices, and a respondent's once the complainant consents, name them.
    assert "Pat Complainant" in notices.render(case, "allegations", "complainant")[1]
    case.consent_to_share = True
    case.save(update_fields=["consent_to_share"])
    assert "Made by [Pat Complainant]" in notices.render(case, "allegations", "respondent")[1]


def test_a_bodys_wording_stored_any_way_cannot_walk_to_the_complainant(csec):
    """Even wording that never went through the edit page (the admin, a data import) sees plain
    values only: no path from an allegation or the body leads back to the case or to other cases."""
    from ombuds.cases import notices
    from ombuds.cases.models import NoticeTemplate

    case = file_case(csec)
    NoticeTemplate.objects.create(
        organization=csec.org,
        name="allegations",
        subject="About {{ case.reference }}",
        body="{% for a in allegations %}[{{ a.case.complainant_name }}]{% endfor %}"
        "|{{ body.cases.first.complainant_email }}|{{ case.complainant_name }}"
        "|{% for a in allegations %}{% for p in a.provisions.all %}{{ p.citation }}{% endfor %}"
        "{% endfor %}",
    )
    _subject, text = notices.render(case, "allegations", "respondent")
    assert "Pat" not in text and "pat@example.org" not in text
    assert text.startswith("[]||")
    assert csec.default_citation in text  # what a notice may say still renders


# --- the services: notice_template_save and notice_template_revert --------------------------------


def test_the_wording_services_record_the_old_and_new_wording(csec):
    default = notices.DEFAULTS["closure"]
    assert services.notice_template_save(
        organization=csec.org,
        name="closure",
        subject="Closed: {{ case.reference }}",
        body="It is closed.",
        based_on=_fingerprint(*default),
        acting_user=csec.chair,
    )
    assert services.wording_current(csec.org, "closure") == (
        "Closed: {{ case.reference }}",
        "It is closed.",
    )
    saved = events()[-1]
    assert saved.actor == csec.chair
    assert saved.data["subject"] == "Closed: {{ case.reference }}"
    assert saved.data["from"] == {"subject": default[0], "body": default[1], "default": True}

    assert services.notice_template_revert(
        organization=csec.org,
        name="closure",
        based_on=_fingerprint("Closed: {{ case.reference }}", "It is closed."),
        acting_user=csec.chair,
    )
    reverted = events()[-1]
    assert (reverted.data["subject"], reverted.data["default"]) == (default[0], True)
    assert reverted.data["from"] == {
        "subject": "Closed: {{ case.reference }}",
        "body": "It is closed.",
        "default": False,
    }
    assert not NoticeTemplate.objects.filter(organization=csec.org, name="closure").exists()
    # Nothing to change: no event.
    assert not services.notice_template_revert(
        organization=csec.org, name="closure", based_on="", acting_user=csec.chair
    )
    assert len(events()) == 2


def test_the_wording_services_refuse_a_stale_change(csec):
    opened = _fingerprint(*notices.DEFAULTS["referral"])
    services.notice_template_save(
        organization=csec.org,
        name="referral",
        subject="Theirs",
        body="Their text.",
        based_on=opened,
        acting_user=csec.admin,
    )
    with pytest.raises(services.WordingChanged):
        services.notice_template_save(
            organization=csec.org,
            name="referral",
            subject="Mine",
            body="My text.",
            based_on=opened,
            acting_user=csec.chair,
        )
    with pytest.raises(services.WordingChanged):
        services.notice_template_revert(
            organization=csec.org, name="referral", based_on=opened, acting_user=csec.chair
        )
    assert services.wording_current(csec.org, "referral") == ("Theirs", "Their text.")
    assert len(events()) == 1


def test_a_bodys_wording_can_cite_provisions_with_the_prefix_it_chose(csec):
    from ombuds.codes import code_settings

    code_settings.code_settings_update(
        organization=csec.org, citation_prefix="CEC", parsing_profile="", revision=None
    )
    case = file_case(csec)
    NoticeTemplate.objects.create(
        organization=csec.org,
        name="allegations",
        subject="{{ body.citation_prefix }}",
        body="{% for a in allegations %}{% for p in a.provisions.all %}[{{ p.cite_as }}]"
        "{% endfor %}{% endfor %}",
    )
    subject, body = notices.render(case, "allegations", "respondent")
    assert subject == "CEC"
    assert "[CEC 1.1(a)]" in body
