"""Post-processing of a mixed-conductor state: where Li can form, leakage, self-discharge.

From the two potentials of :mod:`solver.physics.electronic`:

- Li-formation overpotential eta_Li = phi_e - phi_i - U_ref [V] and the local Li chemical
  potential relative to Li metal, dmu_Li = -F eta_Li [J/mol]: Li metal is stable (can form)
  where eta_Li < -eta_crit (eta_crit >= 0 the supersaturation needed to nucleate it);
- the region where it can form: its volume [m^3, m^2 per unit depth in 2D], its share of
  the electrolyte, how far from the anode it reaches [m], and the point of largest
  supersaturation at least ``internal_distance`` from the anode ("inside");
- the electronic leakage current [A, A/m in 2D] and its share of the external current,
  and the rate at which the leaking electrons could form Li, i_e V_m / F [m/s];
- the self-discharge current of the resting cell [A/m^2] (external current zero);
- the internal-Li-formation onset current: the smallest applied current density at which
  the supersaturation inside reaches eta_crit (criterion ``internal_li_formation`` of
  :mod:`solver.analysis.risk`), by the CCD bisection of that module.

Distances from the anode are to the nearest vertex of the anode interface (exact for a
flat anode; within half an interface element otherwise).
"""

from __future__ import annotations

import dolfinx
import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI
from scipy.spatial import cKDTree

from solver.physics.fem_tools import integrate
from solver.analysis.risk import (
    LI_MOLAR_VOLUME,
    FlawState,
    SweepPoint,
    critical_current_density,
    make_criterion,
)
from solver.physics.electronic import MixedConductorFields, MixedConductorProblem
from solver.physics.kinetics import FARADAY

__all__ = [
    "ELECTRONIC_UNITS",
    "electronic_metrics",
    "formation_field",
    "formation_region",
    "internal_formation_onset",
    "internal_formation_point",
    "leakage",
    "li_formation_overpotential",
    "self_discharge",
]

SECONDS_PER_DAY = 86400.0
AH = 3600.0  # C per A h

ELECTRONIC_UNITS = {
    "counter_metal_potential": "V (counter electrode metal vs the anode)",
    "ionic_current": "A (A/m per unit depth in 2D), into the electrolyte at the counter",
    "electronic_current": "A (A/m per unit depth in 2D), into the electrolyte at the counter",
    "total_current": "A (A/m per unit depth in 2D)",
    "electronic_current_density": "A/m^2 (mean over the counter)",
    "leakage_share": "- (electronic / total current)",
    "electronic_conductance": "S (S/m per unit depth in 2D), anode to counter",
    "li_formation_rate": "m/s (Li thickness per time the leaking electrons could form: i_e V_m / F)",
    "conservation_error": "- (relative, per carrier)",
    "formation_volume": "m^3 (m^2 per unit depth in 2D) where eta_Li < 0 (Li metal stable)",
    "nucleation_volume": "m^3 (m^2 per unit depth in 2D) where eta_Li < -critical_supersaturation",
    "nucleation_fraction": "- (of the electrolyte)",
    "nucleation_max_distance": "m (from the anode)",
    "critical_supersaturation": "V",
    "formation_fraction": "- (of the electrolyte)",
    "formation_max_distance": "m (from the anode)",
    "min_formation_overpotential": "V (most negative eta_Li anywhere)",
    "internal_formation_overpotential": "V (most negative eta_Li at distance >= internal_distance)",
    "internal_formation_point": "m",
    "internal_formation_distance": "m",
    "self_discharge_current_density": "A/m^2 (resting cell, > 0 discharges it)",
    "self_discharge_per_day": "mAh/cm^2 per day",
    "onset_current_density": "A/m^2",
    "first_internal_li": "point, distance_from_anode, distance_to_counter, grain_boundary_distance [m], "
                         "overpotential [V], depth_fraction [-], region, site (at the onset current; "
                         "solver.analysis.electronic_site)",
}


