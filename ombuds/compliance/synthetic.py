"""Synthetic trust ledgers: honest ones (bank statements that match the ledger, a contract for every
client, every collection paid out in time less the contracted fee) and ones with violations of
chosen rules planted, with the list of what was planted. The property tests check the engine
against them; the benchmark writes ten million rows with them; the demo will file them.

The files are written row by row, one client at a time, so their size is bounded by the disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ombuds.core.dates import add_business_days, is_business_day

# What each plant violates: (rule key, provision) as CSEC's programme declares them.
RULES = {
    "shortfall": "1.2(c)",
    "negative_balance": "1.2(c)",
    "late_distribution": "1.2(d)",
    "never_paid": "1.2(d)",
    "fee_beyond_contract": "1.3(d)",
    "no_contract": "1.3(a)",
    "records": "1.2(b)",
}
PLANTS = tuple(RULES)
SIGN = {"collection": 1, "refund": 1, "adjustment": 1, "disbursement": -1, "fee": -1}


@dataclass(frozen=True, order=True)
class Planted:
    rule: str
    provision: str
    client: str | None
    date: dt.date | None


@dataclass
class _Client:
    ref: str
    rows: list[tuple[dt.date, str, Decimal, str]] = field(default_factory=list)
    contract: tuple[str, str, str, str] | None = None
    raw: list[list[str]] = field(default_factory=list)  # rows that cannot be right, as written


def month(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a month written YYYY-MM (ValueError otherwise)."""
    start = dt.datetime.strptime(text, "%Y-%m").date()
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, following - dt.timedelta(days=1)


