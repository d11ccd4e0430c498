"""Post-processing of a conduction solution: interface current, focusing, voltages.

The interface current density is the variationally consistent boundary flux: with R_j
the residual of the bulk equation tested with the shape function of an interface dof j,
the flux q solves  <q, v_j>_anode = R_j  (a boundary mass-matrix solve). It is exact for
the discrete equations (so it conserves charge to solver tolerance) and, unlike a
projected gradient, is not noisy on curved or rough boundaries in 2D. It works for every
kinetics law, including the primary distribution where the flux is a reaction. In 3D
with the primary distribution its vertex values oscillate on curved faces; the interface
samples (maximum, percentiles, hot spots) then read the recovered flux of
:mod:`solver.analysis.flux_recovery` instead, while integrals keep the consistent one.

With the discontinuous (lumped grain-boundary) formulation the boundary flux is the one
the scheme imposes weakly (kinetics law, applied current or Nitsche flux), projected on
the boundary by the same mass solve.

Sign: ``interface_current_density`` is the normal current density from the electrolyte
into the anode [A/m^2], positive for plating. In 2D every integrated quantity is per unit
depth (areas in m, currents in A/m).
"""

from __future__ import annotations

import functools

import dolfinx.fem.petsc
import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI
from petsc4py import PETSc

from solver.physics.fem_tools import assemble_scalar, form_constant, form_parameter, integrate
from solver.analysis.registry import compute_stage
from solver.analysis.flux_recovery import recovered_normal_flux
from solver.analysis.focusing import focusing_metrics
from solver.analysis.regime import polarisation_regime
from solver.physics.conduction import ConductionFields

__all__ = ["ConductionContext", "asr_split", "boundary_flux", "cell_voltage", "conduction_metrics", "hot_spots", "interface_samples"]


def _integral(expr, measure, comm) -> float:
    return integrate(expr, measure, comm)


def boundary_flux(fields: ConductionFields, boundary: str) -> fem.Function:
    """Consistent normal current density leaving the electrolyte through ``boundary`` [A/m^2]."""
    t = fields.tagged
    msh = fields.potential.function_space.mesh
    ds = ufl.Measure("ds", domain=msh, subdomain_data=t.facet_tags)
    ds_b = ds(t.boundary_tag(boundary))
    if boundary in fields.weak_fluxes:  # DG: the flux the scheme imposes, on a continuous space
        V = fem.functionspace(msh, ("Lagrange", max(fields.settings.degree, 1)))
        v = ufl.TestFunction(V)
        residual = -fields.weak_fluxes[boundary] * v * ds_b
    else:
        V = fields.potential.function_space
        v = ufl.TestFunction(V)
        # Residual of the bulk operator, plus any prescribed flux on other boundaries.
        residual = ufl.inner(fields.conductivity * ufl.grad(fields.potential), ufl.grad(v)) * ufl.dx
        s = fields.settings
        if s.mode == "galvanostatic" and boundary != s.counter_electrode:
            # a Constant, not the float: one compiled form for every load of a sweep
            load = form_constant(msh, fields.load)
            residual -= load * v * ds(t.boundary_tag(s.counter_electrode))
        kin = s.kinetics
        if not kin.fixes_potential and boundary != s.anode_interface:
            eta = fields.overpotential
            residual -= kin.current_density(eta, exp=ufl.exp) * v * ds(t.boundary_tag(s.anode_interface))
    # sigma grad phi . n = R on the boundary, and the outward current is -sigma grad phi . n
    return _boundary_solve(V, t.facets(boundary), ds_b, -residual)


