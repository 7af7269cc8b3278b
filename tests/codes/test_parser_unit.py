"""The parser's rules one by one, on small texts written for these tests."""

from __future__ import annotations

import codecs

import pytest

from ombuds.codes.parser import ParsedCode, ParseError, Provision, decode, parse


def cited(parsed: ParsedCode, citation: str) -> Provision:
    found = [p for p in parsed.walk() if p.citation == citation]
    assert len(found) == 1, (citation, [p.citation for p in parsed.walk()])
    return found[0]


def citations(parsed: ParsedCode) -> list[str | None]:
    return [p.citation for p in parsed.walk()]


def outline(parsed: ParsedCode) -> list[tuple[str | None, str | None, str | None]]:
    """(citation, label, heading) of every provision in document order."""
    return [(p.citation, p.label, p.heading) for p in parsed.walk()]


# decode() -------------------------------------------------------------------------------------------


def test_decode_returns_the_text():
    assert decode(b"Members shall pay.\n") == "Members shall pay.\n"


def test_decode_drops_a_utf8_byte_order_mark_and_normalises_line_ends():
    data = codecs.BOM_UTF8 + b"Title\r\n1.1 Members shall pay.\rEnd\n"
    assert decode(data) == "Title\n1.1 Members shall pay.\nEnd\n"


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n"])
def test_decode_refuses_empty_input(data):
    with pytest.raises(ParseError, match=r"^empty input"):
        decode(data)


def test_decode_refuses_binary_input_and_says_where_the_nul_byte_is():
    with pytest.raises(
        ParseError, match=r"^binary input: NUL byte at offset 10 \(line 2, column 3\)$"
    ):
        decode(b"Members\nsh\x00all")


def test_decode_refuses_a_text_that_is_mostly_control_characters():
    with pytest.raises(
        ParseError, match=r"^binary input: 6 of 8 characters are control characters"
    ):
        decode(b"a\x01\x02\x03\x04\x05\x06b")


def test_decode_tolerates_a_stray_control_character():
    assert decode(b"Members shall pay\x07 their fees on time.") == (
        "Members shall pay\x07 their fees on time."
    )


def test_decode_refuses_text_that_is_not_utf8_and_gives_the_offset():
    data = b"Article 1\nMembers shall pay " + b"\xe9t\xe9."
    with pytest.raises(
        ParseError, match=r"^not UTF-8: invalid byte 0xe9 at offset 28 \(line 2, column 19\)$"
    ):
        decode(data)


def test_decode_refuses_utf16():
    with pytest.raises(ParseError, match="UTF-16 byte order mark"):
        decode("Members shall pay.".encode("utf-16"))


def test_decode_refuses_input_over_the_limit_before_reading_it():
    with pytest.raises(
        ParseError, match=r"^too large: 2,000 bytes \(2\.0 KB\), the limit is 1,000 bytes$"
    ):
        decode(b"x" * 2000, max_bytes=1000)
    assert decode(b"x" * 1000, max_bytes=1000) == "x" * 1000


def test_decode_errors_are_one_line():
    for data in (b"", b"\x00", b"\xff", b"x" * 10):
        with pytest.raises(ParseError) as excinfo:
            decode(data, max_bytes=5)
        assert "\n" not in str(excinfo.value)


# Headings -------------------------------------------------------------------------------------------

HEADING_TEXT = """Rules of the Example Guild
{heading}
1.1 Members shall keep records.
"""


@pytest.mark.parametrize(
    ("heading", "label", "title"),
    [
        ("ARTICLE 1 - RELATIONS WITH CLIENTS", "1", "RELATIONS WITH CLIENTS"),
        ("Article 1: Relations with Clients", "1", "Relations with Clients"),
        ("Section 1: Adherence to the Law", "1", "Adherence to the Law"),
        ("Section 1. Adherence to the Law", "1", "Adherence to the Law"),
        ("Part A - General", "A", "General"),
        ("Canon I", "I", None),
        ("CANON 1 - A MEMBER SHALL BE HONEST", "1", "A MEMBER SHALL BE HONEST"),
        ("Standard 1:", "1", None),
        ("Principle A: Integrity", "A", "Integrity"),
        ("I. Fundamental Duties", "I", "Fundamental Duties"),
        ("CHAPTER I. THE MEMBER AND SOCIETY", "I", "THE MEMBER AND SOCIETY"),
    ],
)
def test_text_headings_and_their_labels(heading, label, title):
    parsed = parse(HEADING_TEXT.format(heading=heading), format="text")
    [top] = parsed.provisions
    assert (top.label, top.heading) == (label, title)
    assert top.modality is None
    assert len(top.children) == 1


def test_markdown_headings_nest_by_level():
    parsed = parse(
        "# Guild Code\n\n## 1. Clients\n\n### 1.1 Records\n\nMembers keep records.\n\n## 2. Fees\n",
        format="markdown",
    )
    assert parsed.title == "Guild Code"
    assert outline(parsed) == [("1", "1", "Clients"), ("1.1", "1.1", "Records"), ("2", "2", "Fees")]
    assert cited(parsed, "1.1").text == "Members keep records."


