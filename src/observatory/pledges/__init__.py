"""The Partner2Connect pledge registry: organisations, pledges, progress reports and their review.

Besides its ``models``, ``service``, ``api``, ``pages`` and ``cli``, other capabilities use these names:
selecting pledges (``PledgeFilter``, ``selection``, ``list_pledges``, ``iter_pledges``, and the pledges
touching an area, ``area_selection``), counting them (``summary``, several breakdowns at once ``summaries``,
an area's ``area_figures``, participation and implementation ``overview``, the dimensions ``BY_VALUES``, the
reporting ``HEALTH`` states), the registry as it stood at the end of a day (``registry_as_of``, what the
annual reports count), reading a focus area, pillar or country as people write them (``focus_area_code``,
``pillar_code``, ``country_code``, and a record's pillars within its focus areas ``taxonomy_pillars``), and
importing a pledge file (``import_pledges``, ``import_file``, ``sample_path``, and the sample with its
organisations, ``import_sample``).
"""

from observatory.pledges.breakdowns import BY_VALUES, area_figures, summaries, summary
from observatory.pledges.csvio import import_file, import_pledges, import_sample, sample_path
from observatory.pledges.index import HEALTH
from observatory.pledges.overview import overview
from observatory.pledges.query import PledgeFilter, area_selection, iter_pledges, list_pledges, selection
from observatory.pledges.schemas import country_code, focus_area_code, pillar_code, taxonomy_pillars
from observatory.pledges.snapshot import registry_as_of

__all__ = [
    "BY_VALUES",
    "HEALTH",
    "PledgeFilter",
    "area_figures",
    "area_selection",
    "country_code",
    "focus_area_code",
    "import_file",
    "import_pledges",
    "import_sample",
    "iter_pledges",
    "list_pledges",
    "overview",
    "pillar_code",
    "registry_as_of",
    "sample_path",
    "selection",
    "summaries",
    "summary",
    "taxonomy_pillars",
]
