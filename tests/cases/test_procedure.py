"""The procedure engine (ombuds/cases/procedure.py): the shipped procedures, the steps they allow
and refuse and to whom, deadlines, and every problem a procedure file can have. Pure Python: no
database."""

from __future__ import annotations

import datetime as dt
from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombuds.cases.procedure import (
    FACTS,
    Deadline,
    Procedure,
    ProcedureInvalid,
    ProcedureRefused,
    load,
    problems_in,
    shipped,
)

CHAIR = {"ethics_chair"}
STAFF = {"staff"}
ADMIN = {"administrator"}
COMMITTEE = {"committee_member"}
INVESTIGATOR = {"investigator"}
RESPONDENT = {"respondent"}
COMPLAINANT = {"complainant"}
PERSONAS = {
    "chair": CHAIR,
    "staff": STAFF,
    "administrator": ADMIN,
    "committee member": COMMITTEE,
    "investigator": INVESTIGATOR,
    "respondent": RESPONDENT,
    "complainant": COMPLAINANT,
}

MEMBER_FACT = FACTS["respondent_is_member"]
EFFORTS_FACT = FACTS["efforts_settled"]


@pytest.fixture(scope="module")
def csec() -> Procedure:
    return shipped()["csec-article-5"]


@pytest.fixture(scope="module")
def espcc() -> Procedure:
    return shipped()["espcc-ethics"]


def offered(p: Procedure, state: str, roles: set[str], facts: dict[str, bool]) -> set[str]:
    return {t.name for t in p.available(state, roles, facts)}


def refusal(p: Procedure, state: str, step: str, **kwargs) -> str:
    kwargs.setdefault("roles", CHAIR)
    kwargs.setdefault("facts", {})
    with pytest.raises(ProcedureRefused) as caught:
        p.check(state, step, **kwargs)
    return str(caught.value)


# --- the shipped procedures ----------------------------------------------------------------------


def test_both_shipped_procedures_load():
    procedures = shipped()
    assert set(procedures) == {"community-ladder", "csec-article-5", "espcc-ethics"}
    for p in procedures.values():
        assert p.states[p.initial]
        assert any(s.final for s in p.states.values())
        assert problems_in(p.source) == []


def test_every_step_into_a_final_state_stops_every_deadline():
    # A closed case must not keep a deadline running (reminders to the Chair about a closed case).
    for p in shipped().values():
        for t in p.transitions:
            if p.states[t.target].final:
                assert t.stops == ("*",), f"{p.key}: {t.name}"


def test_every_notice_the_shipped_procedures_send_has_default_wording():
    # Django's app registry is set up by pytest-django; no database is touched.
    from ombuds.cases.notices import DEFAULTS

    for p in shipped().values():
        for t in p.transitions:
            for e in t.effects:
                if e.kind == "notice":
                    assert e.template in DEFAULTS, f"{p.key}: {t.name}: {e.template}"


# The member path through Article 5, one step at a time: (state, step, who takes it, facts that have
# become true before it, inputs, the state it leads to).
MEMBER_WALK = [
    ("received", "acknowledge", STAFF, {"respondent_is_member": True}, {}, "chair_review"),
    (
        "chair_review",
        "request_efforts",
        CHAIR,
        {"acknowledged": True},
        {"message": "Copies of your letters to the agency and its replies."},
        "awaiting_efforts",
    ),
    (
        "awaiting_efforts",
        "efforts_received",
        STAFF,
        {},
        {"efforts_proof": "letters.pdf"},
        "chair_review",
    ),
    ("chair_review", "notify_member", CHAIR, {"efforts_settled": True}, {}, "respondent_notified"),
    (
        "respondent_notified",
        "investigate",
        INVESTIGATOR,
        {"respondent_answered": True},
        {},
        "investigation",
    ),
    (
        "investigation",
        "to_committee",
        INVESTIGATOR,
        {},
        {"summary": "The agency kept the overpayment for eight months."},
        "committee",
    ),
    (
        "committee",
        "uphold",
        COMMITTEE,
        {"all_determined": True, "any_upheld": True},
        {},
        "sanction",
    ),
    ("sanction", "impose_sanction", CHAIR, {"sanction_chosen": True}, {}, "appeal_window"),
    (
        "appeal_window",
        "lodge_appeal",
        RESPONDENT,
        {},
        {"grounds": "The committee did not read our answer."},
        "appeal",
    ),
    (
        "appeal",
        "appeal_dismissed",
        COMMITTEE,
        {},
        {"reasons": "The answer was read and considered."},
        "closed",
    ),
]

# What each persona is offered in each state of the member walk (facts as they stand there).
MEMBER_OFFERS = {
    "received": {
        "chair": {"acknowledge", "dismiss"},
        "staff": {"acknowledge"},
        "administrator": {"acknowledge"},
    },
    "chair_review (efforts not settled)": {
        "chair": {"dismiss", "request_efforts", "waive_efforts"}
    },
    "awaiting_efforts": {
        "chair": {"dismiss", "efforts_received", "waive_efforts"},
        "staff": {"efforts_received"},
        # The complainant sends the proof from their own page (ombuds.cases.complainant_page).
        "complainant": {"efforts_received"},
    },
    "chair_review (efforts settled)": {"chair": {"dismiss", "notify_member"}},
    "respondent_notified": {
        "chair": {"dismiss", "investigate"},
        "investigator": {"investigate"},
    },
    "investigation": {"chair": {"to_committee"}, "investigator": {"to_committee"}},
    "committee": {"chair": {"uphold"}, "committee member": {"uphold"}},
    "sanction": {"chair": {"impose_sanction"}, "committee member": {"impose_sanction"}},
    "appeal_window": {
        "chair": {"lodge_appeal"},
        "staff": {"lodge_appeal"},
        "respondent": {"lodge_appeal"},
    },
    "appeal": {
        "chair": {"appeal_allowed", "appeal_dismissed"},
        "committee member": {"appeal_allowed", "appeal_dismissed"},
    },
    "closed": {},
}


