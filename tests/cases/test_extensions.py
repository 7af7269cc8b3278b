"""A respondent asks for more time, through the procedure: while their deadline to answer runs (CSEC's
`answer`, ESPCC's `cooperation`), "Ask for more time" with the date they ask for and a reason keeps
the case where it is and tells the Chair; the request waits, shown on the staff case page, until the
Chair grants it (the deadline's due date moves, not earlier than it was, and the respondent is told
the new date) or refuses it (the respondent is told). One request waits at a time; the request does
not stop the clock, and it ends with the deadline it asks to move.

The engine's `more_time` steps and their checks, the services, the respondent's page (link and
account) and the staff page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.cases import services
from ombuds.cases.models import Case, CaseDeadline, DeadlineReminder, Document
from ombuds.cases.procedure import (
    PROCEDURES_DIR,
    ProcedureInvalid,
    ProcedureRefused,
    load,
    more_time_key,
    readable_date,
    shipped,
)
from tests.cases.conftest import PDF, file_case, take

pytestmark = pytest.mark.django_db

RESPONDENT = {"respondent"}
LINK = "respondent (link)"


def notified_csec_case(csec) -> Case:
    """A complaint about the member agency, notified to it under Article 5: `answer` runs."""
    case = file_case(csec)
    take(case, "acknowledge", csec.staff)
    take(case, "waive_efforts", csec.chair, waiver_reason="The agency would not talk.")
    case = take(case, "notify_member", csec.chair)
    services.notices_retry()  # the notice goes out by email: delivered, `answer` counts from today
    return case


def notified_espcc_case(espcc) -> Case:
    """A complaint about the holder, asked to cooperate: `cooperation` runs."""
    case = file_case(espcc, citations=["3.2"])
    take(case, "acknowledge", espcc.staff)
    case = take(case, "request_cooperation", espcc.staff)
    services.notices_retry()  # delivered by email: `cooperation` counts from today
    return case


def due(case: Case, name: str = "answer") -> dt.date:
    return case.deadlines.get(name=name, met_at__isnull=True, expired_at__isnull=True).due_on


def ask(case: Case, until: dt.date | str, reason: str = "Our files are with counsel.", **kw):
    """The respondent asks for more time, as their link does."""
    return services.case_step(
        case=case,
        step="ask_more_time",
        roles=RESPONDENT,
        actor_label=kw.pop("actor_label", LINK),
        inputs={"until": until, "reason": reason},
        **kw,
    )


def waiting(case: Case, deadline: str = "answer") -> CaseDeadline | None:
    return case.deadlines.filter(
        name=more_time_key(deadline), met_at__isnull=True, expired_at__isnull=True
    ).first()


def refused(**kwargs) -> str:
    with pytest.raises(services.CaseRefused) as caught:
        services.case_step(**kwargs)
    return str(caught.value)


# --- the procedure files ---------------------------------------------------------------------------


def test_the_procedure_files_still_validate(capsys):
    call_command("procedures", "check", *sorted(str(p) for p in PROCEDURES_DIR.glob("*.toml")))
    out = capsys.readouterr().out
    assert out.count(": ok") == 3


@pytest.mark.parametrize(
    ("key", "deadline"), [("csec-article-5", "answer"), ("espcc-ethics", "cooperation")]
)
def test_both_procedures_let_the_respondent_ask_while_their_answer_runs(key, deadline):
    p = shipped()[key]
    state = {"csec-article-5": "respondent_notified", "espcc-ethics": "cooperation_requested"}[key]
    chair = {"ethics_chair"}
    today = dt.date(2025, 3, 3)
    running = {deadline: today + dt.timedelta(days=30)}
    offered = {t.name for t in p.available(state, RESPONDENT, {}, running)}
    assert "ask_more_time" in offered
    assert not {"grant_more_time", "refuse_more_time"} & {
        t.name for t in p.available(state, chair, {}, running)
    }
    # Not while nothing runs (the callers that pass no deadlines are offered none of these).
    assert "ask_more_time" not in {t.name for t in p.available(state, RESPONDENT, {})}
    # With a request waiting: the respondent cannot ask again, the Chair decides.
    running[more_time_key(deadline)] = running[deadline]
    assert "ask_more_time" not in {t.name for t in p.available(state, RESPONDENT, {}, running)}
    assert {"grant_more_time", "refuse_more_time"} <= {
        t.name for t in p.available(state, chair, {}, running)
    }
    for name in ("ask_more_time", "grant_more_time", "refuse_more_time"):
        t = p.transition(name)
        assert t.target == state and t.sources == (state,)  # the case stays where it is
        assert t.more_time is not None and t.more_time.deadline == deadline


# --- asking -----------------------------------------------------------------------------------------


def test_the_agency_asks_for_more_time_and_the_chair_is_told(csec):
    case = notified_csec_case(csec)
    before = due(case)
    until = before + dt.timedelta(days=21)
    case = ask(case, until)
    assert case.state == "respondent_notified"
    assert due(case) == before  # asking moves nothing
    request = waiting(case)
    assert request is not None and request.due_on == before
    assert readable_date(until) in request.label and "The agency's answer" in request.label
    notice = case.notices.get(template="more_time_asked")
    assert notice.recipient_role == "chair" and notice.recipient_email == csec.chair.email
    assert "Faithful Support Recovery LLC asks for more time" in notice.body
    assert readable_date(until) in notice.body and "Our files are with counsel." in notice.body
    step = Event.objects.filter(action="case.step").latest("seq")
    assert step.data["step"] == "ask_more_time" and step.data["roles"] == ["respondent"]
    assert step.data["inputs"] == {
        "until": until.isoformat(),
        "reason": "Our files are with counsel.",
    }
    assert (
        step.actor_label == LINK and step.data["from"] == step.data["to"] == "respondent_notified"
    )
    assert verify().ok


def test_a_second_request_while_one_waits_is_refused(csec):
    case = ask(notified_csec_case(csec), due(notified_csec_case(csec)) + dt.timedelta(days=10))
    message = refused(
        case=case,
        step="ask_more_time",
        roles=RESPONDENT,
        inputs={"until": due(case) + dt.timedelta(days=20), "reason": "Again."},
    )
    assert message == (
        "“Ask for more time”: a request for more time on “The agency's answer” is already waiting "
        "for a decision"
    )
    assert case.deadlines.filter(name=more_time_key("answer")).count() == 1


@pytest.mark.parametrize("days", [0, -1])
def test_the_date_asked_for_must_be_later_than_the_due_date(csec, days):
    case = notified_csec_case(csec)
    current = due(case)
    message = refused(
        case=case,
        step="ask_more_time",
        roles=RESPONDENT,
        inputs={"until": current + dt.timedelta(days=days), "reason": "Please."},
    )
    assert message == (
        f"The date you ask for must be later than {readable_date(current)}, when “The agency's "
        "answer” is due now"
    )
    assert waiting(case) is None and not case.notices.filter(template="more_time_asked").exists()


def test_a_date_that_is_not_a_date_and_a_missing_reason_are_refused(csec):
    case = notified_csec_case(csec)
    assert (
        refused(
            case=case,
            step="ask_more_time",
            roles=RESPONDENT,
            inputs={"until": "next month", "reason": "Please."},
        )
        == "The date you ask for must be a date (YYYY-MM-DD), not 'next month'"
    )
    later = (due(case) + dt.timedelta(days=5)).isoformat()
    assert (
        refused(
            case=case,
            step="ask_more_time",
            roles=RESPONDENT,
            inputs={"until": later, "reason": " "},
        )
        == "“Ask for more time” needs: Why you need more time"
    )
    # Text as a form sends it is read as the date.
    assert waiting(ask(case, later)).label.endswith(
        f"(asked until {readable_date(dt.date.fromisoformat(later))})"
    )


def test_no_request_without_a_running_deadline(csec):
    case = notified_csec_case(csec)
    case.deadlines.filter(name="answer").update(met_at=timezone.now())
    message = refused(
        case=case,
        step="ask_more_time",
        roles=RESPONDENT,
        inputs={"until": timezone.localdate() + dt.timedelta(days=60), "reason": "Please."},
    )
    assert message == (
        "“Ask for more time” can be taken only while “The agency's answer” is running, and it is not"
    )
    # Nor before the agency was notified: the step is not open in that state.
    early = file_case(csec)
    assert "cannot be taken while the case is at “Received”" in refused(
        case=early,
        step="ask_more_time",
        roles=RESPONDENT,
        inputs={"until": timezone.localdate() + dt.timedelta(days=60), "reason": "Please."},
    )


def test_only_the_respondent_asks(csec):
    case = notified_csec_case(csec)
    message = refused(
        case=case,
        step="ask_more_time",
        acting_user=csec.chair,
        inputs={"until": due(case) + dt.timedelta(days=5), "reason": "For them."},
    )
    assert message == "“Ask for more time” is taken by: respondent"


# --- deciding ---------------------------------------------------------------------------------------


def test_the_chair_grants_more_time_and_the_deadline_moves(csec):
    case = notified_csec_case(csec)
    before = due(case)
    case = ask(case, before + dt.timedelta(days=30))
    answer = case.deadlines.get(name="answer")
    DeadlineReminder.objects.create(deadline=answer, days_before=7)
    granted = before + dt.timedelta(days=14)
    case = take(case, "grant_more_time", csec.chair, until=granted, reason="Two weeks, not four.")
    assert case.state == "respondent_notified"
    answer.refresh_from_db()
    assert answer.due_on == granted and answer.running
    # Reminders count again from the new date.
    assert not answer.reminders.exists()
    assert waiting(case) is None
    assert case.deadlines.get(name=more_time_key("answer")).met_at is not None
    notice = case.notices.get(template="more_time_granted")
    assert (
        notice.recipient_role == "respondent"
        and notice.recipient_email == "office@faithful.example"
    )
    assert f"The new date to answer by is {readable_date(granted)}." in notice.body
    assert "Two weeks, not four." in notice.body
    moved = Event.objects.filter(action="case.deadline_moved").latest("seq")
    assert moved.actor == csec.chair
    assert moved.data == {
        "reference": case.reference,
        "deadline": "answer",
        "label": "The agency's answer",
        "from": before.isoformat(),
        "to": granted.isoformat(),
        "step": "grant_more_time",
    }
    assert Event.objects.filter(action="case.step").latest("seq").data["step"] == "grant_more_time"
    # Another request may follow the decision, against the new date.
    assert "must be later than" in refused(
        case=case,
        step="ask_more_time",
        roles=RESPONDENT,
        inputs={"until": granted, "reason": "More."},
    )
    assert waiting(ask(case, granted + dt.timedelta(days=1))) is not None
    assert verify().ok


def test_the_chair_may_grant_exactly_the_due_date_but_not_earlier(csec):
    case = notified_csec_case(csec)
    current = due(case)
    case = ask(case, current + dt.timedelta(days=10))
    message = refused(
        case=case,
        step="grant_more_time",
        acting_user=csec.chair,
        inputs={"until": current - dt.timedelta(days=1), "reason": "Sooner."},
    )
    assert message == (
        f"New date to answer by cannot be earlier than {readable_date(current)}, when “The agency's "
        "answer” is due now"
    )
    assert due(case) == current and waiting(case) is not None
    assert not Event.objects.filter(action="case.deadline_moved").exists()
    take(case, "grant_more_time", csec.chair, until=current, reason="No more than that.")
    assert due(case) == current and waiting(case) is None


def test_the_chair_refuses_more_time_and_the_agency_is_told(csec):
    case = notified_csec_case(csec)
    current = due(case)
    case = ask(case, current + dt.timedelta(days=10))
    case = take(case, "refuse_more_time", csec.chair, reason="Thirty days is enough.")
    assert case.state == "respondent_notified" and due(case) == current
    assert waiting(case) is None
    notice = case.notices.get(template="more_time_refused")
    assert notice.recipient_role == "respondent"
    assert "Thirty days is enough." in notice.body
    assert f"Please answer by {readable_date(current)}, as before." in notice.body
    assert not Event.objects.filter(action="case.deadline_moved").exists()
    # Decided: they may ask again (one request waits at a time).
    assert waiting(ask(case, current + dt.timedelta(days=5), reason="A new reason.")) is not None


def test_deciding_needs_a_request_and_the_chair(csec):
    case = notified_csec_case(csec)
    later = due(case) + dt.timedelta(days=5)
    assert (
        refused(
            case=case,
            step="grant_more_time",
            acting_user=csec.chair,
            inputs={"until": later, "reason": "Unasked."},
        )
        == "“Grant more time”: no request for more time on “The agency's answer” is waiting"
    )
    assert (
        refused(
            case=case, step="refuse_more_time", acting_user=csec.chair, inputs={"reason": "No."}
        )
        == "“Refuse more time”: no request for more time on “The agency's answer” is waiting"
    )
    case = ask(case, later)
    for user in (csec.investigator, csec.staff, csec.committee):
        assert (
            refused(
                case=case,
                step="grant_more_time",
                acting_user=user,
                inputs={"until": later, "reason": "Yes."},
            )
            == "“Grant more time” is taken by: ethics chair"
        )
    # Nor does the respondent grant itself more time.
    assert (
        refused(
            case=case,
            step="grant_more_time",
            roles=RESPONDENT,
            inputs={"until": later, "reason": "!"},
        )
        == "“Grant more time” is taken by: ethics chair"
    )
    assert waiting(case) is not None


def test_in_espcc_staff_decide_and_the_cooperation_deadline_moves(espcc):
    case = notified_espcc_case(espcc)
    current = due(case, "cooperation")
    case = ask(case, current + dt.timedelta(days=14), reason="I am in hospital.")
    assert waiting(case, "cooperation") is not None
    assert case.notices.get(template="more_time_asked").recipient_email == espcc.chair.email
    case = take(
        case,
        "grant_more_time",
        espcc.staff,
        until=current + dt.timedelta(days=14),
        reason="Get well.",
    )
    assert due(case, "cooperation") == current + dt.timedelta(days=14)
    assert case.state == "cooperation_requested"
    ask(case, current + dt.timedelta(days=30))
    case = take(case, "refuse_more_time", espcc.chair, reason="Enough.")
    refusal = case.notices.get(template="more_time_refused")
    assert f"Please answer by {readable_date(current + dt.timedelta(days=14))}, as before." in (
        refusal.body
    )


# --- the request ends with its deadline -----------------------------------------------------------


def test_opening_the_investigation_ends_the_request(csec):
    case = notified_csec_case(csec)
    case = ask(case, due(case) + dt.timedelta(days=10))
    services.respondent_answer(case=case, body="Our answer, early after all.", files=[])
    case = take(case, "investigate", csec.investigator)
    assert case.state == "investigation"
    assert waiting(case) is None
    assert not case.deadlines.filter(met_at__isnull=True, name__startswith="answer").exists()


def test_the_request_lapses_when_the_answer_deadline_passes(csec):
    case = notified_csec_case(csec)
    current = due(case)
    case = ask(case, current + dt.timedelta(days=10))
    counts = services.deadlines_tick(today=current + dt.timedelta(days=1))
    assert counts["steps taken"] == 1
    case.refresh_from_db()
    assert case.state == "investigation"
    assert waiting(case) is None
    assert case.deadlines.get(name=more_time_key("answer")).expired_at is not None
    assert case.notices.filter(template="no_answer").exists()


def test_dismissing_ends_the_request(csec):
    case = notified_csec_case(csec)
    case = ask(case, due(case) + dt.timedelta(days=10))
    case = take(case, "dismiss", csec.chair, ground="withdrawn", reasons="Withdrawn.")
    assert not case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True).exists()


# --- the engine's checks of a file ------------------------------------------------------------------

FILE = """\
[procedure]
key = "t"
name = "T"
initial = "open"

