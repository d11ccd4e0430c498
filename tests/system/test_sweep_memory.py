"""A long sweep keeps no per-point state: no new form per point, no records held in memory.

The memory itself is measured by ``bench/sweep_memory.py`` (200 points under ``mpiexec -n
2``); these tests pin the two causes of growth that were found: a load compiled into a
form as a number (a new shared library per point, which cannot be unloaded) and every
point's full record kept on every rank.
"""

from __future__ import annotations

import json

import dolfinx.jit
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import solver.studies.sweep as sweep_module
from tests.support import CURRENT, case_in, shared_tmp


@pytest.mark.mpi
def test_a_current_sweep_compiles_no_new_form_after_its_first_point(tmp_path_factory, monkeypatch):
    folder = shared_tmp(tmp_path_factory)
    per_point: list[set] = []
    real_jit, real_solve = dolfinx.jit.ffcx_jit, sweep_module._solve_point

    def jit(comm, ufl_object, *args, **kwargs):
        if hasattr(ufl_object, "signature") and per_point:
            per_point[-1].add(ufl_object.signature())  # the form's hash: what names its compiled module
        return real_jit(comm, ufl_object, *args, **kwargs)

    def solve_point(point, state, comm):
        per_point.append(set())
        return real_solve(point, state, comm)

    monkeypatch.setattr(dolfinx.jit, "ffcx_jit", jit)
    monkeypatch.setattr(sweep_module, "_solve_point", solve_point)
    result = sweep_module.run_sweep(case_in(folder), CURRENT, ["0.5 mA/cm^2", "1 mA/cm^2", "1.7 mA/cm^2"],
                                    folder / "sweep", MPI.COMM_WORLD)
    assert [r["status"] for r in result.records] == ["ok"] * 3 and result.problems_built == 1
    first, *later = per_point
    assert first  # the post-processing forms are built at every point ...
    for forms in later:
        assert forms <= first, "a form that depends on the load was compiled anew"  # ... and found compiled


def test_records_come_from_the_point_files_and_the_table_keeps_scalars(tmp_path):
    result = sweep_module.run_sweep(case_in(tmp_path), CURRENT, ["0.5 mA/cm^2", "1 mA/cm^2"], tmp_path / "sweep")
    files = [json.loads(p.read_text()) for p in sorted((tmp_path / "sweep" / "points").glob("[0-9]*.json"))]
    assert result.records == files
    rows = sweep_module._finished_on_disk(tmp_path / "sweep", {})
    assert [r["index"] for r in rows] == [0, 1]
    for row in rows:  # what stays in memory per point while a sweep runs
        assert all(isinstance(v, (int, float)) for v in row["metrics"].values())
        assert set(row) <= {"index", "parameter", "value", "status", "seconds", "error", "metrics", "solver"}
