"""The GAMG product-algorithm tuning of solver.physics.conduction leaves PETSc's options as it found them.

solver.physics.conduction sets sparse-product algorithms around its own iterative solves (serial:
`-matptap_via rap`, read only from the global options database; MPI: the graph squaring of
the aggressive levels; bench/solver_options.md section 5). They must not leak into other
solves or leave unused options behind, and a user's own choice must win.
"""

import pytest
from mpi4py import MPI
from petsc4py import PETSc

from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import make_kinetics
from tests.support import slab

L = 20e-6
SIGMA = 0.5


def solve_3d_iterative() -> float:
    """Max potential of a primary-kinetics slab; exact answer i L / sigma (linear in y)."""
    tagged = slab([("electrolyte", L, 6)], width=L / 4, gdim=3)
    kin = make_kinetics("primary", exchange_current_density=1.0, temperature=298.15)
    settings = ConductionSettings(kinetics=kin, applied_current_density=10.0, linear_solver="iterative")
    problem = ConductionProblem(tagged, {"electrolyte": SIGMA}, settings)
    problem.solve()
    return MPI.COMM_WORLD.allreduce(float(problem.unknown.x.array.max()), MPI.MAX)


def product_options() -> set[str]:
    return {k for k in PETSc.Options().getAll() if "matptap_via" in k or "mat_product_algorithm" in k}


@pytest.mark.mpi
def test_product_algorithm_options_do_not_leak():
    assert product_options() == set()
    assert solve_3d_iterative() == pytest.approx(10.0 * L / SIGMA, rel=1e-8)
    assert product_options() == set()


def test_users_galerkin_product_choice_wins():
    options = PETSc.Options()
    options["matptap_via"] = "scalable"
    try:
        assert solve_3d_iterative() == pytest.approx(10.0 * L / SIGMA, rel=1e-8)
        assert options.getString("matptap_via") == "scalable"
    finally:
        options.delValue("matptap_via")
