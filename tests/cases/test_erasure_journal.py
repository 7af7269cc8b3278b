"""The erasure journal, kept outside the database: every erasure and purge of a case writes one
entry naming nobody before it commits (an unwritable journal refuses the erasure), and re-applying
the journal erases again what a restored backup brought back, once. Documents' file names are
sealed at rest and the retention sweep finds what is left without reading them."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.bodies.models import FileKey
from ombuds.cases import services
from ombuds.cases.models import Case, Document
from ombuds.cases.rules import CaseRefused
from ombuds.cases.services import erasure
from ombuds.core import erasure_journal
from ombuds.operations.erasures import erasures_reapply
from tests.cases.conftest import PDF, file_case
from tests.cases.test_erasure import EMAIL, FILE_NAME, NAME, _closed, _personal_data_left

REASON = "Request of 3 December by letter from Zebulon; decided by the Chair."


def _erase(case: Case, chair) -> Case:
    return services.case_erase(case=case, reason=REASON, acting_user=chair, expected_version=None)


def _entry_for(case: Case, reason: str = "erasure_on_request") -> erasure_journal.Entry:
    """The entry an erasure of ``case`` wrote (or, for a case not erased, the one a restored
    database finds beside it: an erasure taken after the backup)."""
    return erasure_journal.append(
        kind="case",
        body=case.organization.slug,
        record=case.pk,
        reference=case.reference,
        files=[case.documents.get().file.name],
        reason=reason,
    )


def test_an_erasure_writes_one_entry_that_names_nobody(csec, django_capture_on_commit_callbacks):
    case = _closed(csec)
    stored = case.documents.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        _erase(case, csec.chair)
    [entry] = erasure_journal.entries()
    assert (entry.kind, entry.body, entry.record, entry.reference, entry.reason) == (
        "case",
        "csec",
        case.pk,
        case.reference,
        "erasure_on_request",
    )
    assert entry.files == (stored,)
    [path] = erasure_journal.journal_dir().glob("*.json")
    text = path.read_text()
    assert json.loads(text)["id"] == entry.id
    for personal in (NAME, "Zebulon", EMAIL, FILE_NAME, "letter"):
        assert personal not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_retention_purge_writes_its_entry_too(csec, settings):
    case = _closed(csec)
    settings.OMBUDS_CASE_RETENTION_DAYS = 30
    assert services.cases_purge_due(today=timezone.localdate() + dt.timedelta(days=31)) == 1
    [entry] = erasure_journal.entries()
    assert (entry.record, entry.reason) == (case.pk, "retention_purge")


def test_the_journal_sits_beside_the_checkpoints_unless_set(settings, tmp_path):
    settings.OMBUDS_ERASURE_JOURNAL_DIR = ""
    settings.OMBUDS_AUDIT_CHECKPOINT_DIR = ""
    assert erasure_journal.journal_dir() == Path(settings.DATA_DIR) / "erasures"
    settings.OMBUDS_AUDIT_CHECKPOINT_DIR = str(tmp_path / "elsewhere" / "checkpoints")
    assert erasure_journal.journal_dir() == tmp_path / "elsewhere" / "ombuds-erasures"
    settings.OMBUDS_ERASURE_JOURNAL_DIR = str(tmp_path / "journal")
    assert erasure_journal.journal_dir() == tmp_path / "journal"


def test_an_unwritable_journal_refuses_the_erasure_and_nothing_is_erased(
    csec, settings, tmp_path, django_capture_on_commit_callbacks
):
    case = _closed(csec)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.OMBUDS_ERASURE_JOURNAL_DIR = str(blocker / "journal")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CaseRefused, match=r"cannot be written \(Not a directory\): nothing was"),
    ):
        _erase(case, csec.chair)
    assert _personal_data_left(case)
    case.refresh_from_db()
    assert case.purged_at is None and services.case_erasure(case) is None
    document = case.documents.get()
    with document.file.open("rb") as handle:  # its key was not destroyed
        assert handle.read() == PDF


def test_reapplying_erases_again_a_case_a_restore_brought_back(
    csec, django_capture_on_commit_callbacks
):
    """The database holds the case as a backup taken before its erasure did; the journal holds the
    erasure. Re-applying erases it again (its file's key destroyed, its file gone), with the event
    an erasure writes; re-applying again changes nothing."""
    case = _closed(csec)
    document = case.documents.get()
    path = Path(document.file.path)
    entry = _entry_for(case)
    head = Event.objects.order_by("-seq").first().seq
    with django_capture_on_commit_callbacks(execute=True):
        done = erasures_reapply()
    assert (done.entries, done.erased, done.already, done.missing, done.failed) == (1, 1, 0, 0, 0)
    assert str(done) == (
        "erasure journal: 1 of 1 entries re-applied (0 erased already, 0 not in this database)"
    )
    assert _personal_data_left(case) == []
    assert not FileKey.objects.filter(name=entry.files[0]).exists()
    assert not path.exists()
    [event] = Event.objects.filter(action="case.erased", subject_id=str(case.pk), seq__gt=head)
    assert event.data["journal"] == entry.id and event.actor is None
    assert services.case_erasure(case) is not None  # the case's page says it was erased
    assert verify().ok
    again = erasures_reapply()
    assert (again.erased, again.already) == (0, 1)
    assert Event.objects.filter(action="case.erased", subject_id=str(case.pk)).count() == 1


def test_a_purge_entry_is_reapplied_as_a_purge(csec):
    case = _closed(csec)
    _entry_for(case, reason="retention_purge")
    assert erasures_reapply().erased == 1
    assert _personal_data_left(case) == []
    assert Event.objects.filter(action="case.purged", subject_id=str(case.pk)).exists()
    assert services.case_erasure(case) is None  # purged, not erased on request


def test_an_entry_for_another_databases_case_is_left_alone(csec):
    case = _closed(csec)
    erasure_journal.append(
        kind="case",
        body="csec",
        record=case.pk,
        reference="CSEC-1999-999",  # another case with this id elsewhere: not this one
        files=[],
        reason="erasure_on_request",
    )
    done = erasures_reapply()
    assert (done.erased, done.missing) == (0, 1)
    assert _personal_data_left(case)


def test_the_command_lists_and_reapplies_the_journal(csec, capsys):
    case = _closed(csec)
    _entry_for(case)
    call_command("erasures", "list")
    listing = capsys.readouterr().out.splitlines()
    assert f"case {case.reference} of csec (#{case.pk})" in listing[0]
    assert "erasure_on_request, 1 files" in listing[0]
    assert listing[1] == f"1 erasures in {erasure_journal.journal_dir()}"
    call_command("erasures", "reapply")
    assert capsys.readouterr().out.strip() == (
        "erasure journal: 1 of 1 entries re-applied (0 erased already, 0 not in this database)"
    )
    assert _personal_data_left(case) == []


def test_a_damaged_entry_stops_the_command_with_one_line(csec):
    folder = erasure_journal.journal_dir()
    folder.mkdir(parents=True)
    (folder / "20260101T000000000000-case-1-abcd.json").write_text("{not json")
    with pytest.raises(CommandError, match="is not an erasure journal entry") as refused:
        call_command("erasures", "reapply")
    assert "\n" not in str(refused.value)


# --- documents' file names, sealed ----------------------------------------------------------------


def test_a_documents_file_name_is_sealed_and_never_in_its_events(client, csec):
    case = file_case(csec, files=[(FILE_NAME, PDF)])
    filed = case.documents.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT original_name FROM cases_document WHERE id = %s", [filed.pk])
        [(raw,)] = cursor.fetchall()
    assert FILE_NAME not in raw and filed.original_name == FILE_NAME
    assert Event.objects.get(action="case.filed").data["documents"] == [filed.token]
    added = services.document_add(
        case=case, name="zq-bank-letter.pdf", data=PDF, kind="evidence", acting_user=csec.chair
    )
    event = Event.objects.get(action="case.document_added", subject_id=str(case.pk))
    assert event.data["document"] == added.token and "zq-bank" not in str(event.data)
    client.force_login(csec.chair)
    page = client.get(
        reverse("cases_staff:case", kwargs={"org": "csec", "reference": case.reference})
    )
    assert page.status_code == 200
    assert FILE_NAME in page.content.decode() and "zq-bank-letter.pdf" in page.content.decode()
    opened = client.get(
        reverse(
            "cases_staff:document",
            kwargs={"org": "csec", "reference": case.reference, "token": filed.token},
        )
    )
    assert opened.status_code == 200
    viewed = Event.objects.get(action="case.document_viewed", subject_id=str(case.pk))
    assert viewed.data == {"reference": case.reference, "document": filed.token}


def test_the_sweep_finds_a_document_an_earlier_purge_left_without_reading_its_name(csec, settings):
    case = _closed(csec)
    assert services.case_purge(case=case, reason="retention period ended")
    # As the migration that sealed names leaves a document an earlier purge kept the name of.
    Document.objects.filter(case=case).update(purged_at=None, original_name=FILE_NAME)
    settings.OMBUDS_CASE_RETENTION_DAYS = 30
    assert services.cases_purge_due(today=timezone.localdate()) == 1
    assert Document.objects.get(case=case).original_name == erasure.NAME_REMOVED
    assert services.cases_purge_due(today=timezone.localdate()) == 0
    assert [e.reason for e in erasure_journal.entries()] == ["retention_purge", "purge_completed"]


def test_the_daily_work_reapplies_the_journal_and_a_failure_is_on_the_record(csec, monkeypatch):
    from ombuds.operations import daily
    from ombuds.operations.models import DailyRun

    case = _closed(csec)
    _entry_for(case)
    run = daily.daily_run("erasures", day=timezone.localdate(), worker="w1")
    assert run.outcome == DailyRun.Outcome.SUCCEEDED
    assert run.summary == {"entries": 1, "re-applied": 1, "failed": 0}
    assert _personal_data_left(case) == []

    def broken(entry):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(erasure, "erasure_reapply", broken)
    run = daily.daily_run("erasures", day=timezone.localdate() + dt.timedelta(days=1), worker="w1")
    assert run.outcome == DailyRun.Outcome.FAILED
    assert "1 failed: see the log" in run.error
