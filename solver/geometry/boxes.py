"""Distributed box meshes and their tags: the common part of the structured and voxel builders.

``create_box`` builds the mesh on every rank at once (each rank gets its share of the
cells, ghosted across shared facets like the Gmsh meshes, so that interior-facet integrals
see both cells). Exterior facets are tagged by where their midpoints lie on the flat box:
``anode_interface`` (z = 0), ``counter_electrode`` (z = top), ``sides``.
"""

from __future__ import annotations

import time

import numpy as np
from mpi4py import MPI

import dolfinx

from meshes.described import BOUNDARIES

__all__ = ["distributed_box", "box_facet_tags", "local_cells", "finish"]

_CELL_TYPES = {"tetrahedron": dolfinx.mesh.CellType.tetrahedron, "hexahedron": dolfinx.mesh.CellType.hexahedron}


def distributed_box(comm: MPI.Comm, extent, cells, cell_type: str) -> dolfinx.mesh.Mesh:
    """The box [0, extent] with ``cells`` cells per axis, distributed with shared-facet ghosts."""
    return dolfinx.mesh.create_box(comm, [np.zeros(3), np.asarray(extent, float)], [int(n) for n in cells],
                                   cell_type=_CELL_TYPES[cell_type], ghost_mode=dolfinx.mesh.GhostMode.shared_facet)


def local_cells(msh: dolfinx.mesh.Mesh) -> np.ndarray:
    """Indices of all local cells, ghosts included."""
    imap = msh.topology.index_map(msh.topology.dim)
    return np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32)


def box_facet_tags(msh: dolfinx.mesh.Mesh, extent) -> tuple[np.ndarray, np.ndarray]:
    """(exterior facet indices, their boundary tags) of the flat box [0, extent]."""
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    facets = dolfinx.mesh.exterior_facet_indices(msh.topology)
    z = dolfinx.mesh.compute_midpoints(msh, tdim - 1, facets)[:, 2]
    tol = 1e-9 * float(extent[2])
    values = np.full(facets.size, BOUNDARIES["sides"], np.int32)
    values[np.abs(z) < tol] = BOUNDARIES["anode_interface"]
    values[np.abs(z - extent[2]) < tol] = BOUNDARIES["counter_electrode"]
    return facets.astype(np.int32), values


def finish(msh, cell_values, facets, facet_values, regions, boundaries, metadata, seconds):
    """The :class:`TaggedMesh` of a built box: tags, names, statistics."""
    from solver.geometry.driver import TaggedMesh, mesh_statistics

    tdim = msh.topology.dim
    cell_tags = dolfinx.mesh.meshtags(msh, tdim, local_cells(msh), np.asarray(cell_values, np.int32))
    order = np.argsort(facets, kind="stable")
    facet_tags = dolfinx.mesh.meshtags(msh, tdim - 1, facets[order], np.asarray(facet_values, np.int32)[order])
    stats = mesh_statistics(msh)
    stats.update(gmsh_seconds=0.0, import_seconds=0.0, build_seconds=seconds, cache_hit=False, cache_key="")
    return TaggedMesh(msh, cell_tags, facet_tags, regions, boundaries, metadata, stats)


def timer():
    """A clock started now: ``clock()`` gives the seconds since."""
    t0 = time.perf_counter()
    return lambda: time.perf_counter() - t0
