"""Routing's sources: the BGP routing tables (MRT RIB dumps) of public route collectors."""
