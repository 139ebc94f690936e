"""Full-size synthetic Internet infrastructure inputs for bench/network.py (labelled synthetic).

- A PeeringDB combined dump at today's scale: ~1,300 IXPs, ~30,000 networks, ~55,000 netixlan.
- RIR statistics exchange files (extended) for the five registries, ~1,000,000 records in all, with
  summary lines that agree with the records, so the loaders' checks run as on real files.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from observatory.reference import countries

RIRS = {"afrinic": 0.05, "apnic": 0.25, "arin": 0.2, "lacnic": 0.15, "ripencc": 0.35}


def peeringdb_dump(path: Path, ixps: int = 1300, nets: int = 30_000, netixlan: int = 55_000, seed: int = 5) -> int:
    """Write a combined dump; returns the number of objects."""
    rng = random.Random(seed)
    codes = sorted(c.alpha2 for c in countries().values())
    orgs = [
        {"id": i, "name": f"Synthetic org {i}", "country": rng.choice(codes), "status": "ok"}
        for i in range(1, nets + 1)
    ]
    ix = [
        {"id": i, "org_id": i, "name": f"Synthetic IX {i}", "city": "X", "country": rng.choice(codes), "status": "ok"}
        for i in range(1, ixps + 1)
    ]
    ixlan = [{"id": i, "ix_id": i, "status": "ok"} for i in range(1, ixps + 1)]
    ixpfx = [
        {"id": i, "ixlan_id": i, "protocol": "IPv4", "prefix": f"10.{i // 256}.{i % 256}.0/24", "status": "ok"}
        for i in range(1, ixps + 1)
    ]
    net = [{"id": i, "org_id": i, "asn": 64_512 + i, "name": f"Net {i}", "status": "ok"} for i in range(1, nets + 1)]
    links = [
        {
            "id": i,
            "net_id": (n := rng.randint(1, nets)),
            "ixlan_id": rng.randint(1, ixps),
            "asn": 64_512 + n,
            "status": "ok",
        }
        for i in range(1, netixlan + 1)
    ]
    document: dict[str, dict[str, list[dict[str, object]]]] = {
        "org": {"data": orgs},
        "ix": {"data": ix},
        "ixlan": {"data": ixlan},
        "ixpfx": {"data": ixpfx},
        "net": {"data": net},
        "netixlan": {"data": links},
        "fac": {"data": []},
    }
    path.write_text(json.dumps(document))
    return sum(len(v["data"]) for v in document.values())


def rir_files(folder: Path, total: int = 1_000_000, seed: int = 7) -> list[Path]:
    """Write one gzip'd extended file per registry; returns their paths."""
    rng = random.Random(seed)
    codes = [*sorted(c.alpha2 for c in countries().values()), "ZZ", "EU", "AP"]
    paths = []
    asn = 1
    for rir, share in RIRS.items():
        n = int(total * share)
        lines = []
        counts = {"asn": 0, "ipv4": 0, "ipv6": 0}
        for _ in range(n):
            kind = rng.choices(("asn", "ipv4", "ipv6"), (0.3, 0.4, 0.3))[0]
            status = rng.choices(("allocated", "assigned", "available", "reserved"), (0.45, 0.15, 0.25, 0.15))[0]
            cc = rng.choice(codes) if status in ("allocated", "assigned") else "ZZ"
            date = f"{rng.randint(1995, 2025)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            if kind == "asn":
                start, value = str(asn), 1 if rng.random() < 0.95 else 4
                asn += value
            elif kind == "ipv4":
                start, value = (
                    f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0",
                    256 * rng.choice((1, 4, 16, 64)),
                )
            else:
                start, value = f"2{rng.randint(0, 0xFFF):03x}:{rng.randint(0, 0xFFFF):x}::", rng.choice((29, 32, 48))
            holder = f"{rir}-{rng.randint(1, n // 8)}" if status in ("allocated", "assigned") else ""
            counts[kind] += 1
            lines.append(f"{rir}|{cc}|{kind}|{start}|{value}|{date}|{status}|{holder}")
        head = [f"2|{rir}|20260101|{n}|19830101|20251231|+0000"]
        head += [f"{rir}|*|{kind}|*|{counts[kind]}|summary" for kind in ("asn", "ipv4", "ipv6")]
        path = folder / f"delegated-{rir}-extended-20260101.gz"
        path.write_bytes(gzip.compress("\n".join(head + lines).encode() + b"\n", compresslevel=1))
        paths.append(path)
    return paths
