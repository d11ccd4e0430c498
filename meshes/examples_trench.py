"""Example generator (docs/adding_a_geometry.md): an electrolyte on a Li anode with one
Li-filled rectangular trench.

The electrolyte fills ``0 < x < width``, ``0 < y < thickness`` minus the trench
``|x - width/2| < trench_width/2``, ``0 < y < trench_depth`` (Li, not meshed). The
electrolyte area is ``width * thickness - trench_width * trench_depth`` [m^2].
"""

from __future__ import annotations

from pydantic import Field, model_validator

from meshes import GeometryParameters, MeshSettings, register, slab
from solver.config.units import Quantity

Length = Quantity("m")


class Trench2D(GeometryParameters):
    width: Length = Field(10e-6, gt=0, description="cell width [m]")
    thickness: Length = Field(5e-6, gt=0, description="electrolyte thickness L [m]")
    trench_width: Length = Field(1e-6, gt=0, description="trench opening width [m]")
    trench_depth: Length = Field(1e-6, gt=0, description="trench depth into the electrolyte [m]")

    @model_validator(mode="after")
    def _fits(self):
        if self.trench_width >= self.width or self.trench_depth >= self.thickness:
            raise ValueError("the trench must be narrower than the cell and shallower than the electrolyte")
        return self


@register("trench_2d", Trench2D, slab(2))
def build(model, p: Trench2D, mesh: MeshSettings) -> dict:
    """2D electrolyte on a flat anode with one Li-filled rectangular trench."""
    geo = model.geo
    a, b = (p.width - p.trench_width) / 2, (p.width + p.trench_width) / 2
    corners = [(0, 0), (a, 0), (a, p.trench_depth), (b, p.trench_depth), (b, 0), (p.width, 0),
               (p.width, p.thickness), (0, p.thickness)]
    pts = [geo.addPoint(x, y, 0.0) for x, y in corners]
    lines = [geo.addLine(pts[k], pts[(k + 1) % len(pts)]) for k in range(len(pts))]
    surface = geo.addPlaneSurface([geo.addCurveLoop(lines)])
    geo.synchronize()
    model.addPhysicalGroup(2, [surface], name="electrolyte")
    model.addPhysicalGroup(1, lines[:5], name="anode_interface")
    model.addPhysicalGroup(1, [lines[6]], name="counter_electrode")
    model.addPhysicalGroup(1, [lines[5], lines[7]], name="sides")

    # Size field: fine (h_int) within 2 h_int of the anode, coarse (h_far) beyond L/3.
    h_int = mesh.scaled(mesh.interface_size or p.trench_width / 10)
    h_far = max(h_int, mesh.scaled(mesh.size or p.thickness / 10))  # scaled once
    f = model.mesh.field
    dist = f.add("Distance")
    f.setNumbers(dist, "CurvesList", lines[:5])
    f.setNumber(dist, "Sampling", 100)
    thr = f.add("Threshold")
    f.setNumber(thr, "InField", dist)
    f.setNumber(thr, "SizeMin", h_int)
    f.setNumber(thr, "SizeMax", h_far)
    f.setNumber(thr, "DistMin", 2 * h_int)
    f.setNumber(thr, "DistMax", p.thickness / 3)
    f.setAsBackgroundMesh(thr)
    return {
        "gdim": 2,
        "electrolyte_area_m2": p.width * p.thickness - p.trench_width * p.trench_depth,
        "electrolyte_thickness_m": p.thickness,
        "projected_interface_area_m": p.width,
    }
