"""An import-linter contract of the project's own (``make test`` runs ``lint-imports``): capabilities use
each other only through their package's public names.

A capability's public names are its package (what ``__init__.py`` exports) and the modules of the one
shape every capability has: ``models``, ``service``, ``api``, ``pages`` (a module or a package),
``cli`` and ``sources`` (a package). Everything else inside a capability (``network.compute``,
``pledges.index`` …) is its own business: another package importing it is a broken contract.
"""

from __future__ import annotations

from typing import cast

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output

SHAPE = ("models", "service", "api", "pages", "cli", "sources")


class PublicNamesContract(Contract):
    """Options: ``capabilities`` (the capability packages), ``ignore_imports`` (``a -> b`` lines kept as
    they are, each with its reason in the configuration)."""

    type_name = "public_names"

    capabilities = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        capabilities: list[str] = list(cast(list[str], self.capabilities))
        lines = cast(list[str], self.ignore_imports or [])
        ignored = {tuple(part.strip() for part in line.split("->")) for line in lines}
        broken: list[tuple[str, str, str]] = []
        for package in capabilities:
            public = {package, *(f"{package}.{name}" for name in SHAPE)}
            for module in graph.find_descendants(package):
                if module in public or any(module.startswith(f"{package}.{name}.") for name in ("pages", "sources")):
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(module)):
                    if importer == package or importer.startswith(package + "."):
                        continue
                    if (importer, module) in ignored:
                        continue
                    broken.append((importer, module, package))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, module, package in check.metadata["broken"]:
            output.print_error(f"{importer} imports {module}, which is not one of {package}'s public names")
            output.new_line()
        output.print(
            "Import the capability's package, or its models, service, api, pages, cli or sources, or make the "
            "name public in its __init__.py."
        )