class Synthetic:
    """A ledger, its bank statement and its contracts for ``clients`` clients over ``period``,
    with one violation of each rule in ``plant`` (keys of PLANTS), each on its own client."""

    def __init__(
        self,
        *,
        seed: int,
        period: tuple[dt.date, dt.date],
        clients: int = 10,
        collections: tuple[int, int] = (1, 4),
        plant: Collection[str] = (),
        distribution_days: int = 5,
        holidays: frozenset[dt.date] = frozenset(),
    ):
        unknown = set(plant) - set(PLANTS)
        if unknown:
            raise ValueError(f"nothing to plant called {', '.join(sorted(unknown))}")
        if clients < len(plant) + 1:
            raise ValueError("give at least one client more than the violations planted")
        self.rng = random.Random(seed)
        self.start, self.end = period
        self.clients = clients
        self.collections = collections
        self.days = distribution_days
        self.holidays = holidays
        self.planted: list[Planted] = []
        chosen = self.rng.sample(range(clients), len(plant))
        self.plant_for = {n: kind for n, kind in zip(chosen, sorted(plant), strict=True)}
        self.shortfall = "shortfall" in plant
        self.daily: dict[dt.date, Decimal] = defaultdict(Decimal)

    def _day(self, earliest: dt.date | None = None, latest: dt.date | None = None) -> dt.date:
        first, last = earliest or self.start, latest or self.end
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def _deadline(self, day: dt.date) -> dt.date:
        return add_business_days(day, self.days, self.holidays)

    def _contract(self, c: _Client) -> None:
        signed = self.start - dt.timedelta(days=self.rng.randrange(1, 700))
        percent = self.rng.choice(["", "5", "10", "12.5", "15"])
        fixed = self.rng.choice(["", "", "2.00", "5.00"])
        c.contract = (c.ref, signed.isoformat(), percent, fixed)

    def _fee(self, c: _Client, amount: Decimal) -> Decimal:
        percent = Decimal(c.contract[2] or 0) if c.contract else Decimal(0)
        fixed = Decimal(c.contract[3] or 0) if c.contract else Decimal(0)
        return (amount * percent / 100).quantize(Decimal("0.01")) + fixed

    def _collect(
        self, c: _Client, ref: str, day: dt.date, *, payout: dt.date | None, extra_fee: int = 0
    ) -> None:
        amount = Decimal(self.rng.randrange(200, 2000, 4))  # a multiple of 4: 12.5% stays exact
        c.rows.append((day, "collection", amount, ref))
        if payout is None or payout > self.end:
            return  # paid out next month (after the period), or never
        fee = self._fee(c, amount) + extra_fee
        if fee:
            c.rows.append((payout, "fee", fee, ref))
        c.rows.append((payout, "disbursement", amount - fee, ref))

    def _honest(self, c: _Client, count: int) -> None:
        opening = Decimal(self.rng.choice([0, 0, 150, 420]))
        if opening:
            c.rows.append((self.start, "adjustment", opening, "OPENING"))
            paid = add_business_days(self.start, self.rng.randrange(1, 3), self.holidays)
            if paid <= self.end:
                c.rows.append((paid, "disbursement", opening, "OPENING"))
        for n in range(count):
            day = self._day()
            payout = add_business_days(day, self.rng.randrange(0, self.days + 1), self.holidays)
            payout = max(payout, day)
            self._collect(c, f"{c.ref}-{n}", day, payout=payout)

    def _early(self) -> dt.date:
        """A business day early enough that a payout well after its deadline is in the period."""
        day = self.start
        while not is_business_day(day, self.holidays):
            day += dt.timedelta(days=1)
        return day

    def _plant(self, c: _Client, kind: str) -> None:
        provision = RULES[kind]
        rule = "late_distribution" if kind == "never_paid" else kind
        day: dt.date | None = None
        if kind == "late_distribution":
            day = self._early()
            late = self._deadline(day) + dt.timedelta(days=self.rng.randrange(1, 4))
            self._collect(c, f"{c.ref}-L", day, payout=late)
        elif kind == "never_paid":
            day = self._early()
            self._collect(c, f"{c.ref}-N", day, payout=None)
        elif kind == "fee_beyond_contract":
            collected = self._early()
            day = self._deadline(collected) - dt.timedelta(days=1)
            day = max(day, collected)
            self._collect(
                c, f"{c.ref}-F", collected, payout=day, extra_fee=self.rng.randrange(1, 40)
            )
        elif kind == "negative_balance":
            day = max(r[0] for r in c.rows)
            balance = sum(SIGN[k] * a for d, k, a, _ in c.rows)
            c.rows.append((day, "disbursement", balance + self.rng.randrange(1, 300), f"{c.ref}-X"))
        elif kind == "no_contract":
            day = min(r[0] for r in c.rows)
            if day < self.end and self.rng.random() < 0.5:
                c.contract = (c.ref, (day + dt.timedelta(days=1)).isoformat(), *c.contract[2:])
            else:
                c.contract = None
        elif kind == "records":
            self._records(c)
            return
        if kind != "shortfall":
            self.planted.append(Planted(rule, provision, c.ref, day))

    def _records(self, c: _Client) -> None:
        """Rows that cannot be right, one of each kind, each its own problem."""
        day = self._day()
        outside = self.end + dt.timedelta(days=2)
        first = c.rows[0]
        c.raw += [
            [day.isoformat(), c.ref, "transfer", "10.00", f"{c.ref}-K"],
            [day.isoformat(), c.ref, "collection", "12.345", f"{c.ref}-M"],
            [outside.isoformat(), c.ref, "collection", "10.00", f"{c.ref}-O"],
            [f"{self.start.year}-02-30", c.ref, "collection", "10.00", f"{c.ref}-D"],
            [first[0].isoformat(), c.ref, first[1], str(first[2]), first[3]],  # twice
        ]
        for when in (day, day, outside, None, first[0]):
            self.planted.append(Planted("records", RULES["records"], c.ref, when))

    def clients_rows(self) -> Iterator[_Client]:
        low, high = self.collections
        for n in range(self.clients):
            c = _Client(f"C{n:06d}")
            self._contract(c)
            self._honest(c, self.rng.randint(low, high))
            kind = self.plant_for.get(n)
            if kind and kind != "shortfall":
                self._plant(c, kind)
            for day, kind_, amount, _ref in c.rows:
                self.daily[day] += SIGN[kind_] * amount
            yield c

    def write(self, folder: Path) -> dict[str, Path]:
        """Write ledger.csv, bank.csv and contracts.csv into ``folder``; their paths by file key."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {key: folder / f"{key}.csv" for key in ("ledger", "bank", "contracts")}
        with (
            open(paths["ledger"], "w", newline="") as ledger_file,
            open(paths["contracts"], "w", newline="") as contracts_file,
        ):
            ledger = csv.writer(ledger_file)
            contracts = csv.writer(contracts_file)
            ledger.writerow(["date", "client", "kind", "amount", "reference"])
            contracts.writerow(["client", "signed_on", "fee_percent", "fixed_fee"])
            for c in self.clients_rows():
                ledger.writerows(
                    [d.isoformat(), c.ref, k, f"{a:.2f}", r] for d, k, a, r in sorted(c.rows)
                )
                ledger.writerows(c.raw)
                if c.contract:
                    contracts.writerow(c.contract)
        self._bank(paths["bank"])
        return paths

    def _bank(self, path: Path) -> None:
        cushion = Decimal(self.rng.choice([0, 0, 25, 100]))
        short_on = self._day() if self.shortfall else None
        running = Decimal(0)
        with open(path, "w", newline="") as f:
            bank = csv.writer(f)
            bank.writerow(["date", "closing_balance"])
            day = self.start
            while day <= self.end:
                running += self.daily.get(day, Decimal(0))
                closing = running + cushion
                if day == short_on:
                    closing -= cushion + self.rng.randrange(1, 500)
                    self.planted.append(Planted("shortfall", RULES["shortfall"], None, day))
                bank.writerow([day.isoformat(), f"{closing:.2f}"])
                day += dt.timedelta(days=1)
