"""Classes of values for the map and its colour palette.

A map has its own class for "no data" (no value, or a value that is not a finite number), its own class for
zero (a value: "USD 0", "no IXP"), and up to :data:`MAX_CLASSES` classes of the other values. The classes do
not overlap: a value ``v`` is in range class ``i`` when ``limits[i - 1] < v <= limits[i]`` (the first range
class holds every non-zero value up to ``limits[0]``), so each value is in exactly one class.

Colours: steps of viridis (colour-blind safe, ordered in lightness) restricted to its darker part so that every
range class keeps 3:1 against white, placed so that adjacent classes are as far apart as possible in CIEDE2000
(found by a max-min search along viridis; ``tests/web/test_charts.py`` measures every palette against
:data:`MIN_DELTA_E`). Zero is pale yellow and solid, "no data" light grey and hatched.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Literal

from observatory.web.charts.common import NO_DATA_FILL, ZERO_FILL

MAX_CLASSES = 5

# Light (low values) to dark (high values); n colours for n classes. Viridis at, for 5 classes, t = 0.56,
# 0.44, 0.33, 0.19 and 0: the dark end of viridis changes slowly, so equal steps in t would give two
# purples about 12 apart (CIEDE2000) at the top; these steps keep every adjacent pair at least 16 apart.
_PALETTES: dict[int, tuple[str, ...]] = {
    1: ("#32668d",),
    2: ("#229f87", "#440154"),
    3: ("#229f87", "#33648d", "#440154"),
    4: ("#229f87", "#29798e", "#3d4d89", "#440154"),
    5: ("#229f87", "#26828d", "#32668d", "#423f84", "#440154"),
}

ClassKind = Literal["no_data", "zero", "range"]


@dataclass(frozen=True)
class MapClass:
    """One class of a map: no data, zero, or the non-zero values above ``low`` (exclusive) up to ``high``."""

    kind: ClassKind
    colour: str
    low: float | None = None  # exclusive; None for the first range class (every non-zero value up to ``high``)
    high: float | None = None  # inclusive

    def holds(self, value: float | None) -> bool:
        """Whether ``value`` falls in this class."""
        if value is None or not math.isfinite(value):
            return self.kind == "no_data"
        if self.kind != "range":
            return self.kind == "zero" and value == 0
        assert self.high is not None
        return value != 0 and value <= self.high and (self.low is None or value > self.low)


def palette(n: int) -> list[str]:
    """``n`` sequential colours (at most :data:`MAX_CLASSES`) from light (low values) to dark (high values).

    Colour-blind safe and ordered in lightness (readable in greyscale); every colour has a contrast of at
    least 3:1 against white, and all are darker than :data:`NO_DATA_FILL` and the zero class.
    """
    if n <= 0:
        return []
    return list(_PALETTES[min(n, MAX_CLASSES)])


def _round_up(value: float, digits: int = 2) -> float:
    """``value`` rounded up to ``digits`` significant figures (an upper limit stays above what it holds)."""
    if value == 0 or not math.isfinite(value):
        return value
    exact = Decimal(repr(value))
    step = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return float(exact.quantize(step, rounding=ROUND_CEILING))


def class_breaks(values: Iterable[float | None], classes: int = MAX_CLASSES) -> list[float]:
    """Upper limits of the range classes of a map, ascending, at most ``classes`` (and :data:`MAX_CLASSES`).

    Only the finite non-zero values are classed (zero and "no data" have classes of their own). Class ``i``
    holds the values above ``limits[i - 1]`` up to ``limits[i]``; the last limit is the largest value. The inner
    limits are quantiles (so each class holds about as many countries, whatever the orders of magnitude the
    values span) rounded up to two significant figures; fewer classes come back when values repeat. No non-zero
    value gives ``[]``.
    """
    ordered = sorted(float(v) for v in values if v is not None and math.isfinite(v) and v != 0)
    if not ordered:
        return []
    count, high = len(ordered), ordered[-1]
    wanted = max(1, min(classes, MAX_CLASSES))
    inner = {_round_up(ordered[max(0, (k * count) // wanted - 1)]) for k in range(1, wanted)}
    kept = sorted(b for b in inner if b < high)
    return [*kept, high]


def map_classes(values: Iterable[float | None], classes: int = MAX_CLASSES) -> list[MapClass]:
    """Every class of a map for these values: the range classes (light to dark), then zero, then no data.

    The zero and no-data classes are always returned (a legend shows them only when a country falls in them).
    """
    limits = class_breaks(values, classes)
    colours = palette(len(limits))
    ranges = [
        MapClass("range", colour, limits[i - 1] if i else None, high)
        for i, (colour, high) in enumerate(zip(colours, limits, strict=True))
    ]
    return [*ranges, MapClass("zero", ZERO_FILL), MapClass("no_data", NO_DATA_FILL)]


def class_of(value: float | None, found: Sequence[MapClass]) -> int:
    """The index in ``found`` (from :func:`map_classes`) of the class holding ``value``."""
    if value is None or not math.isfinite(value):
        return len(found) - 1
    if value == 0:
        return len(found) - 2
    highs = [c.high for c in found if c.kind == "range" and c.high is not None]
    return min(bisect.bisect_left(highs, value), max(0, len(highs) - 1))