[states.open]
label = "Open"

[states.closed]
label = "Closed"
final = true

[deadlines.answer]
label = "Answer"
days = 10

[[transitions]]
name = "ask"
label = "Ask"
from = ["open"]
to = "open"
roles = ["respondent"]
more_time = { deadline = "answer", action = "ask", date = "until" }
inputs = [{ name = "until", kind = "date", label = "Until" }]

[[transitions]]
name = "close"
label = "Close"
from = ["open"]
to = "closed"
roles = ["ethics_chair"]
stops = ["*"]
"""
MORE_TIME = 'more_time = { deadline = "answer", action = "ask", date = "until" }'


def problems(text: str) -> list[str]:
    with pytest.raises(ProcedureInvalid) as caught:
        load(text)
    return caught.value.problems


def test_a_valid_more_time_step_loads():
    t = load(FILE).transition("ask")
    assert (t.more_time.deadline, t.more_time.action, t.more_time.date) == (
        "answer",
        "ask",
        "until",
    )


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (
            'more_time = { deadline = "reply", action = "ask", date = "until" }',
            "<procedure>: step ask: more_time: no deadline called 'reply'",
        ),
        (
            'more_time = { deadline = "answer", action = "extend", date = "until" }',
            "<procedure>: transition 1 (ask) more_time: action 'extend' is not one of ask, grant, "
            "refuse",
        ),
        (
            'more_time = { deadline = "answer", action = "grant" }',
            "<procedure>: transition 1 (ask) more_time: to grant, name the step's date input in "
            "'date'",
        ),
        (
            'more_time = { deadline = "answer", action = "refuse", date = "until" }',
            "<procedure>: transition 1 (ask) more_time: a refusal moves no date: leave out 'date'",
        ),
        (
            'more_time = { deadline = "answer", action = "ask", date = "when" }',
            "<procedure>: step ask: more_time: 'when' is not a required date input of the step",
        ),
        (
            'more_time = { action = "ask", date = "until", days = 3 }',
            "<procedure>: transition 1 (ask) more_time: unknown key 'days' (allowed: action, date, "
            "deadline)",
        ),
        (
            'more_time = "answer"',
            "<procedure>: transition 1 (ask) more_time: must be a table: { deadline = ..., "
            "action = ... }",
        ),
        (
            MORE_TIME + '\nstops = ["answer"]',
            "<procedure>: step ask: more_time: the step stops 'answer', the deadline it is about",
        ),
    ],
    ids=[
        "unknown deadline",
        "unknown action",
        "grant without a date",
        "refusal with a date",
        "date not an input",
        "unknown key",
        "not a table",
        "stops its own deadline",
    ],
)
def test_a_broken_more_time_step_is_named_with_where_it_is(new, expected):
    assert expected in problems(FILE.replace(MORE_TIME, new))


def test_the_date_of_a_more_time_step_must_be_a_required_date_input():
    text = FILE.replace('kind = "date", label = "Until" }', 'kind = "text", label = "Until" }')
    assert problems(text) == [
        "<procedure>: step ask: more_time: 'until' is not a required date input of the step"
    ]
    text = FILE.replace('label = "Until" }', 'label = "Until", required = false }')
    assert problems(text) == [
        "<procedure>: step ask: more_time: 'until' is not a required date input of the step"
    ]


def test_the_clock_does_not_ask_for_more_time():
    text = FILE.replace('roles = ["respondent"]', 'roles = ["system"]')
    assert (
        "<procedure>: step ask: more_time: the clock does not ask for more time or decide on it"
        in (problems(text))
    )


def test_the_engine_checks_dates_against_the_running_deadline():
    p = load(FILE)
    due_on = dt.date(2025, 3, 31)
    running = {"answer": due_on}
    with pytest.raises(ProcedureRefused, match="Until must be later than 31 March 2025"):
        p.check(
            "open", "ask", roles=RESPONDENT, facts={}, inputs={"until": due_on}, running=running
        )
    with pytest.raises(ProcedureRefused, match="is running, and it is not"):
        p.check("open", "ask", roles=RESPONDENT, facts={}, inputs={"until": "2025-04-30"})
    t = p.check(
        "open", "ask", roles=RESPONDENT, facts={}, inputs={"until": "2025-04-30"}, running=running
    )
    assert t.name == "ask"


# --- the respondent's page ---------------------------------------------------------------------------


def _link(case: Case) -> str:
    return f"/respond/{services.respondent_link_issue(case)}/"


def test_the_respondent_asks_for_more_time_on_their_page(client, csec):
    case = notified_csec_case(csec)
    url = _link(case)
    page = client.get(url).content.decode()
    assert 'name="step" value="ask_more_time"' in page
    assert 'type="date" id="step-ask_more_time-until" name="until"' in page
    until = due(case) + dt.timedelta(days=20)
    response = client.post(
        url,
        {
            "step": "ask_more_time",
            "version": str(case.version),
            "until": until.isoformat(),
            "reason": "Our records are at the auditors.",
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    assert waiting(case) is not None
    follow = client.get(url).content.decode()
    assert "Done: the body has been told." in follow
    assert "You asked for more time on “The agency&#x27;s answer”" in follow
    assert "CSEC has not decided yet" in follow
    assert 'value="ask_more_time"' not in follow  # one request at a time
    step = Event.objects.filter(action="case.step").latest("seq")
    assert step.actor is None and step.actor_label == LINK
    # Sent again from the old page: refused with the reason, nothing more.
    again = client.post(
        url,
        {
            "step": "ask_more_time",
            "version": str(Case.objects.get(pk=case.pk).version),
            "until": until.isoformat(),
            "reason": "Again.",
        },
    )
    assert again.status_code == 400
    assert "is already waiting for a decision" in again.content.decode()
    assert case.deadlines.filter(name=more_time_key("answer")).count() == 1


def test_a_date_earlier_than_due_is_refused_on_the_page_with_what_was_typed(client, csec):
    case = notified_csec_case(csec)
    url = _link(case)
    response = client.post(
        url,
        {
            "step": "ask_more_time",
            "version": str(case.version),
            "until": due(case).isoformat(),
            "reason": "Our records are at the auditors.",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "must be later than" in html and "Our records are at the auditors." in html
    assert waiting(case) is None


def test_the_respondent_sees_the_new_date_once_granted(client, csec):
    case = notified_csec_case(csec)
    url = _link(case)
    granted = due(case) + dt.timedelta(days=14)
    case = ask(case, granted)
    take(case, "grant_more_time", csec.chair, until=granted, reason="Granted.")
    page = client.get(url).content.decode()
    assert f"by {readable_date(granted)}" in page
    assert "has not decided yet" not in page
    assert 'value="ask_more_time"' in page


def test_the_holder_asks_from_the_account_and_the_record_names_them(
    client, espcc, django_user_model
):
    user = django_user_model.objects.create_user(
        "jordan", "jordan@cesp.example", "pw", first_name="Jordan", last_name="Holder"
    )
    espcc.holder.user = user
    espcc.holder.save(update_fields=["user"])
    case = notified_espcc_case(espcc)
    client.force_login(user)
    page = f"/me/cases/{case.reference}/"
    until = due(case, "cooperation") + dt.timedelta(days=10)
    response = client.post(
        page,
        {
            "step": "ask_more_time",
            "version": str(case.version),
            "until": until.isoformat(),
            "reason": "Travelling for work.",
        },
    )
    assert response.status_code == 302 and response["Location"] == page
    step = Event.objects.filter(action="case.step").latest("seq")
    assert step.data["step"] == "ask_more_time"
    assert step.actor == user and step.actor_label == "Jordan Holder (respondent, signed in)"
    assert "You asked for more time" in client.get(page).content.decode()


# --- documents on the respondent's page ---------------------------------------------------------------


def test_each_page_lists_the_documents_once_under_its_own_addresses(
    client, espcc, django_user_model
):
    user = django_user_model.objects.create_user("jordan", "jordan@cesp.example", "pw")
    espcc.holder.user = user
    espcc.holder.save(update_fields=["user"])
    case = notified_espcc_case(espcc)
    shared = services.document_add(
        case=case,
        name="request.pdf",
        data=PDF,
        kind="request",
        visibility=Document.Visibility.RESPONDENT,
        acting_user=espcc.staff,
    )
    token = services.respondent_link_issue(case)
    by_link = client.get(f"/respond/{token}/").content.decode()
    assert f'href="/respond/{token}/documents/{shared.token}"' in by_link
    assert by_link.count(">Documents</h2>") == 1
    client.force_login(user)
    by_account = client.get(f"/me/cases/{case.reference}/").content.decode()
    assert f'href="/me/cases/{case.reference}/documents/{shared.token}"' in by_account
    assert by_account.count(">Documents</h2>") == 1
    assert f"/respond/{token}/" not in by_account


# --- the staff page -------------------------------------------------------------------------------------


def _staff(case: Case) -> str:
    return f"/staff/{case.organization.slug}/cases/{case.reference}/"


def test_the_staff_page_shows_the_waiting_request_and_the_chair_grants_it(client, csec):
    case = notified_csec_case(csec)
    current = due(case)
    asked = current + dt.timedelta(days=21)
    case = ask(case, asked, reason="Our files are with counsel.")
    client.force_login(csec.investigator)
    page = client.get(_staff(case)).content.decode()
    assert ">Waiting for a decision</h2>" in page
    assert "A request for more time on “The agency&#x27;s answer”" in page
    assert f"from {LINK}" in page and "Our files are with counsel." in page
    assert readable_date(asked) in page and readable_date(current) in page
    assert 'value="step:grant_more_time"' not in page  # the investigator does not decide

    client.force_login(csec.chair)
    page = client.get(_staff(case)).content.decode()
    assert 'value="step:grant_more_time"' in page and 'value="step:refuse_more_time"' in page
    early = client.post(
        _staff(case),
        {
            "action": "step:grant_more_time",
            "step-grant_more_time-version": case.version,
            "step-grant_more_time-until": (current - dt.timedelta(days=1)).isoformat(),
            "step-grant_more_time-reason": "Sooner.",
        },
    )
    assert early.status_code == 400
    assert "cannot be earlier than" in early.content.decode()
    granted = current + dt.timedelta(days=14)
    response = client.post(
        _staff(case),
        {
            "action": "step:grant_more_time",
            "step-grant_more_time-version": case.version,
            "step-grant_more_time-until": granted.isoformat(),
            "step-grant_more_time-reason": "Two weeks.",
        },
    )
    assert response.status_code == 302
    assert due(case) == granted
    page = client.get(_staff(case)).content.decode()
    assert ">Waiting for a decision</h2>" not in page
    assert (
        f"Deadline moved: The agency&#x27;s answer, due {current.isoformat()} → {granted.isoformat()}"
        in page
    )


def test_the_chair_refuses_on_the_staff_page(client, csec):
    case = notified_csec_case(csec)
    case = ask(case, due(case) + dt.timedelta(days=21))
    client.force_login(csec.chair)
    response = client.post(
        _staff(case),
        {
            "action": "step:refuse_more_time",
            "step-refuse_more_time-version": case.version,
            "step-refuse_more_time-reason": "Thirty days is enough.",
        },
    )
    assert response.status_code == 302
    assert waiting(case) is None
    assert case.notices.filter(template="more_time_refused").exists()


def test_a_waiting_request_costs_the_staff_page_no_query(client, csec):
    """The request and what was asked are read from what the page loads anyway (the deadlines, the
    timeline): the bound of tests/cases/test_staff_pages.py holds whatever waits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = notified_csec_case(csec)
    client.force_login(csec.chair)
    client.get(_staff(case))  # the session and the like, once
    with CaptureQueriesContext(connection) as before:
        assert client.get(_staff(case)).status_code == 200
    case = ask(case, due(case) + dt.timedelta(days=21))
    with CaptureQueriesContext(connection) as waiting_now:
        page = client.get(_staff(case))
    assert ">Waiting for a decision</h2>" in page.content.decode()
    assert len(waiting_now) == len(before)