def test_csec_member_case_end_to_end(csec):
    facts: dict[str, bool] = {}
    state = csec.initial
    visits: list[str] = []
    for source, step, roles, new_facts, inputs, target in MEMBER_WALK:
        assert state == source
        facts.update(new_facts)
        key = state
        if state == "chair_review":
            key += (
                " (efforts settled)" if facts.get("efforts_settled") else " (efforts not settled)"
            )
        visits.append(key)
        for persona, persona_roles in PERSONAS.items():
            expected = MEMBER_OFFERS[key].get(persona, set())
            assert offered(csec, state, persona_roles, facts) == expected, (key, persona)
        taken = csec.check(state, step, roles=roles, facts=facts, inputs=inputs)
        assert taken.name == step
        assert taken.target == target
        state = taken.target
    assert state == "closed"
    assert csec.states[state].final
    for persona_roles in PERSONAS.values():
        assert csec.available(state, persona_roles, facts) == []
    visits.append("closed")
    assert visits == list(MEMBER_OFFERS)


def test_csec_member_walk_starts_and_stops_its_deadlines(csec):
    assert csec.starts_on_filing == ("acknowledge",)
    deadlines = {t.name: (t.starts, t.stops) for t in csec.transitions}
    assert deadlines["acknowledge"] == (("feedback",), ("acknowledge",))
    assert deadlines["request_efforts"] == (("efforts",), ())
    assert deadlines["efforts_received"] == ((), ("efforts",))
    assert deadlines["waive_efforts"] == ((), ("efforts",))
    assert deadlines["notify_member"] == (("answer",), ())
    assert deadlines["investigate"] == ((), ("answer",))
    assert deadlines["impose_sanction"] == (("appeal",), ())
    assert deadlines["lodge_appeal"] == ((), ("appeal",))
    assert csec.deadlines["answer"].on_expiry.take == "no_answer"
    assert csec.deadlines["appeal"].on_expiry.take == "appeal_period_ended"


def test_the_agency_has_no_answer_by_the_deadline(csec):
    # The clock moves the case on without the agency's answer, and tells the Chair.
    t = csec.check(
        "respondent_notified", "no_answer", roles={"system"}, facts={"respondent_is_member": True}
    )
    assert t.target == "investigation"
    assert [(e.kind, e.to, e.template) for e in t.effects] == [("notice", ("chair",), "no_answer")]


# --- proof of efforts to resolve (members only) --------------------------------------------------


def test_notify_member_is_refused_until_efforts_are_settled(csec):
    facts = {"respondent_is_member": True, "acknowledged": True}
    message = refusal(csec, "chair_review", "notify_member", facts=facts)
    assert message == f"“Notify the member agency” needs: {EFFORTS_FACT}"
    assert "notify_member" not in offered(csec, "chair_review", CHAIR, facts)
    t = csec.check(
        "chair_review", "notify_member", roles=CHAIR, facts={**facts, "efforts_settled": True}
    )
    assert t.target == "respondent_notified"
    assert {(e.template, e.to) for e in t.effects} == {
        ("allegations", ("respondent",)),
        ("progress", ("complainant",)),
    }


def test_notify_member_is_only_for_the_chair(csec):
    facts = {"respondent_is_member": True, "efforts_settled": True}
    assert (
        refusal(csec, "chair_review", "notify_member", roles=STAFF, facts=facts)
        == "“Notify the member agency” is taken by: ethics chair"
    )


@pytest.mark.parametrize("source", ["awaiting_efforts", "chair_review"])
def test_waiving_the_proof_needs_a_reason(csec, source):
    facts = {"respondent_is_member": True}
    for inputs in ({}, {"waiver_reason": ""}, {"waiver_reason": "   "}, {"waiver_reason": None}):
        message = refusal(csec, source, "waive_efforts", facts=facts, inputs=inputs)
        assert message == "“Waive the proof of efforts” needs: Why the proof is waived"
    t = csec.check(
        source,
        "waive_efforts",
        roles=CHAIR,
        facts=facts,
        inputs={"waiver_reason": "The agency refused to take the complainant's calls."},
    )
    assert t.target == "chair_review"
    assert t.stops == ("efforts",)


def test_only_the_chair_waives_the_proof(csec):
    facts = {"respondent_is_member": True}
    assert "waive_efforts" not in offered(csec, "awaiting_efforts", STAFF, facts)
    assert (
        refusal(
            csec,
            "awaiting_efforts",
            "waive_efforts",
            roles=STAFF,
            facts=facts,
            inputs={"waiver_reason": "x"},
        )
        == "“Waive the proof of efforts” is taken by: ethics chair"
    )


def test_settled_efforts_are_not_asked_for_or_waived_again(csec):
    facts = {"respondent_is_member": True, "efforts_settled": True}
    assert offered(csec, "chair_review", CHAIR, facts) == {"dismiss", "notify_member"}
    message = refusal(
        csec, "chair_review", "waive_efforts", facts=facts, inputs={"waiver_reason": "x"}
    )
    assert message == f"“Waive the proof of efforts” needs: not: {EFFORTS_FACT}"
    message = refusal(csec, "chair_review", "request_efforts", facts=facts, inputs={"message": "x"})
    assert message == f"“Ask for proof of efforts to resolve” needs: not: {EFFORTS_FACT}"


def test_the_proof_itself_is_required_and_a_note_is_not(csec):
    facts = {"respondent_is_member": True}
    message = refusal(csec, "awaiting_efforts", "efforts_received", roles=STAFF, facts=facts)
    assert message == "“Record the proof of efforts” needs: Proof of efforts to resolve"
    t = csec.check(
        "awaiting_efforts",
        "efforts_received",
        roles=STAFF,
        facts=facts,
        inputs={"efforts_proof": "emails.pdf"},
    )
    assert t.target == "chair_review"


def test_asking_for_proof_needs_the_message(csec):
    facts = {"respondent_is_member": True}
    message = refusal(csec, "chair_review", "request_efforts", facts=facts)
    assert (
        message == "“Ask for proof of efforts to resolve” needs: What the complainant is asked for"
    )


# --- agencies that are not members --------------------------------------------------------------


