"""``step_2d``: an electrolyte slab on a Li anode with one step (a terrace edge).

The anode surface is y = 0 for x < width / 2 and y = step_height beyond; the counter
electrode is y = thickness. Regions and boundaries follow dendrite's conventions.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from meshes import GeometryParameters, MeshSettings, register, slab
from solver.config.units import Quantity

Length = Quantity("m")


class Step2D(GeometryParameters):
    width: Length = Field(10e-6, gt=0, description="cell width along the interface [m]")
    thickness: Length = Field(10e-6, gt=0, description="lower anode level to counter electrode [m]")
    step_height: Length = Field(1e-6, gt=0, description="height of the step of the anode surface [m]")

    @model_validator(mode="after")
    def _check(self):
        if self.step_height >= 0.5 * self.thickness:
            raise ValueError("step_height must stay below half the thickness")
        return self


@register("step_2d", Step2D, slab(2))  # 2D; electrolyte; anode_interface, counter_electrode, sides
def build(model, p: Step2D, mesh: MeshSettings) -> dict:
    """Electrolyte slab on a Li anode with one step of height step_height at mid-width."""
    geo = model.geo
    w, t, s = p.width, p.thickness, p.step_height
    corners = [(0, 0), (w / 2, 0), (w / 2, s), (w, s), (w, t), (0, t)]
    pts = [geo.addPoint(x, y, 0.0) for x, y in corners]
    lines = [geo.addLine(pts[k], pts[(k + 1) % len(pts)]) for k in range(len(pts))]
    surface = geo.addPlaneSurface([geo.addCurveLoop(lines)])
    geo.synchronize()
    model.addPhysicalGroup(2, [surface], name="electrolyte")
    model.addPhysicalGroup(1, lines[:3], name="anode_interface")
    model.addPhysicalGroup(1, [lines[4]], name="counter_electrode")
    model.addPhysicalGroup(1, [lines[3], lines[5]], name="sides")

    # fine at the anode (the step corner focuses the current), coarse towards the counter
    h_int = mesh.scaled(mesh.interface_size or s / 10)
    h_far = max(h_int, mesh.scaled(mesh.size or t / 10))
    field = model.mesh.field
    dist = field.add("Distance")
    field.setNumbers(dist, "CurvesList", lines[:3])
    field.setNumber(dist, "Sampling", 100)
    threshold = field.add("Threshold")
    field.setNumber(threshold, "InField", dist)
    field.setNumber(threshold, "SizeMin", h_int)
    field.setNumber(threshold, "SizeMax", h_far)
    field.setNumber(threshold, "DistMin", 2 * h_int)
    field.setNumber(threshold, "DistMax", t / 3)
    field.setAsBackgroundMesh(threshold)
    return {
        "gdim": 2,
        "electrolyte_thickness_m": t,
        "projected_interface_area_m": w,
        "electrolyte_area_m2": w * t - s * w / 2,
    }