def test_rst_underlined_headings_nest_in_order_of_appearance():
    parsed = parse(
        ".. _guild:\n\nGuild Code\n##########\n\nClients\n=======\n\nMembers keep records.\n\n"
        "Records\n-------\n\nRecords are kept for six years.\n\nFees\n====\n\nFees are public.\n",
        filename="guild.rst",
    )
    assert parsed.title == "Guild Code"
    assert outline(parsed) == [
        ("1", None, "Clients"),
        ("1.1", None, "Records"),
        ("2", None, "Fees"),
    ]
    assert "guild" not in cited(parsed, "1").text


def test_rst_auto_numbered_lists_are_numbered_by_position():
    parsed = parse(
        "Code\n====\n\nDuties\n------\n\n#. Keep records.\n#. Answer letters.\n", format="rst"
    )
    assert citations(parsed) == ["1", "1.1", "1.2"]
    assert cited(parsed, "1.2").text == "Answer letters."


def test_all_caps_line_is_a_heading_in_plain_text():
    parsed = parse(
        "Guild Code\nCLIENTS\n1.1 Members shall keep records.\nFEES\n2.1 Fees are public.\n"
    )
    assert [p.heading for p in parsed.provisions] == ["CLIENTS", "FEES"]


def test_bare_title_lines_between_labelled_parts_are_headings():
    parsed = parse(
        "Guild Code\nIntroduction\nThe guild keeps a code.\n\nI. Duties\nMembers shall:\n\n"
        "Keep records.\nAnswer complaints.\nII. Rights\nMembers may publish fees.\n"
        "Members may advertise.\n",
        format="text",
    )
    assert [(p.label, p.heading) for p in parsed.provisions] == [("I", "Duties"), ("II", "Rights")]
    assert parsed.preamble == ["Introduction", "The guild keeps a code."]
    assert citations(parsed) == ["I", "I.1", "I.2", "II", "II.1", "II.2"]


def test_a_bare_title_between_markdown_paragraphs_is_a_heading_beside_its_siblings():
    parsed = parse(
        "# Guidelines\n\n### Expected\n\n#### Be Kind\n\nBe kind to all.\n"
        "Be Fair\nTreat everyone alike. Share the work.\n\n#### Be Open\n\nShare freely.\n",
        format="markdown",
    )
    assert outline(parsed) == [
        ("1", None, "Expected"),
        ("1.1", None, "Be Kind"),
        ("1.2", None, "Be Fair"),
        ("1.3", None, "Be Open"),
    ]
    assert cited(parsed, "1.2").text == "Treat everyone alike. Share the work."


def test_a_heading_that_is_a_template_placeholder_takes_the_metadata_title():
    parsed = parse(
        "Title: Guild Code\nAuthor: Someone\n\n# {{title}}\n\n## Duties\n\nBe kind.\n",
        format="markdown",
    )
    assert parsed.title == "Guild Code"
    assert outline(parsed) == [("1", None, "Duties")]


# Labels without decoration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("ARTICLE 7 - FEES", "7"),
        ("Section 2: Fees", "2"),
        ("Part B - Fees", "B"),
        ("III. Fees", "III"),
        ("Principle C: Fees", "C"),
        ("7.2. Members shall publish fees.", "7.2"),
        ("7.2.Members shall publish fees.", "7.2"),
        ("7.02 Members shall publish fees.", "7.02"),
        ("Rule 7.02 - Members shall publish fees.", "7.02"),
        ("Rules 7.02 - Members shall publish fees.", "7.02"),
        ("Rule 7.02.- Members shall publish fees.", "7.02"),
        ("B1. Members shall publish fees.", "B1"),
    ],
)
def test_label_decoration_is_stripped(line, label):
    parsed = parse(f"Guild Code\n{line}\n", format="text")
    assert [p.label for p in parsed.walk()] == [label]


@pytest.mark.parametrize(
    ("marker", "label"), [("(a)", "(a)"), ("a.", "a"), ("a)", "a"), ("(iv)", "(iv)")]
)
def test_lettered_labels_keep_their_parentheses_only(marker, label):
    parsed = parse(f"Guild Code\n1.1 Members shall:\n{marker} keep records\n", format="text")
    assert cited(parsed, "1.1").children[0].label == label


# Citations ------------------------------------------------------------------------------------------


def test_a_label_that_begins_with_the_parents_stands_alone():
    parsed = parse(
        "Guild Code\nARTICLE 1 - CLIENTS\n1.1 Members shall keep records.\n1.2 Members shall pay.\n"
    )
    assert citations(parsed) == ["1", "1.1", "1.2"]


def test_alphanumeric_labels_stand_alone_under_their_part():
    parsed = parse(
        "Guild Code\nPart A - Clients\nA1. Members shall keep records.\nA2. Members shall pay.\n"
    )
    assert citations(parsed) == ["A", "A1", "A2"]


def test_rules_stand_alone_under_their_canon():
    parsed = parse(
        "# Guild Code\n\n#### CANON 1 - A MEMBER SHALL BE HONEST\n\n"
        "Rule 1.01 - A member shall not lie.\n\nRule 1.02 - A member shall not cheat.\n",
        format="markdown",
    )
    assert citations(parsed) == ["1", "1.01", "1.02"]


def test_parenthesised_labels_are_appended_directly():
    parsed = parse(
        "Guild Code\n1.2. Members shall:\n(a) keep records;\n(b) pay fees.\n", format="text"
    )
    assert citations(parsed) == ["1.2", "1.2(a)", "1.2(b)"]


