"""Linking and correcting the respondent (`services.respondent_link`) and the register matches
suggested on filing: a complaint naming a credential holder without a number, or a member agency
with a misspelt name, no longer forks the procedure wrongly for good."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ombuds.audit.models import Event
from ombuds.cases import services
from ombuds.cases.models import Case, Notice, RespondentLink, RespondentSuggestion, SanctionChoice
from ombuds.register.models import Agency, Credential, Person, Sanction
from tests.cases.conftest import case_events, file_case, take

pytestmark = pytest.mark.django_db


@pytest.fixture
def bea(espcc) -> Person:
    """Beatrice Weiss, CESP holder in Springfield: the one a complainant calls "Bea Weiss"."""
    person = Person.objects.create(
        organization=espcc.org,
        given_name="Beatrice",
        family_name="Weiss",
        city="Springfield",
        email="bea@cesp.example",
    )
    Credential.objects.create(
        program=espcc.credential.program,
        holder=person,
        number="CESP-2001",
        status="active",
        issued_on=dt.date(2023, 1, 5),
        expires_on=espcc.credential.expires_on,
    )
    return person


def file_bea(espcc):
    """The reproduction: a complaint naming "Bea Weiss", no number, filed as a non-member."""
    return file_case(espcc, respondent_person=None, respondent_name="Bea Weiss")


def link(case, user, **kwargs):
    kwargs.setdefault("reason", "The complainant's description matches her register entry.")
    case.refresh_from_db()
    return services.respondent_link(
        case=case, acting_user=user, expected_version=case.version, **kwargs
    )


# --- suggestions on filing ------------------------------------------------------------------------


def test_a_holder_named_without_number_is_suggested_not_linked(espcc, bea):
    case = file_bea(espcc)
    assert case.respondent_person is None
    assert services.facts(case)["respondent_is_member"] is False
    assert [s.person for s in case.respondent_suggestions.all()] == [bea]


def test_the_city_given_ranks_the_person_living_there_first(espcc, bea):
    other = Person.objects.create(
        organization=espcc.org, given_name="Bea", family_name="Weis", city="Shelbyville"
    )
    case = file_case(
        espcc,
        respondent_person=None,
        respondent_name="Bea Weiss",
        respondent_details="Works from the Springfield office.",
    )
    assert [s.person for s in case.respondent_suggestions.all()][:1] == [bea]
    assert other in [s.person for s in case.respondent_suggestions.all()]


def test_a_family_name_alone_or_another_person_is_not_suggested(espcc, bea):
    assert not file_case(
        espcc, respondent_person=None, respondent_name="Weiss"
    ).respondent_suggestions.exists()
    assert not file_case(
        espcc, respondent_person=None, respondent_name="Tom Weiss"
    ).respondent_suggestions.exists()


def test_a_misspelt_member_agency_is_suggested_and_an_exact_name_still_links(csec):
    misspelt = file_case(csec, respondent_agency=None, respondent_name="Faithfull Support Recovery")
    assert misspelt.respondent_agency is None
    assert [s.agency for s in misspelt.respondent_suggestions.all()] == [csec.member_agency]
    person, agency, problem = services.respondent_lookup(
        csec.org, {"respondent_kind": "agency", "respondent_name": "faithful support recovery, llc"}
    )
    assert (person, agency, problem) == (None, csec.member_agency, "")
    assert services.respondent_lookup(
        csec.org, {"respondent_kind": "agency", "respondent_name": "Faithfull Support Recovery"}
    ) == (None, None, "")


def test_an_agency_is_found_by_its_trade_name(csec):
    csec.member_agency.trade_names = ["Brightpath Payments"]
    csec.member_agency.save()
    assert (
        services.respondent_lookup(
            csec.org, {"respondent_kind": "agency", "respondent_name": "BrightPath Payments"}
        )[1]
        == csec.member_agency
    )


def test_the_lookup_at_filing_reads_a_fixed_number_of_queries(csec):
    """Whatever the number of the body's agencies: one query per kind of record."""
    unlinked = Case(organization=csec.org, respondent_name="Faithful Support Recovery")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            services.respondent_lookup(
                csec.org, {"respondent_kind": "agency", "respondent_name": "Faithful Support"}
            )
            services.respondent_suggest(unlinked)
        # Each reads only the records sharing a word with the name, never every agency.
        assert all("LIKE" in q["sql"].upper() for q in captured.captured_queries)
        return len(captured)

    few = queries()
    Agency.objects.bulk_create(
        Agency(organization=csec.org, legal_name=f"Faithful Support Recovery {i} Holdings")
        for i in range(60)
    )
    assert queries() == few == 3


# --- linking --------------------------------------------------------------------------------------


