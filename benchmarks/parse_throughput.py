"""Parser throughput on a generated ~10 MB code of conduct.

Run: ``.venv/bin/python benchmarks/parse_throughput.py [--megabytes 10] [--repeat 3]``

The code is generated (deterministically, from a fixed seed) with what real codes have: articles,
numbered clauses, inline (a) (b) (c) sub-clauses, bullet lists, and clauses hard-wrapped over several
lines. It prints the size, the best time of ``--repeat`` runs of ``parse()`` and the throughput.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    text = generate(args.megabytes)
    size = len(text.encode("utf-8"))
    best = float("inf")
    provisions = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        parsed = parse(text, filename="generated.txt")
        best = min(best, time.perf_counter() - start)
        provisions = sum(1 for _ in parsed.walk())
    print(f"size:       {size / 1_000_000:.2f} MB ({size:,} bytes, {provisions:,} provisions)")
    print(f"warnings:   {len(parsed.warnings)}")
    print(f"best of {args.repeat}:  {best:.2f} s")
    print(f"throughput: {size / 1_000_000 / best:.2f} MB/s")


if __name__ == "__main__":
    main()
