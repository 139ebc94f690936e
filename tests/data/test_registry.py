"""The one source registry: every source by the NAME its loads store, each saying what it reads, under which
terms and what it feeds; and the one indicator catalogue naming only sources of the registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from observatory.data.service import CAPABILITIES, capability_of, sources
from observatory.indicators import CATALOGUE, CONNECTIVITY, INFRASTRUCTURE, fed_by
from observatory.indicators.service import sources as indicator_sources
from observatory.network.service import source, sources_text
from observatory.network.service import sources as network_sources
from observatory.sources import find_source, registry

# The names SourceLoad rows have always stored: the registry keeps them.
NAMES = {
    "itu_price_baskets", "owid_sdg9c1", "worldbank_api", "worldbank_wdi", "apnic_eyeballs", "caida_asrel",
    "caida_facilities", "caida_ixp", "caida_pfx2as", "pch", "peeringdb", "peeringdb_csv", "rir_delegated",
    "routing_tables", "as_names", "ihr_hegemony", "ihr_ixp_dependency", "rir_lists", "country_ip_blocks",
    "nro_asn_countries",
}  # fmt: skip
# Sources whose files are given on the command line, never found in a data folder (a RIB takes minutes).
COMMAND_LINE_ONLY = {"routing_tables"}


def test_the_registry_is_every_source_by_its_stored_name() -> None:
    found = sources()
    assert set(found) == NAMES
    assert all(name == cls.NAME for name, cls in found.items())
    assert {n: c for n, c in found.items() if n not in COMMAND_LINE_ONLY} == {
        **indicator_sources(),
        **network_sources(),
        **{n: c for n, c in registry("observatory.routing.sources").items() if n not in COMMAND_LINE_ONLY},
    }
    # Loading order: the capabilities in their stated order (indicators first), each one's sources by name.
    order = [capability_of(cls) for cls in found.values()]
    assert order == sorted(order, key=CAPABILITIES.index)
    for capability in CAPABILITIES:
        names = [n for n, cls in found.items() if capability_of(cls) == capability]
        assert names == sorted(names)


def test_every_source_says_what_it_reads_under_which_terms_and_what_it_feeds() -> None:
    for name, cls in sources().items():
        assert (not cls.FILES) is (name in COMMAND_LINE_ONLY), name
        assert all(not p.startswith("/") for p in cls.FILES), name
        assert cls.LICENCE and cls.ORG and cls.DATASET and cls.label(), name
        assert cls.URL.startswith("https://") and cls.INFO_URL.startswith("https://"), name
        assert fed_by(name) or cls.FEEDS, f"{name} feeds nothing"


def test_the_catalogue_names_sources_of_the_registry() -> None:
    known = sources()
    assert len({i.code for i in CATALOGUE}) == len(CATALOGUE)
    assert all(i.sources and set(i.sources) <= set(known) for i in CATALOGUE)
    assert set(CONNECTIVITY) | set(INFRASTRUCTURE) == {i.code for i in CATALOGUE}
    assert sources_text(INFRASTRUCTURE["ixp_count"].sources) == "CAIDA IXP dataset; PeeringDB; Packet Clearing House"
    # Sources of another capability by their readers' names too: population, for IPv4 addresses per person.
    assert sources_text(INFRASTRUCTURE["ipv4_per_capita"].sources).endswith("World Bank, World Development Indicators")


def test_earlier_command_line_names_are_still_taken() -> None:
    assert source("rir").NAME == "rir_delegated" and source("caida-asrel").NAME == "caida_asrel"
    assert source("peeringdb").NAME == "peeringdb"
    with pytest.raises(KeyError, match="unknown source 'nope'"):
        find_source(sources(), "nope")


def test_two_sources_with_one_name_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "twins" / "sources"
    package.mkdir(parents=True)
    (tmp_path / "twins" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    body = (
        "from observatory.network.common import TableSource\n"
        "class {cls}(TableSource):\n"
        "    NAME = 'twin'\n    ORG = DATASET = URL = 'x'\n"
        "    def parse(self, path):\n        raise NotImplementedError\n"
    )
    (package / "a.py").write_text(body.format(cls="A"))
    (package / "b.py").write_text(body.format(cls="B"))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(TypeError, match="two sources named 'twin'"):
            registry("twins.sources")
    finally:
        for module in [m for m in sys.modules if m.startswith("twins")]:
            del sys.modules[module]
