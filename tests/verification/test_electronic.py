"""Mixed ionic-electronic conduction (solver.physics.electronic) against exact 1D answers.

Slabs 0 < y < L between the Li anode (y = 0) and the counter (y = L), insulating sides.
With region-wise constant conductivities both potentials are piecewise linear in y, which
the P1 space holds exactly: the only errors are the solver tolerances, so the checks are
tight (1e-9 relative, against round-off ~1e-13 and the 1e-10 Newton / 1e-12 current
balance tolerances). The analytic answers (docs/electronic.md, section 3):

- ion-blocking counter at V: phi_i = -U_ref, phi_e = V y / L, I_e = sigma_e V A / L
  (two layers: V / (L1/sigma_1 + L2/sigma_2)), eta_Li = V y / L;
- electron-blocking counter at current i: phi_e = 0, phi_i = -U_ref - eta_a(i) + i y / sigma_i;
- Li counter: i_ion + sigma_e V_c / L = i, V_c = U_c + i_ion (L/sigma_i) - eta_a(i_ion) + eta_c(i_ion);
- resting cell: i_sd = U_c / (L/sigma_e + L/sigma_i + R_a + R_c) (linear kinetics).
"""

import numpy as np
import pytest
import ufl
from dolfinx import fem
from mpi4py import MPI
from scipy.optimize import brentq

from solver.analysis.electronic import electronic_metrics, formation_region, self_discharge
from solver.errors import CaseError
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.electronic import ElectronicSettings, MixedConductorProblem, make_counter
from solver.physics.kinetics import make_kinetics
from tests.support import slab

T = 298.15
L = 20e-6
SIGMA_I = 0.5  # S/m
SIGMA_E = 1e-3  # S/m: large enough that leakage changes the ionic current visibly
I0 = 6.9  # A/m^2
TOL = 1e-9


def kinetics(law="linear", direction="plating"):
    return make_kinetics(law, exchange_current_density=I0, temperature=T, direction=direction)


def problem(counter, sigma_e=SIGMA_E, law="linear", gdim=2, u_c=None, **ionic):
    # direct solves: the 3D default (CG + GAMG, rtol 1e-10) would set the error floor instead of round-off
    settings = ConductionSettings(kinetics=kinetics(law), counter_kinetics=kinetics(law, "stripping"),
                                  linear_solver="direct", **ionic)
    tagged = slab([("electrolyte", L, 8)], width=L / 4, gdim=gdim)
    electronic = ElectronicSettings(counter=make_counter(counter), counter_equilibrium_potential=u_c)
    return MixedConductorProblem(tagged, {"electrolyte": SIGMA_I}, {"electrolyte": sigma_e}, settings, electronic)


def l2_error(u, exact, msh) -> float:
    """||u - exact||_L2 / ||exact||_L2 (exact a UFL expression of the coordinates)."""
    dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 4})
    num = msh.comm.allreduce(fem.assemble_scalar(fem.form((u - exact) ** 2 * dx)), MPI.SUM)
    den = msh.comm.allreduce(fem.assemble_scalar(fem.form(exact ** 2 * dx)), MPI.SUM)
    return float(np.sqrt(num / den))


def assert_conserved(state, tol=TOL):
    errors = state.conservation_errors()
    assert errors["ionic"] < tol and errors["electronic"] < tol, errors


@pytest.mark.mpi
@pytest.mark.parametrize("gdim", [2, 3])
@pytest.mark.parametrize("voltage", [0.1, -0.05])
def test_ion_blocking_leakage_is_sigma_e_v_over_l(gdim, voltage):
    p = problem("ion_blocking", gdim=gdim, mode="potentiostatic", applied_potential=voltage)
    state = p.solve()
    assert_conserved(state)
    assert state.ionic_current == 0.0
    assert state.electronic_current == pytest.approx(SIGMA_E * voltage / L * state.counter_area, rel=TOL)
    msh = state.ionic.tagged.mesh
    y = ufl.SpatialCoordinate(msh)[gdim - 1]
    assert l2_error(state.electronic.potential, voltage * y / L, msh) < TOL
    assert np.abs(state.ionic.potential.x.array).max() < 1e-12  # Li+ at rest: phi_i = -U_ref = 0
    region = formation_region(state)
    if voltage < 0:  # the counter below the Li potential: Li metal stable everywhere but at the anode
        assert region["formation_fraction"] == pytest.approx(1.0, rel=1e-12)
        assert region["formation_max_distance"] == pytest.approx(L, rel=1e-12)
    else:
        assert region["formation_volume"] == 0.0 and region["formation_max_distance"] is None


