"""A long sweep keeps no per-point state: no new form per point, no records held in memory.

The memory itself is measured by ``bench/sweep_memory.py`` (200 points under ``mpiexec -n
2``); these tests pin the two causes of growth that were found: a load or a parameter
compiled into a form as a number (a new shared library per point, which cannot be
unloaded) and every point's full record kept on every rank.
"""

from __future__ import annotations

import copy
import json

import dolfinx.jit
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import solver.studies.sweep as sweep_module
from solver.config.case import parse_case
from tests.support import BASE, CURRENT, case_in, shared_tmp


def _forms_per_point(monkeypatch) -> list[set]:
    """The signatures of the forms compiled (or found compiled) at each point of a sweep:
    a signature names its compiled module, so a new one is a new module."""
    per_point: list[set] = []
    real_jit, real_solve = dolfinx.jit.ffcx_jit, sweep_module._solve_point

    def jit(comm, ufl_object, *args, **kwargs):
        if hasattr(ufl_object, "signature") and per_point:
            per_point[-1].add(ufl_object.signature())
        return real_jit(comm, ufl_object, *args, **kwargs)

    def solve_point(point, state, comm):
        per_point.append(set())
        return real_solve(point, state, comm)

    monkeypatch.setattr(dolfinx.jit, "ffcx_jit", jit)
    monkeypatch.setattr(sweep_module, "_solve_point", solve_point)
    return per_point


@pytest.mark.mpi
def test_a_current_sweep_compiles_no_new_form_after_its_first_point(tmp_path_factory, monkeypatch):
    folder = shared_tmp(tmp_path_factory)
    per_point = _forms_per_point(monkeypatch)
    result = sweep_module.run_sweep(case_in(folder), CURRENT, ["0.5 mA/cm^2", "1 mA/cm^2", "1.7 mA/cm^2"],
                                    folder / "sweep", MPI.COMM_WORLD)
    assert [r["status"] for r in result.records] == ["ok"] * 3 and result.problems_built == 1
    first, *later = per_point
    assert first  # the post-processing forms are built at every point ...
    for forms in later:
        assert forms <= first, "a form that depends on the load was compiled anew"  # ... and found compiled


#: the small case with an electrolyte whose conductivity and i0 have activation energies
WARM = dict(BASE, materials={"electrolyte": "Li6PS5Cl"})
#: small polycrystal with lumped GBs (R_gb = delta / sigma_gb, G_gb = sigma_gb delta)
GRAINS = {"geometry": {"type": "polycrystal_2d", "width": "6 um", "thickness": "4 um", "mean_grain_size": "2 um",
                       "seed": 1, "gb": "facets"},
          "mesh": {"interface_size": "0.5 um", "size": "1 um"}, "materials": {"grains": "Li6PS5Cl"},
          "grain_boundaries": {"model": "lumped_facets", "material": "Li6PS5Cl_grain_boundary"},
          "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "butler_volmer"}}}
FILM = {"law": "butler_volmer", "film_resistance": "10 ohm*cm^2"}
SCALAR_SWEEPS = {  # a new problem at every point (only a load is changed in place)
    "temperature": (WARM, "electrochemistry.temperature", ["290 K", "300 K", "315 K"]),
    "exchange_current_density": (BASE, "electrochemistry.kinetics.exchange_current_density",
                                 ["0.3 mA/cm^2", "1 mA/cm^2", "3 mA/cm^2"]),
    "film_temperature": (dict(WARM, electrochemistry={"applied_current_density": "1 mA/cm^2", "kinetics": FILM}),
                         "electrochemistry.temperature", ["290 K", "300 K", "315 K"]),
    "grain_boundary_thickness": (GRAINS, "grain_boundaries.thickness", ["2 nm", "5 nm", "10 nm"]),
}


def _case(raw: dict, folder):
    raw = dict(copy.deepcopy(raw), outputs={"directory": str(folder / "results"), "mesh_cache": str(folder / "cache"),
                                            "png": False, "fields": False})
    return parse_case(raw)


@pytest.mark.mpi
@pytest.mark.parametrize("name", list(SCALAR_SWEEPS))
def test_a_sweep_over_a_parameter_in_the_forms_compiles_them_once(name, tmp_path_factory, monkeypatch):
    raw, parameter, values = SCALAR_SWEEPS[name]
    folder = shared_tmp(tmp_path_factory)
    per_point = _forms_per_point(monkeypatch)
    result = sweep_module.run_sweep(_case(raw, folder), parameter, values, folder / "sweep", MPI.COMM_WORLD)
    assert [r["status"] for r in result.records] == ["ok"] * 3 and result.problems_built == 3
    first, *later = per_point
    for forms in later:  # every point builds its forms anew, and finds them compiled
        assert forms <= first, f"{len(forms - first)} forms compiled anew at a new {parameter}"


def _as_literals(monkeypatch) -> None:
    """Parameters written into the forms as numbers again (how they entered before they were Constants)."""
    import solver.analysis.metrics
    import solver.physics.boundary_conditions
    import solver.physics.conduction
    import solver.physics.fem_tools

    def literal(value, expr):
        return value

    for module in (solver.physics.fem_tools, solver.physics.boundary_conditions, solver.physics.conduction,
                   solver.analysis.metrics):
        monkeypatch.setattr(module, "form_parameter", literal)


@pytest.mark.parametrize("name", ["temperature", "film_temperature"])
def test_parameters_as_constants_give_the_answers_of_parameters_as_numbers(name, tmp_path, monkeypatch):
    raw, parameter, values = SCALAR_SWEEPS[name]
    as_constants = sweep_module.run_sweep(_case(raw, tmp_path), parameter, values[1:], tmp_path / "a").records
    _as_literals(monkeypatch)
    as_numbers = sweep_module.run_sweep(_case(raw, tmp_path), parameter, values[1:], tmp_path / "b").records
    for a, b in zip(as_constants, as_numbers, strict=True):
        # the same discretisation and Newton iterations; the generated code differs in
        # where the numbers are folded: round-off (observed 1e-11), far below 1e-8
        for key in ("focusing_factor", "mean_overpotential", "cell_voltage", "charge_balance_error"):
            if key == "charge_balance_error":
                assert a["metrics"][key] < 1e-9 and b["metrics"][key] < 1e-9
            else:
                assert a["metrics"][key] == pytest.approx(b["metrics"][key], rel=1e-8), key


def test_records_come_from_the_point_files_and_the_table_keeps_scalars(tmp_path):
    result = sweep_module.run_sweep(case_in(tmp_path), CURRENT, ["0.5 mA/cm^2", "1 mA/cm^2"], tmp_path / "sweep")
    files = [json.loads(p.read_text()) for p in sorted((tmp_path / "sweep" / "points").glob("[0-9]*.json"))]
    assert result.records == files
    rows = sweep_module._finished_on_disk(tmp_path / "sweep", {})
    assert [r["index"] for r in rows] == [0, 1]
    for row in rows:  # what stays in memory per point while a sweep runs
        assert all(isinstance(v, (int, float)) for v in row["metrics"].values())
        assert set(row) <= {"index", "parameter", "value", "status", "seconds", "error", "metrics", "solver"}
