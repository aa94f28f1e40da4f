"""The domain stays pure: no UI, network, storage or clock access.

Purity keeps the domain fast to test and deterministic: the same messages and
events give the same conversations on every teammate's machine.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import shared_inbox.domain

DOMAIN_DIR = Path(shared_inbox.domain.__file__).parent
MODULES = sorted(
    info.name for info in pkgutil.walk_packages([str(DOMAIN_DIR)], "shared_inbox.domain.") if not info.ispkg
)
PACKAGES = sorted(
    info.name for info in pkgutil.walk_packages([str(DOMAIN_DIR)], "shared_inbox.domain.") if info.ispkg
)
FORBIDDEN_IMPORTS = (
    "textual",
    "rich",
    "imapclient",
    "aiosmtplib",
    "tinydb",
    "platformdirs",
    "socket",
    "ssl",
    "sqlite3",
    "subprocess",
    "asyncio",
    "shutil",
    "tempfile",
)

PROBE = """
import importlib, json, sys
before = set(sys.modules)
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_the_domain_has_the_expected_modules() -> None:
    expected = {"clock", "conversations", "events", "model", "query", "threading"}
    assert expected <= {name.rsplit(".", 1)[1] for name in MODULES}


def test_importing_the_domain_pulls_in_nothing_impure() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(MODULES)], capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    assert set(MODULES) <= set(loaded)  # the probe really imported them
    impure = sorted(name for name in loaded if name.split(".")[0] in FORBIDDEN_IMPORTS)
    assert impure == []


CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
CLOCK_CALLS |= {
    ("time", name) for name in ("time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime")
}
FORBIDDEN_NAMES = {"open", "print", "input", "exec", "eval"}


def impurities(source: str) -> list[str]:
    """Clock reads, IO builtins and imports of time/os/io found in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                owner = (
                    func.value.attr
                    if isinstance(func.value, ast.Attribute)
                    else getattr(func.value, "id", "")
                )
                if (owner, func.attr) in CLOCK_CALLS or func.attr in {"now", "utcnow"}:
                    found.append(f"line {node.lineno}: {owner}.{func.attr}()")
            elif isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
                found.append(f"line {node.lineno}: {func.id}()")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            )
            found += [
                f"line {node.lineno}: import {n}" for n in names if n.split(".")[0] in {"time", "os", "io"}
            ]
    return found


def _source_of(module: str) -> Path:
    relative = module.removeprefix("shared_inbox.domain.").replace(".", "/")
    return DOMAIN_DIR / (f"{relative}/__init__.py" if module in PACKAGES else f"{relative}.py")


@pytest.mark.parametrize("module", MODULES + PACKAGES)
def test_no_clock_reads_or_io(module: str) -> None:
    path = _source_of(module)
    assert impurities(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "import time\nx = time.time()",
        "from time import monotonic",
        "data = open('x').read()",
        "import os",
        "x = clock.now()",
    ],
)
def test_the_scan_catches_impurities(source: str) -> None:
    assert impurities(source) != []