def test_linking_makes_the_holder_a_member_and_opens_the_members_steps(espcc, bea):
    case = take(file_bea(espcc), "acknowledge", espcc.chair)
    before = {t.name for t in services.available_steps(case, espcc.chair)}
    assert "refer" in before and "request_cooperation" not in before
    done = link(case, espcc.staff, person=bea)
    case.refresh_from_db()
    assert case.respondent_person == bea and case.respondent_email == "bea@cesp.example"
    assert services.facts(case)["respondent_is_member"] is True
    after = {t.name for t in services.available_steps(case, espcc.chair)}
    assert "request_cooperation" in after and "refer" not in after
    assert "Ask the holder to cooperate" in done.opened
    assert "Refer to another authority (not a CESP holder)" in done.closed
    assert "Steps now open: " in done.message


def test_the_change_is_on_the_record_with_its_reason(espcc, bea):
    case = file_bea(espcc)
    link(case, espcc.staff, person=bea, reason="Same city and first name.")
    assert case_events(case)[-1] == "case.respondent_linked"
    event = Event.objects.filter(action="case.respondent_linked").get()
    assert event.data["to"] == {"kind": "person", "id": bea.pk, "name": "Beatrice Weiss"}
    assert event.data["from"] is None
    assert event.data["reason"] == "Same city and first name."
    assert event.data["respondent_is_member"] is True


def test_unlinking_makes_the_respondent_a_non_member_again(espcc):
    case = file_case(espcc)
    done = link(case, espcc.chair, reason="Wrong Jordan: the complainant meant another.")
    case.refresh_from_db()
    assert case.respondent_person is None and case.respondent_name == "Jordan Holder"
    assert case.respondent_email == ""
    assert services.facts(case)["respondent_is_member"] is False
    assert case_events(case)[-1] == "case.respondent_unlinked"
    assert "not linked to the register" in done.message


def test_a_stale_change_is_refused_and_changes_nothing(espcc, bea):
    case = file_bea(espcc)
    stale = case.version
    take(case, "acknowledge", espcc.chair)
    with pytest.raises(services.CaseChanged):
        services.respondent_link(
            case=case, person=bea, reason="x", acting_user=espcc.staff, expected_version=stale
        )
    case.refresh_from_db()
    assert case.respondent_person is None
    assert "case.respondent_linked" not in case_events(case)


@pytest.mark.parametrize("role", ["committee", "recused"])
def test_only_handlers_link(espcc, bea, role):
    case = file_bea(espcc)
    services.recusal_record(
        case=case, user=espcc.recused, reason="Conflict", acting_user=espcc.chair
    )
    with pytest.raises(services.CaseRefused):
        link(case, getattr(espcc, role), person=bea)
    case.refresh_from_db()
    assert case.respondent_person is None


def test_every_problem_is_refused_at_once(espcc, csec, bea):
    case = file_case(espcc)
    with pytest.raises(services.CaseRefused) as refused:
        link(case, espcc.staff, person=espcc.holder, agency=csec.member_agency, reason=" ")
    assert len(refused.value.problems) == 4  # reason, both, other body, already the respondent


def test_the_old_respondents_link_stops_working_and_the_new_one_is_not_told(espcc, bea):
    case = take(file_case(espcc), "acknowledge", espcc.chair)
    take(case, "request_cooperation", espcc.chair)
    notice = case.notices.get(recipient_role="respondent")
    token = notice.link_token
    assert services.respondent_link_case(token) == case
    done = link(case, espcc.staff, person=bea, reason="The holder named was the wrong Jordan.")
    assert services.respondent_link_case(token) is None
    assert RespondentLink.objects.filter(case=case, revoked_at__isnull=True).count() == 0
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED and notice.link_token == ""
    assert any("has not been notified" in w for w in done.warnings)


def test_no_relinking_after_a_decision_or_on_the_register(espcc, bea):
    case = file_case(espcc)
    case.allegations.update(determination="upheld")
    with pytest.raises(services.CaseRefused, match="decided"):
        link(case, espcc.staff, person=bea)
    case.allegations.update(determination="pending")
    sanction = Sanction.objects.create(
        organization=espcc.org,
        credential=espcc.credential,
        kind="reprimand",
        decided_on=dt.date(2026, 1, 5),
        summary="Reprimand",
        effective_from=dt.date(2026, 1, 5),
    )
    SanctionChoice.objects.create(
        case=case,
        kind="reprimand",
        summary="Reprimand",
        effective_from=dt.date(2026, 1, 5),
        publication="private",
        sanction=sanction,
    )
    with pytest.raises(services.CaseRefused, match="imposed on the register"):
        link(case, espcc.staff, person=bea)


def test_no_change_on_a_closed_case(espcc, bea):
    case = take(file_bea(espcc), "dismiss", espcc.chair, ground="withdrawn", reasons="Withdrawn.")
    with pytest.raises(services.CaseRefused, match="closed"):
        link(case, espcc.staff, person=bea)


def test_suggestions_are_not_made_when_the_respondent_is_linked(espcc, bea):
    case = file_case(espcc)
    assert not RespondentSuggestion.objects.filter(case=case).exists()
