"""Compliance checks at scale: every check of CSEC's monthly ledger return run on a ledger of ten
million rows, beside one plain scan of the same file by the same engine.

Run: ``.venv/bin/python benchmarks/compliance_checks.py [--rows 10000000] [--rounds 3]
[--memory-limit 1GB] [--data DIR]`` (or ``ROWS=1000000 .venv/bin/python ...``). No database: the
engine reads the files where they lie.

What one run does:

1. Writes a year of synthetic trust ledger for enough clients to make ``--rows`` rows (a few
   violations planted: a shortfall, a late payout, a fee beyond a contract), its daily bank
   statement and its contracts (`ombuds.compliance.synthetic`), in a child process so that the
   peak memory printed is the checks' own. Not timed. In a temporary folder removed at the end,
   or in ``--data DIR``, kept and used again by the next run with the same number of rows.
2. ``--rounds`` times, interleaved: the floor, one plain scan of the ledger by the same engine
   (``SELECT count(*), sum(amount)`` over the file read with its declared types), then the
   subject, all the checks (`engine.check_files`: the shape check of the three files, each read
   once into a table, then every rule).
3. Prints each time, the best of each and their ratio (and each round's ratio: a scan of a few
   tenths of a second varies by half on a shared machine), the time of each step of the best
   round of checks, the findings against what was planted, and the peak resident memory of the
   process (``resource.getrusage``): the checks keep their tables compressed on disk and DuckDB
   spills past its memory limit, so the peak stays flat whatever the ledger's size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import resource
import statistics
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
FILES = ("ledger", "bank", "contracts")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write(folder: Path, clients: int) -> None:
    made = synthetic.Synthetic(
        seed=1,
        period=YEAR,
        clients=clients,
        collections=(15, 25),
        plant={"shortfall", "late_distribution", "fee_beyond_contract"},
    )
    made.write(folder)
    planted = [[p.rule, p.provision, p.client or "", str(p.date)] for p in made.planted]
    (folder / "planted.json").write_text(json.dumps({"clients": clients, "planted": planted}))


def ledger_files(folder: Path, clients: int) -> tuple[dict[str, Path], list[tuple], float]:
    """The three files for ``clients`` clients in ``folder`` (written unless already there), what
    was planted in them, and the seconds it took to write them."""
    started = time.perf_counter()
    stamp = folder / "planted.json"
    if not stamp.exists() or json.loads(stamp.read_text())["clients"] != clients:
        folder.mkdir(parents=True, exist_ok=True)
        child = multiprocessing.get_context("fork").Process(target=_write, args=(folder, clients))
        child.start()
        child.join()
        if child.exitcode != 0:
            sys.exit("could not write the synthetic ledger")
    planted = sorted(tuple(p) for p in json.loads(stamp.read_text())["planted"])
    return {k: folder / f"{k}.csv" for k in FILES}, planted, time.perf_counter() - started


def scan(paths: dict[str, Path], memory_limit: str) -> tuple[int, object]:
    spec = programme.load_file(PROGRAMME).returns["trust_ledger"].files["ledger"]
    header = ["date", "client", "kind", "amount", "reference"]
    with engine.connection(memory_limit) as con:
        source = engine.csv_source(spec, paths["ledger"], header, typed=True)
        return con.execute(f"SELECT count(*), sum(amount) FROM {source}").fetchone()


def run(paths: dict[str, Path], planted: list[tuple], options: argparse.Namespace) -> None:
    csec = programme.load_file(PROGRAMME)
    with open(paths["ledger"]) as f:
        rows = sum(1 for _ in f) - 1
    size = paths["ledger"].stat().st_size / 1e6
    print(f"ledger: {rows:,} rows, {size:,.0f} MB; machine: {os.cpu_count()} cores")
    print(f"peak memory before the checks: {peak_mb():,.0f} MB")
    scans, checks, outcomes = [], [], []
    for n in range(options.rounds):
        t = time.perf_counter()
        count, total = scan(paths, options.memory_limit)
        scans.append(time.perf_counter() - t)
        t = time.perf_counter()
        outcome = engine.check_files(
            csec, "trust_ledger", paths, YEAR, memory_limit=options.memory_limit
        )
        checks.append(time.perf_counter() - t)
        outcomes.append(outcome)
        print(
            f"round {n + 1}: plain scan {scans[-1]:.2f} s ({count:,} rows, sum {total}); "
            f"all checks {checks[-1]:.2f} s"
        )
    best = outcomes[checks.index(min(checks))]
    print("steps of the best round of checks:")
    for step, seconds in best.timings.items():
        print(f"  {step:<40} {seconds:6.2f} s  {seconds / min(checks):4.0%}")
    found = sorted((f.rule, f.provision, f.client or "", str(f.date)) for f in best.findings)
    print(
        f"findings: {len(found)} (planted {len(planted)}; all found: {found == planted}); "
        f"shape problems: {len(best.problems)}"
    )
    ratios = sorted(c / s for c, s in zip(checks, scans, strict=True))
    print(
        f"best plain scan {min(scans):.2f} s, best of all checks {min(checks):.2f} s, "
        f"ratio {min(checks) / min(scans):.1f} (each round's: "
        f"{', '.join(f'{r:.1f}' for r in ratios)}; median {statistics.median(ratios):.1f})"
    )
    print(
        f"peak memory after the checks: {peak_mb():,.0f} MB "
        f"(DuckDB memory limit {options.memory_limit})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("ROWS", 10_000_000)))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--data", type=Path, help="keep the files here and use them again")
    options = parser.parse_args()
    clients = max(10, options.rows // ROWS_PER_CLIENT)
    with tempfile.TemporaryDirectory(prefix="ombuds-bench-") as folder:
        paths, planted, took = ledger_files(options.data or Path(folder), clients)
        print(f"{clients:,} clients' files ready in {took:.0f} s")
        run(paths, planted, options)


if __name__ == "__main__":
    main()
