"""Medians and 90th percentiles: one old conversation must not skew a figure the way it skews a mean."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Distribution", "distribution", "percentile"]


@dataclass(frozen=True, slots=True)
class Distribution:
    """How many durations (in seconds) there were, their median and 90th percentile."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    values: tuple[float, ...] = ()  # sorted, for charts

    def to_json(self) -> dict[str, object]:
        return {"count": self.count, "median_seconds": _round(self.median), "p90_seconds": _round(self.p90)}


def percentile(ordered: tuple[float, ...], share: float) -> float | None:
    """Nearest-rank percentile of sorted values: the smallest value at or above ``share`` of them."""
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def distribution(values: Iterable[float]) -> Distribution:
    ordered = tuple(sorted(values))
    if not ordered:
        return Distribution()
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Distribution(len(ordered), median, percentile(ordered, 0.9), ordered)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