def _boundary_solve(V: fem.FunctionSpace, facets: np.ndarray, ds_b, rhs_form) -> fem.Function:
    """q in V on the boundary facets with <q, v>_b = rhs_form(v) (zero off the boundary)."""
    msh = V.mesh
    v, u = ufl.TestFunction(V), ufl.TrialFunction(V)
    on_boundary = fem.locate_dofs_topological(V, msh.topology.dim - 1, facets)
    n_local = V.dofmap.index_map.size_local + V.dofmap.index_map.num_ghosts
    off = np.setdiff1d(np.arange(n_local, dtype=np.int32), on_boundary)
    bc = fem.dirichletbc(PETSc.ScalarType(0.0), off, V)
    mass = dolfinx.fem.petsc.assemble_matrix(fem.form(u * v * ds_b), bcs=[bc])
    mass.assemble()
    rhs = dolfinx.fem.petsc.assemble_vector(fem.form(rhs_form))
    rhs.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    dolfinx.fem.petsc.set_bc(rhs, [bc])
    flux = fem.Function(V, name="normal_current_density_A_m2")
    ksp = PETSc.KSP().create(msh.comm)
    ksp.setOperators(mass)
    ksp.setType("cg")
    ksp.getPC().setType("jacobi")
    ksp.setTolerances(rtol=1e-14, atol=1e-30, max_it=1000)
    ksp.solve(rhs, flux.x.petsc_vec)
    flux.x.scatter_forward()
    ksp.destroy(), mass.destroy(), rhs.destroy()
    return flux


def interface_samples(fields: ConductionFields, flux: fem.Function, boundary: str) -> dict | None:
    """Facet-wise samples on ``boundary``, gathered on rank 0 (None elsewhere).

    Returns arrays: ``points`` (n_facets, n_vertices, gdim) [m], ``area`` (n_facets,)
    [m^2, or m in 2D], ``current_density`` and ``overpotential`` at the facet vertices
    (n_facets, n_vertices) [A/m^2, V].
    """
    t = fields.tagged
    msh = t.mesh
    tdim = msh.topology.dim
    fdim = tdim - 1
    facets = t.facets(boundary)
    if flux.function_space.element.basix_element.degree > 1:
        # Vertex values of a higher-degree consistent flux carry a vertex/mid-node
        # pattern; sample its L2 projection on P1 along the boundary instead (O(h^2)).
        P1 = fem.functionspace(msh, ("Lagrange", 1))
        ds_b = ufl.Measure("ds", domain=msh, subdomain_data=t.facet_tags)(t.boundary_tag(boundary))
        flux = _boundary_solve(P1, facets, ds_b, flux * ufl.TestFunction(P1) * ds_b)
    facets = facets[facets < msh.topology.index_map(fdim).size_local]  # owned only: no double counting
    msh.topology.create_connectivity(fdim, tdim)
    msh.topology.create_connectivity(fdim, 0)
    msh.topology.create_connectivity(tdim, 0)
    msh.topology.create_connectivity(0, tdim)
    f2c = msh.topology.connectivity(fdim, tdim)
    cells = np.array([f2c.links(f)[0] for f in facets], dtype=np.int32)
    f2v = msh.topology.connectivity(fdim, 0)
    nv = len(f2v.links(0)) if len(f2v.offsets) > 1 else fdim + 1  # 2, 3 (triangle) or 4 (quadrilateral)
    facet_vertices = f2v.array.reshape(-1, nv)[facets]
    nodes = dolfinx.mesh.entities_to_geometry(msh, 0, facet_vertices.ravel()).reshape(-1)
    points = msh.geometry.x[nodes].reshape(-1, nv, 3)  # the facet vertices, in the order of facet_vertices
    flat_pts = points.reshape(-1, 3)
    flat_cells = np.repeat(cells, nv)

    def values(u):
        return _vertex_values(u, cells, facet_vertices, flat_pts, flat_cells)

    phi, q = values(fields.potential), values(flux)
    eta = -phi - fields.settings.equilibrium_potential
    shift = fields.settings.equilibrium_shift
    if shift is not None:
        eta -= values(shift)
    area = np.linalg.norm(points[:, 1] - points[:, 0], axis=1) if fdim == 1 else _facet_areas(points)
    gdim = msh.geometry.dim
    local = (points[:, :, :gdim], area, q, eta)
    gathered = msh.comm.gather(local, root=0)
    if msh.comm.rank != 0:
        return None
    cat = [np.concatenate([g[k] for g in gathered]) for k in range(4)]
    return {"points": cat[0], "area": cat[1], "current_density": cat[2], "overpotential": cat[3]}


