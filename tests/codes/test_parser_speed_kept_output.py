"""The parser's speed work changed nothing it produces.

The generated benchmark code (``benchmarks/parse_throughput.py``, about 1 MB, in plain text and read
as Markdown) parses to exactly the tree, warnings and metadata that ``main`` produced before the
parser was made faster: the digests below were recorded from ``main`` at 933e93a, before any change.
A change to the parser's output that is meant must update them, and say why in its commit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from ombuds.codes.parser import parse

_BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "parse_throughput.py"

# sha256 of json.dumps(parse(text, filename=...).to_dict(), sort_keys=True, ensure_ascii=False)
RECORDED = {
    "generated.txt": "a170561f66d0b1c6ce1bf58a880a31067351f96edcda65e124ec11646604c65e",
    "generated.md": "2924f06959e0c30f8901adc4abfcbeb12de64bb4a8f1197570f7112118f44cae",
}


def _generated_code() -> str:
    spec = importlib.util.spec_from_file_location("parse_throughput", _BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(1.0)


@pytest.fixture(scope="module")
def generated() -> str:
    return _generated_code()


def test_the_generated_code_is_the_one_the_digests_were_recorded_on(generated):
    assert len(generated.encode("utf-8")) == 1_000_845


@pytest.mark.parametrize("filename", sorted(RECORDED))
def test_the_generated_code_parses_exactly_as_before(generated, filename):
    parsed = parse(generated, filename=filename)
    assert sum(1 for _ in parsed.walk()) == 8_488
    data = json.dumps(parsed.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(data).hexdigest() == RECORDED[filename]
