"""The layout of the test suite: every test module lives in tests/unit, tests/verification or
tests/system, and no test module imports another test module or tests.conftest.

Shared helpers and constants live in tests/support.py (plain code, never collected);
fixtures that several modules use live in tests/conftest.py. A test module importing
another one runs that module's module-level code and ties the two files together (moving
or renaming one breaks the other); importing tests.conftest imports it a second time under
another name. The scan reads the source with ``ast`` (nothing is imported), so it also
sees imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT

TESTS = ROOT / "tests"
FOLDERS = ("unit", "verification", "system")
#: files of tests/ that are not test modules (data files under tests/data are not Python)
NOT_TEST_MODULES = {"__init__.py", "conftest.py", "support.py"}
#: packages of test tools run as programs by the system tests (the hostile-case corpus, its
#: worker, the fault injector): plain code like tests/support.py, never collected
HARNESSES = {TESTS / "system" / "fuzz"}


def module_files() -> list[Path]:
    """Every Python file under tests/ except the support files, the harness packages and
    packages' __init__."""
    return sorted(p for p in TESTS.rglob("*.py") if p.name not in NOT_TEST_MODULES and "data" not in p.parts
                  and not any(h in p.parents for h in HARNESSES))


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, dotted name) of every module an ``import`` or ``from ... import`` in ``path`` names.

    ``from tests import test_x`` and ``from tests.system import test_x`` name the module
    test_x as well as the package; relative imports are resolved against the file's package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def forbidden(module: str) -> bool:
    """Whether ``module`` is a test module or tests.conftest."""
    parts = module.split(".")
    return parts[0] == "tests" and (parts[-1] == "conftest" or parts[-1].startswith("test_"))


def test_every_test_module_lives_in_one_of_the_three_folders():
    modules = module_files()
    assert len(modules) > 40  # the scan sees the suite
    misplaced = [str(p.relative_to(TESTS)) for p in modules if p.relative_to(TESTS).parts[0] not in FOLDERS
                 or len(p.relative_to(TESTS).parts) != 2]
    assert misplaced == [], f"test modules outside tests/{{{','.join(FOLDERS)}}}/: {misplaced}"
    for folder in FOLDERS:
        assert (TESTS / folder / "__init__.py").is_file(), f"tests/{folder} is not a package"
    strays = [p.name for p in modules if not p.name.startswith("test_")]
    assert strays == [], f"Python files in the test folders that are not test modules: {strays}"


def test_no_test_module_imports_another_test_module_or_conftest():
    offences = [f"{p.relative_to(ROOT)}:{line}: imports {module}" for p in module_files()
                for line, module in imported_modules(p) if forbidden(module)]
    assert offences == [], "\n".join(offences) + "\n(shared helpers belong in tests/support.py)"


def test_support_and_conftest_import_no_test_module():
    for path in (TESTS / "support.py", TESTS / "conftest.py"):
        offences = [module for _, module in imported_modules(path) if forbidden(module)]
        assert offences == [], f"{path.name} imports {offences}"


@pytest.mark.parametrize("source, offending", [
    ("from tests.system.test_end_to_end import SMALL_CASE", True),
    ("from tests.test_risk import flaw_case", True),
    ("from tests.conftest import slab", True),
    ("from tests import conftest", True),
    ("from tests.unit import test_plugins", True),
    ("import tests.verification.test_elasticity as e", True),
    ("def f():\n    from tests.system.test_sweep import case_in", True),
    ("from . import test_cli", True),
    ("from .test_cli import BASE", True),
    ("from tests.support import BASE, slab", False),
    ("import tests.support", False),
    ("from solver.config.case import parse_case", False),
])
def test_the_scan_sees_every_form_of_import(tmp_path, source, offending):
    probe = tmp_path / "tests" / "system" / "test_probe.py"  # relative imports resolve as in tests/system
    probe.parent.mkdir(parents=True)
    probe.write_text(source + "\n")
    found = [module for _, module in imported_modules(probe, root=tmp_path) if forbidden(module)]
    assert bool(found) is offending, found