@pytest.mark.mpi
def test_two_layer_leakage_in_series():
    """Region-wise sigma_e: layers of 8 and 12 um in series, I_e = V A / (L1/s1 + L2/s2)."""
    tagged = slab([("a", 8e-6, 4), ("b", 12e-6, 6)], width=L / 4)
    settings = ConductionSettings(kinetics=kinetics(), mode="potentiostatic", applied_potential=0.2)
    p = MixedConductorProblem(tagged, {"a": 0.5, "b": 0.1}, {"a": 1e-6, "b": 1e-8}, settings,
                              ElectronicSettings(counter=make_counter("ion_blocking")))
    state = p.solve()
    assert_conserved(state)
    assert state.electronic_current == pytest.approx(0.2 * (L / 4) / (8e-6 / 1e-6 + 12e-6 / 1e-8), rel=TOL)


@pytest.mark.mpi
@pytest.mark.parametrize("law", ["linear", "butler_volmer"])
def test_electron_blocking_potentials(law):
    i = 30.0
    p = problem("electron_blocking", law=law, applied_current_density=i)
    state = p.solve()
    assert_conserved(state)
    assert state.electronic_current == 0.0 and state.ionic_current == pytest.approx(i * L / 4, rel=TOL)
    msh = state.ionic.tagged.mesh
    y = ufl.SpatialCoordinate(msh)[1]
    eta_a = kinetics(law).overpotential(-i)
    assert l2_error(state.ionic.potential, -eta_a + i * y / SIGMA_I, msh) < TOL
    assert np.abs(state.electronic.potential.x.array).max() < 1e-14  # no electron current: phi_e = 0
    m = electronic_metrics(state, p, internal_distance=L / 2)
    # eta_Li = eta_a - i y / sigma_i < 0 everywhere: most negative at the counter
    assert m["formation_fraction"] == pytest.approx(1.0, rel=1e-12)
    assert m["internal_formation_overpotential"] == pytest.approx(eta_a - i * L / SIGMA_I, rel=TOL)
    assert m["internal_formation_distance"] == pytest.approx(L, rel=1e-12)


def lithium_counter_exact(i, law, u_c=0.0):
    """(i_ion, V_c) of the Li | slab | Li cell from the scalar balance (brentq)."""
    anode, counter = kinetics(law), kinetics(law, "stripping")

    def v_c(i_ion):
        return u_c + i_ion * L / SIGMA_I - anode.overpotential(-i_ion) + counter.overpotential(i_ion)

    i_ion = brentq(lambda x: x + SIGMA_E * v_c(x) / L - i, -abs(i) - 1e3, abs(i) + 1e3, xtol=1e-14, rtol=1e-14)
    return i_ion, v_c(i_ion)


