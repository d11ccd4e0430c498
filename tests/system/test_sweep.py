"""Sweeps: validated up front, mesh and forms reused, failures recorded, finished points resumed."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import pytest
import yaml
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from solver.config.case import load_case, parse_case
from solver.physics.conduction import ConductionProblem
from solver.errors import CaseError, SolverError
from solver.studies.sweep import parse_values, run_sweep
from tests.support import BASE, case_in, CURRENT, shared_tmp

VALUES = ["0.5 mA/cm^2", "1 mA/cm^2", "2 mA/cm^2"]


def rows(folder: Path) -> list[dict]:
    with open(folder / "results.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def fail_at_2ma(monkeypatch):
    """Make the solver fail at 2 mA/cm^2 (20 A/m^2) only."""
    real = ConductionProblem.solve

    def solve(self, load=None, progress=None):
        if load is not None and abs(load - 20.0) < 1e-9:
            raise SolverError("Newton failed to converge at load 20 (injected). Try a smaller applied current.")
        return real(self, load=load, progress=progress)

    monkeypatch.setattr(ConductionProblem, "solve", solve)


@pytest.mark.mpi
def test_current_sweep_reuses_mesh_and_forms(tmp_path_factory):
    folder = shared_tmp(tmp_path_factory)
    result = run_sweep(case_in(folder), CURRENT, VALUES, out=folder / "sweep")
    assert [r["status"] for r in result.records] == ["ok"] * 3
    assert (result.meshes_built, result.problems_built) == (1, 1)
    currents = [r["metrics"]["applied_current_density_projected"] for r in result.records]
    assert currents == pytest.approx([5.0, 10.0, 20.0])
    if MPI.COMM_WORLD.rank == 0:
        assert [r["value"] for r in rows(folder / "sweep")] == VALUES
        assert sorted(p.name for p in (folder / "sweep" / "points").iterdir()) == ["0000.json", "0001.json",
                                                                                  "0002.json"]


def test_failed_point_is_recorded_and_the_sweep_goes_on_then_resumes(tmp_path, fail_at_2ma, monkeypatch):
    out = tmp_path / "sweep"
    values = ["0.5 mA/cm^2", "2 mA/cm^2", "1 mA/cm^2"]
    first = run_sweep(case_in(tmp_path), CURRENT, values, out=out)
    assert [r["status"] for r in first.records] == ["ok", "failed", "ok"]
    assert first.failed[0]["error"].startswith("SolverError: Newton failed to converge at load 20 (injected)")
    assert [r["status"] for r in rows(out)] == ["ok", "failed", "ok"]
    assert json.loads((out / "points" / "0001.json").read_text())["exit_code"] == 3

    monkeypatch.undo()  # the solver works again: only the failed point runs
    second = run_sweep(case_in(tmp_path), CURRENT, values, out=out)
    assert [r["status"] for r in second.records] == ["ok"] * 3
    assert [bool(r.get("resumed")) for r in second.records] == [True, False, True]
    assert second.problems_built == 1
    assert [r["status"] for r in rows(out)] == ["ok"] * 3


def test_interrupted_sweep_resumes_after_the_last_finished_point(tmp_path, monkeypatch):
    real = ConductionProblem.solve
    calls = []

    def interrupted(self, load=None, progress=None):
        calls.append(load)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, load=load, progress=progress)

    monkeypatch.setattr(ConductionProblem, "solve", interrupted)
    out = tmp_path / "sweep"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(case_in(tmp_path), CURRENT, VALUES, out=out)
    assert [p.name for p in (out / "points").iterdir()] == ["0000.json"]  # no half-written point
    calls.clear()
    monkeypatch.setattr(ConductionProblem, "solve", real)
    result = run_sweep(case_in(tmp_path), CURRENT, VALUES, out=out)
    assert [bool(r.get("resumed")) for r in result.records] == [True, False, False]
    assert len(rows(out)) == 3


def test_another_sweep_in_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "sweep"
    run_sweep(case_in(tmp_path), CURRENT, VALUES[:1], out=out)
    with pytest.raises(CaseError, match="holds a different sweep"):
        run_sweep(case_in(tmp_path), CURRENT, VALUES[:2], out=out)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("x")
    with pytest.raises(CaseError, match="not a sweep folder"):
        run_sweep(case_in(tmp_path), CURRENT, VALUES[:1], out=tmp_path / "other")


def test_every_point_is_validated_before_meshing(tmp_path, monkeypatch):
    import gmsh

    monkeypatch.setattr(gmsh, "initialize", lambda *a, **k: pytest.fail("meshing started"))
    with pytest.raises(CaseError) as info:
        run_sweep(case_in(tmp_path), CURRENT, ["1 mA/cm^2", "5 kg"], out=tmp_path / "sweep")
    assert str(info.value).startswith("sweep value 1 ('5 kg'): electrochemistry.applied_current_density: ")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "sweep").exists()


def test_seed_sweep_from_the_study_section_remeshes_each_point(tmp_path):
    case = case_in(tmp_path, study={"parameter": "geometry.profile.seed", "values": [1, 2]})
    result = run_sweep(case, out=tmp_path / "sweep")
    assert [r["status"] for r in result.records] == ["ok", "ok"]
    assert result.meshes_built == 2
    keys = {r["mesh"]["cache_key"] for r in result.records}
    assert len(keys) == 2


def test_study_section_is_validated():
    raw = copy.deepcopy(BASE)
    raw["study"] = {"parameter": "electrochemistry.applied_current_density", "values": []}
    with pytest.raises(CaseError, match=r"^study.values: "):
        parse_case(raw)


@pytest.mark.parametrize("text, expected", [("1, 2,3", [1, 2, 3]), ("0.5 mA/cm^2,1 mA/cm^2", ["0.5 mA/cm^2", "1 mA/cm^2"])])
def test_parse_values(text, expected):
    assert parse_values(text) == expected


@pytest.mark.parametrize("text", ["", "1,,2", " , "])
def test_parse_values_rejects_empty_items(text):
    with pytest.raises(CaseError, match="^--values: "):
        parse_values(text)


def test_cli_sweep_reports_failures_with_exit_code_3(tmp_path, fail_at_2ma, capsys):
    from solver.cli import main

    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(tmp_path / "results"), "mesh_cache": None}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(raw))
    code = main(["sweep", str(path), "--param", CURRENT, "--values", "1 mA/cm^2, 2 mA/cm^2", "--quiet"])
    assert code == 3
    captured = capsys.readouterr()
    assert captured.out.strip() == (f"sweep: 2 points, 1 failed; table: {tmp_path / 'results' / 'sweep-small'}"
                                    "/results.csv")
    assert captured.err.startswith("failed: point 1 electrochemistry.applied_current_density = 2 mA/cm^2: "
                                   "SolverError: Newton failed")
    assert load_case(path).name == "small"


def test_values_without_param_are_refused(tmp_path):
    with pytest.raises(CaseError, match="^--values: give --param with --values$"):
        run_sweep(case_in(tmp_path), None, VALUES, out=tmp_path / "sweep")


def test_non_finite_metrics_fail_the_point(tmp_path, monkeypatch):
    import solver.studies.sweep

    real = solver.studies.sweep.conduction_metrics

    def nan_metrics(fields, percentile):
        metrics, flux, samples = real(fields, percentile)
        return dict(metrics, focusing_factor=float("nan")), flux, samples

    monkeypatch.setattr(solver.studies.sweep, "conduction_metrics", nan_metrics)
    result = run_sweep(case_in(tmp_path), CURRENT, VALUES[:1], out=tmp_path / "sweep")
    assert result.failed[0]["error"].startswith("SolverError: non-finite focusing_factor at '0.5 mA/cm^2'")


def test_study_points_are_validated_with_the_case():
    raw = copy.deepcopy(BASE)
    raw["study"] = {"parameter": "geometry.width", "values": ["10 um", "3 kg"]}
    with pytest.raises(CaseError) as info:
        parse_case(raw)
    assert str(info.value) == ("study.values.1: '3 kg' gives geometry.width: '3 kg' has units of kg, "
                               "which cannot be converted to m")


def test_param_through_a_plain_value_is_refused(tmp_path):
    with pytest.raises(CaseError, match=r"^sweep value 0 \(1\): name\.x: name is not a section$"):
        run_sweep(case_in(tmp_path), "name.x", [1], out=tmp_path / "sweep")
