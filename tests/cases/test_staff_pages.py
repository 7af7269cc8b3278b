"""The staff case pages: the inbox and its filters, a case page with every section, taking the
procedure's steps, determinations, allegations, the sanction, messages, documents, recusals, and
complaints entered by staff. Every change goes through the services; these tests drive the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import (
    Allegation,
    BodyProcedure,
    Case,
    CaseDeadline,
    Document,
    Message,
    Notice,
    RespondentLink,
    SanctionChoice,
)
from ombuds.cases.services.deadlines import next_due_refresh
from ombuds.codes import services as code_services
from ombuds.register.models import Credential, CredentialProgram, Person, Sanction
from tests.cases.conftest import end_appeal_window
from tests.conftest import small_code

pytestmark = pytest.mark.django_db

# A PDF with one blank page, as small as a real one gets: what is shared with the respondent must
# open to be cleaned of its metadata (ombuds.cases.cleaning).
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


# --- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture
def csec_guild(body, published):
    """The guild follows CSEC's Article 5 procedure, with its code v1 in force."""
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    return body


@pytest.fixture
def people(personas, body, django_user_model):
    """The personas, with the chair, an investigator, and a second committee member."""
    extra = {
        "chair": ("cora", "ethics_chair"),
        "investigator": ("ivan", "investigator"),
        "second_member": ("rita", "committee_member"),
    }
    found = dict(personas)
    for key, (username, role) in extra.items():
        user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw")
        BodyRole.objects.create(user=user, organization=body, role=role)
        found[key] = user
    return found


@pytest.fixture
def member(body):
    """A credential holder in the guild's register (a respondent the register can sanction)."""
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    holder = Person.objects.create(
        organization=body, given_name="Mel", family_name="Member", email="mel@example.org"
    )
    return Credential.objects.create(
        program=program,
        holder=holder,
        number="CGP-0001",
        status="active",
        issued_on=dt.date(2022, 7, 1),
        expires_on=dt.date(2030, 6, 30),
    )


def file_case(organization, **fields) -> Case:
    values = {
        "what_happened": "They kept my payments for three months.",
        "respondent_name": "Acme Recovery",
        "respondent_email": "acme@example.org",
        "complainant_name": "Pat Doe",
        "complainant_email": "pat@example.org",
    }
    values.update(fields)
    case = services.case_file(
        organization=organization, complaint=services.Complaint(**values)
    ).case
    # Allegation 1 stands as the body's draft, not the complainant's words (see
    # tests/cases/test_allegation_drafting.py for the step held while it is not).
    case.allegations.update(verbatim=False)
    return case


def step(case: Case, user, name: str, files=None, **inputs) -> Case:
    return services.case_step(case=case, step=name, acting_user=user, inputs=inputs, files=files)


def to_committee(case: Case, chair) -> Case:
    """A complaint about a non-member, taken to the Ethics Committee."""
    case = step(case, chair, "acknowledge")
    case = step(case, chair, "notify_agency")
    services.respondent_answer(case=case, body="We deny it.", files=[])
    case = step(case, chair, "investigate")
    return step(case, chair, "to_committee", summary="The payments were kept.")


def member_to_committee(case: Case, chair) -> Case:
    case = step(case, chair, "acknowledge")
    case = step(case, chair, "waive_efforts", waiver_reason="The agency refused to talk.")
    case = step(case, chair, "notify_member")
    services.respondent_answer(case=case, body="We deny it.", files=[])
    case = step(case, chair, "investigate")
    return step(case, chair, "to_committee", summary="The payments were kept.")


def url(case: Case, suffix: str = "") -> str:
    return f"/staff/{case.organization.slug}/cases/{case.reference}/{suffix}"


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def offered_steps(html: str) -> set[str]:
    return set(re.findall(r'name="action" value="step:(\w+)"', html))


def shown(response) -> list[str]:
    return [c.reference for c in response.context["cases"]]


# --- the inbox ------------------------------------------------------------------------------------


