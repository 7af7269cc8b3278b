"""Agency names a client could confuse (CSEC 4.2), matched through an index rather than every pair."""

from ombuds.register.names import NameIndex, normalise_name


def test_legal_forms_and_punctuation_do_not_tell_names_apart():
    assert normalise_name("The Harbor-Beacon Services, LLC") == "harbor beacon"


def test_a_name_matches_a_close_legal_or_trade_name_once_per_record():
    index = NameIndex()
    index.add(1, ["Harbor Beacon Child Support, LLC", "Harbor Beacon Recovery"])
    index.add(2, ["Northwind Collections"])
    [(key, matched, score)] = index.matches(["Harbour Beacon Recovery Inc."])
    assert (key, matched) == (1, "Harbor Beacon Recovery") and score > 0.9
    assert index.matches(["Northwind Collectors"])[0][0] == 2
    assert index.matches(["Quillfeather Partners"]) == []


def test_a_record_is_not_confused_with_itself():
    index = NameIndex()
    index.add(7, ["Northwind Collections"])
    assert index.matches(["Northwind Collections"], exclude=7) == []
    assert index.matches(["Northwind Collections"])[0][2] == 1.0


def test_a_word_most_names_share_does_not_pair_them_but_equal_names_still_meet():
    index = NameIndex()
    for n in range(1000):
        index.add(n, [f"Child Support Agency {n:04d}x{n * 7919 % 1000:03d}"])
    index.add("dup", ["Child Support Agency 0001x919"])
    # "child" and "support" are in every name: they pair nothing by themselves, so the check
    # stays fast; the same name, normalised, is still found.
    found = index.matches(["CHILD SUPPORT AGENCY 0001X919, Inc."])
    assert {key for key, _n, _s in found} >= {1, "dup"}


def test_a_shared_word_prefix_pairs_names_with_different_endings():
    index = NameIndex()
    index.add(1, ["Meridian Recoveries"])
    assert index.matches(["Meridian Recovery"])[0][0] == 1
