"""The two-level preconditioner of the GB-facet (SIPG) system: its grain-wise coarse space and
its level solvers.

On the layered stack of ``test_gb_facets_3d`` (4 layers between 3 GB planes, a 4 x 4 x 12
box of cells), counted exactly:
- the grains are the 4 layers, one label each, on every rank;
- the coarse space has one unknown per (vertex, grain at it): 5 * 5 * 13 vertices plus a
  second copy of the 3 * 25 vertices on the GB planes, and with a conducting GB sheet the
  3 * 25 sheet unknowns on top; every DG row of P holds a single 1 (a DG P1 dof is one
  vertex of one cell), so P 1 = 1 (to round-off);
- the level solvers are the ones the options name (Chebyshev-Jacobi smoothing, GAMG on the
  coarse level), and a user's option reaches them.
Under ``mpiexec -n 2`` the global counts are the same.
"""

import numpy as np
import pytest

from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.dg_preconditioner import grain_labels
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import make_kinetics
from tests.support import make_tagged_box

L, WIDTH = 8e-6, 2e-6
PLANES = (L / 4, L / 2, 3 * L / 4)
VERTICES, ON_PLANES = 5 * 5 * 13, 3 * 25
R_GB = 1.67e-7  # ohm m^2


def layered():
    return make_tagged_box(
        [[0.0, WIDTH], [0.0, WIDTH], [0.0, *PLANES, L]], [[4], [4], [3] * 4],
        boundaries={"anode_interface": lambda x: np.isclose(x[2], 0.0, atol=1e-14),
                    "counter_electrode": lambda x: np.isclose(x[2], L, atol=1e-14),
                    "sides": lambda x: np.ones(x.shape[1], bool)},
        interior={"grain_boundary_facets": lambda x: np.any([np.isclose(x[2], p, atol=1e-14) for p in PLANES], axis=0)},
    )


def problem(conductance: float, petsc_options: dict | None = None) -> ConductionProblem:
    settings = ConductionSettings(kinetics=make_kinetics("linear", exchange_current_density=6.9, temperature=298.15),
                                  applied_current_density=10.0, grain_boundary=GrainBoundaryModel(R_GB, conductance),
                                  linear_solver="iterative", petsc_options=petsc_options or {})
    return ConductionProblem(layered(), {"electrolyte": 0.3}, settings)


@pytest.mark.mpi
def test_grains_are_the_layers_between_the_gb_planes():
    with problem(0.0) as p:
        msh = p.tagged.mesh
        labels = grain_labels(msh, p.scheme.joining_facets(p.tagged))
        owned = msh.topology.index_map(3).size_local
        distinct = set().union(*msh.comm.allgather(set(labels[:owned].tolist())))
        assert len(distinct) == 4
        z = msh.geometry.x[msh.geometry.dofmaps[0]][..., 2].mean(axis=1)  # cell midpoints
        layer = np.searchsorted(PLANES, z)
        for k in range(4):  # one label per layer, the same on the cells of every rank
            assert len(set().union(*msh.comm.allgather(set(labels[layer == k].tolist())))) == 1


@pytest.mark.mpi
@pytest.mark.parametrize("conductance, coarse", [(0.0, VERTICES + ON_PLANES), (1.5e-10, VERTICES + 2 * ON_PLANES)])
def test_coarse_space_counts_one_unknown_per_vertex_and_grain(conductance, coarse):
    with problem(conductance) as p:
        P = p._coarse_space
        assert P.getSize() == (p.V.dofmap.index_map.size_global, coarse)
        ones = P.createVecRight()
        ones.set(1.0)
        image = P.createVecLeft()
        P.mult(ones, image)
        constrained = np.zeros(image.getLocalSize(), bool)
        constrained[p._strong_rows()] = True
        # the interpolation of the P1 basis gives 1 to round-off
        assert np.allclose(image.array[~constrained], 1.0, rtol=0, atol=1e-12)
        assert np.all(image.array[constrained] == 0.0)
        ones.destroy()
        image.destroy()


def _level_types(p: ConductionProblem) -> tuple[str, str]:
    p.solve()
    pc = p.problem.solver.getKSP().getPC()
    return pc.getMGCoarseSolve().getPC().getType(), pc.getMGSmoother(1).getPC().getType()


def test_level_solvers_are_the_ones_the_options_name():
    with problem(0.0) as p:
        assert _level_types(p) == ("gamg", "jacobi")
    with problem(0.0, {"mg_coarse_pc_type": "lu"}) as p:
        assert _level_types(p)[0] == "lu"
