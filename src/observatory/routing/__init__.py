"""Routing analytics (Resolution 101): MRT routing tables (``mrt``), AS hegemony and country dependency
(``hegemony``), many files at once (``parallel``), stored results (``service``). The method as
implemented: docs/routing.md."""
