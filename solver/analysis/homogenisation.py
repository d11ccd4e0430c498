"""Effective ionic conductivity of a meshed microstructure, and calibration of an unknown phase.

A potential drop dV [V] is applied between the two faces normal to ``direction``
(phi = 0 on the low face, phi = dV on the high one); the other faces are insulating.
With I [A] (A/m per unit depth in 2D) the current through the sample, L [m] its length
along ``direction`` and A [m^2] (m in 2D) its cross-section,

    sigma_eff = I L / (A dV)   [S/m].

With insulating sides this is the "uniform potential on the faces" estimate (the sample
must be large enough, or symmetric like a unit cell of a periodic microstructure, for it
to be the homogenised value). Lumped zero-thickness grain boundaries are supported
through ``grain_boundary`` (:class:`~solver.physics.grain_boundaries.GrainBoundaryModel`).

:func:`calibrate` finds the conductivity of one unknown phase (a region, or the lumped
GBs) that reproduces a measured sigma_eff, by Brent's method on log(sigma).
"""

from __future__ import annotations

import math

import numpy as np
import ufl
from mpi4py import MPI
from scipy.optimize import brentq

import dolfinx

from solver.physics.fem_tools import integrate
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.errors import SettingError
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import make_kinetics
from solver.geometry.driver import TaggedMesh
from solver.analysis.metrics import boundary_flux

__all__ = ["effective_conductivity", "calibrate", "hashin_shtrikman_bounds"]

INLET, OUTLET = "homogenisation_low_face", "homogenisation_high_face"


def _with_faces(tagged: TaggedMesh, direction: int) -> tuple[TaggedMesh, float, float]:
    """A copy of ``tagged`` whose facet tags add the low/high faces normal to ``direction``.

    Returns the mesh, the sample length L [m] and the cross-section A [m^2, or m in 2D].
    """
    msh = tagged.mesh
    comm = msh.comm
    gdim = msh.geometry.dim
    if direction not in range(gdim):
        raise SettingError("direction", f"must be an axis index 0..{gdim - 1}, got {direction}")
    x = msh.geometry.x[:, :gdim]
    low = comm.allreduce(float(x.min(axis=0)[direction]) if x.size else np.inf, MPI.MIN)
    high = comm.allreduce(float(x.max(axis=0)[direction]) if x.size else -np.inf, MPI.MAX)
    length = high - low
    tol = 1e-9 * length
    fdim = gdim - 1
    faces = [
        dolfinx.mesh.locate_entities_boundary(msh, fdim, lambda p, c=c: np.abs(p[direction] - c) < tol)
        for c in (low, high)
    ]
    new = max(list(tagged.boundaries.values()) + [0]) + 1
    old = tagged.facet_tags
    keep = ~np.isin(old.indices, np.concatenate(faces))
    indices = np.concatenate([old.indices[keep], faces[0], faces[1]])
    values = np.concatenate([old.values[keep], np.full(faces[0].size, new), np.full(faces[1].size, new + 1)])
    order = np.argsort(indices)
    facet_tags = dolfinx.mesh.meshtags(
        msh, fdim, indices[order].astype(np.int32), values[order].astype(np.int32)
    )
    boundaries = dict(tagged.boundaries, **{INLET: new, OUTLET: new + 1})
    copy = TaggedMesh(
        msh, tagged.cell_tags, facet_tags, dict(tagged.regions), boundaries, tagged.metadata, tagged.statistics
    )
    ds = ufl.Measure("ds", domain=msh, subdomain_data=facet_tags)
    area = integrate(1.0, ds(new), comm)
    return copy, length, area


