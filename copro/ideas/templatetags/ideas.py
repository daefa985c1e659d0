"""Template helpers for ideas: the geometry of the small score charts (computed here, drawn as SVG attributes)."""

from __future__ import annotations

from typing import Any

from django import template

from copro.ideas.spread import Spread

register = template.Library()

CHART_WIDTH = 220
BAR_AREA = 60  # the tallest bar, in SVG units
TOP = 14  # room for the count above each bar


@register.simple_tag
def spread_bars(spread: Spread) -> list[dict[str, Any]]:
    """One bar per score on the scale: x, y, width, height, and where its labels go."""
    levels = len(spread.histogram) or 1
    slot = CHART_WIDTH / levels
    width = max(slot - 6, 4)
    tallest = spread.tallest or 1
    bars = []
    for index, (score, count) in enumerate(spread.histogram):
        height = round(BAR_AREA * count / tallest, 1)
        x = round(index * slot + (slot - width) / 2, 1)
        bars.append(
            {
                "score": score,
                "count": count,
                "x": x,
                "y": round(TOP + BAR_AREA - height, 1),
                "width": round(width, 1),
                "height": height,
                "label_x": round(x + width / 2, 1),
                "count_y": round(TOP + BAR_AREA - height - 3, 1),
            }
        )
    return bars


@register.filter
def score(value: float | None) -> str:
    """2.0 -> "2", 2.25 -> "2.25", None -> "–"."""
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


@register.simple_tag
def spread_box(spread: Spread) -> dict[str, float] | None:
    """Where the lowest, the quartiles, the median and the highest score fall under the bars (a box plot)."""
    if not spread.count or not spread.histogram:
        return None
    first = spread.histogram[0][0]
    slot = CHART_WIDTH / len(spread.histogram)

    def x(value: float | None) -> float:
        return round(((value or first) - first + 0.5) * slot, 1)

    q1, q3 = x(spread.lower_quartile), x(spread.upper_quartile)
    return {
        "low": x(spread.low),
        "q1": q1,
        "median": x(spread.median),
        "q3": q3,
        "high": x(spread.high),
        "box_width": round(max(q3 - q1, 2), 1),
        "box_x": round(q1 if q3 - q1 >= 2 else q1 - 1, 1),
    }