def li_formation_overpotential(state: MixedConductorFields):
    """UFL expression of eta_Li = phi_e - phi_i - U_ref [V] (phi_e = 0 without electrons:
    the electrolyte then holds the anode's electrons only at the interface)."""
    phi_e = state.electronic.potential if state.electronic is not None else 0.0
    return phi_e - state.ionic.potential - state.equilibrium_potential


def formation_field(state: MixedConductorFields) -> fem.Function:
    """eta_Li [V] in a discontinuous Lagrange space of the potentials' degree (exact
    interpolation of both potentials, continuous or not)."""
    msh = state.ionic.tagged.mesh
    degree = max(state.ionic.settings.degree, 1)
    V = fem.functionspace(msh, ("DG", degree))
    eta = fem.Function(V, name="li_formation_overpotential_V")
    eta.interpolate(fem.Expression(li_formation_overpotential(state), V.element.interpolation_points))
    return eta


def _anode_tree(state: MixedConductorFields) -> cKDTree:
    t = state.ionic.tagged
    msh = t.mesh
    fdim = msh.topology.dim - 1
    msh.topology.create_connectivity(fdim, 0)
    msh.topology.create_connectivity(0, msh.topology.dim)
    vertices = dolfinx.mesh.compute_incident_entities(msh.topology, t.facets(state.ionic.settings.anode_interface), fdim, 0)
    nodes = dolfinx.mesh.entities_to_geometry(msh, 0, vertices).ravel()
    points = msh.geometry.x[nodes][:, : msh.geometry.dim]
    gathered = np.concatenate([p for p in msh.comm.allgather(points) if len(p)])
    return cKDTree(gathered)


def _owned_dofs(V: fem.FunctionSpace):
    n = V.dofmap.index_map.size_local * V.dofmap.index_map_bs
    return V.tabulate_dof_coordinates()[:n], n


def formation_region(state: MixedConductorFields, threshold: float = 0.0, eta: fem.Function | None = None) -> dict:
    """Where Li can form: eta_Li < -threshold [V]. Volume by quadrature, distances from the dofs."""
    eta = eta if eta is not None else formation_field(state)
    msh = eta.function_space.mesh
    comm = msh.comm
    dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 6})
    inside = ufl.conditional(ufl.lt(eta, -threshold), 1.0, 0.0)
    volume, total = integrate(inside, dx), integrate(1.0, dx)
    points, n = _owned_dofs(eta.function_space)
    values = eta.x.array[:n]
    distance = _anode_tree(state).query(points[:, : msh.geometry.dim])[0] if n else np.zeros(0)
    hit = values < -threshold
    reach = comm.allreduce(float(distance[hit].max()) if hit.any() else -1.0, MPI.MAX)
    lowest = comm.allreduce(float(values.min()) if n else np.inf, MPI.MIN)
    return {
        "threshold": threshold,
        "formation_volume": volume,
        "formation_fraction": volume / total if total else 0.0,
        "formation_max_distance": reach if reach >= 0 else None,
        "min_formation_overpotential": lowest,
    }


def internal_formation_point(state: MixedConductorFields, internal_distance: float,
                             eta: fem.Function | None = None) -> dict:
    """The most negative eta_Li [V] at least ``internal_distance`` [m] from the anode, where, how far."""
    eta = eta if eta is not None else formation_field(state)
    msh = eta.function_space.mesh
    points, n = _owned_dofs(eta.function_space)
    values = eta.x.array[:n]
    distance = _anode_tree(state).query(points[:, : msh.geometry.dim])[0] if n else np.zeros(0)
    far = np.flatnonzero(distance >= internal_distance)
    local = (float(values[far].min()), points[far[np.argmin(values[far])]].tolist(),
             float(distance[far[np.argmin(values[far])]])) if far.size else (np.inf, None, None)
    best = min(msh.comm.allgather(local), key=lambda item: item[0])
    return {"internal_formation_overpotential": best[0] if np.isfinite(best[0]) else None,
            "internal_formation_point": best[1], "internal_formation_distance": best[2],
            "internal_distance": internal_distance}


