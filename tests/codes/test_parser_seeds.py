"""The two seed codes (CSEC and ESPCC's CESP), parsed exactly as the issue pins them.

The texts are other people's words: they are read from the shared folder, never copied here.
"""

from __future__ import annotations

import functools

import pytest

from ombuds.codes.parser import ParsedCode, Provision, parse
from tests.shared_texts import read_shared

pytestmark = pytest.mark.shared

CSEC_FILE = "seeds/csec-code-of-ethical-conduct.txt"
CESP_FILE = "seeds/espcc-cesp-code-of-conduct.txt"

CSEC_LEAVES = [
    "1.1(a)", "1.1(b)", "1.1(c)",
    "1.2(a)", "1.2(b)", "1.2(c)", "1.2(d)",
    "1.3(a)", "1.3(b)", "1.3(c)", "1.3(d)",
    "1.4(a)", "1.4(b)", "1.4(c)",
    "2.1", "2.2", "2.3",
    "3.1", "3.2", "3.3",
    "4.1", "4.2", "4.3",
    "5.1",
]  # fmt: skip

CESP_LEAVES = [
    "1.1", "1.2", "1.3",
    "2.1", "2.2", "2.3", "2.4", "2.5",
    "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8",
]  # fmt: skip

CESP_SUBJECT = "CESP credential holders and candidates"


@functools.cache
def _parse(relpath: str) -> ParsedCode:
    return parse(read_shared(relpath), filename=relpath.rsplit("/", 1)[-1])


def csec() -> ParsedCode:
    return _parse(CSEC_FILE)


def cesp() -> ParsedCode:
    return _parse(CESP_FILE)


def cited(parsed: ParsedCode, citation: str) -> Provision:
    matches = [p for p in parsed.walk() if p.citation == citation]
    assert len(matches) == 1, f"{citation}: {len(matches)} provisions"
    return matches[0]


# CSEC ---------------------------------------------------------------------------------------------


def test_csec_has_24_leaves_from_1_1_a_to_5_1():
    assert [p.citation for p in csec().leaves()] == CSEC_LEAVES


def test_csec_every_citation_in_document_order():
    expected = []
    for article, clauses in (
        ("1", {"1.1": "abc", "1.2": "abcd", "1.3": "abcd", "1.4": "abc"}),
        ("2", {"2.1": "", "2.2": "", "2.3": ""}),
        ("3", {"3.1": "", "3.2": "", "3.3": ""}),
        ("4", {"4.1": "", "4.2": "", "4.3": ""}),
        ("5", {"5.1": ""}),
    ):
        expected.append(article)
        for clause, letters in clauses.items():
            expected += [clause] + [f"{clause}({letter})" for letter in letters]
    assert [p.citation for p in csec().walk()] == expected


def test_csec_articles_and_their_headings():
    articles = [(p.label, p.citation, p.heading) for p in csec().provisions]
    assert articles == [
        ("1", "1", "RELATIONSHIP WITH CLIENTS"),
        ("2", "2", "RELATIONSHIP WITH NON-CUSTODIAL PARENTS"),
        ("3", "3", "RELATIONSHIP WITH GOVERNMENT"),
        ("4", "4", "RELATIONSHIP WITH COLLEAGUES"),
        ("5", "5", "COMPLAINTS"),
    ]
    assert all(p.modality is None and p.text == "" for p in csec().provisions)


def test_csec_labels_lose_their_decoration():
    parsed = csec()
    assert [c.label for c in cited(parsed, "1.2").children] == ["(a)", "(b)", "(c)", "(d)"]
    assert cited(parsed, "5.1").label == "5.1"  # written "5.1.Complaints", with no space


def test_csec_inline_subclauses_keep_the_lead_in_as_the_parents_text():
    clause = cited(csec(), "1.2")
    assert clause.text == "Members shall:"
    assert clause.full_text.startswith("Members shall: (a) be financially solvent at all times;")
    assert clause.full_text.endswith("(d) make timely distribution of all funds owed to a client.")
    # Each sub-clause's text is as written, its separator included.
    texts = [c.text for c in clause.children]
    assert [t.split()[0] for t in texts] == ["be", "maintain", "maintain", "make"]
    separators = (";", ";", "; and", ".")
    assert all(t.endswith(end) for t, end in zip(texts, separators, strict=True)), texts
    assert texts[2].startswith("maintain client trust accounts")