def test_other_labels_are_joined_with_a_dot():
    parsed = parse(
        "Guild Code\nII. Duties\n1. Members shall keep records.\n2. Members shall pay.\n"
    )
    assert citations(parsed) == ["II", "II.1", "II.2"]


def test_an_unlabelled_list_item_takes_its_position():
    parsed = parse(
        "Guild Code\nSection 3: Conduct\n" + "".join(f"- Keep rule {n}.\n" for n in range(1, 9)),
        format="text",
    )
    assert cited(parsed, "3.8").label == "8"
    assert cited(parsed, "3.8").text == "Keep rule 8."


def test_an_unlabelled_heading_among_labelled_ones_adds_nothing():
    parsed = parse(
        "Guild Code\nI. Duties\nMembers shall keep records.\nMembers shall pay.\n"
        "Closing Statement\nIt is noted that:\n\nMembers may publish fees.\nMembers may advertise.\n",
        format="text",
    )
    statement = parsed.provisions[-1]
    assert (statement.label, statement.citation, statement.heading) == (
        None,
        None,
        "Closing Statement",
    )
    assert [c.citation for c in statement.children] == ["1", "2"]


def test_unlabelled_headings_at_one_level_are_cited_by_position():
    parsed = parse(
        "# Code\n\n## Pledge\n\nWe pledge.\n\n## Standards\n\nExamples include:\n\n* Kindness\n* Respect\n\n"
        "Unwelcome behaviour includes:\n\n* Insults\n\n## Enforcement\n\n### 1. Warning\n\nA warning.\n",
        format="markdown",
    )
    assert outline(parsed) == [
        ("1", None, "Pledge"),
        ("2", None, "Standards"),
        ("2.1", "1", None),
        ("2.2", "2", None),
        ("2.3", "3", None),
        ("3", None, "Enforcement"),
        ("3.1", "1", "Warning"),
    ]
    # Several lists under one heading run on, each with its own lead-in.
    assert cited(parsed, "2.3").full_text == "Unwelcome behaviour includes: Insults"


def test_groups_whose_children_run_on_add_nothing():
    parsed = parse(
        "# Code\n\n### CHAPTER I. SOCIETY\n\n#### CANON 1 - OBEY THE LAW\n\n#### CANON 2 - SERVE\n\n"
        "### CHAPTER II. COURTS\n\n#### CANON 3 - BE CANDID\n\nRule 3.01 - A member shall not lie.\n",
        format="markdown",
    )
    assert citations(parsed) == ["I", "1", "2", "II", "3", "3.01"]


def test_groups_whose_children_restart_are_part_of_the_citation():
    parsed = parse(
        "Code\nPart A - Clients\n1. Members shall keep records.\n2. Members shall pay.\n"
        "Part B - Colleagues\n1. Members shall be courteous.\n",
        format="text",
    )
    assert citations(parsed) == ["A", "A.1", "A.2", "B", "B.1"]


# Inline sub-clauses ---------------------------------------------------------------------------------


def test_inline_subclauses_are_split_and_the_lead_in_stays_with_the_parent():
    parsed = parse(
        "Guild Code\nARTICLE 1 - CLIENTS\n1.1. Members shall: (a) answer every letter; "
        "(b) keep a ledger of all payments; and (c) return documents promptly.\n",
        format="text",
    )
    clause = cited(parsed, "1.1")
    assert clause.text == "Members shall:"
    assert [c.label for c in clause.children] == ["(a)", "(b)", "(c)"]
    assert [c.text for c in clause.children] == [
        "answer every letter;",
        "keep a ledger of all payments; and",
        "return documents promptly.",
    ]
    assert [c.full_text for c in clause.children] == [
        "Members shall answer every letter",
        "Members shall keep a ledger of all payments",
        "Members shall return documents promptly",
    ]
    assert clause.full_text.startswith("Members shall: (a) answer every letter;")
    assert all(c.modality == "obligation" and c.subject == "Members" for c in clause.children)


@pytest.mark.parametrize(
    ("enumeration", "labels"),
    [
        ("(i) answer letters; and (ii) keep ledgers.", ["(i)", "(ii)"]),
        ("(1) answer letters; (2) keep ledgers; or (3) resign.", ["(1)", "(2)", "(3)"]),
    ],
)
def test_roman_and_numbered_inline_subclauses(enumeration, labels):
    parsed = parse(f"Code\n2.1. Members shall: {enumeration}\n", format="text")
    assert [c.label for c in cited(parsed, "2.1").children] == labels


def test_a_lone_parenthesised_letter_does_not_split():
    parsed = parse(
        "Code\n2.1. Members shall follow clause (b) of the statute and (c) below.\n", format="text"
    )
    assert cited(parsed, "2.1").children == []


# Wrapped lines, lists and continuation paragraphs ----------------------------------------------------


def test_hard_wrapped_markdown_lines_are_joined():
    parsed = parse(
        "# Code\n\n## Scope\n\nThis code applies to all\nmembers of the guild\nat all times.\n"
    )
    assert cited(parsed, "1").text == "This code applies to all members of the guild at all times."


def test_hard_wrapped_plain_text_clauses_are_joined():
    text = (
        "Guild Code\n\nARTICLE 1 - CLIENTS\n\n"
        "1.1 Members shall keep accurate records of every payment that a\n"
        "client makes, and of every sum that the member pays out on behalf\n"
        "of a client.\n\n"
        "1.2 Members shall answer every complaint within ten days of its\n"
        "receipt.\n"
    )
    parsed = parse(text, format="text")
    assert cited(parsed, "1.1").text == (
        "Members shall keep accurate records of every payment that a client makes, and of every "
        "sum that the member pays out on behalf of a client."
    )
    assert cited(parsed, "1.2").text.endswith("within ten days of its receipt.")


