"""Dependencies point one way: no function-local import hides a cycle, and the import-linter contracts hold."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check_imports():  # scripts/ is not a package: load the script as a module
    spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts" / "check_imports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_function_local_imports_under_src() -> None:
    assert _check_imports().offenders(ROOT / "src") == []


def test_the_check_finds_a_function_local_import(tmp_path: Path) -> None:
    pkg = tmp_path / "counterpoint"
    pkg.mkdir()
    (pkg / "m.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\n"
                              "try:\n    import json\nexcept ImportError:\n    json = None\n"
                              "def f():\n    from counterpoint import other\n    return other\n")
    found = _check_imports().offenders(tmp_path)
    assert len(found) == 1 and "m.py:9" in found[0] and "counterpoint" in found[0]


@pytest.mark.skipif(shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None,
                    reason="import-linter is in the dev extras")
def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": str(Path(sys.executable).parent)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.skipif(shutil.which("mypy", path=str(Path(sys.executable).parent)) is None,
                    reason="mypy is in the dev extras")
def test_the_core_is_strictly_typed(tmp_path: Path) -> None:
    exe = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run([exe, "--cache-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": str(Path(sys.executable).parent)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