def test_non_member_agency_is_notified_without_proof_of_efforts(csec):
    facts = {"respondent_is_member": False, "acknowledged": True}
    assert offered(csec, "chair_review", CHAIR, facts) == {"dismiss", "notify_agency", "refer"}
    assert refusal(
        csec, "chair_review", "request_efforts", facts=facts, inputs={"message": "x"}
    ) == (f"“Ask for proof of efforts to resolve” needs: {MEMBER_FACT}")
    assert refusal(csec, "chair_review", "notify_member", facts=facts) == (
        f"“Notify the member agency” needs: {MEMBER_FACT}; {EFFORTS_FACT}"
    )
    t = csec.check("chair_review", "notify_agency", roles=CHAIR, facts=facts)
    assert t.target == "respondent_notified"
    assert t.starts == ("answer",)


def test_a_member_agency_is_not_notified_as_a_non_member(csec):
    facts = {"respondent_is_member": True, "efforts_settled": True}
    assert refusal(csec, "chair_review", "notify_agency", facts=facts) == (
        f"“Notify the agency (not a member)” needs: not: {MEMBER_FACT}"
    )


def test_non_member_can_be_referred_or_closed(csec):
    facts = {"respondent_is_member": False}
    assert offered(csec, "respondent_notified", CHAIR, facts) == {
        "dismiss",
        "refer",
        "close_non_member",
    }
    assert offered(csec, "investigation", CHAIR, facts) == {
        "to_committee",
        "refer",
        "close_non_member",
    }
    assert offered(csec, "investigation", INVESTIGATOR, facts) == {"to_committee"}
    message = refusal(csec, "investigation", "refer", facts=facts, inputs={"reasons": "x"})
    assert message == "“Refer to another authority” needs: Referred to"
    t = csec.check(
        "investigation",
        "refer",
        roles=CHAIR,
        facts=facts,
        inputs={"referred_to": "The state licensing board", "reasons": "It licenses agencies."},
    )
    assert (t.target, t.stops) == ("referred", ("*",))
    message = refusal(csec, "respondent_notified", "close_non_member", facts=facts)
    assert message == "“Close (agency not a member)” needs: Outcome given to the complainant"
    t = csec.check(
        "respondent_notified",
        "close_non_member",
        roles=CHAIR,
        facts=facts,
        inputs={"reasons": "The agency repaid the overpayment."},
    )
    assert (t.target, t.stops) == ("closed", ("*",))
    assert {e.kind for e in t.effects} == {"notice", "checkin"}


def test_a_member_is_neither_referred_nor_closed_as_a_non_member(csec):
    facts = {"respondent_is_member": True}
    inputs = {"referred_to": "x", "reasons": "x"}
    assert refusal(csec, "investigation", "refer", facts=facts, inputs=inputs) == (
        f"“Refer to another authority” needs: not: {MEMBER_FACT}"
    )
    assert refusal(csec, "investigation", "close_non_member", facts=facts, inputs=inputs) == (
        f"“Close (agency not a member)” needs: not: {MEMBER_FACT}"
    )


def test_committee_records_findings_on_a_non_member_but_cannot_sanction(csec):
    facts = {"respondent_is_member": False, "all_determined": True, "any_upheld": True}
    for roles in (CHAIR, COMMITTEE):
        assert offered(csec, "committee", roles, facts) == {"findings_non_member"}
    message = refusal(csec, "committee", "uphold", roles=COMMITTEE, facts=facts)
    assert message == f"“Allegations upheld: go on to the sanction” needs: {MEMBER_FACT}"
    t = csec.check(
        "committee",
        "findings_non_member",
        roles=COMMITTEE,
        facts=facts,
        inputs={"reasons": "Allegation 1 is upheld."},
    )
    assert t.target == "closed"
    assert "register" not in {e.kind for e in t.effects}
    # Findings need every allegation determined first.
    message = refusal(
        csec,
        "committee",
        "findings_non_member",
        roles=COMMITTEE,
        facts={**facts, "all_determined": False},
        inputs={"reasons": "x"},
    )
    assert message == (
        f"“Record the findings (agency not a member: no sanction)” needs: {FACTS['all_determined']}"
    )


def test_no_path_puts_a_non_member_on_the_register(csec):
    # Every step a case about a non-member could ever take: none can follow a step that needs
    # membership, so the sanction (and the register effect it imposes) is out of reach.
    possible = [t for t in csec.transitions if "respondent_is_member" not in t.when]
    reachable, queue = {csec.initial}, deque([csec.initial])
    while queue:
        state = queue.popleft()
        for t in possible:
            if state in t.sources and t.target not in reachable:
                reachable.add(t.target)
                queue.append(t.target)
    assert {"sanction", "appeal_window", "appeal"}.isdisjoint(reachable)
    assert {"closed", "dismissed", "referred", "committee"} <= reachable
    for t in possible:
        if any(s in reachable for s in t.sources):
            for e in t.effects:
                assert e.kind != "register" or "respondent_is_member" in e.when, t.name
    # And the steps with a register effect (the sanction waits for the appeal window) ask for
    # membership themselves as well.
    register = [t for t in csec.transitions if any(e.kind == "register" for e in t.effects)]
    assert [t.name for t in register] == ["appeal_period_ended", "appeal_dismissed"]
    for t in register:
        assert [e.when for e in t.effects if e.kind == "register"] == [("respondent_is_member",)]


# --- dismissals ----------------------------------------------------------------------------------

DISMISSAL = {"ground": "withdrawn", "reasons": "The complainant withdrew the complaint."}


@pytest.mark.parametrize(
    "source", ["received", "chair_review", "awaiting_efforts", "respondent_notified"]
)
@pytest.mark.parametrize("ground", ["outside the code", "withdrawn", "insufficient information"])
def test_dismissal_from_an_early_state(csec, source, ground):
    t = csec.check(
        source,
        "dismiss",
        roles=CHAIR,
        facts={"respondent_is_member": True},
        inputs={**DISMISSAL, "ground": ground},
    )
    assert (t.target, t.stops) == ("dismissed", ("*",))
    assert "dismiss" in offered(csec, source, CHAIR, {"respondent_is_member": True})


