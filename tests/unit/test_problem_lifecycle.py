"""The problems as objects: independent solved states, deterministic release of PETSc
objects, stable options prefixes with user overrides.

The flat cell (GB on y = L/2 or none) has exact answers (counter potential
i L / sigma + R_gb i - eta(i)), so a state that a later solve had overwritten would show
up as an O(1) relative change, far above the round-off of the comparisons (1e-12).
"""

import numpy as np
import pytest
from mpi4py import MPI
from petsc4py import PETSc

from dolfinx import fem

from solver.analysis.metrics import conduction_metrics
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.elasticity import ElasticityProblem
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import make_kinetics
from tests.support import make_tagged_box

T = 298.15
SIGMA = 0.5
L = 20e-6
R_GB = 2e-5  # ohm m^2


def flat_cell(with_gb: bool):
    """Slab 0 < y < L (width L/4), a GB facet line at y = L/2 when asked."""
    interior = {"grain_boundary_facets": lambda x: np.isclose(x[1], L / 2, atol=1e-12)} if with_gb else {}
    return make_tagged_box(
        [[0.0, L / 4], [0.0, L / 2, L]],
        [[2], [4, 4]],
        boundaries={
            "anode_interface": lambda x: np.isclose(x[1], 0.0, atol=1e-12),
            "counter_electrode": lambda x: np.isclose(x[1], L, atol=1e-12),
            "sides": lambda x: np.ones(x.shape[1], bool),
        },
        interior=interior,
    )


def bv():
    return make_kinetics("butler_volmer", exchange_current_density=6.9, temperature=T)


SCHEMES = {  # name -> (grain boundary model or None, mode)
    "lagrange_galvanostatic": (None, "galvanostatic"),
    "lagrange_potentiostatic": (None, "potentiostatic"),
    "sipg_resistive_gb": (GrainBoundaryModel(R_GB, 0.0), "galvanostatic"),
    "sipg_gb_sheet": (GrainBoundaryModel(R_GB, 1e-7), "galvanostatic"),
    "sipg_gb_sheet_nitsche": (GrainBoundaryModel(R_GB, 1e-7), "potentiostatic"),
}


def observed(fields) -> dict:
    """Potential values and the scalar metrics (global numbers: MPI-reduced)."""
    metrics, _, _ = conduction_metrics(fields)
    keys = ("counter_potential", "interface_current", "applied_current", "mean_overpotential")
    out = {k: metrics[k] for k in keys}
    if fields.grain_boundary_dissipation is not None:
        out["gb_dissipation"] = fields.tagged.mesh.comm.allreduce(
            fem.assemble_scalar(fem.form(fields.grain_boundary_dissipation)), MPI.SUM
        )
    return out


@pytest.mark.mpi
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_second_solve_leaves_first_state_unchanged(scheme):
    model, mode = SCHEMES[scheme]
    settings = ConductionSettings(
        kinetics=bv(), mode=mode, applied_current_density=10.0, applied_potential=0.01, grain_boundary=model
    )
    with ConductionProblem(flat_cell(model is not None), {"electrolyte": SIGMA}, settings) as problem:
        first = problem.solve()
        values, numbers = first.potential.x.array.copy(), observed(first)
        second = problem.solve(load=3 * first.load)
        assert second.potential is not first.potential
        # the second state is a different one (the load tripled) ...
        assert abs(observed(second)["applied_current"]) > 2 * abs(numbers["applied_current"])
        # ... and the first is untouched: bit for bit, and every number derived from it
        assert np.array_equal(first.potential.x.array, values)
        assert observed(first) == pytest.approx(numbers, rel=1e-12, abs=1e-300)
        assert first.load == pytest.approx(second.load / 3)


def test_first_state_survives_close():
    settings = ConductionSettings(kinetics=bv(), applied_current_density=10.0)
    problem = ConductionProblem(flat_cell(False), {"electrolyte": SIGMA}, settings)
    fields = problem.solve()
    problem.close()
    eta = bv().overpotential(-10.0)
    # exact: i L / sigma - eta (linear potential); Newton tolerance 1e-10 relative
    assert observed(fields)["counter_potential"] == pytest.approx(10.0 * L / SIGMA - eta, rel=1e-8)


@pytest.mark.mpi
def test_close_releases_petsc_objects_collectively():
    settings = ConductionSettings(kinetics=bv(), applied_current_density=10.0)
    with ConductionProblem(flat_cell(False), {"electrolyte": SIGMA}, settings) as problem:
        problem.solve()
        snes, matrix = problem.problem.solver, problem.problem.A
        assert snes.handle and matrix.handle and not problem.closed
    assert problem.closed and not snes.handle and not matrix.handle
    problem.close()  # idempotent
    with pytest.raises(RuntimeError, match="after close"):
        problem.solve()


@pytest.mark.mpi
def test_conduction_prefix_and_option_precedence():
    """Tuned default < settings.petsc_options < options database (the command line)."""
    kin = make_kinetics("primary", exchange_current_density=1.0, temperature=T)

    def ksp(**petsc_options):
        settings = ConductionSettings(
            kinetics=kin, applied_current_density=10.0, linear_solver="iterative", petsc_options=petsc_options
        )
        with ConductionProblem(flat_cell(False), {"electrolyte": SIGMA}, settings) as problem:
            solver = problem.problem.solver
            assert solver.getOptionsPrefix() == "dendrite_conduction_"
            return solver.getKSP().getTolerances()[0], solver.getKSP().getType()

    assert ksp() == (1e-10, "cg")  # the tuned default
    assert ksp(ksp_rtol=1e-7) == (1e-7, "cg")
    database = PETSc.Options()
    database["dendrite_conduction_ksp_rtol"] = 1e-9
    try:
        assert ksp(ksp_rtol=1e-7) == (1e-9, "cg")
        assert database.getReal("dendrite_conduction_ksp_rtol") == 1e-9  # the user's entry is kept
    finally:
        database.delValue("dendrite_conduction_ksp_rtol")
    # nothing of ours is left in the database (PETSc would report unused options)
    assert not [k for k in database.getAll() if k.startswith("dendrite_")]


@pytest.mark.mpi
def test_elasticity_prefix_options_and_snapshot():
    tagged = make_tagged_box(
        [[0.0, 1.0], [0.0, 1.0]],
        [[2], [2]],
        regions={"bulk": lambda x: np.ones(x.shape[1], bool)},
        boundaries={"bottom": lambda x: np.isclose(x[1], 0.0), "top": lambda x: np.isclose(x[1], 1.0)},
    )
    with ElasticityProblem(
        tagged,
        {"bulk": (1e9, 0.25)},
        pressures={"top": 1e6},
        constraints={"bottom": "fixed"},
        degree=1,
        solver="cg_gamg",
        petsc_options={"ksp_rtol": 1e-12},
    ) as problem:
        first = problem.solve()
        values = first.displacement.x.array.copy()
        second = problem.solve()
        ksp = problem._linear_problem.solver
        assert ksp.getOptionsPrefix() == "dendrite_elasticity_"
        assert ksp.getTolerances()[0] == 1e-12
    assert second.displacement is not first.displacement
    assert np.array_equal(first.displacement.x.array, values)
