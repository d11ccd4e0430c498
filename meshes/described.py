"""Descriptions of structured meshes: what a generator returns when DOLFINx builds the mesh.

A Gmsh generator draws into a Gmsh model. A *described* generator (registered with
``kind="height_map"`` or ``kind="voxels"``) instead returns one of the plain-data
descriptions below; :mod:`solver.geometry.structured` and :mod:`solver.geometry.voxel`
turn it into a distributed, tagged DOLFINx mesh (``create_box``, every rank building its
own part), so that no mesh passes through a single process.

Both describe the slab ``0 < x < width``, ``0 < y < depth`` above the anode, with the
boundaries ``anode_interface`` (bottom), ``counter_electrode`` (top) and ``sides``.
Nothing here imports DOLFINx.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["HeightMapSlab", "LabelVolume", "graded_levels", "BOUNDARIES", "GB_FACETS"]

#: boundary name -> facet tag of every described mesh
BOUNDARIES = {"anode_interface": 1, "counter_electrode": 2, "sides": 3}
GB_FACETS = "grain_boundary_facets"
GB_FACET_TAG = 4


@dataclasses.dataclass(frozen=True)
class HeightMapSlab:
    """An electrolyte slab on an interface ``z = h(x, y)``, graded toward it.

    The flat box ``[0, width] x [0, depth] x [0, thickness]`` with ``heights.shape[0] - 1``
    by ``heights.shape[1] - 1`` cells laterally and the z-levels ``levels`` (``levels[0] = 0``,
    ``levels[-1] = thickness``) is mapped vertex by vertex onto

        z' = h(x, y) + (thickness - h(x, y)) z / thickness,

    so the bottom face follows the height map exactly at the vertices and the counter
    electrode stays flat at ``z' = thickness``.

    Attributes:
        width, depth, thickness: box extents [m].
        heights: interface height at the lateral grid vertices [m], shape (nx + 1, ny + 1)
            (x index first).
        levels: z-levels of the cell layers before mapping [m], increasing.
        cell_type: ``"tetrahedron"`` (each box cell split into 6) or ``"hexahedron"``.
        region: name of the single region (``"electrolyte"``).
        metadata: JSON-serialisable generator metadata.
    """

    width: float
    depth: float
    thickness: float
    heights: np.ndarray
    levels: np.ndarray
    cell_type: str
    region: str
    metadata: dict

    @property
    def cells(self) -> tuple[int, int, int]:
        """Box cells along x, y, z."""
        return self.heights.shape[0] - 1, self.heights.shape[1] - 1, len(self.levels) - 1


@dataclasses.dataclass(frozen=True)
class LabelVolume:
    """A voxel microstructure: one box cell (or 6 tetrahedra) per voxel.

    Attributes:
        labels: integer label of every voxel, shape (nx, ny, nz), index i along x.
        voxel_size: voxel edge lengths (dx, dy, dz) [m].
        regions: label -> region name; every label in ``labels`` has one.
        cell_type: ``"tetrahedron"`` or ``"hexahedron"``.
        smoothing: number of Taubin smoothing passes of the label interfaces (0: voxels).
        metadata: JSON-serialisable generator metadata.
        region_names: every region the geometry declares (a region may have no voxels).
        heights: a rough anode: the interface height at the lateral grid vertices [m], shape
            (nx + 1, ny + 1); the grid is mapped as a :class:`HeightMapSlab` (None: flat).

    Facets between two voxels of *different labels of the same region* are tagged
    ``grain_boundary_facets``; facets between regions are interior interfaces (untagged).
    """

    labels: np.ndarray
    voxel_size: tuple[float, float, float]
    regions: dict[int, str]
    cell_type: str
    smoothing: int
    metadata: dict
    region_names: tuple[str, ...] = ()
    heights: np.ndarray | None = None

    @property
    def extent(self) -> np.ndarray:
        return np.asarray(self.labels.shape) * np.asarray(self.voxel_size)


def graded_levels(thickness: float, first: float, largest: float, growth: float) -> np.ndarray:
    """Layer levels from 0 to ``thickness`` [m]: the first layer ``first`` thick, each next
    ``growth`` times thicker up to ``largest``, all stretched by one factor to end at
    ``thickness`` exactly."""
    first = min(first, thickness)
    levels, dz = [0.0], first
    while levels[-1] < thickness * (1 - 1e-9):
        levels.append(levels[-1] + dz)
        dz = min(dz * growth, max(largest, first))
    if len(levels) > 2 and levels[-1] - thickness > 0.5 * (levels[-1] - levels[-2]):
        levels.pop()  # the last layer overshoots by more than half: stretch instead
    z = np.asarray(levels)
    return z * (thickness / z[-1])
