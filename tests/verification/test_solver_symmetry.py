"""The assembled operators are symmetric, as the solvers declare to PETSc.

solver.physics.conduction and solver.physics.elasticity mark their matrices symmetric (so that GAMG skips the
symmetrisation of its aggregation graph); PETSc trusts that flag without checking. These
tests compare each Jacobian with its transpose entry by entry (scipy, serial), at a solved,
non-trivial state, for every kind of term: ohmic, Butler-Volmer with a film in series,
counter-electrode kinetics, zero-thickness grain boundaries with a sheet (interior penalty),
Nitsche Dirichlet (potentiostatic with GB) and elasticity.
"""

import numpy as np
import pytest
import scipy.sparse

import solver  # noqa: F401  (before dolfinx)
import dolfinx.fem.petsc

from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.elasticity import ElasticityProblem
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import make_kinetics
from tests.support import GB_SLAB_SIGMA as SIGMA, flat_with_gb, make_tagged_box

T = 298.15


def asymmetry(matrix) -> float:
    """max |A - A^T| / max |A| of an assembled serial PETSc AIJ matrix."""
    indptr, indices, values = matrix.getValuesCSR()
    a = scipy.sparse.csr_matrix((values, indices, indptr), shape=matrix.getSize())
    return abs(a - a.T).max() / abs(a).max()


def test_asymmetry_detects_a_non_symmetric_matrix():
    from petsc4py import PETSc

    matrix = PETSc.Mat().createAIJ([2, 2], comm=PETSc.COMM_SELF)
    matrix.setUp()
    matrix.setValues([0, 1], [0, 1], [1.0, 2.0, 0.0, 1.0])
    matrix.assemble()
    assert asymmetry(matrix) == pytest.approx(1.0)


def bv(**extra):
    return make_kinetics("butler_volmer", exchange_current_density=6.9, temperature=T, **extra)


CONDUCTION_CASES = {
    "bv_film_counter": dict(kinetics=bv(film_resistance=1e-4), counter_kinetics=bv(), applied_current_density=30.0),
    "gb_sheet_galvanostatic": dict(
        kinetics=bv(), applied_current_density=30.0, grain_boundary=GrainBoundaryModel(2e-5, 1e-7)
    ),
    "gb_nitsche_potentiostatic": dict(
        kinetics=make_kinetics("primary", exchange_current_density=1.0, temperature=T), mode="potentiostatic", applied_potential=0.01,
        grain_boundary=GrainBoundaryModel(2e-5, 1e-7),
    ),
}


@pytest.mark.parametrize("case", list(CONDUCTION_CASES))
def test_conduction_jacobian_is_symmetric(case):
    problem = ConductionProblem(flat_with_gb(), {"electrolyte": SIGMA}, ConductionSettings(**CONDUCTION_CASES[case]))
    problem.solve()
    # round-off of sums over a few cells: ~1e-16 relative; a non-symmetric term gives O(1)
    assert asymmetry(problem.problem.A) < 1e-12


def test_elasticity_matrix_is_symmetric():
    tagged = make_tagged_box(
        [[0.0, 1.0], [0.0, 0.5, 1.0], [0.0, 1.0]], [[3], [2, 2], [3]],
        regions={"soft": lambda x: x[1] < 0.5 + 1e-12, "bulk": lambda x: np.ones(x.shape[1], bool)},
        boundaries={"bottom": lambda x: np.isclose(x[1], 0.0), "top": lambda x: np.isclose(x[1], 1.0)},
    )
    problem = ElasticityProblem(
        tagged, {"soft": (50e9, 0.3), "bulk": (150e9, 0.25)}, pressures={"top": 1e6},
        constraints={"bottom": "fixed"}, degree=1, solver="cg_gamg",
    )
    a, _ = problem.forms()
    matrix = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(a), bcs=problem.bcs)
    matrix.assemble()
    assert asymmetry(matrix) < 1e-12
