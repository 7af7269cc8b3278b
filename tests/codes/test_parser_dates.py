"""Effective dates: read only from a line that says so, in the ways bodies write them."""

from __future__ import annotations

import pytest

from ombuds.codes import parser
from ombuds.codes._parsing.metadata import effective_date
from tests.shared_texts import read_shared


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Effective: 03/01/18", "2018-03-01"),
        ("| **Effective:** | 03/01/18 |", "2018-03-01"),
        ("This policy is effective 03/01/2018.", "2018-03-01"),
        ("Revised 31/12/2019", "2019-12-31"),  # 31 cannot be a month: day first
        ("Adopted 2019; effective 1 January 2020.", "2020-01-01"),  # the date it takes effect
        ("Aprobado por el CJE el 16 de MAYO de 2022.", "2022-05-16"),
        ("Publicado en el P. O. E. el 21 de mayo de 2022", "2022-05-21"),
        ("Entra en vigor el 03/05/2022", "2022-05-03"),  # Spanish: day first
        ("Code approuvé le 6 septembre 1995.", "1995-09-06"),
        ("Adopté le 1er janvier 2020", "2020-01-01"),
        ("Le présent code entre en vigueur le 6 septembre 1995.", "1995-09-06"),
        ("as amended March 2021", "2021-03"),
    ],
)
def test_a_date_on_a_line_that_says_so(line, expected):
    assert effective_date([line]) == expected


@pytest.mark.parametrize(
    "line",
    [
        "The council was founded in 2001 and adopted this code soon after.",
        "Members keep records from 03/01/18 onwards.",  # a date, but no word saying it dates the code
        "Fundada en 1995, la asociación aprobó después este código.",
        "La société, fondée en 1990, a adopté ce code.",
    ],
)
def test_a_date_in_a_sentence_about_something_else_is_not_the_codes(line):
    assert effective_date([line]) is None


@pytest.mark.shared
def test_the_oregon_policy_is_effective_on_its_stated_day():
    parsed = parser.parse(
        read_shared("corpus/codes/" + "oregon-doc-20-1-3-code-of-conduct.md"),
        filename="oregon-doc-20-1-3-code-of-conduct.md",
    )
    assert parsed.effective == "2018-03-01"  # "Effective: 03/01/18", not "Supersedes: 07/01/15"


@pytest.mark.shared
def test_the_chihuahua_code_is_dated_by_its_publication():
    parsed = parser.parse(
        read_shared("corpus/codes/" + "chihuahua-codigo-de-etica-poder-judicial-2022.md"),
        filename="chihuahua-codigo-de-etica-poder-judicial-2022.md",
    )
    # "Publicado en el P. O. E. el 21 de mayo de 2022", the first line that dates it.
    assert parsed.effective == "2022-05-21"
