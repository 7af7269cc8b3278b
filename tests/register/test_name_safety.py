"""Names compared as a reader sees them (CSEC 4.2, UTS #39 skeletons) and names that cannot be
stored: control characters and the direction controls that display one name as another."""

from __future__ import annotations

import pytest

from ombuds.register import records, services
from ombuds.register.csv import import_csv
from ombuds.register.models import Agency, Person
from ombuds.register.names import NameIndex, normalise_name, skeleton

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
CYRILLIC_A = "\u0410"


def test_a_letter_outside_ascii_keeps_its_identity():
    assert normalise_name("Zoë Care") == skeleton("zoë care")
    assert "zo care" != normalise_name("Zoë Care") != normalise_name("Zoe Care")
    # The same letter typed precomposed or as e + combining diaeresis is the same name.
    assert normalise_name("Zoe\u0308 Care") == normalise_name("Zo\u00eb Care")


def test_look_alike_letters_from_other_scripts_have_the_same_skeleton():
    assert skeleton(f"{CYRILLIC_A}lpha") == skeleton("Alpha")
    assert skeleton("\u0391lpha") == skeleton("alpha")  # Greek capital alpha
    assert skeleton("Ｌａｎｔｅｒｎ") == skeleton("Lantern")  # fullwidth, folded by NFKC
    assert skeleton("Alpha") != skeleton("Aleph")


def test_a_right_to_left_override_is_compared_as_it_is_displayed():
    index = NameIndex()
    index.add(1, ["Alpha Recovery"])
    # Stored as "yrevoceR ahplA" after the override: displayed as "Alpha Recovery".
    [(key, _matched, score)] = index.matches([f"{RLO}yrevoceR ahplA"])
    assert key == 1 and score == 1.0


@pytest.mark.django_db
def test_a_cyrillic_look_alike_is_flagged_as_similar_to_the_agency_it_imitates(body):
    alpha = Agency.objects.create(organization=body, legal_name="Alpha Recovery, LLC")
    Agency.objects.create(organization=body, legal_name="Omega Partners")
    found = services.similar_agencies(organization=body, names=[f"{CYRILLIC_A}lpha Recovery"])
    assert [(agency, score) for agency, _name, score in found] == [(alpha, 1.0)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("legal_name", f"Acme {RLO}ycnegA", "direction control (U+202E)"),
        ("legal_name", "Acme\x07 Agency", "control character (U+0007)"),
        ("trade_names", ["Acme", f"{RLO}emcA"], "direction control (U+202E)"),
        ("city", "Day\u2066ton", "direction control (U+2066)"),
    ],
)
def test_an_agency_name_with_a_control_character_is_refused(body, field, value, reason):
    values = {"legal_name": "Acme Agency", field: value}
    with pytest.raises(records.ChangeRefused) as refused:
        records.agency_save(organization=body, values=values)
    assert reason in refused.value.errors[field][0]
    assert not Agency.objects.exists()


@pytest.mark.django_db
def test_a_person_name_with_a_direction_override_is_refused_and_zoe_is_kept(body):
    with pytest.raises(records.ChangeRefused) as refused:
        records.person_save(
            organization=body, values={"given_name": f"{RLO}htimS", "family_name": "Ann"}
        )
    assert "direction control" in refused.value.errors["given_name"][0]
    person = records.person_save(
        organization=body, values={"given_name": "Zoë", "family_name": "Ångström"}
    )
    assert Person.objects.get(pk=person.pk).full_name == "Zoë Ångström"


@pytest.mark.django_db
def test_a_csv_import_reports_control_characters_in_names_as_bad_rows(body):
    text = (
        "external_id,legal_name,trade_names,city\n"
        "A-1,Lantern Finders LLC,,Dayton\n"
        f"A-2,{RLO}sredniF nretnaL,,Dayton\n"
        f"A-3,Beacon LLC,Beacon{RLO} Kids,Dayton\n"
        "A-4,Quill\x1bfeather,,Dayton\n"
    )
    report = import_csv(organization=body, data=text.encode(), dry_run=True)
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "legal_name"),
        (4, "trade_names"),
        (5, "legal_name"),
    ]
    assert "direction control (U+202E)" in report.errors[0].reason
    assert "control character (U+001B)" in report.errors[2].reason
