"""Compliance checks at scale: every check of CSEC's monthly ledger return run on a ledger of ten
million rows, beside one plain scan of the same file by the same engine.

Run: ``.venv/bin/python benchmarks/compliance_checks.py [--rows 10000000] [--rounds 2]
[--memory-limit 1GB]``. No database: the engine reads the files where they lie.

What one run does, in a temporary folder (removed at the end):

1. Writes a year of synthetic trust ledger for enough clients to make ``--rows`` rows (a few
   violations planted: a shortfall, a late payout, a fee beyond a contract), its daily bank
   statement and its contracts (`ombuds.compliance.synthetic`). Not timed.
2. ``--rounds`` times, interleaved: the plain scan (``SELECT count(*), sum(amount)`` over the
   ledger read with its declared types), then all the checks (`engine.check_files`: the shape
   check of the three files, then every rule).
3. Prints each time, the best of each, their ratio, the findings, and the peak resident memory of
   the process (``resource.getrusage``) before and after the checks: DuckDB streams the file and
   spills past its memory limit, so the peak stays flat whatever the ledger's size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ombuds.compliance import engine, programme, synthetic  # noqa: E402

PROGRAMME = ROOT / "ombuds" / "compliance" / "programmes" / "csec-compliance.toml"
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
ROWS_PER_CLIENT = 59  # about 20 collections a year, each with its fee and payout, and the opening


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scan(paths: dict[str, Path], memory_limit: str) -> tuple[int, object]:
    spec = programme.load_file(PROGRAMME).returns["trust_ledger"].files["ledger"]
    header = ["date", "client", "kind", "amount", "reference"]
    with engine.connection(memory_limit) as con:
        source = engine.csv_source(spec, paths["ledger"], header, typed=True)
        return con.execute(f"SELECT count(*), sum(amount) FROM {source}").fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GB")
    options = parser.parse_args()
    csec = programme.load_file(PROGRAMME)
    clients = max(10, options.rows // ROWS_PER_CLIENT)
    with tempfile.TemporaryDirectory(prefix="ombuds-bench-") as folder:
        started = time.perf_counter()
        made = synthetic.Synthetic(
            seed=1,
            period=YEAR,
            clients=clients,
            collections=(15, 25),
            plant={"shortfall", "late_distribution", "fee_beyond_contract"},
        )
        paths = made.write(Path(folder))
        with open(paths["ledger"]) as f:
            rows = sum(1 for _ in f) - 1
        size = paths["ledger"].stat().st_size / 1e6
        print(
            f"ledger: {rows:,} rows, {clients:,} clients, {size:,.0f} MB, "
            f"written in {time.perf_counter() - started:.0f} s"
        )
        print(f"peak memory before the checks: {peak_mb():,.0f} MB")
        scans, checks = [], []
        outcome = None
        for n in range(options.rounds):
            t = time.perf_counter()
            count, total = scan(paths, options.memory_limit)
            scans.append(time.perf_counter() - t)
            t = time.perf_counter()
            outcome = engine.check_files(
                csec, "trust_ledger", paths, YEAR, memory_limit=options.memory_limit
            )
            checks.append(time.perf_counter() - t)
            print(
                f"round {n + 1}: plain scan {scans[-1]:.2f} s ({count:,} rows, sum {total}); "
                f"all checks {checks[-1]:.2f} s"
            )
        found = sorted((f.rule, f.provision, f.client or "", str(f.date)) for f in outcome.findings)
        planted = sorted((p.rule, p.provision, p.client or "", str(p.date)) for p in made.planted)
        print(
            f"findings: {len(found)} (planted {len(planted)}; all found: {found == planted}); "
            f"shape problems: {len(outcome.problems)}"
        )
        print(
            f"best plain scan {min(scans):.2f} s, best of all checks {min(checks):.2f} s, "
            f"ratio {min(checks) / min(scans):.1f}"
        )
        print(
            f"peak memory after the checks: {peak_mb():,.0f} MB "
            f"(DuckDB memory limit {options.memory_limit})"
        )


if __name__ == "__main__":
    main()