def test_dismissal_ground_must_be_one_of_the_choices(csec):
    message = refusal(csec, "received", "dismiss", inputs={**DISMISSAL, "ground": "tired of it"})
    assert message == (
        "Ground must be one of: outside the code, withdrawn, insufficient information "
        "(not 'tired of it')"
    )
    message = refusal(csec, "received", "dismiss", inputs={"reasons": "x"})
    assert message == "“Dismiss the complaint” needs: Ground"
    message = refusal(csec, "received", "dismiss", inputs={"ground": "withdrawn"})
    assert message == "“Dismiss the complaint” needs: Reasons given to the complainant"


@pytest.mark.parametrize("state", ["investigation", "committee", "sanction", "appeal"])
def test_no_dismissal_once_the_case_is_investigated(csec, state):
    message = refusal(csec, state, "dismiss", inputs=DISMISSAL)
    assert message == (
        f"“Dismiss the complaint” cannot be taken while the case is at "
        f"“{csec.states[state].label}”; only from: Received, With the Chair, "
        "Waiting for proof of efforts to resolve, Agency notified"
    )
    assert "dismiss" not in offered(csec, state, CHAIR, {})


def test_only_the_chair_dismisses(csec):
    assert refusal(csec, "received", "dismiss", roles=STAFF | ADMIN, inputs=DISMISSAL) == (
        "“Dismiss the complaint” is taken by: ethics chair"
    )


# --- refusals ------------------------------------------------------------------------------------


def test_wrong_state_says_where_the_step_can_be_taken(csec):
    message = refusal(csec, "committee", "acknowledge")
    assert message == (
        "“Acknowledge and review” cannot be taken while the case is at “Before the Ethics Committee”; "
        "only from: Received"
    )
    message = refusal(csec, "closed", "lodge_appeal", inputs={"grounds": "x"})
    assert message == (
        "“Lodge an appeal” cannot be taken while the case is at “Closed”; "
        "only from: Decided, open to appeal"
    )


def test_wrong_role_names_the_roles(csec):
    message = refusal(csec, "appeal_window", "lodge_appeal", roles=COMMITTEE)
    assert message == "“Lodge an appeal” is taken by: respondent, ethics chair, staff"
    message = refusal(csec, "received", "acknowledge", roles=set())
    assert message == "“Acknowledge and review” is taken by: ethics chair, staff, administrator"
    message = refusal(csec, "appeal_window", "lodge_appeal", roles=COMPLAINANT)
    assert message.startswith("“Lodge an appeal” is taken by:")


@pytest.mark.parametrize(
    ("state", "step"),
    [("respondent_notified", "no_answer"), ("appeal_window", "appeal_period_ended")],
)
def test_automatic_steps_are_not_taken_by_hand(csec, state, step):
    everyone = set().union(*PERSONAS.values())
    message = refusal(csec, state, step, roles=everyone)
    assert message == f"“{csec.transition(step).label}” is taken by the deadline clock, not by hand"
    for roles in (*PERSONAS.values(), {"system"}):
        assert step not in offered(csec, state, roles, {"respondent_is_member": True})
    assert csec.check(state, step, roles={"system"}, facts={}).name == step


def test_unknown_step_and_unknown_state(csec):
    assert refusal(csec, "received", "fast_track") == (
        "CSEC complaint procedure (Article 5) has no step called 'fast_track'"
    )
    assert refusal(csec, "limbo", "acknowledge") == (
        "CSEC complaint procedure (Article 5) has no state called 'limbo'"
    )
    with pytest.raises(ProcedureRefused):
        csec.transition("fast_track")
    assert csec.available("limbo", CHAIR, {}) == []


def test_inputs_that_are_not_required_may_be_left_out(csec):
    t = csec.check(
        "investigation", "to_committee", roles=CHAIR, facts={}, inputs={"summary": "Short."}
    )
    assert t.target == "committee"


# --- ESPCC ---------------------------------------------------------------------------------------


def test_espcc_asks_a_holder_to_cooperate_by_a_deadline(espcc):
    member = {"respondent_is_member": True}
    assert offered(espcc, "review", STAFF, member) == {"request_cooperation"}
    assert offered(espcc, "review", CHAIR, member) == {"dismiss", "request_cooperation"}
    assert offered(espcc, "review", CHAIR, {}) == {"dismiss", "refer"}
    t = espcc.check("review", "request_cooperation", roles=STAFF, facts=member)
    assert (t.target, t.starts) == ("cooperation_requested", ("cooperation",))
    cooperation = espcc.deadlines["cooperation"]
    assert (cooperation.days, cooperation.count, cooperation.on_expiry.take) == (
        30,
        "calendar",
        "no_cooperation",
    )
    t = espcc.check("cooperation_requested", "no_cooperation", roles={"system"}, facts=member)
    assert t.target == "investigation"
    assert refusal(espcc, "cooperation_requested", "no_cooperation", facts=member) == (
        "“No cooperation by the deadline” is taken by the deadline clock, not by hand"
    )
    t = espcc.check(
        "cooperation_requested",
        "investigate",
        roles=INVESTIGATOR,
        facts={**member, "respondent_answered": True},
    )
    assert t.stops == ("cooperation",)


# --- deadlines -----------------------------------------------------------------------------------

D = dt.date


def test_calendar_days():
    week = Deadline("d", "D", days=7)
    assert week.due(D(2024, 1, 10)) == D(2024, 1, 17)
    # A calendar deadline may end on a weekend or a holiday.
    assert Deadline("d", "D", days=5).due(D(2024, 1, 1)) == D(2024, 1, 6)  # a Saturday
    assert week.due(D(2024, 12, 18), frozenset({D(2024, 12, 25)})) == D(2024, 12, 25)
    assert Deadline("d", "D", days=30).due(D(2024, 2, 15)) == D(2024, 3, 16)


def test_business_days_skip_weekends_and_holidays():
    five = Deadline("d", "D", days=5, count="business")
    assert five.due(D(2024, 3, 1)) == D(2024, 3, 8)  # Friday to Friday
    assert five.due(D(2024, 3, 1), frozenset({D(2024, 3, 4)})) == D(2024, 3, 11)
    assert five.due(D(2024, 3, 2)) == D(2024, 3, 8)  # started on a Saturday
    one = Deadline("d", "D", days=1, count="business")
    assert one.due(D(2024, 12, 24), frozenset({D(2024, 12, 25), D(2024, 12, 26)})) == D(
        2024, 12, 27
    )


