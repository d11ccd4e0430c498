"""A :class:`~meshes.described.LabelVolume` as a distributed, tagged DOLFINx mesh.

Each rank builds its part of the box of one cell (or 6 tetrahedra) per voxel
(``create_box``) and reads the label of each of its cells at the cell midpoint, which lies
inside the cell's voxel. Cells get the tag of their label's region; interior facets whose
two cells carry different labels of the same region get ``grain_boundary_facets``. With
shared-facet ghosts both cells of every owned facet are local, so this needs no
communication.

A rough anode (``heights``) maps the grid as the structured slab does (see
:mod:`solver.geometry.structured`), after the labels are read and the facets tagged.

Smoothing (``smoothing`` > 0 passes): the vertices on label interfaces (a vertex whose
surrounding voxels do not all carry one label) are moved by Taubin's lambda|mu filter
(lambda = 0.5, mu = -0.53), each pass ``x <- x + f * mean_n (x_n - x)`` over the
neighbouring interface vertices n of the grid. Vertices on the box faces keep their
normal coordinate, every displacement is at most 0.3 voxel per axis, and the result is
checked for inverted cells. The displacement is computed from the label array alone,
identically on every rank, so shared vertices stay shared.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

import dolfinx

from meshes.described import BOUNDARIES, GB_FACET_TAG, GB_FACETS, LabelVolume
from solver.errors import GeometryError
from solver.geometry.boxes import box_facet_tags, distributed_box, finish, local_cells, timer
from solver.geometry.structured import lift_onto_heights

__all__ = ["build_label_volume", "interface_displacement"]

TAUBIN = (0.5, -0.53)
MAX_SHIFT = 0.3  # voxels


def build_label_volume(volume: LabelVolume, comm: MPI.Comm = MPI.COMM_WORLD):
    """The tagged mesh of ``volume``: a region per region name (tags 1.. in name order),
    boundaries anode_interface, counter_electrode, sides and grain_boundary_facets."""
    clock = timer()
    labels = volume.labels
    spacing = np.asarray(volume.voxel_size)
    extent = np.asarray(labels.shape) * spacing
    msh = distributed_box(comm, extent, labels.shape, volume.cell_type)
    tdim = msh.topology.dim
    mid = dolfinx.mesh.compute_midpoints(msh, tdim, local_cells(msh))
    index = tuple(np.clip((mid[:, a] / spacing[a]).astype(np.int64), 0, labels.shape[a] - 1) for a in range(3))
    cell_labels = labels[index]
    names = sorted(set(volume.regions.values()) | set(volume.region_names))
    region_tags = {name: t + 1 for t, name in enumerate(names)}
    lookup = {label: region_tags[name] for label, name in volume.regions.items()}
    keys = np.array(sorted(lookup), dtype=np.int64)
    cell_regions = np.array([lookup[k] for k in keys], np.int32)[np.searchsorted(keys, cell_labels)]
    facets, values = box_facet_tags(msh, extent)
    gb = _grain_boundary_facets(msh, cell_labels, cell_regions)
    boundaries = dict(BOUNDARIES)
    if comm.allreduce(gb.size, MPI.SUM):
        boundaries[GB_FACETS] = GB_FACET_TAG
    facets = np.concatenate([facets, gb])
    values = np.concatenate([values, np.full(gb.size, GB_FACET_TAG, np.int32)])
    if volume.smoothing:
        _smooth(msh, volume)
    if volume.heights is not None:  # after smoothing, which reads the flat grid positions
        lift_onto_heights(msh.geometry.x, volume.heights, extent[0], extent[1], extent[2])
    metadata = dict(volume.metadata, geometry=volume.metadata.get("generator", ""))
    return finish(msh, cell_regions, facets, values, region_tags, boundaries, metadata, clock())


def _grain_boundary_facets(msh, cell_labels: np.ndarray, cell_regions: np.ndarray) -> np.ndarray:
    """Local interior facets between two cells of different labels in one region."""
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    offsets, links = f2c.offsets, f2c.array
    two = np.flatnonzero(np.diff(offsets) == 2)
    a, b = links[offsets[two]], links[offsets[two] + 1]
    gb = (cell_labels[a] != cell_labels[b]) & (cell_regions[a] == cell_regions[b])
    return two[gb].astype(np.int32)


def interface_displacement(labels: np.ndarray, passes: int) -> np.ndarray:
    """Displacement of every grid vertex [voxels], shape (nx+1, ny+1, nz+1, 3), after
    ``passes`` Taubin passes on the label-interface vertices (zero elsewhere)."""
    padded = np.pad(labels, 1, mode="edge")
    n = np.asarray(labels.shape) + 1
    corners = [padded[i:i + n[0], j:j + n[1], k:k + n[2]] for i in (0, 1) for j in (0, 1) for k in (0, 1)]
    low, high = np.minimum.reduce(corners), np.maximum.reduce(corners)
    interface = low != high
    grid = np.stack(np.meshgrid(*[np.arange(m, dtype=float) for m in n], indexing="ij"), axis=-1)
    x = grid.copy()
    for step in range(2 * passes):
        x += TAUBIN[step % 2] * _neighbour_mean_offset(x, interface)
    shift = x - grid
    for axis in range(3):  # vertices on the box faces stay on them
        face = [slice(None)] * 3
        for end in (0, -1):
            face[axis] = end
            shift[(*face, axis)] = 0.0
    return np.clip(shift, -MAX_SHIFT, MAX_SHIFT)


def _neighbour_mean_offset(x: np.ndarray, interface: np.ndarray) -> np.ndarray:
    """mean over the interface grid neighbours n of (x_n - x), on interface vertices (else 0)."""
    total = np.zeros_like(x)
    count = np.zeros(interface.shape)
    for axis in range(3):
        for step in (1, -1):
            nb = np.roll(interface, -step, axis=axis)
            edge = [slice(None)] * 3
            edge[axis] = -1 if step == 1 else 0
            nb[tuple(edge)] = False  # no wrap-around
            total += np.where(nb[..., None], np.roll(x, -step, axis=axis) - x, 0.0)
            count += nb
    return np.where((interface & (count > 0))[..., None], total / np.maximum(count, 1)[..., None], 0.0)


def _smooth(msh, volume: LabelVolume) -> None:
    """Apply the interface smoothing to the local vertices; GeometryError if a cell inverts."""
    spacing = np.asarray(volume.voxel_size)
    shift = interface_displacement(volume.labels, volume.smoothing)
    x = msh.geometry.x
    before = _corner_volumes(msh)
    ijk = np.rint(x / spacing).astype(np.int64)
    x += shift[ijk[:, 0], ijk[:, 1], ijk[:, 2]] * spacing
    inverted = int(np.count_nonzero(np.sign(_corner_volumes(msh)) != np.sign(before)))
    if msh.comm.allreduce(inverted, MPI.SUM):
        raise GeometryError(f"geometry.smoothing: {volume.smoothing} passes invert cells; use fewer")


def _corner_volumes(msh) -> np.ndarray:
    """Signed corner Jacobian determinants of every local cell (tetrahedra: the one at vertex 0)."""
    dofs = msh.geometry.dofmaps[0]
    p = msh.geometry.x[dofs]
    if dofs.shape[1] == 4:
        corners = [(0, 1, 2, 3)]
    else:  # hexahedron, tensor-product vertex order: the neighbours of corner c are c ^ 1, c ^ 2, c ^ 4
        corners = [(c, c ^ 1, c ^ 2, c ^ 4) for c in range(8)]
    dets = [np.einsum("ij,ij->i", p[:, b] - p[:, a], np.cross(p[:, c] - p[:, a], p[:, d] - p[:, a]))
            for a, b, c, d in corners]
    return np.stack(dets, axis=1)