@pytest.fixture
def three_cases(csec_guild, people, published):
    """A: about Acme, citing 1.1(a), overdue; B: about Beta, handled by sam, with the chair;
    C: about Gamma, dismissed. Filed A first, C last."""
    chair = people["chair"]
    cited = published.provisions.get(citation="1.1(a)")
    a = file_case(csec_guild, respondent_name="Acme Recovery", provisions=[cited])
    b = file_case(csec_guild, respondent_name="Beta Collections")
    b = step(b, chair, "acknowledge")
    services.case_handler_set(case=b, handler=people["body_staff"], acting_user=people["chair"])
    c = file_case(csec_guild, respondent_name="Gamma Agency")
    step(c, chair, "dismiss", ground="withdrawn", reasons="The complainant withdrew it.")
    now = timezone.now()
    for n, case in enumerate([a, b, c]):
        Case.objects.filter(pk=case.pk).update(filed_at=now - dt.timedelta(days=10 - n))
    CaseDeadline.objects.filter(case=a, name="acknowledge").update(
        due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    # Moved behind the services' back: the stored next due date follows as a service would.
    next_due_refresh(Case.objects.get(pk=a.pk))
    return fresh(a), fresh(b), fresh(c)


def test_inbox_lists_the_cases_newest_first_with_counts(client, three_cases, people):
    a, b, c = three_cases
    client.force_login(people["body_staff"])
    response = client.get("/staff/guild/cases/")
    assert response.status_code == 200
    assert shown(response) == [c.reference, b.reference, a.reference]
    states = {key: n for key, _label, n in response.context["states"]}
    assert states["received"] == 1 and states["chair_review"] == 1 and states["dismissed"] == 1
    assert response.context["total"] == 3
    assert response.context["open_total"] == 2
    assert response.context["overdue_total"] == 1
    html = response.content.decode()
    assert "Received (1)" in html and "Open (2)" in html and "Overdue only (1)" in html
    # The figures and a chart of the states, the table first, the filters folded away.
    figures = _figures(html)
    assert "3 cases" in figures and "2 open" in figures and "1 with an overdue deadline" in figures
    assert html.index('<details class="filters-box"') < html.index('<table class="stack cases">')
    assert "<svg" in html and ">Received</th><td>1</td>" in html
    # The handler shows: the chair who dismissed C (her first step made it hers), sam for B (the
    # chair acknowledged it, then handed it to him), nobody yet for A.
    assert re.findall(r'data-label="Handler">([^<]*)<', html) == ["cora", "sam", "nobody yet"]
    assert "Cache-Control" in response and "no-store" in response["Cache-Control"]


def _figures(html: str) -> str:
    """The inbox's figures above its table, as text."""
    part = html.split('class="figures-line counts"')[1].split("</ul>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", part.partition(">")[2]).split())


def _to_deliver(case, n: int = 1, role: str = "respondent") -> None:
    for i in range(n):
        Notice.objects.create(
            case=case,
            template="allegations",
            recipient_role=role,
            subject=f"Notice {i}",
            body="The text.",
            status=Notice.Status.TO_DELIVER,
        )


def test_inbox_counts_the_notices_to_deliver_by_post_or_by_hand(client, three_cases, people):
    a, b, c = three_cases
    _to_deliver(a, 2)
    _to_deliver(b)
    _to_deliver(b, role="complainant")  # not the respondent's: not counted
    Notice.objects.create(
        case=c, template="allegations", recipient_role="respondent", subject="s", body="b"
    )  # to be emailed: not counted
    client.force_login(people["body_staff"])
    response = client.get("/staff/guild/cases/")
    by_case = {case.reference: case.to_deliver for case in response.context["cases"]}
    assert by_case == {a.reference: 2, b.reference: 1, c.reference: 0}
    assert response.context["total"] == 3 and response.context["to_deliver_total"] == 3
    html = response.content.decode()
    assert "3 notices to the respondent to deliver by post or by hand" in _figures(html)
    assert html.count("notices to deliver</strong>") == 1
    assert html.count("1 notice to deliver</strong>") == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=received", "a"),
        ("state=chair_review", "b"),
        ("state=dismissed", "c"),
        ("state=open", "ba"),
        ("overdue=1", "a"),
        ("mine=1", "b"),
        ("respondent=beta", "b"),
        ("respondent=AGENCY", "c"),
        ("provision=1.1(a)", "a"),
        ("provision=1.1(A)", "a"),
        ("provision=2.1", ""),
        ("state=nonsense", "cba"),
        ("state=open&respondent=acme&overdue=1", "a"),
        ("state=open&mine=1&respondent=acme", ""),
    ],
)
def test_inbox_filters(client, three_cases, people, query, expected):
    cases = dict(zip("abc", three_cases, strict=True))
    client.force_login(people["body_staff"])
    response = client.get(f"/staff/guild/cases/?{query}")
    assert response.status_code == 200
    assert shown(response) == [cases[k].reference for k in expected]
    assert response.context["matching"] == len(expected)


def test_inbox_sorts(client, three_cases, people):
    a, b, c = three_cases
    # B's next deadline (feedback, months away) is later than A's (overdue); C has none running.
    client.force_login(people["body_staff"])
    assert shown(client.get("/staff/guild/cases/?sort=oldest")) == [
        a.reference,
        b.reference,
        c.reference,
    ]
    assert shown(client.get("/staff/guild/cases/?sort=newest")) == [
        c.reference,
        b.reference,
        a.reference,
    ]
    assert shown(client.get("/staff/guild/cases/?sort=due")) == [
        a.reference,
        b.reference,
        c.reference,
    ]
    # An unknown sort falls back to newest first.
    assert shown(client.get("/staff/guild/cases/?sort=drop table")) == [
        c.reference,
        b.reference,
        a.reference,
    ]


def test_inbox_still_works_when_the_public_form_is_closed(client, three_cases, people):
    BodyProcedure.objects.filter(organization__slug="guild").update(taking_complaints=False)
    client.force_login(people["chair"])
    response = client.get("/staff/guild/cases/")
    assert response.status_code == 200
    assert len(shown(response)) == 3


def test_inbox_without_a_procedure_shows_no_cases_rather_than_failing(client, body, people):
    client.force_login(people["body_admin"])
    response = client.get("/staff/guild/cases/")
    assert response.status_code == 200
    assert "has no complaint procedure" in response.content.decode()


def _inbox_queries(client, django_assert_max_num_queries, bound: int) -> None:
    with django_assert_max_num_queries(bound):
        response = client.get("/staff/guild/cases/?sort=due")
    assert response.status_code == 200


