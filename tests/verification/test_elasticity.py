"""Linear elasticity: patch tests against exact solutions, MMS convergence rates, equilibrium."""

from __future__ import annotations

import numpy as np
import pytest
import solver  # noqa: F401  (before dolfinx)
import ufl
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from solver.physics.elasticity import ElasticityProblem
from solver.errors import CaseError
from solver.geometry.driver import TaggedMesh

E, NU, P = 22e9, 0.3, 6e6  # LPSCl-like modulus, stack pressure 6 MPa


def box_mesh(nx, ny, nz=None, size=(1e-5, 2e-5, 1e-5), layers=None, comm=MPI.COMM_WORLD) -> TaggedMesh:
    """A rectangle/box [0,Lx]x[0,Ly](x[0,Lz]) with boundaries left/right/bottom/top(/front/back).

    ``layers``: y-levels splitting the cells into regions layer0, layer1, ... (else one
    region ``electrolyte``).
    """
    if nz is None:
        msh = dolfinx.mesh.create_rectangle(comm, [[0, 0], list(size[:2])], [nx, ny])
    else:
        msh = dolfinx.mesh.create_box(comm, [[0, 0, 0], list(size)], [nx, ny, nz])
    tdim = msh.topology.dim
    n_cells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    cells = np.arange(n_cells, dtype=np.int32)
    mid = dolfinx.mesh.compute_midpoints(msh, tdim, cells)
    if layers:
        values = np.searchsorted(np.asarray(layers), mid[:, 1]).astype(np.int32) + 1
        regions = {f"layer{i}": i + 1 for i in range(len(layers) + 1)}
    else:
        values = np.ones(n_cells, np.int32)
        regions = {"electrolyte": 1}
    cell_tags = dolfinx.mesh.meshtags(msh, tdim, cells, values)
    sides = {"left": (0, 0.0), "right": (0, size[0]), "bottom": (1, 0.0), "top": (1, size[1])}
    if nz is not None:
        sides.update(front=(2, 0.0), back=(2, size[2]))
    idx, vals, boundaries = [], [], {}
    for k, (name, (axis, level)) in enumerate(sides.items(), start=1):
        f = dolfinx.mesh.locate_entities_boundary(
            msh, tdim - 1, lambda x, a=axis, l=level: np.isclose(x[a], l)
        )
        idx.append(f)
        vals.append(np.full(f.size, k, np.int32))
        boundaries[name] = k
    idx, vals = np.concatenate(idx), np.concatenate(vals)
    order = np.argsort(idx)
    facet_tags = dolfinx.mesh.meshtags(msh, tdim - 1, idx[order], vals[order])
    msh.topology.create_connectivity(tdim - 1, tdim)
    return TaggedMesh(msh, cell_tags, facet_tags, regions, boundaries, {}, {})


def l2_error(u, exact, degree_rise=3) -> float:
    msh = u.function_space.mesh
    q = u.function_space.ufl_element().degree + degree_rise
    e = fem.form(ufl.inner(u - exact, u - exact) * ufl.dx(metadata={"quadrature_degree": 2 * q}))
    return np.sqrt(msh.comm.allreduce(fem.assemble_scalar(e), op=MPI.SUM))


@pytest.mark.mpi
@pytest.mark.parametrize("degree", [1, 2])
def test_uniaxial_plate_plane_strain_is_exact(degree):
    """Laterally free plate, pressure p on top, rollers at left/bottom: a patch test.

    Plane strain, uniaxial stress stress_yy = -p: u_y = -p (1 - nu^2) / E y,
    u_x = +p nu (1 + nu) / E x; stress_zz = -nu p; p_h = p (1 + nu) / 3;
    von Mises = p sqrt(1 - nu + nu^2). Linear: reproduced to round-off by P1 and P2.
    """
    tagged = box_mesh(4, 6)
    fields = ElasticityProblem(
        tagged, {"electrolyte": (E, NU)}, pressures={"top": P},
        constraints={"left": "roller", "bottom": "symmetry"}, degree=degree,
    ).solve()
    x = ufl.SpatialCoordinate(tagged.mesh)
    exact = ufl.as_vector([P * NU * (1 + NU) / E * x[0], -P * (1 - NU**2) / E * x[1]])
    scale = P / E * 2e-5
    assert l2_error(fields.displacement, exact) / (scale * np.sqrt(2e-10)) < 1e-8
    area = 1e-5 * 2e-5
    mean = lambda expr: fields.integrate(expr * ufl.dx) / area  # noqa: E731
    assert mean(fields.hydrostatic_pressure()) == pytest.approx(P * (1 + NU) / 3, rel=1e-8)
    assert mean(fields.von_mises_stress()) == pytest.approx(P * np.sqrt(1 - NU + NU**2), rel=1e-8)
    assert mean(fields.stress()[1, 1]) == pytest.approx(-P, rel=1e-8)
    vm, ph, st = fields.von_mises_field(), fields.hydrostatic_pressure_field(), fields.stress_field()
    assert np.allclose(vm.x.array, P * np.sqrt(1 - NU + NU**2), rtol=1e-8)
    assert np.allclose(ph.x.array, P * (1 + NU) / 3, rtol=1e-8)
    assert np.allclose(st.x.array.reshape(-1, 4)[:, 3], -P, rtol=1e-8)
    balance = fields.force_balance()
    assert balance["applied"][1] == pytest.approx(-P * 1e-5, rel=1e-10)  # N/m (per unit depth)
    assert balance["imbalance"] < 1e-9
    # traction stress.n on the support, with n = -e_y: the support pushes up with p
    assert fields.boundary_force("bottom")[1] == pytest.approx(P * 1e-5, rel=1e-8)
    assert balance["reaction"][1] == pytest.approx(P * 1e-5, rel=1e-9)


