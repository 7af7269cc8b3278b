"""Numbering styles as data (ombuds/codes/_parsing/styles.py): the layouts a careful reader cites one
way, each from a small text written for these tests, and codes generated from the style table that
must parse back to the tree they were generated from."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombuds.codes._parsing.styles import BY_NAME, STYLES, grammar_of, select
from ombuds.codes.parser import ParsedCode, parse


def outline(code: ParsedCode) -> list[tuple[str | None, str | None, str, str | None]]:
    """(citation, heading, text, modality) of every provision, depth first."""
    return [(p.citation, p.heading, p.text, p.modality) for p in code.walk()]


def citations(code: ParsedCode) -> list[str | None]:
    return [p.citation for p in code.walk()]


# The style table ---------------------------------------------------------------------------------


def test_the_table_names_every_style_of_the_issue():
    names = {style.name for style in STYLES}
    for keyword in (
        "article",
        "section",
        "part",
        "chapter",
        "canon",
        "principle",
        "standard",
        "rule",
        "tenet",
        "clause",
        "§",
        "none",
    ):
        assert keyword in names


def test_label_grammars():
    assert grammar_of("4-1.1") == "dashed"
    assert grammar_of("1.01") == "dotted"
    assert grammar_of("12") == "arabic"
    assert grammar_of("IV") == "roman"
    assert grammar_of("B") == "letter"


def test_an_unknown_style_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match=r"unknown numbering style sutra.*article"):
        select(("article", "sutra"))


# Layouts a careful reader cites one way ---------------------------------------------------------

PRINCIPLES_THEN_STANDARDS = """Code of Ethics for Examiners

Principle A: Care

Examiners try to do good to those they examine.

Principle B: Candour

Examiners try to be accurate and open.

Standard 1: Disputes

1.01 Examiners shall correct a misuse of their findings.
1.02 Examiners shall not follow an order that breaks this code.
1.03 Examiners may consult the ethics panel.

Standard 2: Skill

2.01 Examiners shall work only within their training.
"""


def test_lettered_principles_and_numbered_standards_are_sibling_groups():
    code = parse(PRINCIPLES_THEN_STANDARDS, format="text")
    assert citations(code) == ["A", "B", "1", "1.01", "1.02", "1.03", "2", "2.01"]
    clauses = {p.citation: p.modality for p in code.walk() if "." in (p.citation or "")}
    assert clauses == {
        "1.01": "obligation",
        "1.02": "prohibition",
        "1.03": "permission",
        "2.01": "obligation",
    }
    assert code.warnings == []


def test_one_part_encloses_its_sections_as_the_table_ranks_them():
    text = """Rules of the Guild

Part 1: Members

Section 1: Joining

1.1 Members shall pay a fee.

Section 2: Leaving

2.1 Members may resign at any time.
"""
    code = parse(text, format="text")
    assert citations(code) == ["1", "1.1", "1.1.1", "1.2", "1.2.1"]


def test_chapters_that_come_again_enclose_their_articles_whatever_the_rank():
    text = """Code

Article 1: General

The code binds members.

Canon 1: First

Members shall be fair.

Article 2: Special

The code binds officers.

Canon 1: Second

Officers shall be fair.
"""
    code = parse(text, format="text")
    assert citations(code) == ["1", "1.1", "2", "2.1"]


def test_a_rule_with_a_title_takes_the_paragraph_under_it_as_its_text():
    text = """Code of Practice

Rule 1.01: Competence

A member shall act competently. A member shall keep up to date within 2 years
and take 4 courses.

Rule 1.02: Diligence

A member shall act promptly.
"""
    code = parse(text, format="text")
    assert outline(code) == [
        (
            "1.01",
            "Competence",
            "A member shall act competently. A member shall keep up to date within 2 years "
            "and take 4 courses.",
            "obligation",
        ),
        ("1.02", "Diligence", "A member shall act promptly.", "obligation"),
    ]
    assert code.warnings == []


def test_a_standard_written_as_a_sentence_is_a_provision_with_that_text():
    text = """Code

