"""A body's parsing profile (TOML): read with every problem said at once, and used by the parser."""

from __future__ import annotations

import pytest

from ombuds.codes import parser
from ombuds.codes.parser import Profile, ProfileError, load_profile


def test_a_full_profile_reads_to_its_values():
    profile = load_profile(
        """
        styles = ["Principle", "standard", "§"]
        citation_prefix = "  CESP  "
        debris = ["Members' area", "Log in"]
        effective_line = "^Effective:"
        """
    )
    assert profile == Profile(
        styles=("principle", "standard", "§"),
        citation_prefix="CESP",
        debris=("Members' area", "Log in"),
        effective_line="^Effective:",
    )
    assert load_profile(profile.to_toml()) == profile


def test_an_empty_profile_is_the_parsers_defaults():
    assert load_profile("") == Profile()
    assert load_profile("").is_empty


def test_every_problem_is_reported_at_once():
    with pytest.raises(ProfileError) as caught:
        load_profile(
            """
            styles = ["article", "verse"]
            citation_prefix = 7
            debris = "Log in"
            effective_line = "Effective (("
            colour = "blue"
            """
        )
    messages = caught.value.messages
    assert len(messages) == 5, messages
    text = "\n".join(messages)
    assert "colour: unknown key" in text
    assert "unknown style 'verse'" in text and all(
        s in text for s in ("article", "standard", "§", "division")
    )
    assert "citation_prefix: must be a string" in text
    assert "debris: must be a list of strings" in text
    assert "effective_line: not a valid regular expression" in text


def test_a_profile_that_is_not_toml_says_where():
    with pytest.raises(ProfileError) as caught:
        load_profile('styles = ["article"')
    assert caught.value.messages[0].startswith("not valid TOML")


CODE = """Guild Code of Practice
Members' area | Log in
Last updated on our website in 2024.
Effective: 03/01/18
1. Members shall answer every complaint.
2. Members shall not mislead a client.
Log in to the members' area
"""


def test_without_a_profile_the_body_debris_stays_and_the_stated_date_is_read():
    parsed = parser.parse(CODE, filename="code.txt")
    assert parsed.effective == "2018-03-01"
    assert any("Log in" in p for p in [*parsed.preamble, *(x.text for x in parsed.walk())])


def test_a_profiles_debris_words_drop_those_lines():
    parsed = parser.parse(CODE, filename="code.txt", profile=load_profile('debris = ["log in"]'))
    words = [*parsed.preamble, *(p.text for p in parsed.walk())]
    assert not any("Log in" in w for w in words), words
    texts = [p.text for p in parsed.walk()]
    assert "Members shall answer every complaint." in texts
    assert "Members shall not mislead a client." in texts


def test_a_profiles_effective_line_says_which_line_dates_the_code():
    text = "Guild Code\nRevised 2020-02-02\nCommencement: 1 July 2021\n1. Members shall be kind.\n"
    assert parser.parse(text).effective == "2020-02-02"
    profile = load_profile('effective_line = "^Commencement"')
    assert parser.parse(text, profile=profile).effective == "2021-07-01"
    # A pattern that matches no line leaves the parser's own reading.
    missing = load_profile('effective_line = "^In force"')
    assert parser.parse(text, profile=missing).effective == "2020-02-02"
