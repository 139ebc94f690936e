"""Reading the Internet Health Report's IXP dependency results (source ``ihr_ixp_dependency``) for one country:
the figures of the IXPs located in it, per measurement platform, and what they say about whether the
country's networks exchange traffic at home (the cost model's evidence for local exchange).

Definitions (``docs/data-sources.md#ihr_ixp_dependency``, ``docs/cost-model.md``): a network *depends* on an
IXP when IHR finds the IXP on at least 10 % of the traceroute paths towards it; a member is *seen* when its
interface on the IXP's peering LAN appears in the platform's traceroutes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.network.models import IxpDependency, IxpDependencyScope
from observatory.sources import SourceLoad

SOURCE = "ihr_ixp_dependency"
PUBLISHER = "Internet Health Report"
PLATFORMS = {"atlas": "RIPE Atlas", "ark": "CAIDA Ark"}
FIGURES = (
    "peers",
    "peers_national",
    "peers_international",
    "peers_seen",
    "traceroutes",
    "dependencies",
    "dependencies_national",
    "dependencies_international",
    "dependent_peers",
    "dependent_peers_national",
)


def _latest_loads(session: Session) -> dict[tuple[str, str], tuple[int, dt.date]]:
    """(platform, file kind) → (load id, date) of the newest load of each kind of file."""
    rows = session.execute(
        select(SourceLoad.id, SourceLoad.edition, SourceLoad.data_date).where(SourceLoad.source == SOURCE)
    ).all()
    best: dict[tuple[str, str], tuple[int, dt.date]] = {}
    for load_id, edition, date in rows:
        if date is None or not edition:
            continue
        platform = next((p for p in PLATFORMS if f"_{p}." in edition or edition.startswith(f"{p}.")), None)
        kind = edition.rsplit(".", 1)[-1]
        if platform is None:
            continue
        key = (platform, kind)
        if key not in best or (date, load_id) > (best[key][1], best[key][0]):
            best[key] = (load_id, date)
    return best


def ixp_dependency(session: Session, country: str) -> list[dict[str, Any]]:
    """The IHR figures of the IXPs located in ``country`` (alpha-3), one entry per IXP and measurement platform,
    from each platform's newest results: the IXP's name, the date, its members (national, international), the
    members seen in traceroutes, the networks depending on it (national, international), the dependent members
    and its regionality (share of its dependent networks registered in the country). Biggest IXPs first."""
    loads = _latest_loads(session)
    out: list[dict[str, Any]] = []
    for platform, label in PLATFORMS.items():
        table = loads.get((platform, "ixp_table"))
        if table is None:
            continue
        load_id, date = table
        regional: dict[str, float] = {}
        if (platform, "ixp_regionality") in loads:
            r_id = loads[(platform, "ixp_regionality")][0]
            regional = {
                key: share
                for key, share in session.execute(
                    select(IxpDependency.ixp_key, IxpDependency.regionality).where(
                        IxpDependency.load_id == r_id, IxpDependency.country == country
                    )
                ).all()
                if share is not None
            }
        rows = session.scalars(
            select(IxpDependency).where(IxpDependency.load_id == load_id, IxpDependency.country == country)
        ).all()
        for r in rows:
            known = (r.dependencies_national or 0) + (r.dependencies_international or 0)
            if r.ixp_key in regional:
                regionality, how = regional[r.ixp_key], "published"
            elif known:
                regionality, how = (r.dependencies_national or 0) / known, "computed"
            else:
                regionality, how = None, None
            out.append(
                {
                    "ixp_key": r.ixp_key,
                    "name": r.name,
                    "measurement": platform,
                    "platform": label,
                    "date": date.isoformat(),
                    "peers": r.peers,
                    "peers_national": r.peers_national,
                    "peers_international": r.peers_international,
                    "peers_seen": r.peers_seen,
                    "traceroutes": r.traceroutes,
                    "dependencies": r.dependencies,
                    "dependencies_national": r.dependencies_national,
                    "dependencies_international": r.dependencies_international,
                    "dependent_peers": r.dependent_peers,
                    "dependent_peers_national": r.dependent_peers_national,
                    "regionality": regionality,
                    "regionality_method": how,
                    "source": PUBLISHER,
                }
            )
    out.sort(key=lambda e: (-(e["peers"] or 0), e["name"], e["measurement"]))
    return out


def domestic_exchange_evidence(session: Session, country: str) -> list[dict[str, Any]]:
    """What IHR's measurements say about traffic exchanged at the IXPs of ``country`` (alpha-3), per platform:
    the share of the members of its IXPs seen exchanging traffic there (``seen_share``), and the share of the
    country's networks' dependencies on IXPs that are on one of its own IXPs (``domestic_dependency_share``;
    a network depending on two IXPs counts twice). Empty when IHR lists no IXP in the country."""
    loads = _latest_loads(session)
    out: list[dict[str, Any]] = []
    for platform, label in PLATFORMS.items():
        table = loads.get((platform, "ixp_table"))
        if table is None:
            continue
        load_id, date = table
        ixps = session.execute(
            select(IxpDependency.ixp_key, IxpDependency.peers, IxpDependency.peers_seen).where(
                IxpDependency.load_id == load_id, IxpDependency.country == country
            )
        ).all()
        if not ixps:
            continue
        domestic_keys = {key for key, _, _ in ixps}
        peers = sum(p or 0 for _, p, _ in ixps)
        seen = sum(min(s or 0, p or 0) for _, p, s in ixps)
        scopes: dict[str, int] = defaultdict(int)
        if (platform, "per_as_ixp_dependencies") in loads:
            s_id = loads[(platform, "per_as_ixp_dependencies")][0]
            for key, n in session.execute(
                select(IxpDependencyScope.ixp_key, func.sum(IxpDependencyScope.scopes))
                .where(
                    IxpDependencyScope.load_id == s_id,
                    IxpDependencyScope.country == country,
                    IxpDependencyScope.kind == "general",
                )
                .group_by(IxpDependencyScope.ixp_key)
            ).all():
                scopes[key] += int(n or 0)
        total = sum(scopes.values())
        domestic = sum(n for key, n in scopes.items() if key in domestic_keys)
        out.append(
            {
                "measurement": platform,
                "platform": label,
                "date": date.isoformat(),
                "ixps": len(ixps),
                "members": peers,
                "members_seen": seen,
                "seen_share": seen / peers if peers else None,
                "dependencies": total,
                "domestic_dependencies": domestic,
                "domestic_dependency_share": domestic / total if total else None,
                "foreign_ixps_depended_on": len([k for k in scopes if k not in domestic_keys]),
                "source": PUBLISHER,
            }
        )
    return out