def test_a_business_deadline_falling_on_a_day_off_moves_to_the_next_business_day():
    month = Deadline("d", "D", months=1, count="business")
    assert D(2024, 6, 15).weekday() == 5  # a Saturday
    assert month.due(D(2024, 5, 15)) == D(2024, 6, 17)  # the Monday
    assert month.due(D(2024, 5, 15), frozenset({D(2024, 6, 17)})) == D(2024, 6, 18)
    assert Deadline("d", "D", months=1).due(D(2024, 5, 15)) == D(2024, 6, 15)  # calendar: stays


def test_months_keep_the_day_or_take_the_last_of_a_shorter_month():
    month = Deadline("d", "D", months=1)
    assert month.due(D(2024, 1, 31)) == D(2024, 2, 29)
    assert month.due(D(2023, 1, 31)) == D(2023, 2, 28)
    assert month.due(D(2024, 3, 31)) == D(2024, 4, 30)
    assert month.due(D(2024, 12, 15)) == D(2025, 1, 15)
    three = Deadline("d", "D", months=3)
    assert three.due(D(2023, 11, 30)) == D(2024, 2, 29)
    assert three.due(D(2023, 12, 15)) == D(2024, 3, 15)
    # Months first, then days.
    assert Deadline("d", "D", months=1, days=2).due(D(2023, 1, 31)) == D(2023, 3, 2)


@pytest.mark.parametrize("key", ["csec-article-5", "espcc-ethics"])
def test_whistleblower_clock(key):
    p = shipped()[key]
    acknowledge, feedback = p.deadlines["acknowledge"], p.deadlines["feedback"]
    assert p.starts_on_filing == ("acknowledge",)
    assert (acknowledge.days, acknowledge.months, acknowledge.count) == (7, 0, "calendar")
    assert acknowledge.on_expiry.start == ("feedback",)
    assert acknowledge.on_expiry.take == ""
    assert (feedback.days, feedback.months) == (0, 3)
    step = p.transition("acknowledge")
    assert (step.stops, step.starts) == (("acknowledge",), ("feedback",))

    filed = D(2024, 1, 10)
    assert acknowledge.due(filed) == D(2024, 1, 17)
    # Acknowledged on 12 January: feedback within 3 months of the acknowledgement.
    assert feedback.due(D(2024, 1, 12)) == D(2024, 4, 12)
    # Never acknowledged: the clock starts feedback the day after the 7 days end.
    assert feedback.due(acknowledge.due(filed) + dt.timedelta(days=1)) == D(2024, 4, 18)


def test_reminders_are_sorted_latest_first_without_repeats():
    text = BASE.replace("reminders = [3]", "reminders = [2, 14, 7, 7]").replace(
        "days = 10", "days = 30"
    )
    assert load(text).deadlines["answer"].reminders == (14, 7, 2)
    assert shipped()["csec-article-5"].deadlines["feedback"].reminders == (14,)


def test_procedure_holidays_are_read_as_dates():
    text = BASE.replace('initial = "open"', 'initial = "open"\nholidays = [2024-12-25, 2025-01-01]')
    assert load(text).holidays == frozenset({D(2024, 12, 25), D(2025, 1, 1)})


@st.composite
def business_deadlines(draw):
    start = draw(st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)))
    days = draw(st.integers(min_value=1, max_value=60))
    months = draw(st.integers(min_value=0, max_value=3))
    offsets = draw(st.frozensets(st.integers(min_value=-5, max_value=200), max_size=40))
    holidays = frozenset(start + dt.timedelta(days=o) for o in offsets)
    return start, days, months, holidays


# No deadline: a CI machine that stalls one example past Hypothesis's default 200 ms fails the test
# as flaky, whatever the deadline arithmetic says.
UNTIMED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@UNTIMED
@given(business_deadlines())
def test_business_deadlines_end_on_a_business_day_and_never_early(case):
    start, days, months, holidays = case
    due = Deadline("d", "D", days=days, months=months, count="business").due(start, holidays)
    assert due.weekday() < 5
    assert due not in holidays
    assert due >= start + dt.timedelta(days=days)
    if not months:
        # Exactly ``days`` business days after the start, the due date the last of them.
        counted = [
            start + dt.timedelta(days=n)
            for n in range(1, (due - start).days + 1)
            if (start + dt.timedelta(days=n)).weekday() < 5
            and start + dt.timedelta(days=n) not in holidays
        ]
        assert len(counted) == days
        assert counted[-1] == due


@UNTIMED
@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)),
    st.integers(min_value=1, max_value=400),
)
def test_calendar_deadlines_are_exactly_so_many_days(start, days):
    assert Deadline("d", "D", days=days).due(start) == start + dt.timedelta(days=days)


# --- validation ----------------------------------------------------------------------------------

# A small, valid procedure; each test below breaks it in one way.
BASE = """\
[procedure]
key = "test"
name = "Test procedure"
initial = "open"

[states.open]
label = "Open"

[states.waiting]
label = "Waiting"

[states.closed]
label = "Closed"
final = true

[deadlines.answer]
label = "Answer"
days = 10
reminders = [3]
on_expiry = { take = "timed_out" }

[[transitions]]
name = "ask"
label = "Ask"
from = ["open"]
to = "waiting"
roles = ["staff"]
starts = ["answer"]

[[transitions]]
name = "timed_out"
label = "Timed out"
from = ["waiting"]
to = "closed"
roles = ["system"]

[[transitions]]
name = "close"
label = "Close"
from = ["open", "waiting"]
to = "closed"
roles = ["ethics_chair"]
stops = ["*"]
"""

P = "<procedure>: "
ROLE_LIST = (
    "administrator, committee_member, complainant, ethics_chair, investigator, respondent, "
    "staff, system"
)
FACT_LIST = ", ".join(sorted(FACTS))


def problems(text: str) -> list[str]:
    with pytest.raises(ProcedureInvalid) as caught:
        load(text)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


