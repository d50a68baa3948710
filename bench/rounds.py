"""Interleaved rounds for the benchmarks: run each variant several times, alternating their order, and report the
median, the spread and the machine's load average during the runs (issue 24, "honest benchmarks").

    from rounds import Rounds
    r = Rounds(runs=3)
    for variant in r.order(["ours", "baseline"]):        # round 1: ours, baseline; round 2: baseline, ours; …
        r.record(variant, run(variant))                   # seconds (or any figure where lower is better)
    print(r.report({"ours": "(a) dieuhanh", "baseline": "(b) pandas"}, unit="s"))

Scripts import it as ``from rounds import Rounds`` (``bench/`` is the script's folder, hence on ``sys.path``).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

T = TypeVar("T")


def load_average() -> float:
    """The one-minute load average (0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """'1,23 s (1,20–1,31, n=3)' with Vietnamese decimal commas."""
    def fmt(v: float) -> str:
        return f"{v:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    if not values:
        return "—"
    return f"{fmt(statistics.median(values))} {unit} ({fmt(min(values))}–{fmt(max(values))}, n={len(values)})"


class Rounds:
    """Figures per variant over interleaved rounds, and the load average seen before each run."""

    def __init__(self, runs: int = 3) -> None:
        self.runs = max(1, runs)
        self.values: dict[str, list[float]] = {}
        self.loads: list[float] = []

    def order(self, variants: list[str]) -> Iterator[str]:
        """Every variant once per round, the order reversed every other round; notes the load before each run."""
        for round_no in range(self.runs):
            for variant in variants if round_no % 2 == 0 else variants[::-1]:
                self.loads.append(load_average())
                yield variant

    def record(self, variant: str, value: float) -> None:
        self.values.setdefault(variant, []).append(value)

    def timed(self, variant: str, fn: Callable[[], T]) -> T:
        """Run fn, record its wall seconds under variant, return its result."""
        started = time.perf_counter()
        out = fn()
        self.record(variant, time.perf_counter() - started)
        return out

    def rate(self, variant: str, count: int, fn: Callable[[], T]) -> T:
        """Run fn, which handles ``count`` items; record items per second under variant, return its result."""
        started = time.perf_counter()
        out = fn()
        self.record(variant, count / (time.perf_counter() - started))
        return out

    def median(self, variant: str) -> float:
        return statistics.median(self.values[variant])

    def load_range(self) -> str:
        if not self.loads:
            return "load average —"
        return f"load average {min(self.loads):.1f}–{max(self.loads):.1f}".replace(".", ",")

    def report(self, labels: Mapping[str, str], unit: str = "s", digits: int = 2) -> str:
        """One line per variant (median, min–max, n) and the load average; ratios to the first variant."""
        lines = []
        width = max((len(v) for v in labels.values()), default=10) + 2
        first = next((k for k in labels if k in self.values), None)
        for key, label in labels.items():
            if key not in self.values:
                continue
            line = f"{label:<{width}}{spread(self.values[key], unit, digits)}"
            if first and key != first and self.median(first):
                ratio = self.median(key) / self.median(first)
                line += f"  = {ratio:.2f}× {labels[first]}".replace(".", ",", 1)
            lines.append(line)
        lines.append(f"{self.runs} interleaved round(s); {self.load_range()}")
        return "\n".join(lines)
