"""Parser throughput on a generated ~10 MB code of conduct, beside a bare regular-expression pass.

Run: ``.venv/bin/python benchmarks/parse_throughput.py [--megabytes 10] [--rounds 5] [--profile]``

The code is generated (deterministically, from a fixed seed) with what real codes have: articles,
numbered clauses, inline (a) (b) (c) sub-clauses, bullet lists, and clauses hard-wrapped over several
lines.

Subject and anchor run alternately, ``--rounds`` times each, in one process:

- the subject: ``parse()`` of the whole text, as the import page and the CLI call it;
- the anchor (the floor): split the same text into lines and run one compiled regular expression
  over every line that finds the markers the parser recognises: Markdown and keyword headings
  (the keywords of the style table), dotted, dashed and plain numbers, lettered and roman labels
  with or without parentheses, and bullets. It counts the lines it finds and builds nothing. Each
  round runs it ``--anchor-passes`` times and counts the mean of a pass.

It prints the median MB/s of each and the ratio parser : anchor (of the medians), from the CPU
time of the process (on a machine shared with other work, wall time measures the others too; it
is printed beside). ``--profile`` instead parses once under cProfile and prints the top functions
by cumulative time (``--top``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ombuds.codes._parsing.styles import STYLES
from ombuds.codes.parser import parse

WORDS = [
    "member",
    "members",
    "agency",
    "client",
    "clients",
    "record",
    "records",
    "account",
    "accounts",
    "complaint",
    "complaints",
    "chair",
    "committee",
    "council",
    "court",
    "notice",
    "payment",
    "payments",
    "fee",
    "fees",
    "service",
    "services",
    "contract",
    "contracts",
    "duty",
    "duties",
    "conduct",
    "standard",
    "standards",
    "information",
    "report",
    "reports",
    "colleague",
    "colleagues",
    "office",
    "government",
    "parent",
    "parents",
    "support",
    "order",
    "orders",
    "trust",
    "reasonable",
    "timely",
    "written",
    "accurate",
    "prompt",
    "fair",
    "open",
    "honest",
    "complete",
    "separate",
    "professional",
    "public",
    "private",
]
VERBS = [
    "keep",
    "maintain",
    "provide",
    "answer",
    "record",
    "disclose",
    "inform",
    "notify",
    "respect",
    "protect",
    "deliver",
    "review",
    "report",
    "refund",
    "publish",
    "explain",
]


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _wrapped(text: str, width: int = 72) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def generate(megabytes: float, seed: int = 2024) -> str:
    """A plain-text code of about ``megabytes`` MB (UTF-8)."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    parts = ["Code of Practice of the Example Guild", "", "Adopted on 1 March 2024.", ""]
    size = sum(len(p) + 1 for p in parts)
    article = 0
    while size < target:
        article += 1
        lines = [f"ARTICLE {article} - {_phrase(rng, 3).upper()}", ""]
        for clause in range(1, rng.randint(4, 9)):
            number = f"{article}.{clause}."
            kind = rng.random()
            if kind < 0.35:
                letters = "abcdef"[: rng.randint(2, 5)]
                parts_ = [
                    f"({x}) {rng.choice(VERBS)} {_phrase(rng, rng.randint(4, 12))}" for x in letters
                ]
                body = "; ".join(parts_[:-1]) + "; and " + parts_[-1] + "."
                lines.append(f"{number} Members shall: {body}")
            elif kind < 0.6:
                lines.append(f"{number} Members shall not {rng.choice(VERBS)} {_phrase(rng, 10)}:")
                for _ in range(rng.randint(2, 6)):
                    lines.append(
                        f"- {rng.choice(VERBS).capitalize()} {_phrase(rng, rng.randint(5, 14))}."
                    )
            else:
                text = (
                    f"{number} Members may {rng.choice(VERBS)} {_phrase(rng, rng.randint(30, 70))}."
                )
                lines += _wrapped(text)
            lines.append("")
        chunk = "\n".join(lines) + "\n"
        parts.append(chunk)
        size += len(chunk) + 1
    return "\n".join(parts)


