"""A 3D electrolyte on a rough anode as a structured mesh built by DOLFINx (no Gmsh).

The same cell as ``rough_interface_3d`` (electrolyte over ``z = h(x, y)``, the Li below
not meshed and seen as the boundary ``anode_interface``; ``counter_electrode`` at
``z = thickness``; ``sides``), with the same height maps (``random``, ``sinusoids``,
``image``), but meshed as a box of ``nx x ny`` columns whose vertices are moved onto the
height map (see :class:`meshes.described.HeightMapSlab`). Each rank builds its own part of
the box, so meshing costs about as much as reading a mesh of the same size.

Sizes: the lateral spacing is ``mesh.interface_size`` (default: the smallest feature / 6,
at most width / 30), which is also the thickness of the first layer on the interface;
each next layer is ``growth_ratio`` times thicker, up to ``mesh.size`` (default
thickness / 8). ``mesh.size_factor`` scales both.

The interface is the piecewise-linear interpolant of the height map at the vertices:
its area converges at second order in the lateral spacing.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from meshes import GeometryParameters, MeshSettings, register, slab
from meshes.described import HeightMapSlab, graded_levels
from meshes.rough3d import HeightMap, RandomMap, check_height_map
from solver.config.units import Quantity

Length = Quantity("m")
CellType = Literal["tetrahedron", "hexahedron"]


class StructuredRoughInterface3D(GeometryParameters):
    size_key: ClassVar[str] = "mesh.interface_size"

    width: Length = Field(10e-6, gt=0, description="box width along x [m]")
    depth: Length = Field(10e-6, gt=0, description="box depth along y [m]")
    thickness: Length = Field(10e-6, gt=0, description="electrolyte thickness L along z, mean interface to counter [m]")
    height_map: HeightMap = Field(
        default_factory=lambda: RandomMap(kind="random", rms_height=0.3e-6, correlation_length=2.5e-6),
        description="interface height map h(x, y)",
    )
    cell_type: CellType = Field("tetrahedron", description="cells: tetrahedron (6 per box cell) or hexahedron")
    growth_ratio: float = Field(1.25, ge=1.0, le=2.0, description="thickness ratio of successive layers away "
                                "from the interface [-]")
    memory_limit: Quantity("B") | None = Field(None, gt=0, description="largest memory the run may use [B] "
                                               "(default: half of this machine's)")

    def sizes(self, mesh: MeshSettings) -> tuple[float, float]:
        """(lateral spacing = first layer thickness, largest layer thickness) [m]."""
        feature = self.height_map.smallest_feature(self.width, self.depth)
        h_int = mesh.scaled(mesh.interface_size or min(feature / 6, self.width / 30))
        h_far = max(h_int, mesh.scaled(mesh.size or self.thickness / 8))
        return h_int, h_far

    def grid(self, mesh: MeshSettings) -> tuple[int, int, np.ndarray]:
        """(nx, ny, z-levels [m]) of the box before mapping."""
        h_int, h_far = self.sizes(mesh)
        nx, ny = (max(2, int(np.ceil(L / h_int - 1e-9))) for L in (self.width, self.depth))
        return nx, ny, graded_levels(self.thickness, h_int, h_far, self.growth_ratio)

    def estimated_size(self, mesh: MeshSettings) -> tuple[float, float]:
        """(cells, vertices = P1 unknowns) of the mesh these parameters give, exactly [-]."""
        h_int, _ = self.sizes(mesh)
        nx, ny = (max(2, int(np.ceil(L / h_int - 1e-9))) for L in (self.width, self.depth))
        if nx * ny > 1e9:  # do not build the levels of an absurd grid
            return 6.0 * nx * ny, float(nx * ny)
        nz = len(self.grid(mesh)[2]) - 1
        return float(nx * ny * nz * (6 if self.cell_type == "tetrahedron" else 1)), float((nx + 1) * (ny + 1) * (nz + 1))

    def heights(self, nx: int, ny: int) -> np.ndarray:
        """The height map at the lateral grid vertices [m], shape (nx + 1, ny + 1)."""
        x, y = np.meshgrid(np.linspace(0, self.width, nx + 1), np.linspace(0, self.depth, ny + 1), indexing="ij")
        return np.asarray(self.height_map.heights(x, y, self.width, self.depth), float)

    @model_validator(mode="after")
    def _check(self):
        check_height_map(self.height_map, self.width, self.depth, self.thickness, self.heights(64, 64))
        return self


def height_moments(h: np.ndarray) -> tuple[float, float]:
    """Mean and RMS of the piecewise-bilinear height over the box (trapezoidal rule) [m]."""
    w = np.ones(h.shape)
    w[[0, -1], :] *= 0.5
    w[:, [0, -1]] *= 0.5
    mean = float((w * h).sum() / w.sum())
    return mean, float(np.sqrt(max((w * h**2).sum() / w.sum() - mean**2, 0.0)))


@register("rough_interface_3d_structured", StructuredRoughInterface3D, slab(3), kind="height_map")
def build(p: StructuredRoughInterface3D, mesh: MeshSettings) -> HeightMapSlab:
    """3D electrolyte on a rough Li anode as a structured mesh graded to the interface (built by DOLFINx)."""
    nx, ny, levels = p.grid(mesh)
    h = p.heights(nx, ny)
    mean_h, rms_h = height_moments(h)
    feature = p.height_map.smallest_feature(p.width, p.depth)
    metadata = {
        "gdim": 3,
        "generator": "rough_interface_3d_structured",
        "grid": [int(nx), int(ny), int(len(levels) - 1)],
        "interface_mean_height_m": mean_h,
        "interface_rms_height_m": rms_h,
        "interface_length_scale_m": float(feature),
        "electrolyte_thickness_m": p.thickness,
        "electrolyte_volume_m3": float(p.width * p.depth * (p.thickness - mean_h)),
        "projected_interface_area_m2": p.width * p.depth,
    }
    return HeightMapSlab(p.width, p.depth, p.thickness, h, levels, p.cell_type, "electrolyte", metadata)