def test_plain_text_with_one_provision_a_line_is_not_joined():
    parsed = parse(
        "Code\nI. Duties\nMembers shall keep records.\nMembers shall answer letters.\n",
        format="text",
    )
    assert [c.text for c in cited(parsed, "I").children] == [
        "Members shall keep records.",
        "Members shall answer letters.",
    ]


def test_bullet_continuation_lines_and_paragraphs_stay_with_their_item():
    parsed = parse(
        "# Code\n\n## We strive to:\n\n* Be patient with\n  newcomers\n\n  Everyone was new once.\n\n"
        "* Be fair\n",
        format="markdown",
    )
    first = cited(parsed, "1.1")
    assert first.text == "Be patient with newcomers\n\nEveryone was new once."
    assert first.full_text.startswith("We strive to: Be patient with newcomers")
    assert cited(parsed, "1.2").text == "Be fair"


def test_markdown_lists_written_one_throughout_are_numbered_as_rendered():
    parsed = parse("# Code\n\n## Steps\n\n1. Listen\n1. Record\n1. Report\n", format="markdown")
    assert [c.label for c in cited(parsed, "1").children] == ["1", "2", "3"]
    assert parsed.warnings == []


def test_a_list_numbered_from_zero_keeps_its_numbers():
    parsed = parse("# Code\n\n## Steps\n\n0. Listen\n1. Record\n2. Report\n", format="markdown")
    assert citations(parsed) == ["1", "1.0", "1.1", "1.2"]


def test_nested_lists_nest_by_indentation():
    parsed = parse(
        "# Code\n\n## People\n\n- Alice\n  - Chair\n  - alice@example.org\n- Bob\n    - Member\n",
        format="markdown",
    )
    assert citations(parsed) == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1"]


def test_bullets_that_carry_a_label_use_it():
    parsed = parse(
        "# Code\n\n#### CANON 9 - FEES\n\nRule 9.02 - A member shall not share a fee, except:\n\n"
        "- (a) with a partner; or\n\n- (b) with an estate.\n",
        format="markdown",
    )
    assert citations(parsed) == ["9", "9.02", "9.02(a)", "9.02(b)"]
    assert (
        cited(parsed, "9.02(b)").full_text
        == "A member shall not share a fee, except with an estate"
    )


def test_lettered_lists_after_a_bullet_are_its_siblings():
    parsed = parse(
        "Code\n====\n\nMeasures\n--------\n\n- Suspend the member.\n\nThe suspension may include:\n\n"
        "    a. no letters\n    b. no meetings and no\n       votes\n",
        format="rst",
    )
    assert citations(parsed) == ["1", "1.1", "1.a", "1.b"]
    assert cited(parsed, "1.b").text == "no meetings and no votes"


# Page debris ----------------------------------------------------------------------------------------


def test_navigation_lists_are_dropped():
    parsed = parse(
        "Guild Code\nARTICLE 1 - FEES\n1.1. Members may publish fees.\nIn this Section\n"
        "- » Our Members\n- » Contact\n",
        format="text",
    )
    assert citations(parsed) == ["1", "1.1"]
    assert cited(parsed, "1.1").text == "Members may publish fees."


def test_clauses_and_sections_are_not_mistaken_for_chrome():
    parsed = parse(
        "Code\n1.1 Members shall:\n(c) respond to every complaint.\n(d) keep records.\n"
        "Register\nThe register lists every member.\nRegister of Members | Kept by the clerk | Open\n",
        format="text",
    )
    assert cited(parsed, "1.1(c)").text == "respond to every complaint."
    words = " ".join(f"{p.heading or ''} {p.text}" for p in parsed.walk())
    assert "The register lists every member." in words
    assert "Register of Members | Kept by the clerk | Open" in words


@pytest.mark.parametrize(
    "debris",
    [
        "Skip to main content",
        "Back to top",
        "© 2024 Example Guild. All rights reserved.",
        "Copyright 2024 Example Guild",
        "This website uses cookies to improve your experience. Accept",
        "We use cookies. By browsing you consent to our cookie policy.",
        "Home > About > Code of Conduct",
    ],
)
def test_chrome_lines_are_dropped(debris):
    parsed = parse(
        f"Guild Code\n{debris}\nARTICLE 1 - FEES\n1.1. Members may publish fees.\n{debris}\n"
    )
    assert parsed.preamble == []
    assert citations(parsed) == ["1", "1.1"]
    assert cited(parsed, "1.1").text == "Members may publish fees."


def test_a_table_of_contents_of_in_page_links_is_dropped():
    parsed = parse(
        "# Code\n\n**Table of Contents**\n\n- [Duties](#duties)\n  - [Fees](#fees)\n\n## Duties\n\nBe kind.\n",
        format="markdown",
    )
    assert parsed.preamble == []
    assert outline(parsed) == [("1", None, "Duties")]