def effective_conductivity(
    tagged: TaggedMesh,
    conductivity: dict[str, float],
    direction: int = 0,
    grain_boundary: GrainBoundaryModel | None = None,
    degree: int = 1,
    potential_drop: float = 1e-3,
    linear_solver: str = "direct",
) -> float:
    """sigma_eff = I L / (A dV) [S/m] along axis ``direction`` (0 = x, 1 = y, 2 = z).

    ``conductivity``: region -> sigma [S/m]; every region of the sample must be listed.
    """
    missing = sorted(set(tagged.regions) - set(conductivity))
    if missing:
        raise SettingError("conductivity", f"regions {missing} have no conductivity")
    sample, length, area = _with_faces(tagged, direction)
    settings = ConductionSettings(
        kinetics=make_kinetics("primary", exchange_current_density=1.0, temperature=298.15),
        mode="potentiostatic",
        applied_potential=potential_drop,
        degree=degree,
        anode_interface=INLET,
        counter_electrode=OUTLET,
        linear_solver=linear_solver,
        grain_boundary=grain_boundary,
    )
    with ConductionProblem(sample, conductivity, settings) as problem:
        fields = problem.solve()
    ds = ufl.Measure("ds", domain=sample.mesh, subdomain_data=sample.facet_tags)
    flux = boundary_flux(fields, OUTLET)  # leaving through the high face: -I
    current = -integrate(flux, ds(sample.boundaries[OUTLET]), sample.mesh.comm)
    current -= fields.sheet_currents.get(OUTLET, 0.0)
    return current * length / (area * potential_drop)


def calibrate(
    tagged: TaggedMesh,
    known: dict[str, float],
    unknown: str,
    target_conductivity: float,
    bracket: tuple[float, float],
    direction: int = 0,
    grain_boundary_thickness: float | None = None,
    rtol: float = 1e-6,
    **options,
) -> float:
    """The conductivity [S/m] of ``unknown`` for which sigma_eff = ``target_conductivity``.

    ``unknown`` is a region name or, with ``grain_boundary_thickness`` delta [m], the
    name of the lumped GB facets (sigma_gb enters as R_gb = delta/sigma_gb,
    G_gb = sigma_gb delta). ``bracket`` = (low, high) [S/m] must bracket the answer;
    sigma_eff is monotone in every phase conductivity. ``options`` go to
    :func:`effective_conductivity`.
    """
    low, high = bracket
    if not 0 < low < high:
        raise SettingError("bracket", f"needs 0 < low < high, got {bracket}")

    def mismatch(log_sigma: float) -> float:
        sigma = math.exp(log_sigma)
        if grain_boundary_thickness is None:
            value = effective_conductivity(tagged, {**known, unknown: sigma}, direction, **options)
        else:
            model = GrainBoundaryModel.from_layer(sigma, grain_boundary_thickness, facets=unknown)
            value = effective_conductivity(tagged, known, direction, grain_boundary=model, **options)
        return math.log(value / target_conductivity)

    ends = [mismatch(math.log(low)), mismatch(math.log(high))]
    if ends[0] * ends[1] > 0:
        reached = [target_conductivity * math.exp(e) for e in ends]
        raise SettingError(
            "bracket",
            f"sigma_eff spans {reached[0]:.4g}..{reached[1]:.4g} S/m over {unknown} in {bracket} S/m, "
            f"which does not include the target {target_conductivity:.4g} S/m",
        )
    return math.exp(brentq(mismatch, math.log(low), math.log(high), rtol=rtol))


def hashin_shtrikman_bounds(
    sigma_1: float, sigma_2: float, fraction_2: float, dim: int
) -> tuple[float, float]:
    """Hashin-Shtrikman bounds [S/m] of an isotropic two-phase composite in ``dim`` = 2 or 3.

    sigma_HS = s1 + f2 / (1/(s2 - s1) + f1/(dim s1)) with s1 the lower phase for the lower
    bound and the higher phase (roles swapped) for the upper bound.
    """
    fractions = {sigma_1: 1 - fraction_2, sigma_2: fraction_2}
    if sigma_1 == sigma_2:
        return sigma_1, sigma_1

    def bound(s1, s2):
        return s1 + fractions[s2] / (1 / (s2 - s1) + fractions[s1] / (dim * s1))

    lo, hi = sorted((sigma_1, sigma_2))
    return bound(lo, hi), bound(hi, lo)
