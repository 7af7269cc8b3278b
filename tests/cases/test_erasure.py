"""Erasure that erases: the retention purge and an erasure on request (the service, `ombuds cases
erase` and the Chair's page) remove every personal datum of a closed case, destroy its files
(overwritten before they are deleted), keep the case and its decision, and leave a chain that
verifies."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.cases import services
from ombuds.cases.models import AllegationRevision, Case, Document
from ombuds.cases.rules import CaseChanged, CaseRefused
from ombuds.cases.services import erasure
from tests.cases.conftest import PDF, case_events, file_case, take

NAME, EMAIL, FILE_NAME = "Zebulon Quixote", "zq@example.test", "zq-private-notes.pdf"


def _closed(csec, **fields) -> Case:
    """A named complaint with a file and a party's message, notified and closed."""
    case = file_case(
        csec,
        respondent_agency=csec.non_member_agency,
        complainant_name=NAME,
        complainant_email=EMAIL,
        complainant_phone="+1 555 0199",
        what_happened="Zebulon's account was emptied by Rogue Collections.",
        respondent_details="Their desk, ask for Mo.",
        consent_to_share=True,
        files=[(FILE_NAME, PDF)],
        **fields,
    )
    take(case, "acknowledge", csec.chair)
    services.message_post(
        case=case,
        audience="complainant",
        body="I also have the bank letter.",
        actor_label=f"{NAME} (complainant)",
        from_party=True,
    )
    take(case, "notify_agency", csec.chair)
    return take(case, "close_non_member", csec.chair, reasons="Referred to the state regulator.")


def _personal_data_left(case: Case) -> list[str]:
    """Every place the case's rows (and its events' details and labels) still name the
    complainant."""
    case.refresh_from_db()
    found = []
    fields = (
        case.complainant_name,
        case.complainant_email,
        case.complainant_phone,
        case.what_happened,
        case.respondent_details,
    )
    found += [f"case: {v}" for v in fields if NAME.split()[0] in v or EMAIL in v or "555" in v]
    for notice in case.notices.all():
        found += [f"notice {notice.pk}: {notice.recipient_email}"] if notice.recipient_email else []
        found += [f"notice {notice.pk} body"] if NAME in notice.body else []
    for document in Document.objects.filter(case=case):
        text = f"{document.original_name} {document.uploaded_by_label}"
        found += [f"document {document.pk}: {text}"] if (NAME in text or FILE_NAME in text) else []
        found += [f"document {document.pk} file"] if document.file else []
    for message in case.messages.all():
        text = f"{message.author_label} {message.body}"
        found += [f"message {message.pk}: {text}"] if NAME in text or "bank" in text else []
    for allegation in case.allegations.all():
        found += [f"allegation {allegation.pk}"] if "Zebulon" in allegation.summary else []
    for event in Event.objects.filter(subject_type="case", subject_id=str(case.pk)):
        text = f"{event.actor_label} {event.data}"
        found += [f"event #{event.seq}: {text}"] if NAME in text or EMAIL in text else []
    return found


def _zeros(held: dict[str, bytes]) -> bool:
    """Every file held only zeros (as many as it had bytes) when it was deleted."""
    return bool(held) and all(data and not data.strip(b"\0") for data in held.values())


@pytest.fixture
def files_destroyed(monkeypatch):
    """What each stored file held when it was deleted (a file deleted after being overwritten
    held only zeros)."""
    from django.core.files.storage import FileSystemStorage

    held: dict[str, bytes] = {}
    delete = FileSystemStorage.delete

    def watched(self, name):
        path = Path(self.path(name))
        held[name] = path.read_bytes() if path.exists() else b""
        return delete(self, name)

    monkeypatch.setattr(FileSystemStorage, "delete", watched)
    return held