Standard 1.1 Members shall act honestly.
Standard 1.2 Members shall not deceive a client.
Standard 1.3 Members may decline work.
"""
    code = parse(text, format="text")
    assert outline(code) == [
        ("1.1", None, "Members shall act honestly.", "obligation"),
        ("1.2", None, "Members shall not deceive a client.", "prohibition"),
        ("1.3", None, "Members may decline work.", "permission"),
    ]


def test_section_signs_give_structure_and_are_cited_with_the_sign():
    text = """Code of Conduct

§ 1 Scope

This code applies to every member.

§ 2 Duties

(1) Members shall act honestly.
(2) Members shall not deceive.
"""
    code = parse(text, format="text")
    assert outline(code) == [
        ("§ 1", "Scope", "This code applies to every member.", None),
        ("§ 2", "Duties", "", None),
        ("§ 2(1)", None, "Members shall act honestly.", "obligation"),
        ("§ 2(2)", None, "Members shall not deceive.", "prohibition"),
    ]
    assert [p.label for p in code.walk()] == ["1", "2", "(1)", "(2)"]


def test_dashed_labels_are_self_standing_clauses():
    text = """Code of Conduct

4-1.1 Members shall act honestly.
4-1.2 Members shall not deceive.
4-1.3 Members may decline work.
"""
    code = parse(text, format="text")
    assert outline(code) == [
        ("4-1.1", None, "Members shall act honestly.", "obligation"),
        ("4-1.2", None, "Members shall not deceive.", "prohibition"),
        ("4-1.3", None, "Members may decline work.", "permission"),
    ]
    assert code.warnings == []


def test_a_profile_that_does_not_expect_a_keyword_reads_it_as_words():
    text = """Code

Rule 1.01: Competence

A member shall act competently.
"""
    assert citations(parse(text, format="text", styles=("rule",))) == ["1.01"]
    assert "1.01" not in citations(parse(text, format="text", styles=("article",)))


# Warnings ----------------------------------------------------------------------------------------


def test_every_label_out_of_sequence_is_a_warning_with_its_line():
    text = """Code

Standard 1: Ethics

1.01 Members shall act.
1.03 Members shall not lie.

Standard 5: Others

5.01 Members may rest.

Standard 3: Late

3.01 Members shall go.
"""
    code = parse(text, format="text")
    assert code.warnings == [
        "line 6: 1.03 follows 1.01 (line 5), so one provision is missing",
        "line 8: 5 follows 1 (line 3), so 3 provisions are missing",
        "line 12: 3 follows 5 (line 8): out of order",
    ]


def test_a_headings_text_that_reads_as_clauses_is_a_warning():
    text = """Code

Section 1: Duties

Members shall: (a) act fairly; (b) keep records.

Section 2: Other

Members shall be kind.
"""
    code = parse(text, format="text")
    assert code.warnings == [
        'line 5: the text under 1 ("Duties") reads as clauses (inline clauses (a), (b)) '
        "but was kept as its text; check its numbering"
    ]


def test_an_unnumbered_paragraph_made_a_provision_is_said():
    text = """Code

1. Members shall act.

2. Members shall not lie.

A closing remark of the guild.
"""
    code = parse(text, format="text")
    assert citations(code) == ["1", "2", "3"]
    assert code.warnings == [
        "line 7: a paragraph with no number among the provisions became provision 3"
    ]


# Codes generated from the style table -------------------------------------------------------------

TITLES = ["Competence", "Integrity", "Clients", "Records", "Fees", "Colleagues", "Scope"]
SUBJECTS = ["Members", "Officers", "Examiners"]
DUTIES = [
    ("shall", "obligation"),
    ("shall not", "prohibition"),
    ("may", "permission"),
]
OBJECTS = [
    ("keep every record", "of a client"),
    ("answer each complaint", "within ten days"),
    ("publish their fees", "on request"),
    ("tell a client", "about a conflict"),
]
GROUP_STYLES = [s for s in STYLES if s.role == "group" and s.words]
LETTERS = "ABCDEFGH"
SIBLINGS = [
    s.name
    for s in GROUP_STYLES
    if "letter" in s.labels and any(o.rank == s.rank and o != s for o in GROUP_STYLES)
]
ROMANS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]


def _group_label(grammar: str, n: int) -> str:
    return {"arabic": str(n), "letter": LETTERS[n - 1], "roman": ROMANS[n - 1]}[grammar]


@st.composite
def sentences(draw):
    """A provision's words, and how they are written: on one line, or wrapped onto a second."""
    subject = draw(st.sampled_from(SUBJECTS))
    verb, modality = draw(st.sampled_from(DUTIES))
    head, tail = draw(st.sampled_from(OBJECTS))
    text = f"{subject} {verb} {head} {tail}."
    wrapped = draw(st.booleans())
    written = f"{subject} {verb} {head}\n{tail}." if wrapped else text
    return text, written, modality