@pytest.mark.mpi
@pytest.mark.parametrize("law", ["linear", "butler_volmer"])
def test_lithium_counter_current_balance(law):
    i = 30.0
    p = problem("lithium", law=law, applied_current_density=i)
    state = p.solve()
    assert_conserved(state)
    i_ion, v_c = lithium_counter_exact(i, law)
    area = state.counter_area
    assert state.total_current == pytest.approx(i * area, rel=1e-11)
    assert state.ionic_current == pytest.approx(i_ion * area, rel=TOL)
    assert state.counter_metal_potential == pytest.approx(v_c, rel=TOL)
    m = electronic_metrics(state, p)
    assert m["leakage_share"] == pytest.approx(SIGMA_E * v_c / L / i, rel=TOL)
    # eta_Li is linear from eta_a (anode) to eta_c (counter): Li metal stable up to where it crosses 0
    eta_a, eta_c = kinetics(law).overpotential(-i_ion), kinetics(law, "stripping").overpotential(i_ion)
    assert m["min_formation_overpotential"] == pytest.approx(eta_a, rel=TOL)
    crossing = -eta_a / (eta_c - eta_a) * L
    assert m["formation_volume"] == pytest.approx(crossing * L / 4, rel=1e-3)  # quadrature of a cut cell
    assert abs(m["formation_max_distance"] - crossing) <= L / 8  # a vertex of the cut cell (8 cells)


@pytest.mark.mpi
def test_self_discharge_of_a_resting_cell():
    u_c = 0.5  # V: a counter 0.5 V above Li
    p = problem("lithium", applied_current_density=10.0, u_c=u_c)
    rest = self_discharge(p)
    r = kinetics().charge_transfer_resistance
    assert rest["self_discharge_current_density"] == pytest.approx(u_c / (L / SIGMA_E + L / SIGMA_I + 2 * r), rel=TOL)
    # open-circuit voltage of a mixed conductor (Wagner; Riess): the electrons carry i_sd through the
    # electrolyte, V_oc = i_sd L / sigma_e = U_c (L/sigma_e) / (L/sigma_e + L/sigma_i + 2 R), i.e. t_ion U_c
    # for ideal electrodes (R -> 0), t_ion = sigma_i / (sigma_i + sigma_e)
    resistances = L / SIGMA_E + L / SIGMA_I + 2 * r
    assert rest["rest_counter_metal_potential"] == pytest.approx(u_c * (L / SIGMA_E) / resistances, rel=TOL)
    state = p.solve(0.0)
    assert abs(state.total_current) < 1e-12 * abs(state.electronic_current)
    assert_conserved(state)


@pytest.mark.mpi
def test_internal_li_formation_onset_of_a_uniform_slab():
    """Criterion internal_li_formation, CCD by the bisection of solver.analysis.risk.

    Symmetric Li cell, linear kinetics (R = R_ct): eta_Li = -R i_ion (1 - 2 y / L). The
    first vertex at least 0.24 L from the anode is y = L/4 (8 cells), where eta_Li =
    -R i_ion / 2: it reaches -eta_crit at i_ion* = 2 eta_crit / R, an applied current
    i* = i_ion* (1 + sigma_e (L/sigma_i + 2 R) / L) (the leak sigma_e V_c / L on top). The
    bisection brackets it to relative width rtol; 1e-9 covers the solver tolerances.
    """
    from solver.analysis.electronic import internal_formation_onset

    eta_crit, rtol = 5e-3, 1e-6
    p = problem("lithium", applied_current_density=1.0)
    r = kinetics().charge_transfer_resistance
    i_ion = 2 * eta_crit / r
    exact = i_ion * (1 + SIGMA_E * (L / SIGMA_I + 2 * r) / L)
    onset, points = internal_formation_onset(p, eta_crit, 0.24 * L, start=1.0, maximum=1e4, rtol=rtol)
    assert exact * (1 - 1e-9) <= onset <= exact * (1 + 2 * rtol), (onset, exact)
    worst = min(points, key=lambda q: abs(q.applied_current_density - onset))
    assert worst.flaws[0].tip[1] == pytest.approx(L / 4, rel=1e-12)  # where Li forms first inside
    assert all((q.worst_ratio >= 1) == (q.applied_current_density >= onset) for q in points)


