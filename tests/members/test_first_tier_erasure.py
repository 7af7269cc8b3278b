"""A client's complaint to a member agency is sealed at rest and forgotten: with the body's case it
went to (erased or purged), at the end of its own retention period, and again from the erasure
journal; the record, its statuses and times stay, and the chain still verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.cases import services
from ombuds.core import erasure_journal
from ombuds.members import first_tier
from ombuds.members.models import ClientComplaint, ClientMessage
from ombuds.operations.erasures import erasures_reapply
from tests.cases import conftest as case_fixtures
from tests.cases.conftest import take
from tests.members.test_first_tier import DESCRIPTION, build_agencies, file

pytestmark = pytest.mark.django_db

csec = case_fixtures.csec
ANSWER = "We are checking the March ledger for Pat."


@pytest.fixture
def ft(csec, django_user_model):
    return build_agencies(csec, django_user_model)


def _exchanged(ft) -> tuple[ClientComplaint, str]:
    filed = file(ft.agency, client_phone="+1 555 0100", client_case_number="FS-88")
    ada = ft.users["ada"]
    first_tier.client_complaint_reply(complaint=filed.complaint, body=ANSWER, acting_user=ada)
    first_tier.client_complaint_client_reply(
        complaint=filed.complaint, body="It has been three weeks now."
    )
    first_tier.client_complaint_close_unresolved(
        complaint=filed.complaint, reason="We believe the payment was made.", acting_user=ada
    )
    return ClientComplaint.objects.get(pk=filed.complaint.pk), filed.token


def _raw(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        return " ".join(str(v) for v in cursor.fetchone())


def _personal(complaint: ClientComplaint) -> list[str]:
    complaint.refresh_from_db()
    values = [
        complaint.client_name,
        complaint.client_email,
        complaint.client_phone,
        complaint.client_case_number,
        complaint.description,
        complaint.resolution,
        *complaint.messages.values_list("body", flat=True),
    ]
    needles = ("Pat", "pat@client.example", "555 0100", "FS-88", "March", "three weeks")
    return [v for v in values if any(n in v for n in needles)]


def test_the_clients_identity_and_words_are_sealed_at_rest_and_read_in_the_inbox(client, ft):
    complaint, _token = _exchanged(ft)
    row = _raw("members_clientcomplaint", complaint.pk)
    for clear in ("Pat Client", "pat@client.example", "555 0100", "FS-88", DESCRIPTION[:20]):
        assert clear not in row
    message = complaint.messages.get(from_client=False)
    assert "March ledger" not in _raw("members_clientmessage", message.pk)
    # Read through the application, as the agency's administrator reads it.
    assert complaint.client_name == "Pat Client" and message.body == ANSWER
    client.force_login(ft.users["ada"])
    page = client.get(
        reverse("first_tier:complaint", kwargs={"agency": ft.agency.pk, "pk": complaint.pk})
    )
    assert page.status_code == 200
    assert "Pat Client" in page.content.decode() and ANSWER in page.content.decode()


def test_erasing_the_case_the_complaint_went_to_forgets_the_complaint(ft):
    complaint, token = _exchanged(ft)
    case = services.case_file(
        organization=ft.org,
        complaint=services.Complaint(
            what_happened=DESCRIPTION,
            complainant_name="Pat Client",
            complainant_email="pat@client.example",
            complainant_relation="client",
            first_tier_link=token,
        ),
    ).case
    case = take(case, "dismiss", ft.body.chair, ground="withdrawn", reasons="Withdrawn.")
    assert _personal(complaint)
    services.case_erase(
        case=case, reason="Asked by letter.", acting_user=ft.body.chair, expected_version=None
    )
    assert _personal(complaint) == []
    assert complaint.erased_at is not None
    assert complaint.reference and complaint.status == "unresolved"  # the record stays
    assert complaint.first_response_at is not None  # and its times still count
    erased = Event.objects.get(action="client_complaint.erased")
    assert erased.data == {
        "reference": complaint.reference,
        "reason": "case_erased",
        "messages": 2,
        "events": erased.data["events"],
    }
    kinds = [(e.kind, e.record) for e in erasure_journal.entries()]
    assert ("client_complaint", complaint.pk) in kinds and ("case", case.pk) in kinds
    assert verify().ok


def test_the_retention_purge_forgets_closed_complaints_not_kept_by_a_case(ft, settings):
    settings.OMBUDS_CASE_RETENTION_DAYS = 30
    closed, _ = _exchanged(ft)
    still_open = file(ft.agency, submission_key="another-form-key-0001").complaint
    later = timezone.localdate() + dt.timedelta(days=31)
    assert first_tier.complaints_purge_due(today=later - dt.timedelta(days=2)) == 0
    assert first_tier.complaints_purge_due(today=later) == 1
    assert _personal(closed) == [] and closed.erased_at is not None
    still_open.refresh_from_db()
    assert still_open.erased_at is None and still_open.client_name == "Pat Client"
    assert first_tier.complaints_purge_due(today=later) == 0  # once
    [entry] = erasure_journal.entries()
    assert (entry.kind, entry.record, entry.reason) == (
        "client_complaint",
        closed.pk,
        "retention_purge",
    )
    assert "Pat" not in str(entry.as_json())


def test_a_complaint_kept_by_a_case_waits_for_the_cases_own_purge(ft, settings):
    settings.OMBUDS_CASE_RETENTION_DAYS = 30
    complaint, token = _exchanged(ft)
    services.case_file(
        organization=ft.org,
        complaint=services.Complaint(
            what_happened=DESCRIPTION,
            complainant_name="Pat Client",
            complainant_relation="client",
            first_tier_link=token,
        ),
    )
    later = timezone.localdate() + dt.timedelta(days=31)
    assert first_tier.complaints_purge_due(today=later) == 0
    assert _personal(complaint)


def test_only_the_agencys_administrators_erase_its_complaint(ft):
    complaint, _ = _exchanged(ft)
    for name in ("emil", "fern", "bo"):
        with pytest.raises(first_tier.FirstTierRefused):
            first_tier.client_complaint_forget(
                complaint=complaint, reason="erasure_on_request", acting_user=ft.users[name]
            )
    assert _personal(complaint)
    assert first_tier.client_complaint_forget(
        complaint=complaint, reason="erasure_on_request", acting_user=ft.users["ada"]
    )
    assert _personal(complaint) == []
    assert not first_tier.client_complaint_forget(
        complaint=complaint, reason="erasure_on_request", acting_user=ft.users["ada"]
    )


def test_an_unwritable_journal_refuses_the_erasure_and_changes_nothing(ft, settings, tmp_path):
    complaint, _ = _exchanged(ft)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal's folder should be")
    settings.OMBUDS_ERASURE_JOURNAL_DIR = str(blocker / "journal")
    with pytest.raises(first_tier.FirstTierRefused, match=r"erasure journal .* cannot be written"):
        first_tier.client_complaint_forget(complaint=complaint, reason="retention_purge")
    assert len(_personal(complaint)) == 7 and complaint.erased_at is None
    assert not Event.objects.filter(action="client_complaint.erased").exists()


def test_the_journal_forgets_again_a_complaint_a_restore_brought_back(ft):
    """An entry whose erasure did not stay (its commit failed, or a backup from before it was
    restored) is re-applied: the complaint is forgotten, once."""
    complaint, _ = _exchanged(ft)
    erasure_journal.append(
        kind="client_complaint",
        body=ft.org.slug,
        record=complaint.pk,
        reference=complaint.reference,
        files=[],
        reason="erasure_on_request",
    )
    done = erasures_reapply()
    assert (done.entries, done.erased, done.already, done.missing) == (1, 1, 0, 0)
    assert _personal(complaint) == []
    assert not ClientMessage.objects.filter(complaint=complaint).exclude(body="").exists()
    again = erasures_reapply()
    assert (again.entries, again.erased, again.already) == (1, 0, 1)
    assert verify().ok
