"""The registry of activities on IP-based networks (Resolution 101): ITU's, by Sector, and those of the
organisations the resolution names, with their degree of collaboration with ITU and their sources."""

from observatory.activities.files import load_seed

__all__ = ["load_seed"]
