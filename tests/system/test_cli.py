"""The command line: exit codes 0/2/3/130/1 and exactly one stderr line per error."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import solver  # noqa: F401  (before dolfinx)
from solver.cli import main
from tests.support import BASE

DENDRITE = str(Path(sys.executable).parent / "dendrite")


def write_case(tmp_path: Path, raw: dict | str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw))
    return path


def small(tmp_path: Path, **changes) -> dict:
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(tmp_path / "results"), "mesh_cache": None, "png": False, "fields": False}
    for dotted, value in changes.items():
        node = raw
        *parents, last = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return raw


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, UCX_TLS="self,sm,tcp", OMP_NUM_THREADS="1")
    return subprocess.run([DENDRITE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def assert_one_line(proc: subprocess.CompletedProcess, start: str, code: int) -> None:
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(start), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def _misspelt(raw):
    raw["electrochemistry"]["temprature"] = "300 K"
    return raw


@pytest.mark.parametrize(
    "make, start",
    [
        (_misspelt, "error: electrochemistry.temprature: unknown key (misspelt?)"),
        (lambda raw: {k: v for k, v in raw.items() if k != "materials"}, "error: materials: required key is missing"),
        (lambda raw: dict(raw, geometry=dict(raw["geometry"], width="-10 um")),
         "error: geometry.width: Input should be greater than 0"),
        (lambda raw: dict(raw, geometry=dict(raw["geometry"], width="10 kg")),
         "error: geometry.width: '10 kg' has units of kg, which cannot be converted to m"),
    ],
    ids=["misspelt-key", "missing-key", "negative-length", "wrong-unit"],
)
def test_validate_named_examples(tmp_path, make, start):
    path = write_case(tmp_path, make(small(tmp_path)))
    assert_one_line(cli("validate", str(path), cwd=tmp_path), start, 2)


def test_validate_hostile_yaml_tag(tmp_path):
    path = write_case(tmp_path, "!!python/object/apply:os.system ['touch pwned']\n")
    assert_one_line(cli("validate", str(path), cwd=tmp_path), f"error: {path}: not valid YAML at line 1", 2)
    assert not (tmp_path / "pwned").exists()


def test_validate_valid_case(tmp_path):
    proc = cli("validate", str(write_case(tmp_path, small(tmp_path))), cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "valid (geometry rough_interface_2d" in proc.stdout


def test_case_that_cannot_converge_exits_3(tmp_path):
    raw = small(tmp_path, electrochemistry__applied_current_density="10 A/cm^2",
                electrochemistry__kinetics={"law": "tafel", "exchange_current_density": "1e-9 A/m^2"},
                solver={"newton_max_iterations": 1}, mesh={"interface_size": "1 um", "size": "2 um"})
    proc = cli("run", str(write_case(tmp_path, raw)), "--quiet", cwd=tmp_path)
    assert_one_line(proc, "error: Newton failed to converge", 3)
    assert "Try a smaller applied current" in proc.stderr
    assert not (tmp_path / "results").exists()


def test_interrupt_exits_130_without_a_folder(tmp_path, monkeypatch, capsys):
    import solver.io.exports

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(solver.io.exports, "write_interface", interrupted)
    assert main(["run", str(write_case(tmp_path, small(tmp_path))), "--quiet"]) == 130
    assert capsys.readouterr().err == "interrupted: no result folder was written\n"
    assert list((tmp_path / "results").iterdir()) == []


def test_internal_error_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    import solver.studies.run

    def bug(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(solver.studies.run, "conduction_metrics", bug)
    assert main(["run", str(write_case(tmp_path, small(tmp_path))), "--quiet"]) == 1
    assert capsys.readouterr().err == "internal error on rank 0: ZeroDivisionError: oops (rerun with --debug)\n"


def test_out_exists_is_refused_unless_overwrite(tmp_path, capsys):
    path = write_case(tmp_path, small(tmp_path))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    first = (out / "checksums.sha256").read_text()
    capsys.readouterr()
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == f"error: --out: {out} exists; choose another folder or pass --overwrite\n"
    assert (out / "checksums.sha256").read_text() == first
    assert main(["run", str(path), "--out", str(out), "--overwrite", "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_sweep_requires_a_study_or_param(tmp_path, capsys):
    assert main(["sweep", str(write_case(tmp_path, small(tmp_path)))]) == 2
    assert capsys.readouterr().err == ("error: study: no sweep given: add a 'study:' section or pass --param and "
                                       "--values\n")


def test_clean_on_missing_folder_removes_nothing(tmp_path, capsys):
    assert main(["clean", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out == ""
