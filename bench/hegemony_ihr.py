"""The observatory's own global AS hegemony against the Internet Health Report's (``make bench
BENCH=bench/hegemony_ihr.py``).

For each RIB dump of ``../shared/data/network/mrt`` (the full tables: RIPE RIS rrc00 2000-01-11 and the
bgpdump test RIB of 2002-07-22), the observatory computes global hegemony (read + viewpoint scores +
trimmed mean, ``observatory.routing``); IHR publishes its own for 2022-07-20 and 2023-08-01. For each dump,
the nearest IHR date is taken and the gap in days stated: the shared data hold no RIB of an IHR date, so
the comparison is of two states of the Internet years apart, a check that the method ranks the same kind
of networks at the top, not a validation. Printed per pair: Spearman's rank correlation over the ASes both
give a value for, and over the 100 ASes IHR ranks highest among them; the median time of our computation
against the named baseline, reading IHR's published file for the same date (what loading their figure costs).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from observatory.routing.cti import spearman  # noqa: E402
from observatory.routing.hegemony import hegemony, viewpoint_scores  # noqa: E402
from observatory.routing.mrt import read_rib  # noqa: E402
from observatory.routing.sources.ihr import IhrHegemony, file_date  # noqa: E402

DATA = Path(os.environ.get("OBSERVATORY_DATA", ROOT.parent / "shared" / "data")) / "network"
RIBS = ("mrt/bgpkit_rrc00_2000.01_bview.20000111.0032.gz", "mrt/bgpdump_bview.20020722.2337.gz")
IHR_FILES = ("hegemony/ihr_global_AS_hegemony_20220720.csv.gz", "hegemony/ihr_global_AS_hegemony_20230801.csv.gz")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TOP = 100


def ours(path: Path) -> tuple[pl.DataFrame, float]:
    """Global hegemony of one RIB (asn, hegemony) and the seconds it took (read + compute)."""
    start = time.perf_counter()
    result = hegemony([viewpoint_scores(read_rib(path))])
    return result.global_.select("asn", "hegemony"), time.perf_counter() - start


def ihr(path: Path) -> tuple[pl.DataFrame, float]:
    """IHR's published hegemony of one day and the seconds reading it took."""
    start = time.perf_counter()
    frame = IhrHegemony().parse(path)
    return frame, time.perf_counter() - start


def rib_date(path: Path) -> dt.date:
    stamp = path.name.split("bview.")[1][:8]
    return dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))


def main() -> None:
    published = {file_date(DATA / f): DATA / f for f in IHR_FILES if (DATA / f).exists()}
    if not published:
        print(f"hegemony_ihr: no IHR file under {DATA}/hegemony")
        return
    print(f"hegemony_ihr: the observatory's global AS hegemony against IHR's, median of {RUNS} runs")
    for relative in RIBS:
        path = DATA / relative
        if not path.exists():
            print(f"  {relative}: missing, skipped")
            continue
        day = rib_date(path)
        nearest = min(published, key=lambda d: abs((d - day).days) if d else 10**9)
        assert nearest is not None
        runs = [ours(path) for _ in range(RUNS)]
        mine, ours_s = runs[0][0], statistics.median(s for _, s in runs)
        reads = [ihr(published[nearest]) for _ in range(RUNS)]
        theirs, ihr_s = reads[0][0], statistics.median(s for _, s in reads)
        both = mine.join(theirs, on="asn", suffix="_ihr")
        top = both.sort("hegemony_ihr", descending=True).head(TOP)
        rho, rho_top = spearman(both["hegemony"], both["hegemony_ihr"]), spearman(top["hegemony"], top["hegemony_ihr"])
        print(
            f"  {path.name} ({day}) vs IHR {nearest} (gap {abs((nearest - day).days)} days): {mine.height} ASes ours, "
            f"{theirs.height} IHR's, {both.height} in common"
        )
        print(
            f"    Spearman over the common ASes: {rho:.3f}; over IHR's top {TOP} of them: {rho_top:.3f}"
            if rho is not None and rho_top is not None
            else "    Spearman: too few common ASes"
        )
        mine_top = set(mine.sort("hegemony", descending=True).head(10)["asn"].to_list())
        ihr_top = set(theirs.sort("hegemony", descending=True).head(10)["asn"].to_list())
        print(f"    top 10 in both: {sorted(mine_top & ihr_top)}")
        print(
            f"    ours: read + global hegemony {ours_s:.2f} s; baseline, reading IHR's published file: {ihr_s:.2f} s; "
            f"ratio {ours_s / ihr_s:.1f}×"
        )


if __name__ == "__main__":
    main()