@pytest.mark.parametrize(
    ("citation", "full_text"),
    [
        (
            "1.2(c)",
            "Members shall maintain client trust accounts sufficient to provide complete payment "
            "of all funds owed to its clients",
        ),
        ("1.1(a)", "Members shall treat clients with respect and courtesy"),
        (
            "1.1(b)",
            "Members shall provide services to clients in a timely and professional manner",
        ),
        ("2.3", "Members shall not falsely identify themselves as government entities."),
    ],
)
def test_csec_full_text_reads_on_its_own(citation, full_text):
    assert cited(csec(), citation).full_text == full_text


def test_csec_the_last_subclause_reads_on_its_own_without_its_full_stop():
    provision = cited(csec(), "1.4(c)")
    assert provision.text.endswith("on behalf of the client.")
    assert provision.full_text.startswith("Members shall timely inform clients of all legal")
    assert provision.full_text.endswith("on behalf of the client")


def test_csec_text_is_the_clause_as_written():
    text = cited(csec(), "4.1").text
    assert text.startswith("Members shall not publicly disparage any private")
    assert "agency. This shall in no way be construed" in text  # both sentences, one clause
    assert text.endswith("against a member.")
    assert cited(csec(), "5.1").text.startswith(
        "Complaints relating to any private child support enforcement agency (“PCSEA”)"
    )


@pytest.mark.parametrize(
    ("citation", "modality"),
    [
        ("1.1(a)", "obligation"),
        ("1.2(c)", "obligation"),
        ("2.1", "prohibition"),
        ("2.2", "prohibition"),
        ("3.1", "obligation"),
        (
            "4.1",
            "prohibition",
        ),  # "shall not publicly disparage"; "This shall in no way ..." follows
        ("4.3", "obligation"),
        # "Complaints ... may be directed to the Chair ... who shall notify": a binding duty
        # outranks the permission.
        ("5.1", "obligation"),
    ],
)
def test_csec_modality(citation, modality):
    assert cited(csec(), citation).modality == modality


def test_csec_5_1_lists_its_two_obligations_each_with_its_sentence():
    duties = cited(csec(), "5.1").duties
    obligations = [d["sentence"] for d in duties if d["kind"] == "obligation"]
    assert len(obligations) == 2
    assert "who shall notify the PCSEA" in obligations[0]
    assert obligations[1].startswith(
        "If the complaint is against a member, the Chair shall require"
    )
    # "Complaints ... may be directed to the Chair" lets complainants choose that route.
    assert [d["kind"] for d in duties] == ["permission", "obligation", "obligation"]


def test_csec_clause_duties_read_with_their_lead_in():
    assert cited(csec(), "1.1(b)").duties == [
        {"kind": "obligation", "sentence": cited(csec(), "1.1(b)").full_text}
    ]
    # "This shall in no way be construed ..." says how to read 4.1: no second duty.
    assert [d["kind"] for d in cited(csec(), "4.1").duties] == ["prohibition"]


def test_csec_subject_is_members_wherever_a_clause_binds_them():
    parsed = csec()
    for provision in parsed.walk():
        if provision.citation in ("5.1",) or provision.heading:
            continue
        assert provision.subject == "Members", provision.citation
    assert cited(parsed, "5.1").subject is None  # complaints may be directed: nobody is bound


def test_csec_title_issuer_and_effective_date():
    parsed = csec()
    assert parsed.title == "Code of Ethical Conduct"
    assert parsed.issuer == "Child Support Enforcement Council (CSEC)"
    # "adopted ... shortly after it was founded in 2001": 2001 dates the founding, not the code, and
    # the text gives no other date.
    assert parsed.effective is None


def test_csec_preamble_holds_the_prose_before_article_1():
    preamble = csec().preamble
    assert len(preamble) == 4
    assert preamble[0] == "For members of the Child Support Enforcement Council (CSEC)"
    assert preamble[1].startswith("CSEC believes that its members should abide by")
    assert preamble[2].startswith("CSEC adopted it's code of ethical conduct")
    # The PREAMBLE heading names the preamble; its paragraph is preamble, not provision 0.
    assert preamble[3].startswith("Members shall dedicate themselves to ensuring")
    assert "PREAMBLE" not in preamble


