"""Classes of values and the map's colour palette (viridis steps, each 3:1 against white)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

from observatory.web.charts.common import (
    VIRIDIS,
    VIRIDIS_DARKEST,
    VIRIDIS_LIGHTEST,
)

# --- classes and palette ----------------------------------------------------------------------------------------


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _viridis(t: float) -> str:
    position = min(max(t, 0.0), 0.6) * 10
    i = min(int(position), len(VIRIDIS) - 2)
    f = position - i
    a, b = _hex_to_rgb(VIRIDIS[i]), _hex_to_rgb(VIRIDIS[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def palette(n: int) -> list[str]:
    """``n`` sequential colours from light (low values) to dark (high values), viridis steps.

    Colour-blind safe and ordered in lightness (readable in greyscale); every colour has a contrast of at
    least 3:1 against white, and all are darker than :data:`NO_DATA_FILL`.
    """
    if n <= 0:
        return []
    if n == 1:
        return [_viridis((VIRIDIS_LIGHTEST + VIRIDIS_DARKEST) / 2)]
    step = (VIRIDIS_LIGHTEST - VIRIDIS_DARKEST) / (n - 1)
    return [_viridis(VIRIDIS_LIGHTEST - k * step) for k in range(n)]


def _round_significant(value: float, digits: int = 2) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(abs(value))))
    return round(value * scale) / scale


def class_breaks(values: Iterable[float], classes: int = 5) -> list[float]:
    """Quantile class limits for a choropleth: ``[low, b1, ..., high]``, ascending, at most ``classes + 1``.

    Class ``i`` holds the values in ``[limits[i], limits[i + 1])``; the last class also holds ``limits[-1]``.
    The outer limits are the smallest and largest value; the inner ones are quantiles (so each class holds about
    as many countries, whatever the orders of magnitude the values span) rounded to two significant figures.
    Fewer classes come back when values repeat. An empty input gives ``[]``; one distinct value gives
    ``[v, v]`` (one class).
    """
    ordered = sorted(float(v) for v in values if math.isfinite(v))
    if not ordered:
        return []
    low, high = ordered[0], ordered[-1]
    if low == high:
        return [low, high]
    count = len(ordered)
    inner = {_round_significant(ordered[min(count - 1, (k * count) // classes)]) for k in range(1, max(1, classes))}
    return [low, *sorted(b for b in inner if low < b < high), high]


def class_of(value: float, limits: Sequence[float]) -> int:
    return min(max(bisect.bisect_right(limits, value) - 1, 0), max(0, len(limits) - 2))
