"""Mesh, cell values and tagged facets of a distributed mesh, collected on rank 0.

Collective: every rank calls these; rank 0 gets the whole, the others None.
"""

from __future__ import annotations

import os

import numpy as np

import dolfinx.mesh
import dolfinx.plot

__all__ = ["FACET_LAYERS", "facets_of", "gather_facets", "gather_grid", "picture_grid", "pyvista"]

#: boundary names drawn on maps: grain-boundary facets and contact voids (name -> label)
FACET_LAYERS = {"grain_boundary_facets": "grain boundaries", "contact_voids": "contact voids (no contact)",
                "crack_faces": "crack faces"}


def pyvista():
    """pyvista set up for off-screen rendering (EGL or OSMesa; no X server)."""
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    pv.OFF_SCREEN = True
    return pv


def gather_grid(msh, cell_values: dict[str, np.ndarray]):
    """A pyvista UnstructuredGrid of the whole mesh with cell data, on rank 0 (None elsewhere)."""
    tdim = msh.topology.dim
    n_owned = msh.topology.index_map(tdim).size_local
    topology, cell_types, x = dolfinx.plot.vtk_mesh(msh, tdim, np.arange(n_owned, dtype=np.int32))
    local = (topology, cell_types, x, {k: v[:n_owned] for k, v in cell_values.items()})
    gathered = msh.comm.gather(local, root=0)
    if msh.comm.rank != 0:
        return None
    pv = pyvista()
    topo_parts, types, xs, offset = [], [], [], 0
    for topology, cell_types, x, _ in gathered:
        t = topology.reshape(len(cell_types), -1).copy()
        t[:, 1:] += offset
        topo_parts.append(t.ravel())
        types.append(cell_types)
        xs.append(x)
        offset += x.shape[0]
    grid = pv.UnstructuredGrid(np.concatenate(topo_parts), np.concatenate(types), np.vstack(xs))
    for name in cell_values:
        grid.cell_data[name] = np.concatenate([g[3][name] for g in gathered])
    return grid


def gather_facets(tagged, names=tuple(FACET_LAYERS)) -> dict[str, np.ndarray] | None:
    """Vertex coordinates of the facets of each named boundary that the mesh has, as
    arrays (n_facets, vertices per facet, 3) [m], on rank 0 (None elsewhere)."""
    msh = tagged.mesh
    fdim = msh.topology.dim - 1
    msh.topology.create_connectivity(fdim, 0)
    n_owned = msh.topology.index_map(fdim).size_local
    local = {}
    for name in names:
        if name not in tagged.boundaries:
            continue
        facets = tagged.facet_tags.find(tagged.boundaries[name])
        facets = facets[facets < n_owned].astype(np.int32)
        if facets.size:
            dofs = dolfinx.mesh.entities_to_geometry(msh, fdim, facets)
            local[name] = msh.geometry.x[dofs[:, :fdim + 1]]
        else:
            local[name] = np.zeros((0, fdim + 1, 3))
    gathered = msh.comm.gather(local, root=0)
    if msh.comm.rank != 0:
        return None
    return {name: np.concatenate([g[name] for g in gathered]) for name in local}


def picture_grid(fields, name: str = "current_density_magnitude_A_m2"):
    """The grid of a solved state with its cell current density magnitude [A/m^2] and the
    tagged facets (GBs, voids) kept in its field data, on rank 0 (None elsewhere); collective."""
    from solver.io.exports import cell_current_density

    _, magnitude = cell_current_density(fields)
    grid = gather_grid(fields.tagged.mesh, {name: magnitude.x.array})
    facets = gather_facets(fields.tagged, (*FACET_LAYERS, "anode_interface"))
    if grid is not None:
        for key, segs in facets.items():
            grid.field_data[f"facets:{key}"] = np.asarray(segs).reshape(len(segs), -1)
            grid.field_data[f"facets_shape:{key}"] = np.asarray(segs.shape[1:])
    return grid


def facets_of(grid) -> dict[str, np.ndarray]:
    """The tagged facets a :func:`picture_grid` carries ({} for other grids)."""
    out = {}
    for key in grid.field_data.keys():
        if key.startswith("facets:"):
            name = key.split(":", 1)[1]
            shape = tuple(int(v) for v in grid.field_data[f"facets_shape:{name}"])
            out[name] = np.asarray(grid.field_data[key]).reshape(-1, *shape)
    return out
