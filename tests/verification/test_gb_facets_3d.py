"""3D zero-thickness grain boundaries solved by the default iterative solver (CG + GAMG).

A layered stack: n_gb GB planes normal to the current (z = L/4, L/2, 3L/4) in a box of
thickness L on the anode z = 0. The current density is uniform, so the cell resistance
is in series, R = L/sigma + n_gb R_gb, and the counter potential is
phi_counter = i (L/sigma + n_gb R_gb) - eta(i) with eta the kinetics overpotential at i.
The potential is piecewise linear in z with jumps at the GBs: the discontinuous space
holds it exactly on any mesh whose cells do not cross a GB plane, so only the solver
tolerances are left as error (CG at rtol 1e-10: 1e-7 leaves 1e3 x for the conditioning).

The mesh is a tetrahedral box with its vertices moved in x, y (off the lateral faces) so
that the tetrahedra are distorted: the interior penalty must stay coercive on them.
"""

import numpy as np
import pytest

from solver.analysis.metrics import conduction_metrics
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import make_kinetics
from tests.support import assert_charge_balance, make_tagged_box

T = 298.15
SIGMA = 0.3  # S/m (Li6PS5Cl-like)
L = 8e-6  # m
WIDTH = 2e-6  # m
PLANES = (L / 4, L / 2, 3 * L / 4)
TOL = 1e-7


def stack(layer_cells: int = 3):
    """The box [0, W]^2 x [0, L], GB facets on the planes z in PLANES, vertices jiggled in x, y."""
    tagged = make_tagged_box(
        [[0.0, WIDTH], [0.0, WIDTH], [0.0, *PLANES, L]],
        [[4], [4], [layer_cells] * 4],
        boundaries={
            "anode_interface": lambda x: np.isclose(x[2], 0.0, atol=1e-14),
            "counter_electrode": lambda x: np.isclose(x[2], L, atol=1e-14),
            "sides": lambda x: np.ones(x.shape[1], bool),
        },
        interior={"grain_boundary_facets": lambda x: np.any([np.isclose(x[2], p, atol=1e-14) for p in PLANES], axis=0)},
    )
    x = tagged.mesh.geometry.x
    inside = (x[:, 0] > 1e-12) & (x[:, 0] < WIDTH - 1e-12) & (x[:, 1] > 1e-12) & (x[:, 1] < WIDTH - 1e-12)
    h = WIDTH / 4
    # a deterministic function of the position: the same move on every rank (ghost vertices too)
    x[inside, 0] += 0.3 * h * np.sin(7.1e6 * x[inside, 1] + 3.3e6 * x[inside, 2])
    x[inside, 1] += 0.3 * h * np.cos(5.3e6 * x[inside, 0] + 2.9e6 * x[inside, 2])
    return tagged


@pytest.mark.mpi
@pytest.mark.parametrize("conductance", [0.0, 1.5e-10])
@pytest.mark.parametrize("law", ["linear", "butler_volmer"])
def test_gb_stack_series_resistance(law, conductance):
    r_gb = 1.67e-7  # ohm m^2: 5 nm at 0.03 S/m (the library's sulfide GB)
    kin = make_kinetics(law, exchange_current_density=6.9, temperature=T)
    i = 10.0  # A/m^2 = 1 mA/cm^2
    settings = ConductionSettings(kinetics=kin, applied_current_density=i, grain_boundary=GrainBoundaryModel(r_gb, conductance))
    with ConductionProblem(stack(), {"electrolyte": SIGMA}, settings) as problem:
        state = problem.solve()
        metrics, _, _ = conduction_metrics(state)
    assert state.solver_info["linear_solver"].startswith("CG + two-level DG")  # the default in 3D, not LU
    assert_charge_balance(metrics, TOL)
    expected = i * (L / SIGMA + len(PLANES) * r_gb) - kin.overpotential(-i)
    assert metrics["counter_potential"] == pytest.approx(expected, rel=TOL)
    assert metrics["asr_split"]["lumped_grain_boundaries"] == pytest.approx(len(PLANES) * r_gb, rel=TOL)