@st.composite
def groups(draw, style, count: int, grammar: str, outer: str | None):
    """``count`` groups of ``style``, each with a paragraph or numbered clauses.

    Returns the lines and the expected outline: (citation, label, heading, text, modality)."""
    lines: list[str] = []
    expected: list[tuple[str, str, str | None, str, str | None]] = []
    keyword = style.words[0]
    spelling = draw(st.sampled_from([keyword.capitalize(), keyword.upper()]))
    for n in range(1, count + 1):
        label = _group_label(grammar, n)
        title = draw(st.sampled_from(TITLES))
        separator = draw(st.sampled_from([": ", " - ", " "]))
        lines += [f"{spelling} {label}{separator}{title}", ""]
        cited = style.cite(label)
        citation = f"{outer}.{cited}" if outer else cited
        clauses = draw(st.sampled_from(["paragraph", "dotted", "lettered", "rule"]))
        if grammar != "arabic" and clauses in ("dotted", "rule"):
            clauses = "lettered"
        if clauses == "paragraph":
            text, written, modality = draw(sentences())
            lines += [written, ""]
            expected.append((citation, label, title, text, modality))  # a heading's own words
            continue
        expected.append((citation, label, title, "", None))
        for k in range(1, draw(st.integers(1, 3)) + 1):
            text, written, modality = draw(sentences())
            if clauses == "lettered":
                clause = f"({'abcdef'[k - 1]})"
                lines.append(f"{clause} {written}")
                expected.append((citation + clause, clause, None, text, modality))
            elif clauses == "dotted":
                clause = f"{label}.{k}"
                lines.append(f"{clause} {written}")
                base = citation[: len(citation) - len(label)] if citation.endswith(label) else ""
                expected.append((base + clause, clause, None, text, modality))
            else:
                clause = f"{label}.{k:02d}"
                heading = draw(st.sampled_from(TITLES))
                lines += [f"Rule {clause}: {heading}", "", written, ""]
                base = citation[: len(citation) - len(label)] if citation.endswith(label) else ""
                expected.append((base + clause, clause, heading, text, modality))
        lines.append("")
    return lines, expected


@st.composite
def generated_codes(draw):
    """A code in one or two keyword styles of the table: one level of groups, two sibling kinds of
    group (Principles A, B then Standards 1, 2), or groups nested in groups that come again (two
    Chapters, each with its Articles); a line of page debris may stand before the title."""
    layout = draw(st.sampled_from(["single", "siblings", "nested"]))
    if layout == "siblings":  # lettered, then numbered groups of the same rank
        first = draw(st.sampled_from([s for s in GROUP_STYLES if s.name in SIBLINGS]))
    else:
        first = draw(st.sampled_from(GROUP_STYLES))
    lines = ["Code of Practice of the Guild", ""]
    if draw(st.booleans()):
        lines = ["Skip to main content", *lines]
    expected: list = []
    grammars = [g for g in ("arabic", "roman", "letter") if g in first.labels]
    grammar = draw(st.sampled_from(grammars))
    if layout == "single":
        body, outline_ = draw(groups(first, draw(st.integers(1, 3)), grammar, None))
        lines += body
        expected += outline_
    else:
        second = draw(
            st.sampled_from([s for s in GROUP_STYLES if s.rank == first.rank and s != first])
            if layout == "siblings"
            else st.sampled_from([s for s in GROUP_STYLES if s != first])
        )
        if layout == "siblings":
            body, outline_ = draw(groups(first, draw(st.integers(1, 2)), "letter", None))
            lines += body
            expected += outline_
            body, outline_ = draw(groups(second, draw(st.integers(1, 2)), "arabic", None))
            lines += body
            expected += outline_
        else:
            outer_grammar = "roman" if "roman" in first.labels else "arabic"
            for n in range(1, 3):
                label = _group_label(outer_grammar, n)
                title = draw(st.sampled_from(TITLES))
                lines += [f"{first.words[0].capitalize()} {label}: {title}", ""]
                cited = first.cite(label)
                expected.append((cited, label, title, "", None))
                body, outline_ = draw(groups(second, draw(st.integers(1, 2)), "arabic", cited))
                lines += body
                expected += outline_
    return "\n".join(lines) + "\n", expected


