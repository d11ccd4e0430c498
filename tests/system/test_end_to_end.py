"""The foundation slice: a YAML case runs end to end and writes a complete result folder."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from solver.config.case import load_case, parse_case
from solver.studies.run import run_case
from tests.support import DATA, ROOT, SMALL_CASE, shared_tmp


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    case = parse_case(SMALL_CASE)
    return run_case(case, out=shared_tmp(tmp_path_factory) / "out", quiet=True)


@pytest.mark.mpi
def test_result_folder_is_complete(small_run):
    folder = small_run.folder
    expected = {"case.yaml", "case_resolved.json", "summary.json", "fields.xdmf", "fields.h5", "interface.vtu",
                "interface.csv", "current_density.png", "interface_current.png", "report.txt", "checksums.sha256",
                "fields.vtu", "report.html", "report.md"}
    assert expected <= {p.name for p in folder.iterdir()}
    # no temporary folder left behind
    assert not [p for p in folder.parent.iterdir() if p.name.endswith(".partial")]
    for line in (folder / "checksums.sha256").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


@pytest.mark.mpi
def test_summary_has_metrics_units_versions_seeds(small_run):
    summary = json.loads((small_run.folder / "summary.json").read_text())
    m = summary["metrics"]
    # charge conservation: the kinetics current integrated over the interface equals the
    # applied current to Newton tolerance (rtol 1e-10 on the residual)
    assert m["charge_balance_error"] < 1e-8
    # 20 % contact loss: the mean current density over the contact is larger than applied
    assert m["mean_interface_current_density"] > m["applied_current_density_projected"]
    assert m["focusing_factor"] >= 1.0 and m["focusing_factor_percentile"] <= m["focusing_factor"] + 1e-12
    assert set(m) <= set(summary["metric_units"]) | {"percentile"}
    assert summary["seeds"] == {"geometry.profile.seed": 3, "geometry.contact.seed": 1}
    assert "fenics-basix" in summary["versions"] and "gmsh" in summary["versions"]
    assert summary["mesh"]["boundaries"].keys() >= {"anode_interface", "contact_voids", "counter_electrode"}


def test_interface_csv_consistent_with_summary(small_run):
    data = np.loadtxt(small_run.folder / "interface.csv", delimiter=",", skiprows=1)
    summary = json.loads((small_run.folder / "summary.json").read_text())
    length, current = data[:, 2], data[:, 3]
    # facet-midpoint quadrature of a P1 flux is exact for its integral
    assert np.sum(length) == pytest.approx(summary["metrics"]["interface_area"], rel=1e-10)
    assert np.sum(length * current) == pytest.approx(summary["metrics"]["applied_current"], rel=1e-6)


@pytest.mark.mpi
def test_same_answer_in_serial_and_parallel(small_run):
    """Compared against a reference computed in serial with the same case (see mpi run)."""
    m = small_run.summary["metrics"]
    # Values recorded from a serial run of SMALL_CASE; under mpiexec -n 2 they must agree
    # to the Newton tolerance (the mesh is identical: built on rank 0 and distributed).
    reference = json.loads((DATA / "small_case_reference.json").read_text())
    for key, value in reference.items():
        assert m[key] == pytest.approx(value, rel=1e-8), key


def test_cli_run_and_validate(tmp_path):
    env_python = sys.executable
    out = tmp_path / "cli_out"
    case = tmp_path / "c.yaml"
    import yaml

    case.write_text(yaml.safe_dump(SMALL_CASE))
    r = subprocess.run([env_python, "-m", "solver", "validate", str(case)], capture_output=True, text=True)
    assert r.returncode == 0 and "valid" in r.stdout
    r = subprocess.run([env_python, "-m", "solver", "run", str(case), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # the report on stdout (progress and the folder's name are logged on stderr)
    assert r.stdout.startswith("case ") and (out / "summary.json").exists()
    # a second run into the same folder is refused (nothing is overwritten unless asked)
    r = subprocess.run([env_python, "-m", "solver", "run", str(case), "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 2 and "exists" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_geometries_lists_parameters_with_units():
    r = subprocess.run([sys.executable, "-m", "solver", "geometries"], capture_output=True, text=True)
    assert r.returncode == 0
    assert "rough_interface_2d" in r.stdout and "rms_height" in r.stdout and "[m]" in r.stdout


def test_shipped_cases_and_comparisons_validate():
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        load_case(path)
    from solver.studies.compare import load_study

    for path in sorted((ROOT / "cases" / "comparisons").glob("*.yaml")):
        study, cases = load_study(path)
        assert len(cases) >= 2