def _vertex_values(u: fem.Function, cells: np.ndarray, facet_vertices: np.ndarray, points: np.ndarray,
                   point_cells: np.ndarray) -> np.ndarray:
    """Values (n_facets, n_vertices) of a scalar Lagrange function at the facet vertices.

    Read from the vertex dofs (a Lagrange dof is the point value; no pull-back, which fails
    on curved cells at their vertices); a space without vertex dofs (discontinuous) is
    evaluated at the points instead."""
    shape = facet_vertices.shape
    if not facet_vertices.size:
        return np.zeros(shape)
    V = u.function_space
    layout = V.dofmap.dof_layout
    if V.dofmap.index_map_bs != 1 or not len(layout.entity_dofs(0, 0)):
        return u.eval(points, point_cells).reshape(shape)
    tdim = V.mesh.topology.dim
    n_cell_vertices = len(V.mesh.topology.connectivity(tdim, 0).links(0))
    local = np.array([layout.entity_dofs(0, k)[0] for k in range(n_cell_vertices)])
    cell_vertices = V.mesh.topology.connectivity(tdim, 0).array.reshape(-1, n_cell_vertices)[cells]
    position = np.argmax(cell_vertices[:, None, :] == facet_vertices[:, :, None], axis=2)  # (n, nv)
    dofs = np.take_along_axis(V.dofmap.list[cells], local[position], axis=1)
    return u.x.array[dofs].real


def _facet_areas(points: np.ndarray) -> np.ndarray:
    """Areas [m^2] of triangles (n, 3, 3), or of planar quadrilaterals (n, 4, 3) in DOLFINx's
    tensor-product vertex order (diagonals v0-v3 and v1-v2: area = |d1 x d2| / 2)."""
    if points.shape[1] == 4:
        return 0.5 * np.linalg.norm(np.cross(points[:, 3] - points[:, 0], points[:, 2] - points[:, 1]), axis=1)
    return 0.5 * np.linalg.norm(np.cross(points[:, 1] - points[:, 0], points[:, 2] - points[:, 0]), axis=1)


def _weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cdf = np.cumsum(weights[order])
    return float(np.interp(q / 100.0 * cdf[-1], cdf, values[order]))


def _anode_conductivity(fields: ConductionFields) -> float:
    """Largest conductivity of the cells touching the anode interface [S/m] (MPI-reduced)."""
    t = fields.tagged
    msh = t.mesh
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    facets = t.facets(fields.settings.anode_interface)
    cells = np.array([f2c.links(f)[0] for f in facets], dtype=np.int32)
    local = float(fields.conductivity.x.array[cells].max()) if cells.size else 0.0
    return msh.comm.allreduce(local, MPI.MAX)


def cell_voltage(fields: ConductionFields, counter_potential: float, counter_current_density: float) -> float:
    """Cell voltage phi_s(counter) - phi_s(anode) [V].

    phi_s(counter) = phi_e(counter) + U_ref + eta_c with eta_c the counter law's
    overpotential at the mean counter current density i_c (from the counter electrode into
    the electrolyte, > 0 when the anode plates). The galvanostatic counter boundary carries
    a uniform current density by construction, and an equipotential electrode with uniform
    kinetics and uniform current has a uniform eta_c: so this is exact whenever phi_e is
    uniform on the counter (a flat cell; for a rough anode up to exp(-2 pi L / lambda)).
    Without ``counter_kinetics`` the counter is ideal (eta_c = 0, U_ref not added).
    """
    law = fields.settings.counter_kinetics
    if law is None:
        return counter_potential
    return counter_potential + fields.settings.equilibrium_potential + law.overpotential(counter_current_density)


