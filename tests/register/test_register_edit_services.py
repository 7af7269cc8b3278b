"""The services behind the register's edit pages: membership_create, affiliation_save and
credential_correct. Each refuses with its reason and writes nothing; each success writes the record
and, where the register keeps a history, its status event, together or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    Membership,
    MembershipType,
    Person,
    Sanction,
    StatusEvent,
)
from ombuds.register.services import (
    SanctionDecision,
    SanctionPublication,
    affiliation_save,
    credential_correct,
    membership_create,
    sanction_record,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def person(body) -> Person:
    return Person.objects.create(organization=body, given_name="Lena", family_name="Abara")


@pytest.fixture
def agency(body) -> Agency:
    return Agency.objects.create(organization=body, legal_name="Acme Recovery")


@pytest.fixture
def agency_type(body) -> MembershipType:
    return MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )


@pytest.fixture
def board_type(body) -> MembershipType:
    return MembershipType.objects.create(
        organization=body, code="board", name="Board member", kind="board"
    )


@pytest.fixture
def user(personas):
    return personas["body_staff"]


def _writes() -> tuple[int, int, int]:
    return Membership.objects.count(), StatusEvent.objects.count(), Affiliation.objects.count()


# --- membership_create ---------------------------------------------------------------------------


def test_a_persons_membership_starts_as_an_applicant_with_its_first_event(
    body, person, membership_type, user, today
):
    membership = membership_create(
        organization=body,
        membership_type=membership_type,
        number=" m-12 ",
        person=person,
        external_id=" MEM-12 ",
        acting_user=user,
    )
    membership.refresh_from_db()
    # The number keeps its case (as the CSV import keeps it), without surrounding spaces.
    assert (membership.number, membership.external_id, membership.status) == (
        "m-12",
        "MEM-12",
        "applicant",
    )
    assert (membership.person, membership.agency, membership.start_date) == (person, None, None)
    event = membership.events.get()
    assert (event.from_status, event.to_status, event.effective_date) == ("", "applicant", today)
    assert (event.reason, event.actor, event.automatic) == ("Application received", user, False)


def test_an_agency_holds_an_organisation_membership_and_a_person_a_board_one(
    body, person, agency, agency_type, board_type
):
    held = membership_create(
        organization=body, membership_type=agency_type, number="A-1", agency=agency
    )
    assert (held.agency, held.person) == (agency, None)
    seat = membership_create(
        organization=body, membership_type=board_type, number="B-1", person=person
    )
    assert seat.person == person
    # Without a signed-in user (a script), the event has no actor.
    assert seat.events.get().actor is None


@pytest.mark.parametrize("number", ["", "  ", "M 1", "-M1", "M/1", "Ü-1", "M" * 51])
def test_a_number_that_cannot_stand_in_a_public_address_is_refused(
    body, person, membership_type, number
):
    with pytest.raises(TransitionRefused, match=r"membership number .* must be 1 to 50 letters"):
        membership_create(
            organization=body, membership_type=membership_type, number=number, person=person
        )
    assert _writes() == (0, 0, 0)


def test_a_membership_is_held_by_exactly_one_person_or_agency(
    body, person, agency, membership_type
):
    for holders in ({}, {"person": person, "agency": agency}):
        with pytest.raises(TransitionRefused, match="held by one person or one agency"):
            membership_create(
                organization=body, membership_type=membership_type, number="M-1", **holders
            )
    assert _writes() == (0, 0, 0)


def test_another_bodys_type_or_member_is_refused(body, other_body, person, membership_type):
    their_type = MembershipType.objects.create(
        organization=other_body, code="individual", name="Their member", kind="individual"
    )
    with pytest.raises(TransitionRefused, match="membership type belongs to another body"):
        membership_create(
            organization=body, membership_type=their_type, number="M-1", person=person
        )
    stranger = Person.objects.create(organization=other_body, given_name="O", family_name="Lee")
    with pytest.raises(TransitionRefused, match="that member belongs to another body"):
        membership_create(
            organization=body, membership_type=membership_type, number="M-1", person=stranger
        )
    assert _writes() == (0, 0, 0)


def test_the_holder_must_be_of_the_kind_the_type_asks_for(
    body, person, agency, membership_type, agency_type
):
    with pytest.raises(TransitionRefused, match="Individual member membership is held by a person"):
        membership_create(
            organization=body, membership_type=membership_type, number="M-1", agency=agency
        )
    with pytest.raises(TransitionRefused, match="Member agency membership is held by an agency"):
        membership_create(
            organization=body, membership_type=agency_type, number="M-1", person=person
        )
    assert _writes() == (0, 0, 0)


@pytest.mark.parametrize("typed", ["M-0001", "m-0001"])
def test_a_number_already_used_is_refused_whatever_its_case(
    body, make_membership, person, membership_type, typed
):
    make_membership("active")  # M-0001
    before = _writes()
    with pytest.raises(TransitionRefused, match="membership number M-0001 is already used"):
        membership_create(
            organization=body, membership_type=membership_type, number=typed, person=person
        )
    assert _writes() == before


def test_another_bodys_number_does_not_count(body, other_body, person, membership_type):
    their_type = MembershipType.objects.create(
        organization=other_body, code="individual", name="Theirs", kind="individual"
    )
    stranger = Person.objects.create(organization=other_body, given_name="O", family_name="Lee")
    Membership.objects.create(
        organization=other_body, membership_type=their_type, person=stranger, number="M-1"
    )
    membership_create(
        organization=body, membership_type=membership_type, number="M-1", person=person
    )
    assert Membership.objects.filter(number="M-1").count() == 2


def test_an_external_id_already_used_is_refused(body, make_membership, person, membership_type):
    make_membership("active", external_id="MEM-1")
    before = _writes()
    with pytest.raises(TransitionRefused, match="'MEM-1' is already the identifier"):
        membership_create(
            organization=body,
            membership_type=membership_type,
            number="M-9",
            person=person,
            external_id="MEM-1",
        )
    assert _writes() == before


@pytest.mark.parametrize("status", ["applicant", "active", "grace", "suspended"])
def test_a_second_live_membership_of_the_same_type_is_refused(
    body, make_membership, membership_type, status
):
    existing = make_membership(status)
    before = _writes()
    with pytest.raises(TransitionRefused, match=rf"already has a live .*\({existing.number}\)"):
        membership_create(
            organization=body,
            membership_type=membership_type,
            number="M-9",
            person=existing.person,
        )
    assert _writes() == before


@pytest.mark.parametrize("status", ["expelled", "resigned", "lapsed"])
def test_a_former_member_may_apply_again(body, make_membership, membership_type, status):
    existing = make_membership(status)
    again = membership_create(
        organization=body, membership_type=membership_type, number="M-9", person=existing.person
    )
    assert again.status == "applicant" and again.pk != existing.pk


def test_a_live_membership_of_another_type_does_not_stand_in_the_way(
    body, make_membership, board_type
):
    existing = make_membership("active")
    seat = membership_create(
        organization=body, membership_type=board_type, number="B-1", person=existing.person
    )
    assert seat.membership_type == board_type


def test_the_membership_and_its_first_event_are_written_together_or_not_at_all(
    body, person, membership_type, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(StatusEvent.objects, "create", fail)
    with pytest.raises(RuntimeError):
        membership_create(
            organization=body, membership_type=membership_type, number="M-1", person=person
        )
    assert _writes() == (0, 0, 0)


# --- affiliation_save ----------------------------------------------------------------------------


def test_a_person_is_added_to_an_agency_with_dates(agency, person):
    affiliation = affiliation_save(
        agency=agency,
        person=person,
        role="principal",
        start_date=dt.date(2020, 1, 1),
    )
    affiliation.refresh_from_db()
    assert (affiliation.agency, affiliation.person, affiliation.role) == (
        agency,
        person,
        "principal",
    )
    assert (affiliation.start_date, affiliation.end_date) == (dt.date(2020, 1, 1), None)


def test_an_affiliation_is_changed_and_ended_in_place(agency, person, today):
    affiliation = affiliation_save(agency=agency, person=person, role="employee")
    changed = affiliation_save(
        agency=agency,
        person=person,
        role="agent",
        start_date=dt.date(2021, 5, 1),
        end_date=today,
        affiliation=affiliation,
    )
    assert changed.pk == affiliation.pk and Affiliation.objects.count() == 1
    changed.refresh_from_db()
    assert (changed.role, changed.start_date, changed.end_date) == (
        "agent",
        dt.date(2021, 5, 1),
        today,
    )


def test_the_person_and_the_agency_must_be_the_same_bodys(other_body, agency):
    stranger = Person.objects.create(organization=other_body, given_name="O", family_name="Lee")
    with pytest.raises(TransitionRefused, match="belong to different bodies"):
        affiliation_save(agency=agency, person=stranger, role="employee")
    assert not Affiliation.objects.exists()


def test_an_unknown_role_is_refused(agency, person):
    with pytest.raises(TransitionRefused, match="role must be one of employee, agent, principal"):
        affiliation_save(agency=agency, person=person, role="owner")
    assert not Affiliation.objects.exists()


def test_an_affiliation_cannot_end_before_it_starts(agency, person):
    with pytest.raises(TransitionRefused, match="must end after it starts"):
        affiliation_save(
            agency=agency,
            person=person,
            role="employee",
            start_date=dt.date(2024, 2, 1),
            end_date=dt.date(2024, 1, 31),
        )
    # A one-day affiliation is a period.
    one_day = affiliation_save(
        agency=agency,
        person=person,
        role="employee",
        start_date=dt.date(2024, 2, 1),
        end_date=dt.date(2024, 2, 1),
    )
    assert Affiliation.objects.get() == one_day


def test_an_end_date_more_than_a_year_ahead_is_refused(agency, person, today):
    with pytest.raises(TransitionRefused, match="more than a year ahead is a guess"):
        affiliation_save(agency=agency, person=person, role="agent", end_date=today + 367 * DAY)
    assert not Affiliation.objects.exists()
    affiliation_save(agency=agency, person=person, role="agent", end_date=today + 366 * DAY)
    assert Affiliation.objects.count() == 1


@pytest.mark.parametrize(
    "existing, new",
    [
        ((None, None), (dt.date(2024, 1, 1), None)),  # an open affiliation covers everything
        ((dt.date(2020, 1, 1), None), (None, dt.date(2020, 1, 1))),  # touching on one day
        ((dt.date(2020, 1, 1), dt.date(2021, 12, 31)), (dt.date(2021, 6, 1), dt.date(2022, 6, 1))),
        ((dt.date(2020, 1, 1), dt.date(2021, 12, 31)), (dt.date(2019, 1, 1), None)),
    ],
)
def test_periods_in_the_same_role_may_not_overlap(agency, person, existing, new):
    affiliation_save(
        agency=agency, person=person, role="employee", start_date=existing[0], end_date=existing[1]
    )
    with pytest.raises(TransitionRefused, match="Lena Abara is already employee of Acme Recovery"):
        affiliation_save(
            agency=agency, person=person, role="employee", start_date=new[0], end_date=new[1]
        )
    assert Affiliation.objects.count() == 1


def test_successive_periods_and_other_roles_are_allowed(agency, person, body):
    affiliation_save(
        agency=agency,
        person=person,
        role="employee",
        start_date=dt.date(2018, 1, 1),
        end_date=dt.date(2019, 12, 31),
    )
    affiliation_save(agency=agency, person=person, role="employee", start_date=dt.date(2020, 1, 1))
    affiliation_save(agency=agency, person=person, role="principal", start_date=dt.date(2018, 1, 1))
    other = Agency.objects.create(organization=body, legal_name="Beacon")
    affiliation_save(agency=other, person=person, role="employee")
    assert Affiliation.objects.count() == 4


def test_a_change_is_not_an_overlap_with_itself_but_is_with_the_others(agency, person):
    first = affiliation_save(
        agency=agency,
        person=person,
        role="employee",
        start_date=dt.date(2018, 1, 1),
        end_date=dt.date(2019, 12, 31),
    )
    second = affiliation_save(
        agency=agency, person=person, role="employee", start_date=dt.date(2020, 1, 1)
    )
    affiliation_save(
        agency=agency,
        person=person,
        role="employee",
        start_date=dt.date(2017, 1, 1),
        end_date=dt.date(2019, 12, 31),
        affiliation=first,
    )
    with pytest.raises(TransitionRefused, match="already employee"):
        affiliation_save(
            agency=agency,
            person=person,
            role="employee",
            start_date=dt.date(2017, 1, 1),
            end_date=dt.date(2020, 6, 30),
            affiliation=first,
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.start_date, first.end_date) == (dt.date(2017, 1, 1), dt.date(2019, 12, 31))
    assert (second.start_date, second.end_date) == (dt.date(2020, 1, 1), None)


def test_a_change_cannot_move_an_affiliation_to_another_person_or_agency(agency, person, body):
    affiliation = affiliation_save(agency=agency, person=person, role="employee")
    other_person = Person.objects.create(organization=body, given_name="Kai", family_name="Novak")
    other_agency = Agency.objects.create(organization=body, legal_name="Beacon")
    for moved in (
        {"person": other_person, "agency": agency},
        {"person": person, "agency": other_agency},
    ):
        with pytest.raises(TransitionRefused, match="person and agency do not change"):
            affiliation_save(role="agent", affiliation=affiliation, **moved)
    affiliation.refresh_from_db()
    assert (affiliation.person, affiliation.agency, affiliation.role) == (
        person,
        agency,
        "employee",
    )
    assert Affiliation.objects.count() == 1


# --- credential_correct ----------------------------------------------------------------------------


def _state(credential: Credential) -> tuple:
    c = Credential.objects.get(pk=credential.pk)
    return (c.status, c.conditions, c.issued_on, c.expires_on, c.updated_at, c.events.count())


def test_conditions_are_set_then_lifted_each_on_the_record(make_credential, user, today):
    credential = make_credential("active")
    credential_correct(
        credential=credential,
        conditions="  Supervised practice only  ",
        reason="Ethics committee decision EC-7",
        acting_user=user,
    )
    credential.refresh_from_db()
    assert (credential.status, credential.conditions) == ("active", "Supervised practice only")
    event = credential.events.get()
    assert (event.from_status, event.to_status, event.effective_date) == ("active", "active", today)
    assert event.reason == (
        "Corrected: conditions set to: Supervised practice only. Ethics committee decision EC-7"
    )
    assert (event.actor, event.automatic) == (user, False)
    credential_correct(
        credential=credential, conditions="", reason="Supervision completed", acting_user=user
    )
    credential.refresh_from_db()
    assert credential.conditions == ""
    assert credential.events.last().reason == "Corrected: conditions lifted. Supervision completed"


def test_dates_are_corrected_and_only_the_fields_given_change(make_credential, today):
    credential = make_credential("active", conditions="Supervised")
    new_expiry = today + 400 * DAY
    credential_correct(
        credential=credential,
        issued_on=dt.date(2022, 8, 1),
        expires_on=new_expiry,
        expected_status="active",
        reason="Typed wrong at import",
    )
    credential.refresh_from_db()
    assert (credential.issued_on, credential.expires_on, credential.conditions) == (
        dt.date(2022, 8, 1),
        new_expiry,
        "Supervised",
    )
    assert credential.events.get().reason == (
        f"Corrected: issue date 2022-07-01 → 2022-08-01; expiry date 2025-06-30 → {new_expiry}. "
        "Typed wrong at import"
    )


def test_a_missing_date_is_recorded_as_none_before(make_credential, today):
    credential = make_credential("candidate")
    credential_correct(credential=credential, issued_on=today, reason="Certificate date")
    assert (
        credential.events.get().reason == f"Corrected: issue date none → {today}. Certificate date"
    )


def test_a_stale_form_is_refused(make_credential):
    credential = make_credential("suspended")
    before = _state(credential)
    with pytest.raises(TransitionRefused, match="is now suspended, not active: someone changed it"):
        credential_correct(
            credential=credential, conditions="x", reason="r", expected_status="active"
        )
    assert _state(credential) == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_needs_a_reason(make_credential, reason):
    credential = make_credential("active")
    before = _state(credential)
    with pytest.raises(TransitionRefused, match="a correction needs a reason"):
        credential_correct(credential=credential, conditions="x", reason=reason)
    assert _state(credential) == before


def test_a_correction_that_changes_nothing_is_refused(make_credential):
    credential = make_credential("active", conditions="Supervised")
    before = _state(credential)
    with pytest.raises(TransitionRefused, match="nothing to change"):
        credential_correct(
            credential=credential,
            conditions=" Supervised\n",
            issued_on=credential.issued_on,
            expires_on=credential.expires_on,
            reason="r",
        )
    with pytest.raises(TransitionRefused, match="nothing to change"):
        credential_correct(credential=credential, reason="r")
    assert _state(credential) == before


def test_the_expiry_must_come_after_the_issue(make_credential):
    credential = make_credential("inactive")  # issued 2022-07-01, expires 2025-06-30
    before = _state(credential)
    with pytest.raises(TransitionRefused, match=r"expiry date \(2025-06-30\) must come after"):
        credential_correct(credential=credential, issued_on=dt.date(2025, 6, 30), reason="r")
    with pytest.raises(TransitionRefused, match="must come after the issue date"):
        credential_correct(credential=credential, expires_on=dt.date(2022, 7, 1), reason="r")
    assert _state(credential) == before


def test_an_issue_date_in_the_future_is_refused(make_credential, today):
    credential = make_credential("candidate")
    with pytest.raises(TransitionRefused, match="is in the future"):
        credential_correct(credential=credential, issued_on=today + DAY, reason="r")
    assert _state(credential)[2] is None and not credential.events.exists()


@pytest.mark.parametrize("status, article", [("expired", "an"), ("lapsed", "a")])
def test_an_expired_or_lapsed_credential_gets_a_new_expiry_only_by_reinstatement(
    make_credential, today, status, article
):
    credential = make_credential(status)
    before = _state(credential)
    with pytest.raises(
        TransitionRefused, match=f"^{article} {status} credential gets a new expiry"
    ):
        credential_correct(credential=credential, expires_on=today + 300 * DAY, reason="r")
    assert _state(credential) == before
    # Its conditions or issue date can still be corrected.
    credential_correct(credential=credential, issued_on=dt.date(2022, 6, 1), reason="r")


@pytest.mark.parametrize("status", ["active", "inactive", "suspended", "candidate"])
def test_an_expiry_date_already_past_is_refused_while_the_credential_is_live(
    make_credential, today, status
):
    credential = make_credential(status, expires_on=today + 30 * DAY)
    before = _state(credential)
    with pytest.raises(TransitionRefused, match=f"the expiry date {today - DAY} has passed"):
        credential_correct(credential=credential, expires_on=today - DAY, reason="r")
    assert _state(credential) == before
    # Today is still valid: a credential that expires on D is valid through D.
    credential_correct(credential=credential, expires_on=today, reason="r")


def test_the_correction_and_its_event_are_written_together_or_not_at_all(
    make_credential, monkeypatch
):
    credential = make_credential("active")
    before = _state(credential)

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(StatusEvent.objects, "create", fail)
    with pytest.raises(RuntimeError):
        credential_correct(credential=credential, conditions="Supervised", reason="r")
    assert _state(credential) == before


def test_the_correction_works_on_the_row_as_stored_not_a_stale_copy(make_credential):
    credential = make_credential("active")
    stale = Credential.objects.get(pk=credential.pk)
    Credential.objects.filter(pk=credential.pk).update(conditions="Set meanwhile")
    credential_correct(
        credential=stale, conditions="Set meanwhile", issued_on=dt.date(2022, 6, 1), reason="r"
    )
    credential.refresh_from_db()
    assert credential.conditions == "Set meanwhile"
    assert credential.events.get().reason == "Corrected: issue date 2022-07-01 → 2022-06-01. r"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "flogging"}, "kind must be one of"),
        ({"publication": "shouted"}, "publication must be one of"),
        ({"summary": "  "}, "needs a summary"),
        ({"decision_url": "not a url"}, "is not a web address"),
    ],
)
def test_a_sanction_with_a_bad_value_is_refused_and_nothing_is_stored(
    body, make_credential, change, message
):
    values = {
        "kind": "reprimand",
        "decided_on": dt.date(2025, 1, 10),
        "summary": "Failed to cooperate.",
        "publication": "private",
        **change,
    }
    publication = SanctionPublication(values.pop("publication"))
    with pytest.raises(TransitionRefused, match=message):
        sanction_record(
            organization=body,
            record=make_credential("active"),
            decision=SanctionDecision(**values),
            publication=publication,
        )
    assert not Sanction.objects.exists()