def test_bilayer_uniaxial_strain_two_regions():
    """Two layers (E1, nu1 | E2, nu2), all sides on rollers, pressure p on top.

    Uniaxial strain: stress_yy = -p in both layers, eps_yy = -p / M_k with the P-wave
    modulus M = E (1 - nu) / ((1 + nu)(1 - 2 nu)); top displacement
    u_y = -p sum_k t_k / M_k (exact for P1).
    """
    t = 1e-5
    tagged = box_mesh(3, 8, size=(1e-5, 2 * t, 1e-5), layers=[t])
    mats = {"layer0": (150e9, 0.26), "layer1": (7.8e9, 0.38)}  # LLZO-like | Li-like
    fields = ElasticityProblem(
        tagged, mats, pressures={"top": P},
        constraints={"left": "roller", "right": "roller", "bottom": "roller"}, degree=1,
    ).solve()
    M = {k: e * (1 - v) / ((1 + v) * (1 - 2 * v)) for k, (e, v) in mats.items()}
    top_exact = -P * t * (1 / M["layer0"] + 1 / M["layer1"])
    ds_top = fields.problem.ds("top")
    top = fields.integrate(fields.displacement[1] * ds_top) / 1e-5
    assert top == pytest.approx(top_exact, rel=1e-9)
    assert fields.force_balance()["imbalance"] < 1e-9


def _mms_error(n: int, degree: int) -> float:
    tagged = box_mesh(n, n, size=(1.0, 1.0, 1.0))
    x = ufl.SpatialCoordinate(tagged.mesh)
    u_exact = 1e-3 * ufl.as_vector(
        [ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1]) + x[0] ** 2, ufl.sin(2 * x[0] + x[1]) * x[1]]
    )
    lam, mu = E * NU / ((1 + NU) * (1 - 2 * NU)), E / (2 * (1 + NU))
    eps = ufl.sym(ufl.grad(u_exact))
    f = -ufl.div(lam * ufl.tr(eps) * ufl.Identity(2) + 2 * mu * eps)

    def g(xx):
        return 1e-3 * np.vstack([np.sin(np.pi * xx[0]) * np.cos(np.pi * xx[1]) + xx[0] ** 2,
                                 np.sin(2 * xx[0] + xx[1]) * xx[1]])

    constraints = {name: g for name in ("left", "right", "bottom", "top")}
    fields = ElasticityProblem(tagged, {"electrolyte": (E, NU)}, constraints=constraints,
                               body_force=f, degree=degree).solve()
    return l2_error(fields.displacement, u_exact)


@pytest.mark.parametrize("degree, expected", [(1, 2.0), (2, 3.0)])
def test_manufactured_solution_convergence_rate(degree, expected):
    """Smooth manufactured u with body force f = -div stress(u); Dirichlet on all sides.

    L2 error (exact solution integrated with raised quadrature) must fall at rate p + 1;
    measured 2.0 (P1) and 3.0 (P2) on n = 8, 16, 32; tolerance 0.15.
    """
    ns = [8, 16, 32]
    errors = [_mms_error(n, degree) for n in ns]
    rates = [np.log(errors[i] / errors[i + 1]) / np.log(2) for i in range(len(ns) - 1)]
    print(f"P{degree} L2 errors {errors} rates {rates}")
    assert rates[-1] == pytest.approx(expected, abs=0.15)


def test_3d_uniaxial_strain_with_gamg():
    """3D column on rollers (4 sides + bottom), pressure on top, CG + GAMG with the
    rigid-body near-nullspace: u_y(top) = -p H / M exactly (P1)."""
    tagged = box_mesh(3, 6, 3, size=(1e-5, 2e-5, 1e-5))
    rollers = {b: "roller" for b in ("left", "right", "front", "back", "bottom")}
    fields = ElasticityProblem(tagged, {"electrolyte": (E, NU)}, pressures={"top": P}, constraints=rollers,
                               degree=1, solver="cg_gamg").solve()
    M = E * (1 - NU) / ((1 + NU) * (1 - 2 * NU))
    top = fields.integrate(fields.displacement[1] * fields.problem.ds("top")) / 1e-10
    assert top == pytest.approx(-P * 2e-5 / M, rel=1e-7)
    assert fields.iterations > 0
    assert fields.force_balance()["imbalance"] < 1e-7


def test_user_errors_are_case_errors():
    tagged = box_mesh(2, 2)
    with pytest.raises(CaseError, match="poissons_ratio"):
        ElasticityProblem(tagged, {"electrolyte": (E, 0.5)})
    with pytest.raises(CaseError, match="no elastic constants"):
        box = box_mesh(2, 4, layers=[1e-5])
        ElasticityProblem(box, {"layer0": (E, NU)})
    with pytest.raises(CaseError, match="constraints.top"):
        ElasticityProblem(tagged, {"electrolyte": (E, NU)}, constraints={"top": "glued"})