def test_markdown_scaffolding_is_not_text():
    parsed = parse(
        "# Code\n\n<!-- a note to the editor -->\n\n## Duties\n\nBe **kind** to [everyone][all] and "
        "_listen_.<br/>Read the [FAQ](https://example.org/faq).\n\n"
        "![badge](https://example.org/badge.png)\n\n[all]: https://example.org/all\n",
        format="markdown",
    )
    assert cited(parsed, "1").text == "Be kind to everyone and listen. Read the FAQ."


# Modality and subject -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "modality"),
    [
        ("Members shall keep records.", "obligation"),
        ("Members must keep records.", "obligation"),
        ("Members are required to keep records.", "obligation"),
        ("Keep records of every payment.", "obligation"),
        ("Be courteous to colleagues.", "obligation"),
        ("Promptly answer every complaint.", "obligation"),
        ("Members shall not mislead a client.", "prohibition"),
        ("Members must not mislead a client.", "prohibition"),
        ("Members may not mislead a client.", "prohibition"),
        ("Refrain from misleading a client.", "prohibition"),
        ("Members shall refrain from misleading a client.", "prohibition"),
        ("Never mislead a client.", "prohibition"),
        ("Do not mislead a client.", "prohibition"),
        ("Misleading a client is prohibited.", "prohibition"),
        ("Members may publish their fees.", "permission"),
        ("Remember that members may publish their fees.", "obligation"),
        ("Members value honesty.", None),
        ("Members should publish their fees, which they may revise.", None),
        ("Harassment of any kind.", None),
        ("Room 2 on May 11.", None),
    ],
)
def test_modality(clause, modality):
    parsed = parse(f"Guild Code\nSection 1: Duties\n- {clause}\n", format="text")
    assert cited(parsed, "1.1").modality == modality


@pytest.mark.parametrize(
    ("clause", "modality"),
    [
        # "may" of possibility is no permission.
        ("Members who breach this code may be subject to discipline.", None),
        ("A late payment may result in a fine.", None),
        ("Anything that may harm a client is reported to the board.", None),
        # A binding duty outranks a permission that comes first.
        ("Members may appoint an agent, who shall keep records.", "obligation"),
    ],
)
def test_modality_of_mixed_and_possible_duties(clause, modality):
    parsed = parse(f"Guild Code\nSection 1: Duties\n- {clause}\n", format="text")
    assert cited(parsed, "1.1").modality == modality


@pytest.mark.parametrize(
    ("clause", "kinds"),
    [
        ("Members shall keep records.", ["obligation"]),
        ("Members shall not mislead a client.", ["prohibition"]),
        ("Members may publish their fees.", ["permission"]),
        ("Members should publish their fees.", ["recommendation"]),
        ("Do not mislead a client. Members may publish fees.", ["prohibition", "permission"]),
        ("Members shall keep records and shall file them yearly.", ["obligation"]),
        ("Members shall ensure that staff do not mislead a client.", ["obligation"]),
        ("Members shall pay fees. Members must not lend money.", ["obligation", "prohibition"]),
        ("Breaches may lead to expulsion.", []),
        ("Members value honesty.", []),
    ],
)
def test_duties_list_each_duty_with_its_sentence(clause, kinds):
    provision = cited(parse(f"Guild Code\nSection 1: Duties\n- {clause}\n", format="text"), "1.1")
    assert [d["kind"] for d in provision.duties] == kinds
    for duty in provision.duties:
        assert duty["sentence"] in provision.full_text


def test_a_lead_in_states_its_own_duty_and_each_clause_its_own():
    parsed = parse(
        "Guild Code\n1. Members shall:\n(a) keep records; and\n(b) never lend money.\n",
        format="text",
    )
    assert cited(parsed, "1").duties == [{"kind": "obligation", "sentence": "Members shall:"}]
    assert cited(parsed, "1(a)").duties == [
        {"kind": "obligation", "sentence": "Members shall keep records"}
    ]
    assert [d["kind"] for d in cited(parsed, "1(b)").duties] == ["prohibition"]


def test_duties_travel_in_the_interchange_format_and_are_worked_out_on_reading():
    provision = Provision.from_dict(
        {
            "label": "1",
            "citation": "1",
            "text": "Members shall pay fees. They should vote.",
            "duties": [{"kind": "permission", "sentence": "edited by hand"}],
        }
    )
    assert provision.duties == [
        {"kind": "obligation", "sentence": "Members shall pay fees."},
        {"kind": "recommendation", "sentence": "They should vote."},
    ]
    assert provision.to_dict()["duties"] == provision.duties


@pytest.mark.parametrize(
    ("clause", "subject"),
    [
        ("Members shall keep records.", "Members"),
        ("A member shall keep records.", "A member"),
        ("A member who holds money shall keep records.", "A member"),
        ("Engineers, in their professional duties, shall be honest.", "Engineers"),
        ("If a complaint is made, the chair shall answer it.", "The chair"),
        ("If a complaint is made, they shall answer it.", None),
        ("Members value honesty.", None),
    ],
)
def test_subject(clause, subject):
    parsed = parse(f"Guild Code\nSection 1: Duties\n- {clause}\n", format="text")
    assert cited(parsed, "1.1").subject == subject


def test_imperative_bullets_bind_the_subject_the_preamble_states():
    parsed = parse(
        "Guild Code\nGuild™ members and apprentices have the obligation to act with care.\n"
        "Section 1: Duties\n- Keep records.\n- Members shall pay their fees.\n",
        format="text",
    )
    assert cited(parsed, "1.1").subject == "Guild members and apprentices"
    assert cited(parsed, "1.2").subject == "Members"