INBOX_QUERIES = 10  # one more with the provision filter: the provisions it names, looked up first


@pytest.mark.parametrize("n", [3, 30])
def test_inbox_queries_do_not_grow_with_the_cases(
    client, csec_guild, people, published, django_assert_max_num_queries, n
):
    cited = published.provisions.get(citation="1.1(a)")
    for i in range(n):
        case = file_case(csec_guild, respondent_name=f"Agency {i}", provisions=[cited])
        _to_deliver(case, 2)
        if i % 2:
            services.case_handler_set(
                case=case, handler=people["body_staff"], acting_user=people["chair"]
            )
    client.force_login(people["body_staff"])
    _inbox_queries(client, django_assert_max_num_queries, INBOX_QUERIES)
    with django_assert_max_num_queries(INBOX_QUERIES + 1):
        response = client.get("/staff/guild/cases/?state=open&provision=1.1(a)&mine=1")
    assert len(shown(response)) == n // 2


# --- the case page --------------------------------------------------------------------------------

SECTIONS = [
    "Parties",
    "What happened",
    "Allegations",
    "What can be done now",
    "Deadlines",
    "Documents",
    "Notes and messages",
    "Notices",
    "Recusals",
    "Timeline",
]


def test_case_page_renders_every_section(client, csec_guild, people, published):
    cited = published.provisions.get(citation="1.1(a)")
    case = file_case(csec_guild, provisions=[cited], outcome_sought="My money back.")
    client.force_login(people["chair"])
    response = client.get(url(case))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in SECTIONS:
        assert f">{heading}</h" in html, heading
    assert "Pat Doe" in html and "Acme Recovery" in html and "My money back." in html
    assert "GOE 1.1(a)" in html
    assert "Acknowledge the complaint" in html  # the running deadline
    assert "Complaint filed" in html  # the timeline
    assert "Your complaint" in html or "has received your complaint" in html  # the receipt notice
    assert "you act here as ethics chair" in html
    assert "no-store" in response["Cache-Control"]


CASE_QUERIES = 17  # the viewer's roles and the header's bodies: one query; the recusals (who
# may see the case, and its list on the page): one query; the respondent panel reads the suggestions made on filing: one query; the citation prefix the body chose for its code ("CESP 3.8"): one query; the facts the procedure
# asks about are answered from what the page reads anyway (its allegations, notices, sanction)


@pytest.mark.parametrize("n", [1, 12])
def test_case_page_queries_do_not_grow_with_its_contents(
    client, csec_guild, people, published, django_assert_max_num_queries, n
):
    chair = people["chair"]
    provisions = list(published.provisions.exclude(citation="").order_by("position"))
    case = to_committee(file_case(csec_guild), chair)
    for i in range(n):
        services.allegation_add(
            case=case, summary=f"Allegation {i}", provisions=provisions[:2], acting_user=chair
        )
        services.message_post(case=case, audience="internal", body=f"Note {i}", acting_user=chair)
        services.document_add(
            case=case, name=f"e{i}.pdf", data=PDF, kind="evidence", acting_user=chair
        )
    client.force_login(people["committee_member"])
    with django_assert_max_num_queries(CASE_QUERIES):
        response = client.get(url(case))
    assert response.status_code == 200
    assert response.content.decode().count('value="determination"') == n + 1


# --- taking steps ---------------------------------------------------------------------------------


def test_the_chair_dismisses_with_a_choice_and_reasons(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["chair"])
    response = client.post(
        url(case),
        {
            "action": "step:dismiss",
            "step-dismiss-version": case.version,
            "step-dismiss-ground": "outside the code",
            "step-dismiss-reasons": "The complaint is about fees the code does not cover.",
        },
    )
    assert response.status_code == 302
    case = fresh(case)
    assert case.state == "dismissed" and case.closed_at is not None
    notice = Notice.objects.get(case=case, template="dismissal")
    assert "outside the code" in notice.body
    event = Event.objects.filter(action="case.step").latest("seq")
    assert event.data["step"] == "dismiss" and event.actor == people["chair"]
    page = client.get(url(case)).content.decode()
    assert "Done: Dismiss the complaint." in page


def test_a_step_missing_its_inputs_lists_every_problem_and_changes_nothing(
    client, csec_guild, people
):
    case = file_case(csec_guild)
    client.force_login(people["chair"])
    response = client.post(
        url(case),
        {
            "action": "step:dismiss",
            "step-dismiss-version": case.version,
            "step-dismiss-ground": "not a ground",
        },
    )
    assert response.status_code == 400
    form = response.context["steps"][1][1]
    assert form.transition.name == "dismiss"
    assert set(form.errors) == {"ground", "reasons"}
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_step-dismiss-reasons"' in html
    assert 'aria-invalid="true"' in html
    assert fresh(case).state == "received"


