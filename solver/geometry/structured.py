"""A :class:`~meshes.described.HeightMapSlab` as a distributed, tagged DOLFINx mesh.

Each rank builds its part of the flat box with the slab's cells (``create_box``, z in
``[0, nz]`` layer units), tags its facets on the flat box, then moves its own vertices:
layer k goes to ``z = levels[k]`` (grading) and then onto the height map,
``z' = h(x, y) + (L - h(x, y)) z / L``, with ``h`` read at the vertex's lateral grid
index. Every vertex of the box is a grid point, so the mapping is exact there and the
same on every rank (shared vertices stay shared).
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from meshes.described import BOUNDARIES, HeightMapSlab
from solver.geometry.boxes import box_facet_tags, distributed_box, finish, local_cells, timer

__all__ = ["build_height_map_slab", "lift_onto_heights"]


def build_height_map_slab(slab: HeightMapSlab, comm: MPI.Comm = MPI.COMM_WORLD):
    """The tagged mesh of ``slab``: region ``slab.region``, boundaries anode_interface,
    counter_electrode, sides."""
    clock = timer()
    nx, ny, nz = slab.cells
    extent = np.array([slab.width, slab.depth, float(nz)])
    msh = distributed_box(comm, extent, (nx, ny, nz), slab.cell_type)
    facets, values = box_facet_tags(msh, extent)
    _map_vertices(msh.geometry.x, slab)
    cells = np.ones(local_cells(msh).size, np.int32)
    metadata = dict(slab.metadata, geometry=slab.metadata.get("generator", ""))
    return finish(msh, cells, facets, values, {slab.region: 1}, dict(BOUNDARIES), metadata, clock())


def _map_vertices(x: np.ndarray, slab: HeightMapSlab) -> None:
    """Move the box vertices (z in layer units) onto the graded slab over the height map, in place."""
    k = np.clip(np.rint(x[:, 2]).astype(np.int64), 0, len(slab.levels) - 1)
    x[:, 2] = slab.levels[k]
    lift_onto_heights(x, slab.heights, slab.width, slab.depth, slab.thickness)


def lift_onto_heights(x: np.ndarray, heights: np.ndarray, width: float, depth: float, thickness: float) -> None:
    """z' = h + (L - h) z / L for vertices of a lateral grid of ``heights.shape - 1`` cells over
    [0, width] x [0, depth] (h read at the vertex's grid index), in place."""
    nx, ny = heights.shape[0] - 1, heights.shape[1] - 1
    i = np.clip(np.rint(x[:, 0] / width * nx).astype(np.int64), 0, nx)
    j = np.clip(np.rint(x[:, 1] / depth * ny).astype(np.int64), 0, ny)
    h = heights[i, j]
    x[:, 2] = h + (thickness - h) * (x[:, 2] / thickness)