def test_a_headings_title_has_no_modality_but_its_words_have():
    parsed = parse(
        "# Code\n\n## 1 Members shall be kind\n\n### 1.1 Fees\n\nFees are listed.\n\n"
        "## 2 Records\n\nKeep them for ten years. Members may shred copies.\n",
        format="markdown",
    )
    assert cited(parsed, "1").modality is None  # a title alone states no duty
    assert cited(parsed, "1.1").modality is None  # prose states none either
    records = cited(parsed, "2")
    assert records.modality == "obligation"  # an order, then a permission: the stronger
    assert [d["kind"] for d in records.duties] == ["obligation", "permission"]


# Front matter, metadata, preamble --------------------------------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        "---\nlayout: post\ntitle: A Blog Post\ndate: 2019-10-25\n---\n",
        '+++\nversion = "2.0"\naliases = ["/v/2"]\n+++\n',
    ],
)
def test_front_matter_is_dropped(front):
    parsed = parse(front + "\n# Guild Code\n\n## Duties\n\nBe kind.\n", format="markdown")
    assert parsed.title == "Guild Code"
    assert parsed.preamble == []
    assert parsed.effective is None
    assert outline(parsed) == [("1", None, "Duties")]


@pytest.mark.parametrize(
    ("line", "effective"),
    [
        ("Adopted by the council on 21 June 1988.", "1988-06-21"),
        ("(Promulgated June 21, 1988)", "1988-06-21"),
        ("Version 2 - Updated May 7, 2017", "2017-05-07"),
        ("As revised July 2019", "2019-07"),
        ("Effective 2024-03-01.", "2024-03-01"),
        ("Approved: March 3, 2021", "2021-03-03"),
        ("This code, as amended 12 May 2015, binds all members.", "2015-05-12"),
        ("Adopted by the Board of Directors of the Example Guild on 1 May 2020.", "2020-05-01"),
        ("The 2019 revision of this code applies to all members.", "2019"),
        ("Code of Ethics (2019, as amended)", "2019"),
        # A year inside a sentence dates something else, whatever words stand around it.
        ("The guild adopted this code soon after it was founded in 2001.", None),
        ("The guild was founded in 2001.", None),
        ("Founded in 2001, the guild adopted this code.", None),
        ("Members have served clients since 1990 and adopted this code gladly.", None),
        ("The guild, which was established in 1950, revised its rules.", None),
    ],
)
def test_effective_date(line, effective):
    parsed = parse(f"Guild Code\n{line}\nARTICLE 1 - FEES\n1.1 Members may publish fees.\n")
    assert parsed.effective == effective


@pytest.mark.parametrize(
    ("menu", "fmt"),
    [
        ("Home | About us | Members | Contact", "text"),
        ("Home | About | News | Join", "markdown"),
        ("Home · Members · Codes · Contact", "text"),
    ],
)
def test_a_website_menu_line_is_debris_never_the_title(menu, fmt):
    heading = "# Guild Code" if fmt == "markdown" else "Guild Code"
    parsed = parse(
        f"{menu}\n\n{heading}\n\nThe guild serves scribes.\n\nARTICLE 1 - FEES\n\n"
        "1.1 Members may publish fees.\n",
        format=fmt,
    )
    assert parsed.title == "Guild Code"
    assert not any(menu in entry for entry in parsed.preamble)
    assert [p.citation for p in parsed.walk()] == ["1", "1.1"]


def test_a_table_row_and_a_sentence_with_bars_are_not_menus():
    parsed = parse(
        "Guild Code\n\nFees | dues | levies are set by the council each year.\n\n"
        "ARTICLE 1 - FEES\n\n1.1 Members may publish fees.\n",
        format="text",
    )
    assert parsed.preamble == ["Fees | dues | levies are set by the council each year."]
    table = parse(
        "# Guild Code\n\n| Item | Fee | Due |\n|---|---|---|\n| Dues | 10 | May |\n\n"
        "## Fees\n\nPay on time.\n",
        format="markdown",
    )
    assert table.title == "Guild Code"


@pytest.mark.parametrize(
    ("text", "issuer"),
    [
        (
            "Guild Code\nFor members of the Example Guild of Scribes (EGS)\n",
            "Example Guild of Scribes (EGS)",
        ),
        ("Example Scribes Association Code of Conduct\n", "Example Scribes Association"),
        (
            "Guild Code\nThis code was adopted by the Example Guild on 1 May 2020.\n",
            "Example Guild",
        ),
        ("Guild Code\nThe EGS supports high standards.\n", "EGS"),
        ("Guild Code\nMembers value honesty.\n", None),
    ],
)
def test_issuer(text, issuer):
    parsed = parse(text + "ARTICLE 1 - FEES\n1.1 Members may publish fees.\n", format="text")
    assert parsed.issuer == issuer


def test_an_organisation_above_the_code_name_is_the_issuer():
    parsed = parse(
        "GUILD OF EXAMPLE SCRIBES\nCODE OF PROFESSIONAL CONDUCT\nEffective January 1, 2023\n\n"
        "Standard 1: Care\n1.1 A scribe shall copy with care.\n",
        format="text",
    )
    assert (parsed.title, parsed.issuer) == (
        "CODE OF PROFESSIONAL CONDUCT",
        "GUILD OF EXAMPLE SCRIBES",
    )
    assert parsed.preamble == ["Effective January 1, 2023"]
    assert parsed.effective == "2023-01-01"
    assert cited(parsed, "1.1").subject == "A scribe"


