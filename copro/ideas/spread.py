"""The spread of a set of scores: plain Python, no Django, so it is quick to test by hand.

Quartiles are the "inclusive" kind (linear interpolation between the two nearest scores, as numpy's
default and spreadsheets' QUARTILE.INC): for scores 1, 2, 4, 5 the lower quartile is 1.75, the median 3
and the upper quartile 4.25. With one score, every figure is that score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def quantile(ordered: list[int], p: float) -> float:
    """The p-quantile (0..1) of scores already sorted, by linear interpolation between closest ranks."""
    if not ordered:
        raise ValueError("no scores")
    position = p * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction


@dataclass(frozen=True)
class Spread:
    count: int
    low: int | None = None
    lower_quartile: float | None = None
    median: float | None = None
    upper_quartile: float | None = None
    high: int | None = None
    mean: float | None = None
    # How many gave each score on the scale, in order: [(score, count), ...].
    histogram: list[tuple[int, int]] = field(default_factory=list)

    @property
    def tallest(self) -> int:
        return max((n for _score, n in self.histogram), default=0)


def spread(scores: Iterable[int], scale: Iterable[int]) -> Spread:
    ordered = sorted(scores)
    levels = list(scale)
    counts = dict.fromkeys(levels, 0)
    for s in ordered:
        if s in counts:
            counts[s] += 1
    histogram = [(level, counts[level]) for level in levels]
    if not ordered:
        return Spread(count=0, histogram=histogram)
    return Spread(
        count=len(ordered),
        low=ordered[0],
        lower_quartile=quantile(ordered, 0.25),
        median=quantile(ordered, 0.5),
        upper_quartile=quantile(ordered, 0.75),
        high=ordered[-1],
        mean=sum(ordered) / len(ordered),
        histogram=histogram,
    )
