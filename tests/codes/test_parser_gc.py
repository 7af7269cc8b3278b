"""The parse pauses the cyclic garbage collector and leaves it as it found it."""

from __future__ import annotations

import gc

from ombuds.codes.parser import parse

TEXT = "Code of Conduct\n\n1. Members shall: (a) keep records; and (b) answer letters.\n"


def test_the_collector_is_enabled_again_and_nothing_stays_frozen() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    assert parse(TEXT).provisions
    assert gc.isenabled()
    assert gc.get_freeze_count() == before


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        parse(TEXT)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_objects_the_process_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        parse(TEXT)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