def test_the_retention_purge_leaves_nothing_naming_the_complainant(
    csec, settings, django_capture_on_commit_callbacks, files_destroyed
):
    case = _closed(csec)
    [document] = case.documents.all()
    path = Path(document.file.path)
    assert _personal_data_left(case)  # the check finds what is there before the purge
    settings.OMBUDS_CASE_RETENTION_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cases_purge_due(today=timezone.localdate() + dt.timedelta(days=31)) == 1
    assert _personal_data_left(case) == []
    assert not path.exists()
    assert _zeros(files_destroyed)  # overwritten, then deleted
    assert case.notices.exists() and set(
        case.notices.values_list("recipient_email", flat=True)
    ) == {""}
    assert case.receipt_code is None and case.passphrase_hash == ""
    assert case.complainant_relation == Case.Relation.OTHER
    assert not case.respondent_links.exists()
    assert case.state == "closed" and case.closed_at is not None
    assert case.allegations.get().provisions.exists()  # the decision record stays
    assert "case.purged" in case_events(case)
    assert verify().ok


def test_allegation_revisions_and_cleaned_copies_are_emptied_too(
    csec, django_capture_on_commit_callbacks, files_destroyed
):
    from django.core.files.base import ContentFile

    case = _closed(csec)
    allegation = case.allegations.get()
    AllegationRevision.objects.create(
        allegation=allegation,
        old_summary="Zebulon's account was emptied.",
        new_summary="The complainant's account was emptied.",
    )
    document = case.documents.get()
    document.shared_file.save("copy", ContentFile(PDF), save=False)
    document.shared_name = FILE_NAME
    document.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.case_purge(case=case, reason="retention period ended")
    revision = AllegationRevision.objects.get(allegation=allegation)
    assert (revision.old_summary, revision.new_summary) == ("", "")
    document.refresh_from_db()
    assert (document.file.name, document.shared_file.name, document.shared_name) == ("", "", "")
    assert len(files_destroyed) == 2 and _zeros(files_destroyed)


def test_the_chair_erases_a_closed_case_on_request(
    csec, django_capture_on_commit_callbacks, files_destroyed
):
    case = _closed(csec)
    path = Path(case.documents.get().file.path)
    with django_capture_on_commit_callbacks(execute=True):
        erased = services.case_erase(
            case=case,
            reason="Request of 3 December by letter; decided by the Chair.",
            acting_user=csec.chair,
            expected_version=case.version,
        )
    assert erased.purged_at is not None
    assert _personal_data_left(case) == []
    assert not path.exists()
    assert len(files_destroyed) == 1 and _zeros(files_destroyed)
    [event] = Event.objects.filter(subject_id=str(case.pk), action="case.erased")
    assert event.data == {
        "reference": case.reference,
        "reason": "Request of 3 December by letter; decided by the Chair.",
        "documents": 1,
        "events": event.data["events"],
    }
    assert event.data["events"] >= 5 and event.actor == csec.chair
    found = services.case_erasure(case)
    assert found.reason.startswith("Request of 3 December") and found.on == event.occurred_at
    assert verify().ok
    # The retention purge later leaves it alone; a second erasure is refused.
    assert services.case_purge(case=case, reason="retention period ended") is False
    with pytest.raises(CaseRefused, match="already erased"):
        services.case_erase(
            case=case, reason="again", acting_user=csec.chair, expected_version=None
        )


def test_an_erasure_is_refused_when_stale_open_unexplained_or_not_the_chairs(csec):
    case = _closed(csec)
    with pytest.raises(CaseChanged):
        services.case_erase(
            case=case, reason="Asked.", acting_user=csec.chair, expected_version=case.version - 1
        )
    with pytest.raises(CaseRefused, match="say why"):
        services.case_erase(case=case, reason="  ", acting_user=csec.chair, expected_version=None)
    for user in (csec.committee, csec.staff, csec.admin):
        with pytest.raises(CaseRefused, match="only the ethics chair"):
            services.case_erase(case=case, reason="Asked.", acting_user=user, expected_version=None)
    services.recusal_record(
        case=case, user=csec.chair, reason="Knows the complainant.", acting_user=csec.admin
    )
    with pytest.raises(CaseRefused):
        services.case_erase(
            case=case, reason="Asked.", acting_user=csec.chair, expected_version=None
        )
    open_case = file_case(csec, complainant_name=NAME)
    with pytest.raises(CaseRefused, match="only a closed case"):
        services.case_erase(
            case=open_case, reason="Asked.", acting_user=csec.chair, expected_version=None
        )
    case.refresh_from_db()
    open_case.refresh_from_db()
    assert case.complainant_name == NAME and open_case.complainant_name == NAME
    assert "case.erased" not in case_events(case)


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("cases", *args, stdout=out)
    return out.getvalue()


