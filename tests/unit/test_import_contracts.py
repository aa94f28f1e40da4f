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


PURE_DOMAIN = "The domain imports nothing of the project"
# A module, an import added to it, and the contract that must then fail.
WRONG_IMPORTS = [
    ("domain/model.py", "import shared_inbox.store", PURE_DOMAIN),
    ("domain/model.py", "import rich", PURE_DOMAIN),
    ("domain/sla.py", "from shared_inbox.wallclock import utc_now", PURE_DOMAIN),
    ("store/codec.py", "from shared_inbox.services import session", "Dependencies point down"),
    ("canned/ranking.py", "from shared_inbox.services import inbox", "Dependencies point down"),
    ("services/inbox.py", "import textual", "textual is used by the interface alone"),
    ("cli/deadlines_cmd.py", "from shared_inbox.ui import conversation_list", "CLI commands never import"),
    ("ui/help.py", "from shared_inbox.store import Store", "The interface reaches mail, the store"),
    ("ui/help.py", "import imapclient", "The interface reaches mail, the store"),
]


@pytest.mark.parametrize(("module", "line", "contract"), WRONG_IMPORTS)
def test_a_wrong_import_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    skip_caches = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "shared_inbox", tmp_path / "shared_inbox", ignore=skip_caches)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "shared_inbox" / module
    wrong = target.read_text(encoding="utf-8") + f"\n{line}  # wrong on purpose\n"
    target.write_text(wrong, encoding="utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = done.stdout.partition("Broken contracts")[2]
    assert contract in broken
    importer = "shared_inbox." + module.removesuffix(".py").replace("/", ".")
    assert importer in broken  # the message names the wrong import's module