def _anchor_pattern() -> re.Pattern[str]:
    """One pattern for every marker the parser recognises at the start of a line."""
    words = sorted({w for style in STYLES for w in style.words}, key=len, reverse=True)
    keywords = "|".join(re.escape(w) + ("s?" if w[-1].isalpha() else "") for w in words)
    return re.compile(
        r"[ \t]*(?:"
        r"#{1,6}[ \t]"  # Markdown heading
        rf"|(?i:{keywords})\.?[ \t]*(?:\d{{1,4}}(?:[.-]\d{{1,4}})*|[IVXLCDMivxlcdm]{{1,7}}|[A-Z])\b"
        r"|\d{1,4}(?:[.-]\d{1,4})*[.):]?(?:[ \t]|$)"  # 1.  1.01  4-1.1  2)
        r"|\(?(?:[a-z]{1,5}|[A-Z]{1,5}|\d{1,3})[.)][ \t]"  # (a)  b.  iv)  (IV)
        r"|[-*+•·▪◦‣●○■□➢►▸»–](?:[ \t]|$)"  # bullets
        r")"
    )


ANCHOR = _anchor_pattern()


def anchor(text: str) -> int:
    """The floor: the lines of ``text`` that start with a marker, found by one regular expression."""
    match = ANCHOR.match
    found = 0
    for line in text.split("\n"):
        if match(line):
            found += 1
    return found


def _timed(function, *args, **kwargs) -> tuple[float, float, object]:
    """CPU seconds of this process, wall seconds, and the result of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = function(*args, **kwargs)
    return time.process_time() - cpu, time.perf_counter() - wall, result


def _passes(function, text: str, passes: int) -> object:
    result = None
    for _ in range(passes):
        result = function(text)
    return result


def _profile(text: str, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    parse(text, filename="generated.txt")
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each, alternately")
    parser.add_argument("--anchor-passes", type=int, default=10, help="anchor passes per round")
    parser.add_argument("--profile", action="store_true", help="cProfile one parse instead")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    args = parser.parse_args()

    text = generate(args.megabytes)
    size = len(text.encode("utf-8"))
    megabytes = size / 1_000_000
    if args.profile:
        _profile(text, args.top)
        return
    subject_cpu, subject_wall, anchor_cpu, anchor_wall = [], [], [], []
    parsed = markers = None
    for _ in range(args.rounds):
        cpu, wall, parsed = _timed(parse, text, filename="generated.txt")
        subject_cpu.append(cpu)
        subject_wall.append(wall)
        # The anchor takes a hundredth of the parser's time: each round times several passes, so
        # that a moment of another process's work on the machine does not decide its figure.
        cpu, wall, markers = _timed(_passes, anchor, text, args.anchor_passes)
        anchor_cpu.append(cpu / args.anchor_passes)
        anchor_wall.append(wall / args.anchor_passes)
    provisions = sum(1 for _ in parsed.walk())
    median = statistics.median
    subject, floor = megabytes / median(subject_cpu), megabytes / median(anchor_cpu)
    print(f"size:    {megabytes:.2f} MB ({size:,} bytes, {provisions:,} provisions)")
    print(f"found:   {len(parsed.warnings)} warnings; the anchor {markers:,} marker lines")
    print(f"rounds:  {args.rounds} of each, alternately; medians of CPU time (wall in brackets)")
    print(
        f"parser:  {subject:8.2f} MB/s  "
        f"({median(subject_cpu):.3f} s CPU; {megabytes / median(subject_wall):.2f} MB/s wall)"
    )
    print(
        f"anchor:  {floor:8.2f} MB/s  "
        f"({median(anchor_cpu):.4f} s CPU; {megabytes / median(anchor_wall):.2f} MB/s wall)"
    )
    print(f"ratio:   1 : {floor / subject:.1f}  (parser : anchor, CPU)")


if __name__ == "__main__":
    main()