def asr_split(fields: ConductionFields, applied_current: float, counter_area: float) -> dict:
    """Area-specific resistance of each loss [ohm m^2], from the dissipated power P_k [W].

    ASR_k = P_k / (I^2 / A) with I the cell current [A] and A the projected (counter)
    area [m^2] (per unit depth in 2D). Volume losses per region: P = int sigma |grad phi|^2;
    ``charge_transfer``: int i_ct x ds with x the charge-transfer overpotential; ``film``:
    int R_f i^2 ds; ``lumped_grain_boundaries``: int [phi]^2/R_gb + sheet term over the GB
    facets (DG); ``counter_charge_transfer``: eta_c / i_c of the counter law. ``total`` is the
    sum; for linear kinetics and U_ref = 0 it equals V A / I.
    """
    t = fields.tagged
    comm = t.mesh.comm
    s = fields.settings
    dx = ufl.Measure("dx", domain=t.mesh, subdomain_data=t.cell_tags)
    ds = ufl.Measure("ds", domain=t.mesh, subdomain_data=t.facet_tags)
    ds_a = ds(t.boundary_tag(s.anode_interface))
    grad = ufl.grad(fields.potential)
    scale = counter_area / applied_current**2 if applied_current else float("nan")
    split = {
        region: scale * _integral(fields.conductivity * ufl.inner(grad, grad), dx(tag), comm)
        for region, tag in t.regions.items()
    }
    kin = s.kinetics
    if not kin.fixes_potential:
        eta = fields.overpotential
        i = kin.current_density(eta, exp=ufl.exp)
        x = kin.charge_transfer_overpotential(eta, exp=ufl.exp) if kin.film_resistance else eta
        split["charge_transfer"] = scale * _integral(i * x, ds_a, comm)
        if kin.film_resistance:
            split["film"] = scale * _integral(form_parameter(kin.film_resistance, eta) * i * i, ds_a, comm)
    if fields.grain_boundary_dissipation is not None:
        split["lumped_grain_boundaries"] = scale * assemble_scalar(fields.grain_boundary_dissipation, comm)
    if s.counter_kinetics is not None and applied_current:
        i_c = applied_current / counter_area
        split["counter_charge_transfer"] = s.counter_kinetics.overpotential(i_c) / i_c
    split["total"] = sum(split.values())
    return split


def hot_spots(samples: dict, count: int = 5, sign: float = 1.0) -> list[dict]:
    """The ``count`` largest local maxima of sign * i along the interface (rank-0 samples).

    A vertex is a local maximum when its value (mean over the facets that share it) is
    >= that of every interface neighbour and > at least one. Returns dicts with
    ``position`` [m] and ``current_density`` [A/m^2], largest first.
    """
    pts = samples["points"]
    nv = pts.shape[1]
    flat = pts.reshape(-1, pts.shape[-1])
    scale = max(float(np.ptp(flat, axis=0).max()), 1e-300)
    keys = np.round(flat / (scale * 1e-9)).astype(np.int64)
    unique, index = np.unique(keys, axis=0, return_inverse=True)
    index = index.reshape(-1, nv)
    values = np.bincount(index.ravel(), samples["current_density"].ravel() * sign, unique.shape[0])
    values /= np.bincount(index.ravel(), minlength=unique.shape[0])
    position = np.zeros((unique.shape[0], flat.shape[1]))
    position[index.ravel()] = flat
    pairs = np.concatenate([index[:, [a, b]] for a in range(nv) for b in range(nv) if a != b])
    neighbour_max = np.full(unique.shape[0], -np.inf)
    neighbour_min = np.full(unique.shape[0], np.inf)
    np.maximum.at(neighbour_max, pairs[:, 0], values[pairs[:, 1]])
    np.minimum.at(neighbour_min, pairs[:, 0], values[pairs[:, 1]])
    peaks = np.flatnonzero((values >= neighbour_max) & (values > neighbour_min))
    peaks = peaks[np.argsort(-values[peaks])][:count]
    return [{"position": position[k].tolist(), "current_density": float(values[k] * sign)} for k in peaks]