def leakage(state: MixedConductorFields, problem: MixedConductorProblem) -> dict:
    """Electronic leakage current and its share of the external current (units: ELECTRONIC_UNITS)."""
    total = state.total_current
    i_e = state.electronic_current / state.counter_area
    return {
        "counter_metal_potential": state.counter_metal_potential,
        "ionic_current": state.ionic_current,
        "electronic_current": state.electronic_current,
        "total_current": total,
        "electronic_current_density": i_e,
        "leakage_share": state.electronic_current / total if total else None,
        "electronic_conductance": problem.electronic_conductance(),
        "li_formation_rate": abs(i_e) * LI_MOLAR_VOLUME / FARADAY,
        "conservation_error": state.conservation_errors(),
        "balance_iterations": state.iterations,
    }


def self_discharge(problem: MixedConductorProblem) -> dict:
    """The resting cell (no external current): the internal current that discharges it.

    With the counter at its equilibrium potential U_c (vs Li), electrons leak from the anode
    to the counter and as many Li+ go with them: i_sd = -i_ion [A/m^2], in a uniform slab
    U_c / (L/sigma_e + L/sigma_i + R_a + R_c). Galvanostatic problems only; the problem is
    left at rest (solve it again at the operating load).
    """
    if problem.mode != "galvanostatic":
        return {"self_discharge_current_density": None, "note": "needs a galvanostatic case"}
    if problem.counter_equilibrium_potential == problem.ionic_settings.equilibrium_potential:
        return {"self_discharge_current_density": 0.0, "self_discharge_per_day": 0.0,
                "note": "counter and anode at the same equilibrium potential: nothing drives it"}
    rest = problem.solve(0.0)
    i_sd = rest.electronic_current / rest.counter_area
    return {"self_discharge_current_density": i_sd,
            "self_discharge_per_day": i_sd * SECONDS_PER_DAY / AH * 1e3 / 1e4,
            "rest_counter_metal_potential": rest.counter_metal_potential}


def internal_formation_onset(problem: MixedConductorProblem, threshold: float, internal_distance: float,
                             start: float, maximum: float, rtol: float = 2e-3, progress=None, sign: float = 1.0):
    """Smallest applied current density [A/m^2] at which eta_Li < -threshold at least
    ``internal_distance`` from the anode (criterion ``internal_li_formation``), and the points.
    ``sign``: +1 plating, -1 stripping (the load is sign * current density)."""
    criterion = make_criterion("internal_li_formation", threshold)

    def evaluate(current_density: float) -> SweepPoint:
        state = problem.solve(sign * current_density)
        point = internal_formation_point(state, internal_distance)
        eta = point["internal_formation_overpotential"]
        flaw = FlawState(0, point["internal_formation_point"] or [], eta if eta is not None else 0.0,
                         state.electronic_current / state.counter_area)
        flaw.ratio = criterion.ratio(flaw)
        return SweepPoint(current_density, flaw.ratio, 0, [flaw])

    return critical_current_density(evaluate, start, maximum, rtol, progress)


def electronic_metrics(state: MixedConductorFields, problem: MixedConductorProblem, threshold: float = 0.0,
                       internal_distance: float = 0.0) -> dict:
    """Leakage, the Li-formation region and the internal formation point of one state."""
    eta = formation_field(state)
    out = leakage(state, problem)
    out.update(formation_region(state, 0.0, eta))  # where Li metal is stable
    if threshold > 0:  # where it is supersaturated enough to nucleate
        nucleation = formation_region(state, threshold, eta)
        out.update({k.replace("formation", "nucleation"): v for k, v in nucleation.items()
                    if k in ("formation_volume", "formation_fraction", "formation_max_distance")})
        out["critical_supersaturation"] = threshold
    out.pop("threshold")
    out.update(internal_formation_point(state, internal_distance, eta))
    return out