# --- the wording ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["more_time_asked", "more_time_granted", "more_time_refused"])
def test_the_new_notices_preview_with_the_date_written_out(client, csec, name):
    import html

    from django.urls import reverse

    file_case(csec)
    client.force_login(csec.chair)
    url = reverse("cases_staff:notice_template", kwargs={"org": csec.org.slug, "name": name})
    response = client.get(url)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    if name != "more_time_refused":
        # The sample date of the preview (today, as text) is written out as a date.
        assert readable_date(timezone.localdate()) in page


def test_the_staff_api_lists_the_decision_once_the_respondent_asked(client, csec):
    """The API's list of steps open to the token's user knows the running deadlines, as the page
    does: "Grant more time" appears once the respondent asked, not before."""
    from ombuds.bodies.models import BodyRole
    from ombuds.register.tokens import token_create

    chair = csec.chair
    BodyRole.objects.get_or_create(user=chair, organization=csec.org, role="administrator")
    token = token_create(user=chair, organization=csec.org, name="case sync")[1]
    case = notified_csec_case(csec)

    def steps() -> set[str]:
        response = client.get(
            f"/api/v1/bodies/{csec.org.slug}/cases/{case.reference}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        return {s["name"] for s in response.json()["steps"]}

    assert "grant_more_time" not in steps()
    ask(case, due(case) + dt.timedelta(days=20))
    assert {"grant_more_time", "refuse_more_time"} <= steps()
