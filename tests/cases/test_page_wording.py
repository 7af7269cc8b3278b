"""What the case page says of a document's kind and of who wrote a message: words, never the stored
names ("efforts_proof") or the audit labels ("respondent (link)")."""

from __future__ import annotations

from pathlib import Path

from ombuds.cases.models import Document, Message


def test_a_documents_kind_is_shown_in_words():
    assert Document(kind="efforts_proof").kind_label == "proof of efforts to resolve"
    assert Document(kind="site_visit_report").kind_label == "site visit report"
    assert Document(kind="evidence").kind_label == "evidence"


def test_who_wrote_a_message_is_said_once_in_words():
    by_link = Message(author_label="respondent (link)", from_party=True)
    assert by_link.author_display == "respondent, through their personal link"
    assert "(party)" not in by_link.author_display
    entered = Message(author_label="Sam Staff", from_party=True)
    assert entered.author_display == "Sam Staff (for a party)"
    assert Message(author_label="Sam Staff").author_display == "Sam Staff"


def test_the_case_page_shows_no_raw_name_and_no_broken_sentence():
    page = (Path(__file__).parents[2] / "ombuds/templates/cases/staff/case.html").read_text()
    assert "{{ d.kind }}" not in page and "(party)" not in page
    assert "waits for {% for" not in page