@pytest.mark.mpi
@pytest.mark.parametrize("gdim", [2, 3])
@pytest.mark.parametrize("internal, first_vertex", [(0.24, 0.25), (0.6, 0.625)])
def test_site_of_the_first_internal_li(internal, first_vertex, gdim):
    """eta_Li = -R i_ion (1 - 2 y / L) falls towards the anode: the first internal Li is at the
    first vertex row at least ``internal`` L from it (8 cells across L), in the anode half below
    L/2 and in the counter half beyond it; no grain boundaries (distance None)."""
    from solver.analysis.electronic_site import formation_site

    state = problem("lithium", applied_current_density=10.0, gdim=gdim).solve()
    site = formation_site(state, internal * L)
    assert site["distance_from_anode"] == pytest.approx(first_vertex * L, rel=1e-12)
    assert site["distance_to_counter"] == pytest.approx((1 - first_vertex) * L, rel=1e-12)
    assert site["depth_fraction"] == pytest.approx(first_vertex, rel=1e-12)
    r = kinetics().charge_transfer_resistance
    i_ion = state.ionic_current / state.counter_area
    assert site["overpotential"] == pytest.approx(-r * i_ion * (1 - 2 * first_vertex), rel=1e-9)
    assert site["site"] == ("anode_half" if first_vertex < 0.5 else "counter_half")
    assert site["grain_boundary_distance"] is None and site["region"] == "electrolyte"


@pytest.mark.mpi
@pytest.mark.parametrize("counter", ["lithium", "electron_blocking"])
def test_zero_electronic_conductivity_is_the_ionic_problem(counter):
    """sigma_e = 0 everywhere: the ionic field is today's ionic-only solution, bit for bit."""
    settings = {"applied_current_density": 30.0}
    p = problem(counter, sigma_e=0.0, law="butler_volmer", **settings)
    state = p.solve()
    tagged = slab([("electrolyte", L, 8)], width=L / 4)
    ionic_only = ConductionProblem(tagged, {"electrolyte": SIGMA_I}, ConductionSettings(
        kinetics=kinetics("butler_volmer"), counter_kinetics=kinetics("butler_volmer", "stripping"), **settings)).solve()
    assert np.array_equal(state.ionic.potential.x.array, ionic_only.potential.x.array)
    assert state.electronic is None and state.electronic_current == 0.0


@pytest.mark.mpi
def test_sigma_e_to_zero_converges_to_the_ionic_problem():
    """The relative change of phi_i is the leakage share, O(sigma_e / sigma_i): it vanishes linearly.
    Linear kinetics: one linear solve, so round-off (not a Newton tolerance) is the floor."""
    reference = problem("lithium", sigma_e=0.0, applied_current_density=30.0).solve().ionic.potential.x.array
    changes = []
    scale = MPI.COMM_WORLD.allreduce(np.abs(reference).max(), MPI.MAX)
    for sigma_e in (1e-6, 1e-9, 1e-12):
        phi = problem("lithium", sigma_e=sigma_e, applied_current_density=30.0).solve().ionic.potential.x.array
        changes.append(MPI.COMM_WORLD.allreduce(np.abs(phi - reference).max(), MPI.MAX) / scale)
    # first order in sigma_e: each factor 1e-3 in sigma_e divides the change by 1e3 (the
    # second-order term is 1e-3 relative at 1e-6 S/m; the current balance is solved to
    # 1e-12 relative, 0.3 % of the 3.7e-10 change at 1e-12 S/m)
    ratios = [changes[k] / changes[k + 1] for k in range(2)]
    assert all(r == pytest.approx(1e3, rel=5e-3) for r in ratios), changes
    assert changes[-1] < 1e-9


def test_impossible_conductivities():
    with pytest.raises(CaseError, match="electronic.electronic_conductivity"):
        problem("lithium", sigma_e=-1.0, applied_current_density=1.0)
    tagged = slab([("a", 8e-6, 4), ("b", 12e-6, 6)], width=L / 4)
    with pytest.raises(CaseError, match="zero in \\['b'\\]"):
        MixedConductorProblem(tagged, {"a": 0.5, "b": 0.1}, {"a": 1e-6, "b": 0.0},
                              ConductionSettings(kinetics=kinetics(), applied_current_density=1.0))
    with pytest.raises(CaseError, match="electronic.counter"):
        make_counter("platinum")
    with pytest.raises(CaseError, match="^electronic.counter: an ion-blocking counter carries no current"):
        problem("ion_blocking", sigma_e=0.0, applied_current_density=1.0).solve()