def test_preamble_is_the_prose_before_the_first_provision():
    parsed = parse(
        "Guild Code\nThe guild serves scribes.\nIt keeps this code.\nPREAMBLE\nMembers serve the public.\n"
        "ARTICLE 1 - FEES\n1.1 Members may publish fees.\n",
        format="text",
    )
    assert parsed.title == "Guild Code"
    assert parsed.preamble == [
        "The guild serves scribes.",
        "It keeps this code.",
        "Members serve the public.",
    ]


def test_markdown_preamble_keeps_its_lists():
    parsed = parse(
        "# Code\n\nWe welcome everyone, regardless of:\n\n* Age\n* Origin\n\n## Duties\n\nBe kind.\n",
        format="markdown",
    )
    assert parsed.preamble == ["We welcome everyone, regardless of:", "Age", "Origin"]


def test_plain_text_with_numbered_lists_is_not_taken_for_markdown():
    parsed = parse(
        "Guild Code\nI. Duties\n1. Keep records.\n2. Answer letters.\nII. Rights\n1. Vote.\n"
    )
    assert parsed.title == "Guild Code"
    assert citations(parsed) == ["I", "I.1", "I.2", "II", "II.1"]


def test_a_keyword_heading_right_after_an_unfinished_clause_is_still_a_heading():
    parsed = parse("Code\nPart A - Clients\nA1. Records\nPart B - Fees\nB1. Fees are public.\n")
    assert [(p.citation, p.heading) for p in parsed.provisions] == [("A", "Clients"), ("B", "Fees")]
    assert cited(parsed, "A1").text == "Records"


def test_markdown_block_quotes_are_read_as_text():
    parsed = parse(
        "# Code\n\n## Duties\n\n> Be kind to everyone.\n> Listen first.\n", format="markdown"
    )
    assert cited(parsed, "1").text == "Be kind to everyone. Listen first."


def test_the_format_is_guessed_from_the_file_name_and_the_text():
    markdown = "# Code\n\n## Duties\n\n* Be **kind**\n* Be fair\n"
    assert cited(parse(markdown, filename="code.md"), "1.1").text == "Be kind"
    assert cited(parse(markdown), "1.1").text == "Be kind"
    rst = "Code\n====\n\nDuties\n------\n\n* Be kind\n"
    assert outline(parse(rst)) == [("1", None, "Duties"), ("1.1", "1", None)]


# No structure, contradictions --------------------------------------------------------------------------


def test_a_text_without_structure_becomes_one_provision_per_paragraph():
    parsed = parse(
        "Members value honesty. They keep their word.\n\nMembers help each other.\n\n"
        "Members serve the public.\n",
        format="markdown",
    )
    assert [(p.citation, p.text) for p in parsed.provisions] == [
        ("1", "Members value honesty. They keep their word."),
        ("2", "Members help each other."),
        ("3", "Members serve the public."),
    ]
    assert parsed.preamble == []
    assert parsed.warnings == [
        "no recognisable structure (no headings, numbered clauses or lists): "
        "each paragraph became a provision, numbered 1 to 3"
    ]


def test_lines_whose_numbers_were_lost_are_reported():
    parsed = parse(
        "Code\nII. Rules\nMembers shall keep records.\nMembers shall answer letters.\n",
        format="text",
    )
    assert citations(parsed) == ["II", "II.1", "II.2"]
    assert parsed.warnings == [
        'line 3: 2 lines under "II. Rules" carry no numbers; each became a provision, numbered '
        "by its position"
    ]


def test_a_gap_in_the_numbering_is_reported_with_its_line():
    parsed = parse(
        "Code\nARTICLE 1 - FEES\n1.1 Members may publish fees.\n1.3 Members shall pay.\n"
    )
    assert parsed.warnings == ["line 4: 1.3 follows 1.1 (line 3), so one provision is missing"]
    assert citations(parsed) == ["1", "1.1", "1.3"]


def test_numbering_out_of_order_is_reported():
    parsed = parse(
        "Code\nARTICLE 1 - FEES\n1.2 Members may publish fees.\n1.1 Members shall pay.\n"
    )
    assert parsed.warnings == ["line 4: 1.1 follows 1.2 (line 3): out of order"]


def test_a_clause_under_the_wrong_article_is_reported():
    parsed = parse(
        "Code\nARTICLE 1 - FEES\n1.1 Members may publish fees.\n2.2 Members shall pay.\n"
    )
    assert parsed.warnings == [
        "line 4: 2.2 stands under 1, whose provisions should be numbered 1.x",
    ]


def test_a_gap_between_labelled_headings_is_reported():
    parsed = parse(
        "Code\nPart A - Clients\nA1. Members keep records.\nPart C - Fees\nC1. Fees are public.\n"
    )
    assert citations(parsed) == ["A", "A1", "C", "C1"]
    assert parsed.warnings == ["line 4: C follows A (line 2), so one provision is missing"]


