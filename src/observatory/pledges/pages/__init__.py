"""The pledge registry's pages: the explorer and a pledge's page (``explorer``), the pledger portal
(``portal``) and the secretariat's workspace (``secretariat``). Their templates are in
``pledges/templates/pledges``."""

from pathlib import Path

from observatory.web.render import add_templates

add_templates(Path(__file__).parents[1] / "templates")