def hebb_wagner_errors(voltage: float, degree: int, cells=(8, 16, 32)):
    """L2 errors of phi_e and relative errors of I_e in the ion-blocking cell with n-type electrons."""
    from solver.physics.electron_statistics import make_statistics
    from solver.physics.kinetics import FARADAY, GAS_CONSTANT

    f = FARADAY / (GAS_CONSTANT * T)
    out = []
    for n in cells:
        tagged = slab([("electrolyte", L, n)], width=L / 8, nx=1)
        settings = ConductionSettings(kinetics=kinetics(), mode="potentiostatic", applied_potential=voltage,
                                      linear_solver="direct", degree=degree)
        p = MixedConductorProblem(tagged, {"electrolyte": SIGMA_I}, {"electrolyte": SIGMA_E}, settings,
                                  ElectronicSettings(counter=make_counter("ion_blocking"),
                                                     statistics=make_statistics("n_type")))
        state = p.solve()
        assert_conserved(state, 1e-9)  # Newton to 1e-12 relative residual
        y = ufl.SpatialCoordinate(tagged.mesh)[1]
        exact = -ufl.ln(1 - (1 - np.exp(-f * voltage)) * y / L) / f
        current = SIGMA_E * state.counter_area * (1 - np.exp(-f * voltage)) / (f * L)
        out.append((l2_error(state.electronic.potential, exact, tagged.mesh), abs(state.electronic_current / current - 1)))
    return np.array(out)


@pytest.mark.mpi
@pytest.mark.parametrize("voltage", [0.05, -0.05])
@pytest.mark.parametrize("degree, rate", [(1, 2.0), (2, 3.0)])
def test_hebb_wagner_ion_blocking_cell_converges(voltage, degree, rate):
    """sigma_e proportional to a_Li (n-type): phi_e = -ln(1 - (1 - e^(-fV)) y/L) / f, a non-polynomial
    profile, and the saturating current sigma_e A (1 - e^(-fV)) / (f L) (Hebb-Wagner).
    Measured L2 rates (8 -> 16 -> 32 cells): P1 1.92, 1.94; P2 2.81, 2.91 (the current converges faster)."""
    errors = hebb_wagner_errors(voltage, degree)
    rates = np.log2(errors[:-1, 0] / errors[1:, 0])
    assert np.all(rates > rate - 0.2), rates
    assert errors[-1, 1] < (1e-7 if degree == 1 else 1e-11), errors


def test_distance_to_facets_is_exact():
    """Point-to-segment (2D) and point-to-triangle (3D) distances of the site locator, against
    hand values: the foot inside a facet, on an edge and at a corner."""
    from solver.analysis.electronic_site import distance_to_facets

    segments = np.array([[[0.0, 0.0], [2.0, 0.0]], [[2.0, 0.0], [2.0, 1.0]]])
    assert distance_to_facets([1.0, 0.5], segments) == pytest.approx(0.5, rel=1e-15)  # foot inside
    assert distance_to_facets([3.0, 2.0], segments) == pytest.approx(np.sqrt(2.0), rel=1e-15)  # corner
    triangle = np.array([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    assert distance_to_facets([0.2, 0.2, 0.7], triangle) == pytest.approx(0.7, rel=1e-15)  # above the interior
    assert distance_to_facets([1.0, 1.0, 0.0], triangle) == pytest.approx(np.sqrt(0.5), rel=1e-15)  # hypotenuse
    assert distance_to_facets([-1.0, -1.0, 1.0], triangle) == pytest.approx(np.sqrt(3.0), rel=1e-15)  # corner
    assert distance_to_facets([0.0, 0.0], np.zeros((0, 2, 2))) is None