STYLE_EXAMPLES = settings(
    max_examples=int(os.environ.get("OMBUDS_PARSER_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@STYLE_EXAMPLES
@given(generated_codes())
def test_a_code_generated_from_the_style_table_parses_back_to_its_tree(fmt, generated):
    text, expected = generated
    if fmt == "markdown":  # Markdown marks its title up
        text = text.replace("Code of Practice of the Guild", "# Code of Practice of the Guild")
    code = parse(text, format=fmt)
    got = [(p.citation, p.label, p.heading, p.text, p.modality) for p in code.walk()]
    assert [row[:4] for row in got] == [row[:4] for row in expected], text
    clauses = [(row[0], row[4]) for row in got if row[4] is not None or "(" in (row[0] or "")]
    assert clauses == [(row[0], row[4]) for row in expected if row[4] is not None], text
    assert code.title == "Code of Practice of the Guild"


def test_every_group_style_of_the_table_is_recognised():
    for style in GROUP_STYLES:
        text = f"Code\n\n{style.words[0].capitalize()} 1: Scope\n\nMembers shall be fair.\n"
        code = parse(text, format="text")
        assert citations(code) == [BY_NAME[style.name].cite("1")], style.name


def test_a_numbered_clause_with_a_title_on_its_own_line_takes_the_words_under_it():
    text = """Code

Standard 1: Disputes

1.01 Misuse of Findings
Examiners shall correct a misuse of their findings.

1.02 Orders
Examiners shall not follow an order that breaks this code.
"""
    code = parse(text, format="text")
    assert outline(code) == [
        ("1", "Disputes", "", None),
        (
            "1.01",
            "Misuse of Findings",
            "Examiners shall correct a misuse of their findings.",
            "obligation",
        ),
        (
            "1.02",
            "Orders",
            "Examiners shall not follow an order that breaks this code.",
            "prohibition",
        ),
    ]


def test_a_keyword_clause_wrapped_onto_the_next_line_is_not_a_title():
    text = """Code

Rule 1.1 Members shall
keep records.
Rule 1.2 Members may
publish fees.
"""
    code = parse(text, format="text")
    assert outline(code) == [
        ("1.1", None, "Members shall keep records.", "obligation"),
        ("1.2", None, "Members may publish fees.", "permission"),
    ]


def test_numbered_paragraphs_in_a_headings_text_are_a_warning():
    text = "# Code\n\n## Duties\n\n1 Members shall act.\n\n2 Members shall not lie.\n"
    code = parse(text, format="markdown")
    assert code.warnings == [
        'line 5: the text under 1 ("Duties") reads as clauses (numbered paragraphs) '
        "but was kept as its text; check its numbering"
    ]


def test_lines_numbered_without_punctuation_take_their_numbers():
    text = """Code

Section 1: Duties

1 Members shall act honestly.
2 Members shall not deceive a client.
3 Members may decline work.
"""
    code = parse(text, format="text")
    assert outline(code) == [
        ("1", "Duties", "", None),
        ("1.1", None, "Members shall act honestly.", "obligation"),
        ("1.2", None, "Members shall not deceive a client.", "prohibition"),
        ("1.3", None, "Members may decline work.", "permission"),
    ]
    assert code.warnings == [
        'line 5: 3 lines under "Section 1: Duties" are numbered 1 to 3 with no full stop '
        "after the number; each became the provision its number says"
    ]


def test_a_group_keyword_sentence_wrapped_before_its_full_stop_is_one_provision():
    """'Standard' heads groups, but followed by a sentence it is a provision: wrapped or not."""
    one_line = "Code\n\nStandard 1.1 Auditors shall sign every report.\n\nStandard 1.2 Auditors shall not backdate a report.\n"
    wrapped = (
        "Code\n\nStandard 1.1 Auditors shall sign\nevery report.\n\n"
        "Standard 1.2 Auditors shall not backdate\na report written\nlast year.\n"
    )
    assert outline(parse(one_line, format="text"))[0] == (
        "1.1",
        None,
        "Auditors shall sign every report.",
        "obligation",
    )
    code = parse(wrapped, format="text")
    assert outline(code) == [
        ("1.1", None, "Auditors shall sign every report.", "obligation"),
        ("1.2", None, "Auditors shall not backdate a report written last year.", "prohibition"),
    ]
    assert code.warnings == []


def test_a_keyword_heading_over_lower_case_prose_stays_a_heading():
    """A title ('Standard 2: Fees') is no sentence, whatever follows it."""
    text = "Code\n\nStandard 1: Records\nkept for ten years.\n\nStandard 2: Fees\n\nAuditors may publish fees.\n"
    code = parse(text, format="text")
    assert [(p.citation, p.heading) for p in code.walk()] == [("1", "Records"), ("2", "Fees")]


def test_a_headings_own_words_state_its_duties():
    text = (
        "Code\n\nSection 1: Records\n\n1.1 Auditors shall keep records.\n\n"
        "Section 2: Conduct\n\nAuditors shall be courteous. They should answer within a week.\n\n"
        "Section 3: Scope\n\nThis code covers every auditor.\n"
    )
    code = parse(text, format="text")
    rows = [(p.citation, p.heading, p.modality, [d["kind"] for d in p.duties]) for p in code.walk()]
    assert rows == [
        ("1", "Records", None, []),
        ("1.1", None, "obligation", ["obligation"]),
        ("2", "Conduct", "obligation", ["obligation", "recommendation"]),
        ("3", "Scope", None, []),
    ]
    assert next(p for p in code.walk() if p.citation == "2").subject == "Auditors"


# Numberings met in the corpus, in words written here -----------------------------------------------


def test_a_statutes_sections_cite_their_subsections_in_parentheses():
    text = """# 7.10 - Conduct of inspectors

## 7.10.010 - Purpose.

This chapter sets out how inspectors behave.

## 7.10.020 - Duties.

Inspectors shall:

1. Keep a log of visits;

2. Report in writing:
    a. every defect;
    b. every refusal of entry, except:
        i. a refusal by a tenant;
        ii. a refusal by a court order.
"""
    code = parse(text, format="markdown")
    assert [p.citation for p in code.walk()] == [
        "7.10.010",
        "7.10.020",
        "7.10.020(1)",
        "7.10.020(2)",
        "7.10.020(2)(a)",
        "7.10.020(2)(b)",
        "7.10.020(2)(b)(i)",
        "7.10.020(2)(b)(ii)",
    ]
    assert code.warnings == []


def test_clause_ids_with_a_letter_number_their_headings_and_the_groups_add_nothing():
    text = """# Lab Code

## Table of contents

1. [Records](#records)
2. [Samples](#samples)

## Records

### 1a. Keeping records

We keep every record for five years.

### 1b. Sharing records

We share records only with consent.

## Samples

### 2a. Labelling

We label every sample.

## Credits

Adapted from another lab's code.
"""
    code = parse(text, format="markdown")
    assert [(p.citation, p.heading) for p in code.walk()] == [
        (None, "Records"),
        ("1a", "Keeping records"),
        ("1b", "Sharing records"),
        (None, "Samples"),
        ("2a", "Labelling"),
        (None, "Credits"),
    ]


def test_an_unlabelled_heading_of_notes_after_lettered_clauses_adds_no_citation():
    text = """# Bench Code

A. Members shall be fair.

B. Members shall be prompt.

## Notes

### On Canon 2A.

Fairness includes patience.

### On Canon 2B.

Promptness is no haste.
"""
    code = parse(text, format="markdown")
    assert [p.citation for p in code.walk() if p.citation] == ["A", "B"]
    notes = [p for p in code.walk() if p.heading == "Notes"]
    assert len(notes) == 1 and [c.citation for c in notes[0].children] == [None, None]
