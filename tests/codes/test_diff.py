from dataclasses import dataclass

from ombuds.codes.diff import diff_provisions, word_diff


@dataclass
class P:
    citation: str
    heading: str = ""
    text: str = ""


def test_added_removed_and_changed_are_reported_by_citation():
    old = [
        P("1", "Clients"),
        P("1.1", text="Members shall answer complaints."),
        P("1.2", text="Gone."),
    ]
    new = [
        P("1", "Clients"),
        P("1.1", text="Members shall answer all complaints promptly."),
        P("1.3", text="Members shall keep records."),
    ]
    result = diff_provisions(old, new)
    assert [e.citation for e in result.added] == ["1.3"]
    assert [e.citation for e in result.removed] == ["1.2"]
    assert [c.citation for c in result.changed] == ["1.1"]
    assert result.unchanged == 1
    # Words and punctuation are compared apart: the full stop stays where it was.
    marked = result.changed[0].marked()
    assert marked == "Members shall answer {+all+} complaints {+promptly+}."


def test_same_words_under_a_new_citation_is_a_renumbering():
    old = [P("4.1", text="Members shall not disparage colleagues.")]
    new = [P("5.1", text="Members shall not disparage colleagues.")]
    result = diff_provisions(old, new)
    assert (result.added, result.removed) == ([], [])
    assert [(r.old_citation, r.new_citation) for r in result.renumbered] == [("4.1", "5.1")]


def test_whitespace_alone_is_not_a_change():
    result = diff_provisions([P("1", text="a  b\nc")], [P("1", text="a b c")])
    assert result.is_empty and result.unchanged == 1


def test_a_changed_heading_is_a_change():
    result = diff_provisions([P("2", "Colleagues")], [P("2", "Relations with colleagues")])
    assert [c.citation for c in result.changed] == ["2"]


def test_word_diff_marks_only_the_changed_words():
    segments = word_diff("keep money in an account", "keep money in a trust account")
    assert [(s.kind, s.text) for s in segments] == [
        ("equal", "keep money in"),
        ("delete", "an"),
        ("insert", "a trust"),
        ("equal", "account"),
    ]


def test_punctuation_added_after_a_word_leaves_the_word_unchanged():
    segments = word_diff(
        "treat others with respect and care", "treat others with respect, courtesy and care"
    )
    assert [(s.kind, s.text) for s in segments] == [
        ("equal", "treat others with respect"),
        ("insert", ", courtesy"),
        ("equal", "and care"),
    ]
    # The comma is shown against the word, with no space before it.
    assert [s.spaced for s in segments] == [False, False, True]


def test_words_keep_their_inner_apostrophes_and_hyphens():
    segments = word_diff("a member's non-profit work", "a member's for-profit work")
    assert [(s.kind, s.text) for s in segments if s.kind != "equal"] == [
        ("delete", "non-profit"),
        ("insert", "for-profit"),
    ]


def test_a_changed_punctuation_mark_alone_is_marked():
    old = [P("1", text="Members shall act fairly.")]
    new = [P("1", text="Members shall act fairly;")]
    assert diff_provisions(old, new).changed[0].marked() == "Members shall act fairly[-.-]{+;+}"