def test_roman_and_letter_sequences_are_told_apart():
    parsed = parse(
        "Code\nARTICLE 1 - DUTIES\n1.1 Members shall:\n(g) keep ledgers;\n(h) keep receipts;\n"
        "(i) keep letters.\nARTICLE 2 - RIGHTS\n2.1 Members may:\n(i) publish fees;\n(ii) advertise.\n",
        format="text",
    )
    assert citations(parsed) == [
        "1", "1.1", "1.1(g)", "1.1(h)", "1.1(i)", "2", "2.1", "2.1(i)", "2.1(ii)",
    ]  # fmt: skip
    # (g) (h) (i) count as letters, (i) (ii) as roman numerals: no gap either way.
    assert [w for w in parsed.warnings if "(i)" in w or "(ii)" in w] == []


def test_a_citation_used_twice_is_made_unique_and_reported():
    parsed = parse(
        "Code\nARTICLE 1 - FEES\n1.1 Members may publish fees.\n1.1 Members shall pay.\n"
        "1.2 Members shall keep receipts.\n"
    )
    assert citations(parsed) == ["1", "1.1", "1.1-2", "1.2"]
    assert "line 4: citation 1.1 is used twice (first at line 3); the second is cited 1.1-2" in (
        parsed.warnings
    )


def test_parse_accepts_anything_and_returns_an_empty_code_for_nothing():
    for text in ("", "   \n\n", "\x00\x01", "#", "* ", "1.", "(a)", "---", "\ufeff"):
        parsed = parse(text)
        assert isinstance(parsed, ParsedCode)


def test_unlabelled_headings_over_self_numbered_clauses_add_nothing_to_citations():
    text = (
        "# Guild rules\n\n## Introduction\n\nThese rules bind members.\n\n## Clients\n\n"
        "1.1. Members shall be kind.\n\n1.2. Members shall be prompt.\n\n## Colleagues\n\n"
        "2.1. Members shall not lie.\n"
    )
    parsed = parse(text, filename="rules.md")
    assert [p.citation for p in parsed.leaves() if p.citation] == ["1.1", "1.2", "2.1"]
    assert [(p.heading, p.citation) for p in parsed.provisions] == [
        ("Introduction", None),
        ("Clients", None),
        ("Colleagues", None),
    ]
    assert parsed.warnings == []


def test_unlabelled_headings_over_restarting_lists_are_cited_by_position():
    text = "# Rules\n\n## Be kind\n\n- Listen.\n- Help.\n\n## Be safe\n\n- Report harm.\n"
    parsed = parse(text, filename="rules.md")
    assert [p.citation for p in parsed.walk()] == ["1", "1.1", "1.2", "2", "2.1"]


# Honest warnings: what the parser could not be sure of, with its line --------------------------------


def test_a_paragraph_between_two_numbered_clauses_is_a_warning():
    parsed = parse(
        "Guild Code\nARTICLE 1 - FEES\n1.1 Members shall publish fees.\n\n"
        "A stray paragraph about fees.\n\n1.2 Members shall not hide fees.\n",
        format="text",
    )
    assert cited(parsed, "1").text == "A stray paragraph about fees."
    assert cited(parsed, "1.1").text == "Members shall publish fees."
    assert parsed.warnings == [
        "line 5: a paragraph between 1.1 (line 3) and 1.2 (line 7) was put in the text of 1; "
        "check whether it belongs to 1.1"
    ]


def test_a_paragraph_between_markdown_list_items_is_a_warning_but_not_between_bullets():
    numbered = parse(
        "# Guild Code\n\n## Fees\n\n1. Publish fees.\n\nA stray paragraph.\n\n2. Do not hide fees.\n",
        format="markdown",
    )
    assert numbered.warnings == [
        'line 7: a paragraph between 1 (line 5) and 2 (line 9) was put in the text of "Fees"; '
        "check whether it belongs to 1"
    ]
    bullets = parse(
        "# Guild Code\n\n## Fees\n\n- Publish fees.\n\nA closing paragraph.\n\n- Do not hide fees.\n",
        format="markdown",
    )
    assert bullets.warnings == []


def test_a_paragraph_before_a_list_that_starts_again_is_no_warning():
    parsed = parse(
        "# Guild Code\n\n## Fees\n\n1. Publish fees.\n2. Keep receipts.\n\nAbout refunds:\n\n"
        "1. Refund promptly.\n",
        format="markdown",
    )
    assert not [w for w in parsed.warnings if "a paragraph between" in w]


def test_a_label_out_of_sequence_is_a_warning_with_its_line():
    parsed = parse(
        "Guild Code\nARTICLE 1 - FEES\n1.1 Members shall publish fees.\n"
        "1.3 Members shall not hide fees.\n1.2 Members shall keep receipts.\n",
        format="text",
    )
    assert parsed.warnings == [
        "line 4: 1.3 follows 1.1 (line 3), so one provision is missing",
        "line 5: 1.2 follows 1.3 (line 4): out of order",
    ]


def test_a_provision_without_text_is_a_warning():
    parsed = parse("# Guild Code\n\n## Fees\n\n## Duties\n\nBe kind.\n", format="markdown")
    assert [p.citation for p in parsed.walk()] == ["1", "2"]
    assert parsed.warnings == ['line 3: 1 ("Fees") has no text and no provisions under it']


def test_a_heading_that_states_a_rule_or_holds_provisions_is_not_without_text():
    parsed = parse(
        "Guild Code\nCANON 1 - A MEMBER SHALL UPHOLD THE LAW.\n"
        "CANON 2 - CLIENTS\nRule 2.01 - A member shall serve clients.\n",
        format="text",
    )
    assert parsed.warnings == []