def test_penalty_is_coercive_on_slivers():
    """The SIPG matrix of a mesh with a sliver tetrahedron is positive definite.

    Two tetrahedra sharing a face, the second one flattened to 1e-3 of its height: the
    inverse-trace estimate |F|/|K| is then 1e3 x a regular cell's, where a penalty
    gamma sigma/h (h the cell diameter) leaves negative eigenvalues.
    """
    import dolfinx
    import ufl
    from mpi4py import MPI

    from solver.geometry.driver import TaggedMesh
    from solver.physics.grain_boundaries import dg_operator

    comm = MPI.COMM_SELF
    points = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0.3, 0.3, 1.0], [0.3, 0.3, -1e-3]], dtype=float)
    cells = np.array([[0, 1, 2, 3], [0, 1, 2, 4]], dtype=np.int64)
    element = ufl.Mesh(__import__("basix.ufl").ufl.element("Lagrange", "tetrahedron", 1, shape=(3,)))
    msh = dolfinx.mesh.create_mesh(comm, cells, element, points)
    empty = dolfinx.mesh.meshtags(msh, 2, np.zeros(0, np.int32), np.zeros(0, np.int32))
    cell_tags = dolfinx.mesh.meshtags(msh, 3, np.arange(2, dtype=np.int32), np.ones(2, np.int32))
    tagged = TaggedMesh(msh, cell_tags, empty, {"electrolyte": 1}, {"grain_boundary_facets": 7}, {}, {})
    V = dolfinx.fem.functionspace(msh, ("DG", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    sigma = dolfinx.fem.Constant(msh, 1.0)
    form, _ = dg_operator(u, v, sigma, tagged, GrainBoundaryModel(1.0), 1)
    matrix = dolfinx.fem.assemble_matrix(dolfinx.fem.form(form)).to_dense()
    eigenvalues = np.linalg.eigvalsh(matrix)
    # one zero eigenvalue (constants: no Dirichlet data here); the rest must be positive
    assert eigenvalues[0] > -1e-10 * eigenvalues[-1]
    assert eigenvalues[1] > 1e-8 * eigenvalues[-1]


@pytest.mark.mpi
def test_warm_start_at_the_solution_is_converged():
    """A second solve at the same load starts at round-off: Newton accepts it (at most one
    step) instead of failing in a line search that cannot reduce the residual any more."""
    kin = make_kinetics("butler_volmer", exchange_current_density=6.9, temperature=T)
    settings = ConductionSettings(kinetics=kin, applied_current_density=10.0,
                                  grain_boundary=GrainBoundaryModel(1.67e-7, 1.5e-10))
    with ConductionProblem(stack(), {"electrolyte": SIGMA}, settings) as problem:
        first = problem.solve()
        again = problem.solve()
    assert again.solver_info["load_steps"] == 1 and again.solver_info["newton_iterations"] <= 1
    assert np.allclose(again.potential.x.array, first.potential.x.array, rtol=0, atol=1e-12)


def test_failure_advice_names_the_linear_solver_when_it_failed():
    from solver.physics.conduction import _attempts, _failure_advice

    diverged = int(__import__("petsc4py.PETSc").PETSc.KSP.ConvergedReason.DIVERGED_INDEFINITE_MAT)
    log = [(10.0, [], diverged), (5.0, [1e-12], diverged)]
    assert "linear solver failed at every load" in _failure_advice(log)
    assert "DIVERGED_INDEFINITE_MAT" in _attempts(log)
    assert "smaller applied current" in _failure_advice([(10.0, [1e-12, 1e-13], 2)])


@pytest.mark.mpi
def test_split_jacobian_equals_the_full_assembly():
    """The Newton Jacobian assembled as K + J_ct(phi) (K once per solve) is the full Jacobian,
    at the first call (J takes K's pattern) and at a state away from it (equal to 1e-9 of
    the kinetics part: round-off)."""
    import dolfinx.fem.petsc

    kin = make_kinetics("butler_volmer", exchange_current_density=6.9, temperature=T)
    settings = ConductionSettings(kinetics=kin, applied_current_density=10.0,
                                  grain_boundary=GrainBoundaryModel(1.67e-7, 1.5e-10))
    with ConductionProblem(stack(), {"electrolyte": SIGMA}, settings) as problem:
        snes, J = problem.problem.solver, problem.problem.A
        for value in (0.0, -0.02):  # the first call gives J its pattern, the second re-uses it
            x = problem.problem.x
            x.set(value)
            problem._split(snes, x, J, None)
            full, kinetics = J.duplicate(), J.duplicate()
            dolfinx.fem.petsc.assemble_matrix(full, problem.problem.J, problem.bcs, diag=1.0)
            dolfinx.fem.petsc.assemble_matrix(kinetics, problem._split.varying, [], diag=0.0)
            full.assemble()
            kinetics.assemble()
            full.axpy(-1.0, J)
            # against the size of the part that changes (the identity rows would hide it)
            assert full.norm() <= 1e-9 * kinetics.norm() and kinetics.norm() > 0, value
            full.destroy()
            kinetics.destroy()