def test_proof_of_efforts_is_recorded_with_its_document(client, csec_guild, people, member):
    chair = people["chair"]
    case = file_case(csec_guild, respondent_person=member.holder, respondent_name="")
    case = step(case, chair, "acknowledge")
    case = step(case, chair, "request_efforts", message="Send your letters to them.")
    assert case.state == "awaiting_efforts"
    client.force_login(people["body_staff"])
    page = client.get(url(case))
    assert offered_steps(page.content.decode()) == {"efforts_received"}
    response = client.post(
        url(case),
        {
            "action": "step:efforts_received",
            "step-efforts_received-version": case.version,
            "step-efforts_received-efforts_proof": SimpleUploadedFile(
                "letters.pdf", PDF, content_type="application/pdf"
            ),
            "step-efforts_received-note": "Two letters and a reply.",
        },
    )
    assert response.status_code == 302
    case = fresh(case)
    assert case.state == "chair_review" and case.efforts_proven_at is not None
    document = Document.objects.get(case=case, kind="efforts_proof")
    assert document.original_name == "letters.pdf" and document.content_type == "application/pdf"
    assert CaseDeadline.objects.get(case=case, name="efforts").met_at is not None


def test_a_step_document_of_the_wrong_kind_is_refused_on_its_field(
    client, csec_guild, people, member
):
    chair = people["chair"]
    case = file_case(csec_guild, respondent_person=member.holder, respondent_name="")
    case = step(case, chair, "acknowledge")
    case = step(case, chair, "request_efforts", message="Send your letters to them.")
    client.force_login(chair)
    response = client.post(
        url(case),
        {
            "action": "step:efforts_received",
            "step-efforts_received-version": case.version,
            "step-efforts_received-efforts_proof": SimpleUploadedFile(
                "letters.pdf", b"MZ\x90\x00\x03 not a pdf", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    form = dict(response.context["steps"])
    errors = next(f for s, f in response.context["steps"] if s.name == "efforts_received").errors
    assert "not one of the formats taken" in " ".join(errors["efforts_proof"])
    assert form  # the page still lists the steps
    assert fresh(case).state == "awaiting_efforts"
    assert not Document.objects.filter(case=case, kind="efforts_proof").exists()


def test_a_stale_version_is_refused_and_nothing_changes(client, csec_guild, people):
    case = file_case(csec_guild)
    opened_at = case.version
    # Someone else acknowledges the case after the page was opened.
    services.message_post(case=case, audience="internal", body="Seen.", acting_user=people["chair"])
    events = Event.objects.count()
    client.force_login(people["chair"])
    response = client.post(
        url(case),
        {
            "action": "step:acknowledge",
            "step-acknowledge-version": opened_at,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "changed since this page was opened" in html
    case = fresh(case)
    assert case.state == "received" and case.acknowledged_at is None
    assert Event.objects.count() == events
    # The page now shows the case as it is: sent again from it, the step is taken.
    form = next(f for s, f in response.context["steps"] if s.name == "acknowledge")
    assert form.data["step-acknowledge-version"] == str(case.version)
    response = client.post(
        url(case), {"action": "step:acknowledge", "step-acknowledge-version": case.version}
    )
    assert response.status_code == 302 and fresh(case).state == "chair_review"


def test_a_step_sent_after_the_case_moved_on_says_so(client, csec_guild, people):
    case = file_case(csec_guild)
    opened_at = case.version
    step(case, people["chair"], "acknowledge")
    client.force_login(people["body_staff"])
    response = client.post(
        url(case), {"action": "step:acknowledge", "step-acknowledge-version": opened_at}
    )
    assert response.status_code == 400
    assert "changed since this page was opened" in response.content.decode()
    assert response.context["page_errors"]


def test_a_step_the_role_lacks_is_refused_with_the_reason(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["body_staff"])
    assert offered_steps(client.get(url(case)).content.decode()) == {"acknowledge"}
    response = client.post(
        url(case),
        {
            "action": "step:dismiss",
            "step-dismiss-version": case.version,
            "step-dismiss-ground": "withdrawn",
            "step-dismiss-reasons": "x",
        },
    )
    assert response.status_code == 400
    assert "is taken by: ethics chair" in response.content.decode()
    assert fresh(case).state == "received"


def test_an_unknown_action_is_refused(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["body_staff"])
    response = client.post(url(case), {"action": "launch"})
    assert response.status_code == 400
    assert "unknown action" in response.content.decode()


# --- determinations -------------------------------------------------------------------------------


def test_the_committee_records_determinations(client, csec_guild, people):
    case = to_committee(file_case(csec_guild), people["chair"])
    client.force_login(people["committee_member"])
    page = client.get(url(case)).content.decode()
    assert "Decide allegation 1" in page
    assert offered_steps(page) == set()  # nothing decided yet
    response = client.post(
        url(case),
        {
            "action": "determination",
            "d1-version": case.version,
            "d1-allegation": 1,
            "d1-determination": "upheld",
            "d1-reasons": "The bank statements show it.",
        },
    )
    assert response.status_code == 302
    allegation = Allegation.objects.get(case=case, position=1)
    assert allegation.determination == "upheld"
    assert allegation.determined_by == people["committee_member"]
    # The agency is not a member: the findings close the case, without a sanction.
    page = client.get(url(case)).content.decode()
    assert offered_steps(page) == {"findings_non_member"}
    assert "Allegation 1 decided." in page


def test_a_determination_lists_every_problem(client, csec_guild, people):
    case = to_committee(file_case(csec_guild), people["chair"])
    client.force_login(people["chair"])
    response = client.post(
        url(case),
        {"action": "determination", "d1-version": case.version, "d1-allegation": 1},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose upheld or not upheld." in html
    assert "Give the reasons for the determination." in html
    assert 'href="#id_d1-reasons"' in html
    assert Allegation.objects.get(case=case).determination == "pending"


def test_committee_members_decide_only_before_the_committee(client, csec_guild, people):
    chair = people["chair"]
    case = step(file_case(csec_guild), chair, "acknowledge")
    client.force_login(people["committee_member"])
    page = client.get(url(case)).content.decode()
    assert "Decide allegation" not in page
    response = client.post(
        url(case),
        {
            "action": "determination",
            "d1-version": case.version,
            "d1-allegation": 1,
            "d1-determination": "upheld",
            "d1-reasons": "Too early.",
        },
    )
    assert response.status_code == 400
    assert "allegations are decided while the case is before the committee" in (
        response.content.decode()
    )
    assert Allegation.objects.get(case=case).determination == "pending"


def test_staff_cannot_decide_allegations(client, csec_guild, people):
    case = to_committee(file_case(csec_guild), people["chair"])
    client.force_login(people["body_staff"])
    assert "Decide allegation" not in client.get(url(case)).content.decode()
    response = client.post(
        url(case),
        {
            "action": "determination",
            "d1-version": case.version,
            "d1-allegation": 1,
            "d1-determination": "upheld",
            "d1-reasons": "x",
        },
    )
    assert response.status_code == 400
    assert "may do that" in response.content.decode()
    assert Allegation.objects.get(case=case).determination == "pending"


# --- allegations ----------------------------------------------------------------------------------


def test_an_allegation_cites_the_code_version_the_case_was_filed_under(
    client, csec_guild, people, published
):
    case = file_case(csec_guild)
    # A new version of the code comes into force after the complaint was made.
    newer, _ = code_services.code_version_import(
        organization=csec_guild,
        parsed=small_code(changed=True),
        source=b"v2",
        label="v2",
        publish=True,
    )
    client.force_login(people["investigator"])
    page = client.get(url(case))
    offered = set(page.context["allegation_form"].fields["provisions"].queryset)
    assert offered and all(p.version_id == published.pk for p in offered)
    old = published.provisions.get(citation="1.2")
    response = client.post(
        url(case),
        {
            "action": "allegation",
            "allegation-version": case.version,
            "allegation-summary": "They kept no records.",
            "allegation-provisions": [old.pk],
            "allegation-source": "staff",
        },
    )
    assert response.status_code == 302
    allegation = Allegation.objects.get(case=case, position=2)
    assert [p.citation for p in allegation.provisions.all()] == ["1.2"]
    assert allegation.source == "staff"
    # A provision of the newer version is not one to choose.
    new = newer.provisions.get(citation="2.2")
    response = client.post(
        url(case),
        {
            "action": "allegation",
            "allegation-version": fresh(case).version,
            "allegation-summary": "They published fees.",
            "allegation-provisions": [new.pk],
            "allegation-source": "staff",
        },
    )
    assert response.status_code == 400
    assert "provisions" in response.context["allegation_form"].errors
    assert Allegation.objects.filter(case=case).count() == 2


# --- the sanction ---------------------------------------------------------------------------------


def test_choosing_and_imposing_a_sanction_changes_the_register(client, csec_guild, people, member):
    chair = people["chair"]
    case = member_to_committee(
        file_case(csec_guild, respondent_person=member.holder, respondent_name=""), chair
    )
    client.force_login(people["committee_member"])
    client.post(
        url(case),
        {
            "action": "determination",
            "d1-version": case.version,
            "d1-allegation": 1,
            "d1-determination": "upheld",
            "d1-reasons": "Proven.",
        },
    )
    case = fresh(case)
    assert offered_steps(client.get(url(case)).content.decode()) == {"uphold"}
    response = client.post(
        url(case), {"action": "step:uphold", "step-uphold-version": case.version}
    )
    assert response.status_code == 302
    case = fresh(case)
    assert case.state == "sanction"
    page = client.get(url(case)).content.decode()
    assert "Choose the sanction" in page
    today = timezone.localdate()
    # A suspension without its end date: refused, every problem at once.
    response = client.post(
        url(case),
        {
            "action": "sanction",
            "version": case.version,
            "kind": "suspension",
            "summary": "",
            "effective_from": today.isoformat(),
            "publication": "public",
        },
    )
    assert response.status_code == 400
    assert "summary" in response.context["sanction_form"].errors
    response = client.post(
        url(case),
        {
            "action": "sanction",
            "version": case.version,
            "kind": "suspension",
            "summary": "Suspended for keeping client money.",
            "effective_from": today.isoformat(),
            "publication": "public",
        },
    )
    assert response.status_code == 400
    assert "a suspension needs its end date" in response.content.decode()
    response = client.post(
        url(case),
        {
            "action": "sanction",
            "version": case.version,
            "kind": "suspension",
            "summary": "Suspended for keeping client money.",
            "effective_from": today.isoformat(),
            "effective_until": (today + dt.timedelta(days=90)).isoformat(),
            "publication": "public",
        },
    )
    assert response.status_code == 302
    case = fresh(case)
    page = client.get(url(case)).content.decode()
    assert "Suspension: Suspended for keeping client money." in page
    assert "Not yet imposed." in page
    member.refresh_from_db()
    assert member.status == "active"
    response = client.post(
        url(case),
        {"action": "step:impose_sanction", "step-impose_sanction-version": case.version},
    )
    assert response.status_code == 302
    case = fresh(case)
    member.refresh_from_db()
    assert case.state == "appeal_window"
    assert member.status == "active"  # it waits for the appeal window
    case = end_appeal_window(case)
    member.refresh_from_db()
    assert member.status == "suspended"
    assert member.suspended_until == today + dt.timedelta(days=90)
    sanction = Sanction.objects.get(credential=member)
    assert sanction.kind == "suspension" and sanction.source == "case"
    assert case.sanction_choice.sanction == sanction
    assert "On the register." in client.get(url(case)).content.decode()


def test_the_sanction_is_chosen_only_by_deciders_in_the_sanction_state(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["committee_member"])
    assert "Choose the sanction" not in client.get(url(case)).content.decode()
    response = client.post(
        url(case),
        {
            "action": "sanction",
            "version": case.version,
            "kind": "reprimand",
            "summary": "Reprimanded.",
            "effective_from": timezone.localdate().isoformat(),
            "publication": "private",
        },
    )
    assert response.status_code == 400
    assert "a sanction is chosen once allegations are upheld" in response.content.decode()
    assert not SanctionChoice.objects.exists()


# --- messages -------------------------------------------------------------------------------------


def test_internal_notes_are_never_shown_to_the_parties(client, csec_guild, people):
    chair = people["chair"]
    case = file_case(
        csec_guild, anonymous=True, complainant_name="", passphrase="correct horse battery"
    )
    case = step(case, chair, "acknowledge")
    case = step(case, chair, "notify_agency")
    client.force_login(people["body_staff"])
    response = client.post(
        url(case),
        {"action": "message", "message-audience": "internal", "message-body": "SECRET NOTE"},
    )
    assert response.status_code == 302
    response = client.post(
        url(case),
        {
            "action": "message",
            "message-audience": "complainant",
            "message-body": "We have written to the agency.",
        },
    )
    assert response.status_code == 302
    [note] = [m for m in Message.objects.filter(case=case) if m.body == "SECRET NOTE"]
    assert note.audience == "internal" and note.author == people["body_staff"]
    assert not Notice.objects.filter(case=case, template="message").exclude(
        recipient_role="complainant"
    )
    page = client.get(url(case)).content.decode()
    assert "SECRET NOTE" in page and "Note saved." in page
    # The complainant's follow-up does not have it.
    client.logout()
    followup = client.post(
        "/api/v1/bodies/guild/complaints/follow-up",
        {"receipt_code": case.receipt_code, "passphrase": "correct horse battery"},
        content_type="application/json",
    )
    assert followup.status_code == 200
    assert "We have written to the agency." in followup.content.decode()
    assert "SECRET NOTE" not in followup.content.decode()
    # Nor the respondent's page.
    token = services.respondent_link_issue(case)
    respondent = client.get(f"/respond/{token}/")
    assert respondent.status_code == 200
    assert "SECRET NOTE" not in respondent.content.decode()


def test_the_respondent_is_not_offered_as_an_audience_before_being_notified(
    client, csec_guild, people
):
    case = file_case(csec_guild)
    client.force_login(people["chair"])
    page = client.get(url(case))
    audiences = dict(page.context["message_form"].fields["audience"].choices)
    assert "respondent" not in audiences
    response = client.post(
        url(case),
        {"action": "message", "message-audience": "respondent", "message-body": "Hello"},
    )
    assert response.status_code == 400
    assert not Message.objects.filter(case=case).exists()
    assert not RespondentLink.objects.filter(case=case).exists()
    case = step(step(case, people["chair"], "acknowledge"), people["chair"], "notify_agency")
    page = client.get(url(case))
    assert "respondent" in dict(page.context["message_form"].fields["audience"].choices)


def test_an_empty_message_is_refused_on_its_field(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["body_staff"])
    response = client.post(
        url(case), {"action": "message", "message-audience": "internal", "message-body": " "}
    )
    assert response.status_code == 400
    assert "Write the note or message." in response.content.decode()
    assert 'href="#id_message-body"' in response.content.decode()


# --- documents ------------------------------------------------------------------------------------


def test_a_document_is_uploaded_sniffed_and_downloaded_on_the_record(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["investigator"])
    response = client.post(
        url(case),
        {
            "action": "document",
            "document-file": SimpleUploadedFile("statement.pdf", PDF, "application/pdf"),
            "document-kind": "evidence",
            "document-visibility": "internal",
        },
    )
    assert response.status_code == 302
    document = Document.objects.get(case=case)
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    assert document.uploaded_by == people["investigator"]
    response = client.get(url(case, f"documents/{document.token}"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    viewed = Event.objects.get(action="case.document_viewed")
    assert viewed.actor == people["investigator"]
    assert viewed.data["document"] == document.token
    assert viewed.subject_id == str(case.pk)


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("report.pdf", b"<html><script>alert(1)</script>", "its content is plain text"),
        ("photo.png", b"\x00\x01\x02binary", "not one of the formats taken"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_a_document_of_the_wrong_kind_is_refused_on_the_form(
    client, csec_guild, people, name, data, problem
):
    case = file_case(csec_guild)
    client.force_login(people["body_staff"])
    response = client.post(
        url(case),
        {
            "action": "document",
            "document-file": SimpleUploadedFile(name, data, "application/pdf"),
            "document-kind": "",
            "document-visibility": "internal",
        },
    )
    assert response.status_code == 400
    errors = response.context["document_form"].errors
    assert problem in " ".join(errors["file"]) and "kind" in errors
    html = response.content.decode()
    assert 'href="#id_document-file"' in html and "<details open>" in html
    assert not Document.objects.filter(case=case).exists()


def test_documents_of_another_case_or_purged_are_not_found(client, csec_guild, people):
    case = file_case(csec_guild)
    other = file_case(csec_guild, respondent_name="Other Agency")
    document = services.document_add(
        case=other, name="a.pdf", data=PDF, kind="evidence", acting_user=people["chair"]
    )
    client.force_login(people["chair"])
    assert client.get(url(case, f"documents/{document.token}")).status_code == 404
    Document.objects.filter(pk=document.pk).update(purged_at=timezone.now())
    assert client.get(url(other, f"documents/{document.token}")).status_code == 404
    assert not Event.objects.filter(action="case.document_viewed").exists()


def test_the_printable_notice(client, csec_guild, people):
    case = file_case(csec_guild)
    notice = Notice.objects.get(case=case, template="receipt")
    client.force_login(people["committee_member"])
    response = client.get(url(case, f"notices/{notice.pk}"))
    assert response.status_code == 200
    assert notice.subject in response.content.decode()
    other = file_case(csec_guild, respondent_name="Other Agency")
    assert client.get(url(other, f"notices/{notice.pk}")).status_code == 404


# --- recusal --------------------------------------------------------------------------------------


def test_a_recusal_hides_the_case_from_the_recused(client, csec_guild, people):
    case = file_case(csec_guild)
    kept = file_case(csec_guild, respondent_name="Other Agency")
    document = services.document_add(
        case=case, name="a.pdf", data=PDF, kind="evidence", acting_user=people["chair"]
    )
    notice = Notice.objects.get(case=case, template="receipt")
    client.force_login(people["chair"])
    response = client.post(
        url(case),
        {
            "action": "recusal",
            "recusal-user": people["committee_member"].pk,
            "recusal-reason": "Worked for Acme until last year.",
        },
    )
    assert response.status_code == 302
    assert "Worked for Acme" in client.get(url(case)).content.decode()
    client.force_login(people["committee_member"])
    assert shown(client.get("/staff/guild/cases/")) == [kept.reference]
    assert client.get(url(case)).status_code == 404
    assert client.get(url(case, f"documents/{document.token}")).status_code == 404
    assert client.get(url(case, f"notices/{notice.pk}")).status_code == 404
    assert client.post(url(case), {"action": "take"}).status_code == 404
    assert client.get(url(kept)).status_code == 200


def test_a_recusal_needs_a_reason_and_the_right_role(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["chair"])
    response = client.post(
        url(case), {"action": "recusal", "recusal-user": "", "recusal-reason": ""}
    )
    assert response.status_code == 400
    assert set(response.context["recusal_form"].errors) == {"user", "reason"}
    client.force_login(people["committee_member"])
    assert "Recuse someone" not in client.get(url(case)).content.decode()
    response = client.post(
        url(case),
        {
            "action": "recusal",
            "recusal-user": people["second_member"].pk,
            "recusal-reason": "I think so.",
        },
    )
    assert response.status_code == 400
    assert "only the chair, an administrator or staff record a recusal" in (
        response.content.decode()
    )
    assert not case.recusals.exists()


# --- handling, and the respondent's link ----------------------------------------------------------


def test_handle_it_myself(client, csec_guild, people):
    case = file_case(csec_guild)
    client.force_login(people["investigator"])
    assert "Handle it myself" in client.get(url(case)).content.decode()
    response = client.post(url(case), {"action": "take"})
    assert response.status_code == 302
    assert fresh(case).handler == people["investigator"]
    page = client.get(url(case)).content.decode()
    assert "Handle it myself" not in page and "You now handle this case." in page
    assert Event.objects.filter(action="case.handler").exists()


def test_send_the_respondent_a_new_link(client, csec_guild, people):
    chair = people["chair"]
    case = file_case(csec_guild)
    client.force_login(people["body_staff"])
    # Not before the respondent has been told of the complaint.
    assert "Send the respondent a new link" not in client.get(url(case)).content.decode()
    response = client.post(url(case), {"action": "resend"})
    assert response.status_code == 400
    assert "has not been notified" in response.content.decode()
    assert not RespondentLink.objects.filter(case=case).exists()
    case = step(step(case, chair, "acknowledge"), chair, "notify_agency")
    assert RespondentLink.objects.filter(case=case).count() == 1
    assert "Send the respondent a new link" in client.get(url(case)).content.decode()
    response = client.post(url(case), {"action": "resend"})
    assert response.status_code == 302
    assert RespondentLink.objects.filter(case=case).count() == 2
    assert Notice.objects.filter(case=case, template="allegations").count() == 2
    assert Event.objects.filter(action="case.respondent_link_sent").exists()
    # A committee member is not offered it, and is refused.
    client.force_login(people["committee_member"])
    assert "Send the respondent a new link" not in client.get(url(case)).content.decode()
    assert client.post(url(case), {"action": "resend"}).status_code == 400
    assert RespondentLink.objects.filter(case=case).count() == 2


# --- complaints entered by staff ------------------------------------------------------------------

PHONE = {
    "channel": "phone",
    "complainant_relation": "client",
    "respondent_name": "Acme Recovery",
    "what_happened": "They kept my payments, she said on the phone.",
}


def test_staff_enter_a_named_complaint_received_by_phone(client, csec_guild, people, published):
    cited = published.provisions.get(citation="1.1(b)")
    client.force_login(people["body_staff"])
    page = client.get("/staff/guild/cases/new")
    assert page.status_code == 200
    assert '<label for="id_complainant_name">' in page.content.decode()
    response = client.post(
        "/staff/guild/cases/new",
        {
            **PHONE,
            "complainant_name": "Pat Doe",
            "complainant_phone": "+1 555 0100",
            "provisions": [cited.pk],
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == url(case)
    assert case.channel == "phone" and case.complainant_name == "Pat Doe"
    assert case.created_by == people["body_staff"] and not case.anonymous
    assert [p.citation for p in case.allegations.get().provisions.all()] == ["1.1(b)"]
    filed = Event.objects.get(action="case.filed")
    assert filed.actor == people["body_staff"] and filed.data["channel"] == "phone"
    assert f"Case {case.reference} opened." in client.get(url(case)).content.decode()


def test_an_anonymous_complaint_by_phone_shows_its_receipt_code_and_passphrase_once(
    client, csec_guild, people
):
    client.force_login(people["chair"])
    response = client.post("/staff/guild/cases/new", {**PHONE, "anonymous": "on"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.anonymous and case.receipt_code and case.complainant_name == ""
    # Not in the messages cookie: the secret waits server-side.
    assert case.receipt_code not in str(response.cookies.get("messages", ""))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert case.receipt_code in html
    passphrase = page.context["secret"]["passphrase"]
    assert passphrase in html and len(passphrase) >= services.PASSPHRASE_MIN
    assert services.followup_case(case.receipt_code, passphrase) == case
    # Shown once.
    again = client.get(response["Location"]).content.decode()
    assert case.receipt_code not in again and passphrase not in again


def test_a_staff_complaint_lists_every_problem_at_once(client, csec_guild, people):
    client.force_login(people["body_staff"])
    response = client.post(
        "/staff/guild/cases/new",
        {
            "channel": "",
            "complainant_relation": "client",
            "respondent_name": "",
            "respondent_number": "NOPE-1",
            "what_happened": "",
            "happened_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {
        "channel",
        "complainant_name",
        "respondent_name",
        "respondent_number",
        "what_happened",
        "happened_on",
    }
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_what_happened"' in html
    assert not Case.objects.exists()


def test_an_anonymous_complaint_cannot_share_the_identity(client, csec_guild, people):
    client.force_login(people["body_staff"])
    response = client.post(
        "/staff/guild/cases/new", {**PHONE, "anonymous": "on", "consent_to_share": "on"}
    )
    assert response.status_code == 400
    assert "consent_to_share" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_staff_complaint_finds_the_respondent_by_number(client, csec_guild, people, member):
    client.force_login(people["body_staff"])
    response = client.post(
        "/staff/guild/cases/new",
        {**PHONE, "complainant_name": "Pat Doe", "respondent_number": "cgp-0001"},
    )
    assert response.status_code == 302
    assert Case.objects.get().respondent_person == member.holder


def test_a_staff_complaint_when_the_body_takes_none(client, body, people):
    client.force_login(people["body_staff"])
    response = client.post("/staff/guild/cases/new", {**PHONE, "complainant_name": "Pat Doe"})
    assert response.status_code == 400
    assert "does not take complaints through Ombuds" in response.content.decode()


# --- one address per action (issue 10) ------------------------------------------------------------


def test_each_action_has_its_own_address_and_the_page_posts_to_it(client, csec_guild, people):
    case = file_case(csec_guild)
    opened_at = case.version
    client.force_login(people["chair"])
    page = client.get(url(case)).content.decode()
    assert f'action="{url(case, "take")}"' in page
    assert f'action="{url(case, "steps/acknowledge")}"' in page
    # A stale step at the step's own address: refused, the page shown again with the reason.
    services.message_post(case=case, audience="internal", body="Seen.", acting_user=people["chair"])
    response = client.post(url(case, "steps/acknowledge"), {"step-acknowledge-version": opened_at})
    assert response.status_code == 400
    assert "changed since this page was opened" in response.content.decode()
    assert fresh(case).state == "received"
    response = client.post(
        url(case, "steps/acknowledge"), {"step-acknowledge-version": fresh(case).version}
    )
    assert response.status_code == 302 and response["Location"] == url(case)
    assert fresh(case).state == "chair_review"
    # Taking the case, and a note, each at its own address; these only take a POST.
    assert client.post(url(case, "take")).status_code == 302
    assert fresh(case).handler == people["chair"]
    response = client.post(
        url(case, "messages/add"), {"message-audience": "internal", "message-body": "A note."}
    )
    assert response.status_code == 302
    assert client.get(url(case, "take")).status_code == 405
