"""ruff and mypy pass on the package and the tests, so the README's test command enforces them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "shared_inbox", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_applied() -> None:
    done = _run("ruff", "format", "--check", "shared_inbox", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_passes_with_a_strict_domain() -> None:
    done = _run("mypy", "shared_inbox")
    assert done.returncode == 0, done.stdout + done.stderr
