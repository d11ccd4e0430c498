"""Where Li forms first inside the electrolyte: the site of the internal-formation onset.

At the onset current of criterion ``internal_li_formation`` (solver.analysis.electronic)
the most supersaturated point at least ``internal_distance`` from the anode reaches
eta_Li = -eta_crit first. This module locates it:

- ``distance_from_anode`` d_a and ``distance_to_counter`` d_c [m] (to the nearest vertex
  of each electrode boundary), ``depth_fraction`` d_a / (d_a + d_c) [-] (0 at the anode,
  1 at the counter);
- ``grain_boundary_distance`` [m] to the nearest zero-thickness GB facet (its vertices and
  edge midpoints: exact for the potentials' dofs of degree <= 2 that lie on a facet), 0 in
  a meshed ``grain_boundaries`` region, None without grain boundaries;
- ``region``: the region of the cell holding the point; ``site``: ``grain_boundary`` (on a
  GB facet or in the GB region), else ``anode_half`` (d_a <= d_c) or ``counter_half``.
"""

from __future__ import annotations

import itertools

import dolfinx
import numpy as np
from scipy.spatial import cKDTree

from solver.analysis.electronic import formation_field
from solver.physics.electronic import MixedConductorFields

__all__ = ["GB_FACETS", "GB_REGION", "formation_site"]

GB_FACETS = "grain_boundary_facets"
GB_REGION = "grain_boundaries"
ON_FACET = 1e-9  # relative to the cell thickness d_a + d_c: a dof on a GB facet (round-off)


def _facet_points(tagged, name: str, midpoints: bool) -> np.ndarray:
    """Vertices (and edge midpoints) of the facets ``name``, gathered on every rank."""
    msh = tagged.mesh
    fdim, gdim = msh.topology.dim - 1, msh.geometry.dim
    facets = tagged.facets(name) if name in tagged.boundaries else np.zeros(0, np.int32)
    msh.topology.create_connectivity(fdim, 0)
    nodes = dolfinx.mesh.entities_to_geometry(msh, fdim, facets) if facets.size else np.zeros((0, fdim + 1), int)
    corners = msh.geometry.x[nodes][..., :gdim] if facets.size else np.zeros((0, fdim + 1, gdim))
    points = [corners.reshape(-1, gdim)]
    if midpoints and facets.size:
        points += [0.5 * (corners[:, i] + corners[:, j]) for i, j in itertools.combinations(range(corners.shape[1]), 2)]
    local = np.concatenate(points)
    return np.concatenate([p for p in msh.comm.allgather(local) if len(p)] or [np.zeros((0, gdim))])


def _region_of_cells(tagged, cells: np.ndarray) -> list[str]:
    names = np.full(cells.size, "", dtype=object)
    for name in tagged.regions:
        names[np.isin(cells, tagged.cells(name))] = name
    return list(names)


def formation_site(state: MixedConductorFields, internal_distance: float) -> dict:
    """The most negative eta_Li [V] at least ``internal_distance`` [m] from the anode, and where it is."""
    eta = formation_field(state)
    tagged, settings = state.ionic.tagged, state.ionic.settings
    msh, comm = tagged.mesh, tagged.mesh.comm
    gdim = msh.geometry.dim
    V = eta.function_space
    n = V.dofmap.index_map.size_local
    points = V.tabulate_dof_coordinates()[:n, :gdim]
    d_anode = cKDTree(_facet_points(tagged, settings.anode_interface, False)).query(points)[0] if n else np.zeros(0)
    d_counter = cKDTree(_facet_points(tagged, settings.counter_electrode, False)).query(points)[0] if n else np.zeros(0)
    far = np.flatnonzero(d_anode >= internal_distance)
    values = eta.x.array[:n]
    k = far[np.argmin(values[far])] if far.size else None
    local = (float(values[k]), int(k)) if k is not None else (np.inf, -1)
    best = min(comm.allgather((local[0], comm.rank)), key=lambda item: item[0])
    site = None
    if comm.rank == best[1] and local[1] >= 0:
        k = local[1]
        cell_of_dof = np.repeat(np.arange(V.dofmap.list.shape[0]), V.dofmap.list.shape[1])
        cell = cell_of_dof[np.flatnonzero(V.dofmap.list.ravel() == k)[0]]
        site = {"point": points[k].tolist(), "overpotential": float(values[k]), "distance_from_anode": float(d_anode[k]),
                "distance_to_counter": float(d_counter[k]), "region": _region_of_cells(tagged, np.array([cell]))[0]}
    site = comm.bcast(site, root=best[1])
    gb_points = _facet_points(tagged, GB_FACETS, True)
    if site is None:
        return {"site": None, "internal_distance": internal_distance}
    thickness = site["distance_from_anode"] + site["distance_to_counter"]
    gb = None
    if site["region"] == GB_REGION:
        gb = 0.0
    elif len(gb_points):
        gb = float(cKDTree(gb_points).query(np.array(site["point"]))[0])
    on_gb = gb is not None and gb <= ON_FACET * thickness
    where = "grain_boundary" if on_gb else ("anode_half" if site["distance_from_anode"] <= site["distance_to_counter"]
                                             else "counter_half")
    return {**site, "depth_fraction": site["distance_from_anode"] / thickness if thickness else None,
            "grain_boundary_distance": gb, "site": where, "internal_distance": internal_distance}

