"""The best-practice library (Resolution 88): cases submitted by Member States and pledgers, reviewed and
published by the secretariat.

Besides its ``models``, ``service``, ``api``, ``pages`` and ``cli``, other capabilities use these names: the
published cases as of a day (``practices_as_of``, ``spotlights_as_of``, each a ``PracticeRecord``), importing
a file of cases (``import_file``) and the curated starting set (``load_seed``).
"""

from observatory.practices.files import import_file, load_seed
from observatory.practices.service import PracticeRecord, practices_as_of, spotlights_as_of

__all__ = ["PracticeRecord", "import_file", "load_seed", "practices_as_of", "spotlights_as_of"]
