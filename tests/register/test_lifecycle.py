"""The lifecycle tables and check_transition, without the database.

The tests walk the tables, so a row added to a table is covered here without a new test.
"""

from __future__ import annotations

import itertools

import pytest

from ombuds.register.lifecycle import (
    CREDENTIAL_TRANSITIONS,
    MEMBERSHIP_TRANSITIONS,
    TransitionRefused,
    check_transition,
    manual_transitions,
)
from ombuds.register.models import Credential, Membership

TABLES = {
    "credential": (CREDENTIAL_TRANSITIONS, Credential.Status.values),
    "membership": (MEMBERSHIP_TRANSITIONS, Membership.Status.values),
}
# What each service can be given: a row requiring anything else could never be taken.
SUPPLIABLE = {
    "credential": {"until", "decision_ref", "expires_on"},
    "membership": {"until", "decision_ref", "renewal_date"},
}


def _rows() -> list:
    return [
        pytest.param(
            kind, row, id=f"{kind}:{row.source}->{row.target}{':auto' if row.automatic else ''}"
        )
        for kind, (table, _statuses) in TABLES.items()
        for row in table
    ]


def _not_rows(*, automatic: bool) -> list:
    """Every (source, target) pair of distinct statuses that no row of that kind allows."""
    params = []
    for kind, (table, statuses) in TABLES.items():
        taken = {(t.source, t.target) for t in table if t.automatic == automatic}
        params += [
            pytest.param(kind, source, target, id=f"{kind}:{source}->{target}")
            for source, target in itertools.permutations(statuses, 2)
            if (source, target) not in taken
        ]
    return params


@pytest.mark.parametrize("kind", TABLES)
def test_every_row_names_real_statuses_and_requirements_the_service_can_supply(kind):
    table, statuses = TABLES[kind]
    for row in table:
        assert row.source in statuses and row.target in statuses, row
        assert row.source != row.target, row
        assert row.requires <= SUPPLIABLE[kind], row
        assert row.name, row


@pytest.mark.parametrize("kind", TABLES)
def test_no_move_is_listed_twice(kind):
    table, _ = TABLES[kind]
    keys = [(t.source, t.target, t.automatic) for t in table]
    assert len(keys) == len(set(keys))


def test_the_issues_credential_lifecycle_is_in_the_table():
    manual = {(t.source, t.target) for t in CREDENTIAL_TRANSITIONS if not t.automatic}
    automatic = {(t.source, t.target) for t in CREDENTIAL_TRANSITIONS if t.automatic}
    assert {("active", "expired"), ("expired", "lapsed"), ("suspended", "active")} <= automatic
    assert {
        ("candidate", "active"),
        ("active", "inactive"),
        ("active", "suspended"),
        ("suspended", "active"),
        ("suspended", "revoked"),
        ("active", "surrendered"),
        ("expired", "active"),
        ("lapsed", "active"),
    } <= manual
    # Expiry and lapse happen on their date, never by hand.
    assert not {("active", "expired"), ("expired", "lapsed")} & manual


def test_nothing_leaves_revoked():
    assert not [t for t in CREDENTIAL_TRANSITIONS if t.source == "revoked"]


@pytest.mark.parametrize(("kind", "row"), _rows())
def test_every_row_is_allowed_when_its_requirements_are_given(kind, row):
    table, _ = TABLES[kind]
    assert (
        check_transition(
            table, row.source, row.target, automatic=row.automatic, given=row.requires
        ).name
        == row.name
    )


@pytest.mark.parametrize(("kind", "row"), [p for p in _rows() if p.values[1].requires])
def test_every_missing_requirement_is_named(kind, row):
    table, _ = TABLES[kind]
    for missing in row.requires:
        with pytest.raises(TransitionRefused, match=missing):
            check_transition(
                table,
                row.source,
                row.target,
                automatic=row.automatic,
                given=row.requires - {missing},
            )


@pytest.mark.parametrize(("kind", "source", "target"), _not_rows(automatic=False))
def test_staff_cannot_take_a_move_the_table_does_not_list(kind, source, target):
    table, _ = TABLES[kind]
    with pytest.raises(TransitionRefused, match="cannot"):
        check_transition(table, source, target, given=SUPPLIABLE[kind])


@pytest.mark.parametrize(("kind", "source", "target"), _not_rows(automatic=True))
def test_the_scheduler_cannot_take_a_move_that_is_not_automatic(kind, source, target):
    table, _ = TABLES[kind]
    with pytest.raises(TransitionRefused, match="cannot"):
        check_transition(table, source, target, automatic=True, given=SUPPLIABLE[kind])


@pytest.mark.parametrize("status", Credential.Status.values)
def test_a_status_cannot_become_itself(status):
    with pytest.raises(TransitionRefused, match=f"already {status}"):
        check_transition(CREDENTIAL_TRANSITIONS, status, status)


@pytest.mark.parametrize(
    ("kind", "source", "target"),
    [
        ("credential", "active", "expired"),
        ("credential", "expired", "lapsed"),
        ("membership", "active", "grace"),
        ("membership", "grace", "lapsed"),
    ],
)
def test_asking_by_hand_for_an_automatic_move_says_it_is_automatic(kind, source, target):
    table, _ = TABLES[kind]
    with pytest.raises(TransitionRefused) as refused:
        check_transition(table, source, target)
    assert str(refused.value).startswith(f"{source} cannot become {target} by hand")
    assert "automatically on its date" in str(refused.value)


def test_a_refusal_lists_the_moves_staff_can_take_instead():
    with pytest.raises(TransitionRefused) as refused:
        check_transition(CREDENTIAL_TRANSITIONS, "active", "candidate")
    assert str(refused.value) == (
        "active cannot become candidate; from active it can become: "
        "inactive, revoked, surrendered, suspended"
    )


@pytest.mark.parametrize("target", ["active", "candidate", "surrendered"])
def test_a_revoked_credential_takes_a_new_application(target):
    for automatic in (False, True):
        with pytest.raises(TransitionRefused, match="revoked credential cannot change"):
            check_transition(
                CREDENTIAL_TRANSITIONS,
                "revoked",
                target,
                automatic=automatic,
                given=SUPPLIABLE["credential"],
            )


@pytest.mark.parametrize(
    ("kind", "status"),
    [("credential", "surrendered"), ("membership", "expelled"), ("membership", "resigned")],
)
def test_a_final_status_says_it_is_final(kind, status):
    table, _ = TABLES[kind]
    with pytest.raises(TransitionRefused, match=f"{status} is final"):
        check_transition(table, status, "active", given=SUPPLIABLE[kind])


def test_staff_are_offered_only_the_manual_moves_in_table_order():
    def offered(status):
        return [t.target for t in manual_transitions(CREDENTIAL_TRANSITIONS, status)]

    assert offered("active") == ["inactive", "suspended", "revoked", "surrendered"]
    assert offered("expired") == ["active"]  # lapse is automatic
    assert offered("suspended") == ["active", "revoked"]  # the manual reinstatement only
    assert offered("revoked") == []
