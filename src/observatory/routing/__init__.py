"""Routing analytics (Resolution 101): MRT routing tables (``mrt``), AS hegemony and country dependency
(``hegemony``), many files at once (``parallel``), transit vs. peering per country (``transit``) and its check
against CAIDA's CTI (``cti``); the queries, the stored results and the source of RIB dumps (``service``), the
API (``api``), the section of country and group pages (``pages``) and ``observatory routing`` (``cli``). The
method as implemented: docs/routing.md, docs/routing-transit.md."""
