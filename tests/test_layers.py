"""The layers hold: Engage (domain and web) never imports the orchestrator (Prefect) or the
flows (``workflows/``), and the web app's side of the boundary never imports the flows; the
kernel (``engage.common``) imports no feature, no feature imports the home page, and views
do not import each other. The contracts are in pyproject.toml ([tool.importlinter]);
import-linter reads every import statement, those inside functions too."""

from __future__ import annotations

import grimp
from importlinter.cli import lint_imports

from engage.config import PROJECT_ROOT


def test_the_import_contracts_are_kept(capsys):
    status = lint_imports(config_filename=str(PROJECT_ROOT / "pyproject.toml"), no_cache=True,
                          no_logo=True)
    output = capsys.readouterr().out
    assert status == 0, output
    assert ", 0 broken" in output, output


def test_imports_inside_functions_are_in_the_graph():
    """The contracts would be blind to a lazy ``from prefect ... import`` if the graph held
    module-level imports only: ``engage worker`` imports the deployments inside its body."""
    graph = grimp.build_graph("engage", "workflows", include_external_packages=True)
    assert graph.direct_import_exists(importer="workflows.cli", imported="workflows.deployments")
    assert graph.direct_import_exists(importer="workflows.client", imported="prefect")
