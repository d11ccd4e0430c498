"""Where Li forms first inside the electrolyte: the site of the internal-formation onset.

At the onset current of criterion ``internal_li_formation`` (solver.analysis.electronic)
the most supersaturated point at least ``internal_distance`` from the anode reaches
eta_Li = -eta_crit first. This module locates it:

- ``distance_from_anode`` d_a and ``distance_to_counter`` d_c [m] (exact distances to the
  straight facets of each electrode boundary), ``depth_fraction`` d_a / (d_a + d_c) [-]
  (0 at the anode, 1 at the counter);
- ``grain_boundary_distance`` [m] to the nearest zero-thickness GB facet (exact; facets
  count only when the problem has a GB model), 0 in a meshed ``grain_boundaries`` region,
  None without grain boundaries;

The candidates are the dofs at least ``internal_distance`` from the nearest anode vertex,
as in :func:`solver.analysis.electronic.internal_formation_point` (the onset criterion).
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

__all__ = ["GB_FACETS", "GB_REGION", "distance_to_facets", "formation_site"]

GB_FACETS = "grain_boundary_facets"
GB_REGION = "grain_boundaries"
ON_FACET = 1e-9  # relative to the cell thickness d_a + d_c: a dof on a GB facet (round-off)


def _facet_corners(tagged, name: str) -> np.ndarray:
    """Corner coordinates (facets, corners, gdim) of the facets ``name``, gathered on every rank."""
    msh = tagged.mesh
    fdim, gdim = msh.topology.dim - 1, msh.geometry.dim
    facets = tagged.facets(name) if name in tagged.boundaries else np.zeros(0, np.int32)
    msh.topology.create_connectivity(fdim, 0)
    corners = np.zeros((0, fdim + 1, gdim))
    if facets.size:
        nodes = dolfinx.mesh.entities_to_geometry(msh, fdim, facets)[:, : fdim + 1]  # the vertices
        corners = msh.geometry.x[nodes][..., :gdim]
    gathered = [c for c in msh.comm.allgather(corners) if len(c)]
    return np.concatenate(gathered) if gathered else corners


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[:, None] * ab), axis=1)


def distance_to_facets(point, corners: np.ndarray) -> float | None:
    """Exact distance [m] from ``point`` to the union of straight facets (segments in 2D,
    triangles in 3D) given by their ``corners``; None without facets."""
    if not len(corners):
        return None
    p = np.broadcast_to(np.asarray(point, float), corners[:, 0].shape)
    k = corners.shape[1]
    edges = [_segment_distance(p, corners[:, i], corners[:, j]) for i, j in itertools.combinations(range(k), 2)]
    best = np.min(edges, axis=0)
    if k == 3 and corners.shape[2] == 3:  # the interior of each triangle: the plane distance where the foot lies inside
        a, u, v = corners[:, 0], corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
        w = p - a
        uu, uv, vv = (np.einsum("ij,ij->i", x, y) for x, y in ((u, u), (u, v), (v, v)))
        wu, wv = np.einsum("ij,ij->i", w, u), np.einsum("ij,ij->i", w, v)
        det = np.maximum(uu * vv - uv ** 2, 1e-300)
        s, t = (vv * wu - uv * wv) / det, (uu * wv - uv * wu) / det
        inside = (s >= 0) & (t >= 0) & (s + t <= 1)
        plane = np.linalg.norm(w - s[:, None] * u - t[:, None] * v, axis=1)
        best = np.where(inside, np.minimum(best, plane), best)
    return float(best.min())


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
    anode = _facet_corners(tagged, settings.anode_interface)
    d_anode = cKDTree(anode.reshape(-1, gdim)).query(points)[0] if n else np.zeros(0)  # as internal_formation_point
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
        site = {"point": points[k].tolist(), "overpotential": float(values[k]),
                "region": _region_of_cells(tagged, np.array([cell]))[0]}
    site = comm.bcast(site, root=best[1])
    counter = _facet_corners(tagged, settings.counter_electrode)
    # facets tagged as GBs are grain boundaries only when the case gives them a GB model
    gb_corners = _facet_corners(tagged, GB_FACETS) if settings.grain_boundary is not None else np.zeros((0, 2, gdim))
    if site is None:
        return {"site": None, "internal_distance": internal_distance}
    site["distance_from_anode"] = distance_to_facets(site["point"], anode)
    site["distance_to_counter"] = distance_to_facets(site["point"], counter)
    thickness = site["distance_from_anode"] + site["distance_to_counter"]
    gb = None
    if site["region"] == GB_REGION:
        gb = 0.0
    elif len(gb_corners):
        gb = distance_to_facets(site["point"], gb_corners)
    on_gb = gb is not None and gb <= ON_FACET * thickness
    where = "grain_boundary" if on_gb else ("anode_half" if site["distance_from_anode"] <= site["distance_to_counter"]
                                             else "counter_half")
    return {**site, "depth_fraction": site["distance_from_anode"] / thickness if thickness else None,
            "grain_boundary_distance": gb, "site": where, "internal_distance": internal_distance}

