"""Connectivity Observatory: Partner2Connect pledges, connectivity indicators and Internet
infrastructure, reported over time."""

__version__ = "0.1.0"
