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
    # Words are compared as written, punctuation included, like `git diff --word-diff`.
    marked = result.changed[0].marked()
    assert marked == "Members shall answer [-complaints.-] {+all complaints promptly.+}"


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