def test_ombuds_cases_erase_checks_the_users_role(csec):
    case = _closed(csec)
    with pytest.raises(CommandError, match="only the ethics chair"):
        _cli("erase", case.reference, "--reason", "Asked.", "--as", csec.committee.username)
    with pytest.raises(CommandError, match="no user"):
        _cli("erase", case.reference, "--reason", "Asked.", "--as", "nobody")
    with pytest.raises(CommandError, match="say why"):
        _cli("erase", case.reference, "--reason", " ", "--as", csec.chair.username)
    with pytest.raises(CommandError, match="changed since"):
        _cli(
            "erase",
            case.reference,
            "--reason",
            "Asked.",
            "--as",
            csec.chair.username,
            "--expected-version",
            "1",
        )
    out = _cli("erase", case.reference, "--reason", "Asked by email.", "--as", csec.chair.username)
    assert f"{case.reference}: personal data erased" in out
    assert _personal_data_left(case) == []


def test_ombuds_cases_erase_without_a_user_is_the_operators(csec):
    case = _closed(csec)
    _cli("erase", case.reference, "--reason", "Court order 12/2026.")
    event = Event.objects.get(subject_id=str(case.pk), action="case.erased")
    assert event.actor is None and event.actor_label == "operator (command line)"


def test_the_chairs_button_shows_what_goes_then_erases(client, csec):
    case = _closed(csec)
    page_url = reverse("cases_staff:case", kwargs={"org": "csec", "reference": case.reference})
    url = reverse("cases_staff:case_erase", kwargs={"org": "csec", "reference": case.reference})
    client.force_login(csec.committee)
    assert url not in client.get(page_url).content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x", "version": case.version}).status_code == 403
    client.force_login(csec.chair)
    assert url in client.get(page_url).content.decode()
    confirm = client.get(url).content.decode()
    assert "What is removed, for good" in confirm and "original name" in confirm
    assert "What stays" in confirm
    missing = client.post(url, {"reason": "", "version": case.version})
    assert missing.status_code == 400 and "Say why the case is erased." in missing.content.decode()
    junk = client.post(url, {"reason": "x" * 100_000, "version": ["9" * 40, "-1"]})
    assert junk.status_code == 400 and "at most 1000 characters" in junk.content.decode()
    stale = client.post(url, {"reason": "Asked.", "version": case.version - 1})
    assert stale.status_code == 400 and "changed since" in stale.content.decode()
    done = client.post(url, {"reason": "Asked by letter of 3 December.", "version": case.version})
    assert done.status_code == 302
    page = client.get(page_url).content.decode()
    today = timezone.localdate()
    assert f"Erased on {today.day} {today:%B %Y}: Asked by letter of 3 December." in page
    assert NAME not in page and EMAIL not in page and FILE_NAME not in page
    assert url not in page
    assert _personal_data_left(case) == []


def test_a_file_that_cannot_be_destroyed_does_not_keep_the_others(csec, monkeypatch, caplog):
    calls = []

    def fail_first(storage, name):
        calls.append(name)
        if len(calls) == 1:
            raise OSError("disk gone")

    monkeypatch.setattr(erasure, "file_destroy", fail_first)

    class Storage:
        pass

    assert erasure.files_destroy([(Storage(), "cases/a"), (Storage(), "cases/b")]) == 1
    assert calls == ["cases/a", "cases/b"] and "cases/a could not be destroyed" in caplog.text


def test_cases_purged_before_this_are_swept_once_by_the_daily_clock(
    csec, settings, django_capture_on_commit_callbacks, files_destroyed
):
    case = _closed(csec)
    # What the purge used to leave: the case's own fields emptied, the rest kept.
    Case.objects.filter(pk=case.pk).update(purged_at=timezone.now())
    assert case.notices.filter(recipient_email=EMAIL).exists()
    settings.OMBUDS_CASE_RETENTION_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cases_purge_due() == 1
    assert _personal_data_left(case) == []
    assert _zeros(files_destroyed)
    assert "case.purge_completed" in case_events(case)
    assert services.cases_purge_due() == 0  # once
    assert verify().ok