class ConductionContext:
    """The post-processing context of a conduction state (stage ``conduction`` of the
    metric registry): every quantity is computed once, on first use, on every rank.

    SI units; in 2D integrated quantities are per unit depth. ``area`` and
    ``counter_area`` [m^2]: int 1 ds over the anode and counter boundaries;
    ``interface_current`` [A]: the kinetics current integrated over the interface (a true
    check of the nonlinear solve; with a potential-fixing law the consistent flux plus the
    grain-boundary sheet current); ``applied_current`` [A]: i_applied * A_counter
    (galvanostatic) or minus the consistent counter flux (potentiostatic);
    ``counter_potential`` [V]: mean phi on the counter; ``samples``: the interface samples
    of :func:`interface_samples`, broadcast to every rank so that sample statistics
    (``focusing_factor`` = max/mean, area-weighted percentiles, ...) are the same on all.
    """

    def __init__(self, fields: ConductionFields, percentile: float = 99.0, guard_band: float | None = None,
                 edge_averaging_length: float | None = None):
        self.fields, self.percentile = fields, percentile
        self.guard_band, self.edge_averaging_length = guard_band, edge_averaging_length
        self.settings, self.tagged = fields.settings, fields.tagged
        self.comm = self.tagged.mesh.comm
        ds = ufl.Measure("ds", domain=self.tagged.mesh, subdomain_data=self.tagged.facet_tags)
        self.ds_anode = ds(self.tagged.boundary_tag(self.settings.anode_interface))
        self.ds_counter = ds(self.tagged.boundary_tag(self.settings.counter_electrode))

    @functools.cached_property
    def area(self) -> float:
        return _integral(1.0, self.ds_anode, self.comm)

    @functools.cached_property
    def counter_area(self) -> float:
        return _integral(1.0, self.ds_counter, self.comm)

    @functools.cached_property
    def flux(self) -> fem.Function:
        """Consistent interface current density [A/m^2] (see :func:`boundary_flux`)."""
        return boundary_flux(self.fields, self.settings.anode_interface)

    @functools.cached_property
    def interface_current(self) -> float:
        s, f = self.settings, self.fields
        if s.kinetics.fixes_potential:
            return _integral(self.flux, self.ds_anode, self.comm) + f.sheet_currents.get(s.anode_interface, 0.0)
        return -_integral(s.kinetics.current_density(f.overpotential, exp=ufl.exp), self.ds_anode, self.comm)

    @functools.cached_property
    def applied_current(self) -> float:
        s, f = self.settings, self.fields
        if s.mode == "galvanostatic":
            return f.load * self.counter_area
        counter_flux = boundary_flux(f, s.counter_electrode)
        return -_integral(counter_flux, self.ds_counter, self.comm) - f.sheet_currents.get(s.counter_electrode, 0.0)

    @property
    def charge_balance_error(self) -> float:
        return abs(self.interface_current - self.applied_current) / max(abs(self.applied_current), 1e-300)

    @functools.cached_property
    def counter_potential(self) -> float:
        return _integral(self.fields.potential, self.ds_counter, self.comm) / self.counter_area

    @property
    def cell_voltage(self) -> float:
        return cell_voltage(self.fields, self.counter_potential, self.applied_current / self.counter_area)

    @functools.cached_property
    def asr_split(self) -> dict:
        return asr_split(self.fields, self.applied_current, self.counter_area)

    @functools.cached_property
    def polarisation_length(self) -> dict:
        """sigma_max(region) * (R_ct + R_f) per region [m] (MPI-reduced)."""
        t, sigma = self.tagged, self.fields.conductivity.x.array
        resistance = self.settings.kinetics.interface_resistance
        return {region: self.comm.allreduce(float(sigma[t.cells(region)].max()) if t.cells(region).size else 0.0,
                                            MPI.MAX) * resistance for region in t.regions}

    @functools.cached_property
    def polarisation_length_ratio(self) -> float | None:
        scale = self.tagged.metadata.get("interface_length_scale_m")
        if not scale:
            return None
        return _anode_conductivity(self.fields) * self.settings.kinetics.interface_resistance / scale

    @functools.cached_property
    def polarisation_regime(self) -> dict | None:
        """How much of the geometric focusing of the geometry's features survives the
        kinetics (:func:`solver.analysis.regime.polarisation_regime`); None without a
        feature scale (the interface length scale, else the shallowest flaw depth)."""
        lp = _anode_conductivity(self.fields) * self.settings.kinetics.interface_resistance
        scale, flaws = self.tagged.metadata.get("interface_length_scale_m"), self.tagged.metadata.get("flaws")
        if scale:
            return polarisation_regime(lp, scale)
        if flaws:
            return polarisation_regime(lp, min(float(f["depth"]) for f in flaws), "flaw depth")
        return None

    @functools.cached_property
    def focusing(self) -> dict:
        """Interior (guard-band) focusing and void-edge averages
        (:func:`solver.analysis.focusing.focusing_metrics`; collective, the same on every rank)."""
        stats = self.sample_statistics
        sign = 1.0 if self.applied_current >= 0 else -1.0
        return focusing_metrics(self.tagged, self.samples, stats["mean_current_density"], sign, self.percentile,
                                self.guard_band, self.edge_averaging_length, self.settings.anode_interface)

    @functools.cached_property
    def sample_flux(self) -> fem.Function:
        """The interface current density the samples read [A/m^2]: the consistent flux, except
        for the primary distribution on a 3D continuous discretisation, where it is the
        recovered flux of :func:`solver.analysis.flux_recovery.recovered_normal_flux` (the
        consistent flux's vertex values oscillate on curved 3D faces)."""
        s, f = self.settings, self.fields
        if self.tagged.gdim == 3 and s.kinetics.fixes_potential and s.anode_interface not in f.weak_fluxes:
            return recovered_normal_flux(f.potential, f.conductivity, f.tagged.facet_tags,
                                         f.tagged.boundary_tag(s.anode_interface))
        return self.flux

    @functools.cached_property
    def samples(self) -> dict:
        """Interface samples (see :func:`interface_samples`), on every rank."""
        return self.comm.bcast(interface_samples(self.fields, self.sample_flux, self.settings.anode_interface), root=0)

    @functools.cached_property
    def sample_statistics(self) -> dict:
        """Statistics of the samples along the operating direction (sign of the current)."""
        samples = self.samples
        sign = 1.0 if self.applied_current >= 0 else -1.0
        i = samples["current_density"] * sign
        w = np.repeat(samples["area"][:, None] / i.shape[1], i.shape[1], axis=1).ravel()
        mean = self.interface_current / self.area * sign
        eta = samples["overpotential"]
        eta_mean = float(np.sum(eta.mean(axis=1) * samples["area"]) / samples["area"].sum())
        k = int(np.argmax(i.ravel()))
        p = _weighted_percentile(i.ravel(), w, self.percentile)
        return {
            "mean_current_density": sign * mean,
            "max_current_density": float(i.max()) * sign,
            "min_current_density": float(i.min()) * sign,
            "percentile_current_density": p * sign,
            "focusing_factor": float(i.max()) / mean if mean else float("nan"),
            "focusing_factor_percentile": p / mean if mean else float("nan"),
            "hot_spot": samples["points"].reshape(-1, samples["points"].shape[-1])[k].tolist(),
            "hot_spots": hot_spots(samples, sign=sign),
            "mean_overpotential": eta_mean,
            "max_abs_overpotential": float(np.abs(eta).max()),
            "min_overpotential": float(eta.min()),
            "max_overpotential": float(eta.max()),
            "overpotential_std": float(np.sqrt(np.sum(w * (eta.ravel() - eta_mean) ** 2) / w.sum())),
            "overpotential_percentiles": {str(q): _weighted_percentile(eta.ravel(), w, q) for q in (1, 5, 50, 95, 99)},
        }


def conduction_metrics(fields: ConductionFields, percentile: float = 99.0, guard_band: float | None = None,
                       edge_averaging_length: float | None = None) -> tuple[dict, fem.Function, dict]:
    """Every registered ``conduction`` metric of a solution, the consistent interface flux
    and the interface samples (on every rank); see :class:`ConductionContext` for the
    definitions and :mod:`solver.analysis.builtin_metrics` for the list. The values are
    rank 0's, broadcast, so every rank holds the same numbers. ``guard_band`` and
    ``edge_averaging_length`` [m] set the interior and void-edge focusing metrics.
    """
    context = ConductionContext(fields, percentile, guard_band, edge_averaging_length)
    context.focusing  # collective: evaluated on every rank before the rank-0 metrics
    values = compute_stage("conduction", context)
    values = context.comm.bcast(values if context.comm.rank == 0 else None, root=0)
    return values, context.flux, context.samples
