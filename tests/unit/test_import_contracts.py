"""The layer contracts in pyproject.toml hold, and a wrong import breaks them.

`lint-imports` runs here, so the README's test command enforces the layers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the shared_inbox package and pyproject.toml found in `project`."""
    env = {**os.environ, "PYTHONPATH": str(project)}  # the package under `project`, not the installed one
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_contracts_are_kept() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


LAYERS = "Dependencies point down"
TEXTUAL = "textual is used by the interface alone"
CLI_NO_UI = "CLI commands never import the interface"
UI_THROUGH_SERVICES = "The interface reaches mail, the store and the team through services"
PURE_DOMAIN = "The domain imports nothing of the project"

# A package, an import added to it, the contract that must then fail, and the import it names.
WRONG_IMPORTS = [
    ("domain", "import shared_inbox.store", PURE_DOMAIN, "shared_inbox.store"),
    ("domain", "import rich", PURE_DOMAIN, "rich"),
    ("domain", "from shared_inbox.wallclock import utc_now", PURE_DOMAIN, "shared_inbox.wallclock"),
    ("store", "from shared_inbox.services import session", LAYERS, "shared_inbox.services.session"),
    ("canned", "from shared_inbox.services import inbox", LAYERS, "shared_inbox.services.inbox"),
    ("smtp", "import shared_inbox.imap", LAYERS, "shared_inbox.imap"),
    ("services", "import textual", TEXTUAL, "textual"),
    ("cli", "import shared_inbox.ui", CLI_NO_UI, "shared_inbox.ui"),
    ("ui", "import shared_inbox.store", UI_THROUGH_SERVICES, "shared_inbox.store"),
    ("ui", "import imapclient", UI_THROUGH_SERVICES, "imapclient"),
]


@pytest.mark.parametrize(("package", "line", "contract", "imported"), WRONG_IMPORTS)
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, package: str, line: str, contract: str, imported: str
) -> None:
    skip_caches = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "shared_inbox", tmp_path / "shared_inbox", ignore=skip_caches)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "shared_inbox" / package / "__init__.py"
    wrong = target.read_text(encoding="utf-8") + f"\n{line}  # wrong on purpose\n"
    target.write_text(wrong, encoding="utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = done.stdout.partition("Broken contracts")[2]
    assert contract in broken
    assert f"shared_inbox.{package} -> {imported} (l." in broken  # the message names the wrong import