def replaced(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_the_base_procedure_is_valid():
    p = load(BASE, source="base.toml")
    assert (p.key, p.name, p.version, p.initial, p.source) == (
        "test",
        "Test procedure",
        1,
        "open",
        "base.toml",
    )
    assert p.transition("timed_out").automatic


def test_not_toml():
    found = problems("[procedure\nkey = 1\n")
    assert len(found) == 1
    assert found[0].startswith(P + "not valid TOML: ")
    with pytest.raises(ProcedureInvalid) as caught:
        load("= x", source="mine.toml")
    assert caught.value.problems[0].startswith("mine.toml: not valid TOML: ")


# (what is changed, the problems expected: exactly these)
BROKEN = {
    "unknown key in a state": (
        replaced('label = "Open"\n', 'label = "Open"\ncolour = "red"\n'),
        [
            P
            + "[states.open]: unknown key 'colour' (allowed: complainant, description, final, label, stage)"
        ],
    ),
    "unknown key at the top": (
        BASE + '\n[notices]\nack = "x"\n',
        [
            P
            + "file: unknown key 'notices' (allowed: case, deadlines, procedure, states, transitions)"
        ],
    ),
    "unknown key in on_expiry": (
        replaced('{ take = "timed_out" }', '{ take = "timed_out", then = "close" }'),
        [P + "[deadlines.answer] on_expiry: unknown key 'then' (allowed: start, take)"],
    ),
    "missing required key in a step": (
        replaced('label = "Ask"\n', ""),
        [P + "transition 1 (ask): 'label' is required"],
    ),
    "missing initial": (
        replaced('initial = "open"\n', ""),
        [P + "[procedure]: 'initial' is required"],
    ),
    "no [procedure] table": (
        "[states.open]" + BASE.split("[states.open]", 1)[1],
        [P + "file: 'procedure' is required"]
        + [P + f"[procedure]: {k!r} is required" for k in ("key", "name", "initial")],
    ),
    "initial is not a state": (
        replaced('initial = "open"', 'initial = "start"'),
        [P + "the initial state 'start' is not a state"],
    ),
    "no final state": (
        replaced("final = true\n", ""),
        [P + "no state is final: a case could never end"],
    ),
    "final is not a boolean": (
        replaced("final = true", 'final = "yes"'),
        [P + "[states.closed]: 'final' must be true or false"],
    ),
    "step from an unknown state": (
        replaced('from = ["open"]', 'from = ["opne"]'),
        [P + "step ask: from 'opne', which is not a state"],
    ),
    "step to an unknown state": (
        replaced('to = "waiting"', 'to = "wating"'),
        [P + "step ask: to 'wating', which is not a state"],
    ),
    "step from a final state": (
        BASE
        + '[[transitions]]\nname = "reopen"\nlabel = "Reopen"\nfrom = ["closed"]\n'
        + 'to = "open"\nroles = ["ethics_chair"]\n',
        [P + "step reopen: from 'closed', which is final"],
    ),
    "unknown role": (
        replaced('roles = ["ethics_chair"]', 'roles = ["chair"]'),
        [P + f"step close: role 'chair' is not one of {ROLE_LIST}"],
    ),
    "nobody may take a step": (
        replaced('roles = ["ethics_chair"]', "roles = []"),
        [P + "step close: nobody may take it (roles is empty)"],
    ),
    "system with other roles": (
        replaced('roles = ["system"]', 'roles = ["system", "staff"]'),
        [
            P + "deadline answer: the step 'timed_out' it takes must have roles = [\"system\"]",
            P + "step timed_out: a step taken by the clock (system) is taken by it alone",
        ],
    ),
    "automatic step no deadline takes": (
        replaced('on_expiry = { take = "timed_out" }\n', ""),
        [P + "step timed_out: only the clock takes it, but no deadline does"],
    ),
    "deadline takes a step people take": (
        replaced('take = "timed_out"', 'take = "close"'),
        [
            P + "deadline answer: the step 'close' it takes must have roles = [\"system\"]",
            P + "step timed_out: only the clock takes it, but no deadline does",
        ],
    ),
    "deadline takes an unknown step": (
        replaced('take = "timed_out"', 'take = "time_out"'),
        [
            P + "deadline answer: on expiry, no step called 'time_out'",
            P + "step timed_out: only the clock takes it, but no deadline does",
        ],
    ),
    "the clock gives inputs": (
        replaced(
            'roles = ["system"]\n',
            'roles = ["system"]\ninputs = [{ name = "why", kind = "text", label = "Why" }]\n',
        ),
        [P + "step timed_out: the clock cannot give inputs"],
    ),
    "unknown deadline started": (
        replaced('starts = ["answer"]', 'starts = ["anwser"]'),
        [P + "step ask: no deadline called 'anwser'"],
    ),
    "unknown deadline stopped": (
        replaced('stops = ["*"]', 'stops = ["reply"]'),
        [P + "step close: no deadline called 'reply'"],
    ),
    "unknown deadline started on filing": (
        replaced('initial = "open"', 'initial = "open"\nstarts_on_filing = ["acknowledge"]'),
        [P + "starts_on_filing: no deadline called 'acknowledge'"],
    ),
    "unknown deadline started on expiry": (
        replaced('{ take = "timed_out" }', '{ take = "timed_out", start = ["feedback"] }'),
        [P + "deadline answer: on expiry, no deadline called 'feedback'"],
    ),
    "unknown fact": (
        replaced('stops = ["*"]', 'stops = ["*"]\nwhen = ["is_member"]'),
        [P + f"step close: condition 'is_member' is not one of {FACT_LIST}"],
    ),
    "unknown negated fact": (
        replaced('stops = ["*"]', 'stops = ["*"]\nwhen = ["not is_member"]'),
        [P + f"step close: condition 'not is_member' is not one of {FACT_LIST}"],
    ),
    "unknown fact in an effect": (
        replaced('stops = ["*"]', 'stops = ["*"]\neffects = [{ kind = "publish", when = ["x"] }]'),
        [P + f"step close: condition 'x' is not one of {FACT_LIST}"],
    ),
    "unreachable state": (
        replaced("[states.closed]", '[states.limbo]\nlabel = "Limbo"\n\n[states.closed]')
        + '[[transitions]]\nname = "out"\nlabel = "Out"\nfrom = ["limbo"]\nto = "closed"\n'
        + 'roles = ["staff"]\n',
        [P + "state 'limbo' cannot be reached from 'open'"],
    ),
    "non-final dead end": (
        replaced("[states.closed]", '[states.stuck]\nlabel = "Stuck"\n\n[states.closed]')
        + '[[transitions]]\nname = "park"\nlabel = "Park"\nfrom = ["open"]\nto = "stuck"\n'
        + 'roles = ["staff"]\n',
        [P + "state 'stuck' is not final and no step leaves it: cases would stick"],
    ),
    "two steps with one name": (
        BASE
        + '[[transitions]]\nname = "close"\nlabel = "Close again"\nfrom = ["waiting"]\n'
        + 'to = "closed"\nroles = ["staff"]\n',
        [P + "two steps are called 'close'"],
    ),
    "two inputs with one name": (
        replaced(
            'stops = ["*"]',
            'stops = ["*"]\ninputs = [{ name = "why", kind = "text", label = "Why" }, '
            '{ name = "why", kind = "text", label = "Why again" }]',
        ),
        [P + "step close: two inputs are called 'why'"],
    ),
    "choice without choices": (
        replaced(
            'stops = ["*"]',
            'stops = ["*"]\ninputs = [{ name = "ground", kind = "choice", label = "Ground" }]',
        ),
        [P + "transition 3 (close), input 1: a choice needs its 'choices'"],
    ),
    "unknown input kind": (
        replaced(
            'stops = ["*"]',
            'stops = ["*"]\ninputs = [{ name = "n", kind = "number", label = "N" }]',
        ),
        [
            P + "transition 3 (close), input 1: kind 'number' is not one of "
            "allegation, choice, date, determinations, document, sanction, text"
        ],
    ),
    "notice without recipients": (
        replaced(
            'stops = ["*"]',
            'stops = ["*"]\neffects = [{ kind = "notice", template = "closure" }]',
        ),
        [P + "transition 3 (close), effect 1: a notice needs 'to'"],
    ),
    "notice without template": (
        replaced(
            'stops = ["*"]',
            'stops = ["*"]\neffects = [{ kind = "notice", to = ["complainant"] }]',
        ),
        [P + "transition 3 (close), effect 1: a notice needs its 'template'"],
    ),
    "unknown notice recipient": (
        replaced(
            'stops = ["*"]',
            'stops = ["*"]\neffects = [{ kind = "notice", to = ["public"], template = "closure" }]',
        ),
        [
            P + "transition 3 (close), effect 1: notice recipient 'public' is not one of "
            "chair, committee, complainant, respondent"
        ],
    ),
    "unknown effect kind": (
        replaced('stops = ["*"]', 'stops = ["*"]\neffects = [{ kind = "email" }]'),
        [
            P + "transition 3 (close), effect 1: kind 'email' is not one of "
            "checkin, lift_sanction, notice, publish, recuse_check, register"
        ],
    ),
    "check-in without days": (
        replaced('stops = ["*"]', 'stops = ["*"]\neffects = [{ kind = "checkin" }]'),
        [P + "transition 3 (close), effect 1: a check-in needs 'days' after the step"],
    ),
    "deadline with neither days nor months": (
        replaced("days = 10\nreminders = [3]\n", ""),
        [P + "[deadlines.answer]: give 'days' or 'months'"],
    ),
    "negative days": (
        replaced("days = 10", "days = -10"),
        [
            P + "[deadlines.answer]: 'days' must be a whole number of 0 or more",
            P + "[deadlines.answer]: give 'days' or 'months'",
        ],
    ),
    "unknown day count": (
        replaced("days = 10", 'days = 10\ncount = "working"'),
        [P + "[deadlines.answer]: 'count' must be calendar or business, not 'working'"],
    ),
    "reminder as long as the deadline": (
        replaced("reminders = [3]", "reminders = [10]"),
        [P + "deadline answer: a reminder comes before the deadline starts"],
    ),
    "reminder that is not a number of days": (
        replaced("reminders = [3]", "reminders = [0]"),
        [P + "[deadlines.answer]: 'reminders' must be a list of days before the due date"],
    ),
    "holiday that is not a date": (
        replaced('initial = "open"', 'initial = "open"\nholidays = ["25 December"]'),
        [P + "[procedure] holidays: '25 December' is not a date (YYYY-MM-DD)"],
    ),
    "[transitions] written for [[transitions]]": (
        BASE.split("[[transitions]]", 1)[0] + '[transitions]\nname = "ask"\n',
        [P + "transitions: must be a list of tables ([[...]] or [{...}, ...])"],
    ),
    "a state that is not a table": (
        replaced('[states.waiting]\nlabel = "Waiting"', '[states]\nwaiting = "Waiting"'),
        [P + "[states.waiting]: must be a table"],
    ),
    "inputs that are not tables": (
        replaced('stops = ["*"]', 'stops = ["*"]\ninputs = ["reasons"]'),
        [P + "transition 3 (close) inputs: must be a list of tables ([[...]] or [{...}, ...])"],
    ),
}


@pytest.mark.parametrize("what", list(BROKEN))
def test_each_problem_is_named_with_where_it_is(what):
    text, expected = BROKEN[what]
    assert problems(text) == expected


def test_a_reminder_shorter_than_the_deadline_is_fine():
    assert load(replaced("reminders = [3]", "reminders = [9]")).deadlines["answer"].reminders == (
        9,
    )


def test_several_problems_in_reading_are_listed_at_once():
    text = replaced('label = "Open"\n', 'label = "Open"\ncolour = "red"\n')
    text = replaced("days = 10\nreminders = [3]\n", "", text)
    text = replaced(
        'stops = ["*"]',
        'stops = ["*"]\ninputs = [{ name = "ground", kind = "choice", label = "Ground" }]\n'
        'effects = [{ kind = "notice", to = ["public"], template = "closure" }, '
        '{ kind = "checkin" }]',
        text,
    )
    assert problems(text) == [
        P
        + "[states.open]: unknown key 'colour' (allowed: complainant, description, final, label, stage)",
        P + "transition 3 (close), input 1: a choice needs its 'choices'",
        P + "transition 3 (close), effect 1: notice recipient 'public' is not one of "
        "chair, committee, complainant, respondent",
        P + "transition 3 (close), effect 2: a check-in needs 'days' after the step",
        P + "[deadlines.answer]: give 'days' or 'months'",
    ]


def test_several_problems_in_the_structure_are_listed_at_once():
    text = replaced('initial = "open"', 'initial = "start"')
    text = replaced('from = ["open"]', 'from = ["opne"]', text)
    text = replaced('roles = ["ethics_chair"]', 'roles = ["chair"]', text)
    text = replaced('starts = ["answer"]', 'starts = ["anwser"]\nwhen = ["member"]', text)
    text += (
        '[[transitions]]\nname = "close"\nlabel = "Close again"\nfrom = ["waiting"]\n'
        'to = "closed"\nroles = ["staff"]\n'
    )
    assert problems(text) == [
        P + "the initial state 'start' is not a state",
        P + "two steps are called 'close'",
        P + "step ask: from 'opne', which is not a state",
        P + f"step ask: condition 'member' is not one of {FACT_LIST}",
        P + "step ask: no deadline called 'anwser'",
        P + f"step close: role 'chair' is not one of {ROLE_LIST}",
    ]


def test_problems_in_a_file(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(BASE, encoding="utf-8")
    assert problems_in(good) == []
    bad = tmp_path / "bad.toml"
    bad.write_text(replaced('to = "waiting"', 'to = "wating"'), encoding="utf-8")
    assert problems_in(bad) == [f"{bad}: step ask: to 'wating', which is not a state"]
    missing = tmp_path / "missing.toml"
    [problem] = problems_in(missing)
    assert problem.startswith(f"{missing}: cannot read it (")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(BASE.replace("Closed", "Clôturé").encode("latin-1"))
    [problem] = problems_in(latin1)
    assert problem.startswith(f"{latin1}: cannot read it (")


# --- what the file declares for the case layer ([case], stages, after_delivery) --------------------

DECLARED = (
    BASE
    + """
[case]
determinations_in = ["waiting"]
sanction_in = ["waiting"]
acknowledged_by = ["ask"]
respondent_deadlines = ["answer"]
complainant_deadlines = []
"""
)


def test_the_case_table_declares_what_the_case_layer_asks():
    p = load(DECLARED)
    assert p.takes_determinations("waiting") and not p.takes_determinations("open")
    assert p.takes_sanction("waiting") and not p.takes_sanction("closed")
    assert p.declared.acknowledged_by == ("ask",)
    assert p.declared.respondent_deadlines == ("answer",)
    # Without a [case] table nothing is guessed from the names: no state takes determinations.
    bare = load(BASE)
    assert not bare.takes_determinations("waiting") and bare.declared.respondent_deadlines == ()


def test_the_case_table_must_name_what_the_file_has():
    text = DECLARED.replace('determinations_in = ["waiting"]', 'determinations_in = ["committee"]')
    text = text.replace('acknowledged_by = ["ask"]', 'acknowledged_by = ["acknowledge"]')
    text = text.replace("complainant_deadlines = []", 'complainant_deadlines = ["feedback"]')
    text += 'efforts = { proof = "proof", waiver = "why" }\n'
    assert problems(text) == [
        P + "[case] determinations_in: no state called 'committee'",
        P + "[case] acknowledged_by: no step called 'acknowledge'",
        P + "[case] complainant_deadlines: no deadline called 'feedback'",
        P + "[case] efforts: proof 'proof' is not a document input of any step",
        P + "[case] efforts: waiver 'why' is not a text input of any step",
    ]
    assert problems(DECLARED + "colour = 1\n")[0] == P + (
        "[case]: unknown key 'colour' (allowed: acknowledged_by, answer_deadline, "
        "complainant_deadlines, "
        "determinations_in, efforts, respondent_deadlines, sanction_in)"
    )


def test_stages_order_what_the_complainant_sees():
    staged = replaced('initial = "open"\n', 'initial = "open"\nstages = ["Open", "Done"]\n')
    for state, stage in (("open", "Open"), ("waiting", "Open"), ("closed", "Done")):
        staged = staged.replace(
            f"[states.{state}]\n", f'[states.{state}]\nstage = "{stage}"\ncomplainant = "x"\n'
        )
    p = load(staged)
    assert p.stage_list() == ("Open", "Done")
    assert (p.stage_of("waiting"), p.state("waiting").complainant) == ("Open", "x")
    # Without stages, each state's label is its stage, final states last.
    assert load(BASE).stage_list()[-1] == load(BASE).state("closed").label
    assert problems(staged.replace('stage = "Done"', 'stage = "Finished"')) == [
        P + "state closed: stage 'Finished' is not in [procedure] stages"
    ]
    assert problems(staged.replace('stages = ["Open", "Done"]\n', "")) == [
        P + "states name a 'stage', but [procedure] has no 'stages' to order them"
    ]


def test_a_deadline_may_count_from_delivery():
    p = load(replaced("days = 10\n", "days = 10\nafter_delivery = true\n"))
    assert p.deadlines["answer"].after_delivery
    assert problems(replaced("days = 10\n", 'days = 10\nafter_delivery = "yes"\n')) == [
        P + "[deadlines.answer]: 'after_delivery' must be true or false"
    ]


def test_every_fact_and_effect_the_checker_accepts_has_its_function():
    from ombuds.cases.facts import REGISTRY as FACT_FUNCTIONS
    from ombuds.cases.procedure import EFFECT_KINDS
    from ombuds.cases.services.effects import REGISTRY as EFFECT_FUNCTIONS
    from ombuds.cases.services.effects import effect

    assert set(FACT_FUNCTIONS) == set(FACTS)
    assert set(EFFECT_FUNCTIONS) == set(EFFECT_KINDS)
    with pytest.raises(ValueError, match="not an effect kind"):
        effect("teleport")