def test_csec_web_page_navigation_is_dropped():
    parsed = csec()
    words = [parsed.title or "", *parsed.preamble]
    for provision in parsed.walk():
        words += [provision.heading or "", provision.text, provision.full_text]
    everything = "\n".join(words)
    for debris in ("In this Section", "Our Members", "Board Members", "Frequently Asked Questions"):
        assert debris not in everything
    assert cited(parsed, "5.1").text.endswith(
        "the Chair shall require proof that reasonable efforts have been taken to resolve the "
        "complaint."
    )


def test_csec_has_no_warnings():
    assert csec().warnings == []


# CESP ---------------------------------------------------------------------------------------------


def test_cesp_has_16_leaves_from_1_1_to_3_8():
    assert [p.citation for p in cesp().leaves()] == CESP_LEAVES


def test_cesp_every_citation_in_document_order():
    expected = ["1", "1.1", "1.2", "1.3", "2", *[f"2.{n}" for n in range(1, 6)]]
    expected += ["3", *[f"3.{n}" for n in range(1, 9)]]
    assert [p.citation for p in cesp().walk()] == expected


def test_cesp_sections_and_their_headings():
    sections = [(p.label, p.citation, p.heading, len(p.children)) for p in cesp().provisions]
    assert sections == [
        ("1", "1", "Adherence to Legal Requirements", 3),
        ("2", "2", "Adherence to ESPCC Policies & Requirements", 5),
        ("3", "3", "Professional Performance", 8),
    ]


def test_cesp_bullets_are_labelled_by_position():
    assert [c.label for c in cited(cesp(), "3").children] == [str(n) for n in range(1, 9)]


def test_cesp_full_text_of_an_imperative_bullet_is_its_text():
    provision = cited(cesp(), "3.8")
    assert provision.text.startswith("Disclose any conflicts of interest")
    assert provision.text.endswith("could cause a conflict of interest.")
    assert provision.full_text == provision.text
    assert cited(cesp(), "2.1").text.startswith("Follow all ESPCC CESP™ certification program")


@pytest.mark.parametrize(
    ("citation", "modality"),
    [
        ("1.1", "obligation"),  # "Adhere to ..."
        ("1.2", "prohibition"),  # "Refrain from public behavior ..."
        ("1.3", "prohibition"),  # "Refrain from discrimination ..."
        ("2.5", "obligation"),  # "Report violations ..."
        ("3.3", "obligation"),  # "Be accountable ..."
        ("3.7", "obligation"),  # "Properly use ...": an adverb before the verb
        ("3.8", "obligation"),
    ],
)
def test_cesp_modality(citation, modality):
    assert cited(cesp(), citation).modality == modality


def test_cesp_imperative_bullets_bind_the_subject_the_code_states():
    # "CESP™ credential holders and candidates have the obligations to ...": the ™ is dropped.
    assert {p.subject for p in cesp().leaves()} == {CESP_SUBJECT}
    assert all(p.subject is None for p in cesp().provisions)


def test_cesp_title_issuer_and_effective_date():
    parsed = cesp()
    # The page names the code as a question; the question opens the preamble.
    assert parsed.title == "CESP™ Code of Conduct"
    assert parsed.issuer == "ESPCC"
    assert parsed.effective is None  # the text gives no date


def test_cesp_preamble_holds_the_prose_and_the_heading_before_section_1():
    preamble = cesp().preamble
    assert len(preamble) == 5
    assert preamble[0] == "What is the CESP™ Code of Conduct?"
    assert preamble[1].startswith("The Code of Conduct establishes the basic ethical standards")
    assert preamble[2] == (
        "Certified Employment Support Professional™ Certification as an Industry Standard"
    )
    assert preamble[3].startswith("The ESPCC supports appropriate, professional standards")
    assert preamble[4].startswith("CESP™ credential holders and candidates have the obligations")


def test_cesp_has_no_warnings():
    assert cesp().warnings == []


def test_both_seeds_round_trip_through_the_interchange_format():
    for parsed in (csec(), cesp()):
        assert ParsedCode.from_dict(parsed.to_dict()) == parsed
