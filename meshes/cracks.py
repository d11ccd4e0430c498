"""Verification crack geometries: straight slits in large 2D plates (plane strain).

Both plates are meshed as one body with a true slit: the two crack faces are distinct
curves (duplicated nodes), so a crack face can carry a pressure and both faces, the
crack opening and K_II are resolved. The crack lies on ``y = 0`` and runs from the
``mouth`` at ``x = 0`` to the ``tip`` at ``x = a``; it extends in +x.

``centre_crack_plate``
    A centre crack of length 2a in a plate of width W and height H. Only the half
    ``x >= 0`` is meshed: ``x = 0`` (boundary ``left``) is the symmetry plane through
    the crack centre, to be held with a roller (u_x = 0). Handbook value (Tada, Paris
    and Irwin 2000; Feddersen width correction, within 0.3 % for a/W < 0.35):
    K_I = p sqrt(pi a) sqrt(sec(pi a / W)) for a face pressure p, and the same with
    p -> s for a remote tension s on ``top``/``bottom`` (superposition).
``edge_crack_plate``
    An edge crack of depth a from the free edge ``x = 0`` of a plate of width W and
    height H (a half-plane when W, H >> a). Handbook value (Tada; strip in tension,
    bending not constrained, within 0.5 % for a/W < 0.6):
    K_I = F(a/W) p sqrt(pi a), F(x) = 1.122 - 0.231 x + 10.55 x^2 - 21.71 x^3 + 30.382 x^4,
    whose half-plane limit is 1.1215.

Regions: ``electrolyte`` (all cells). Boundaries: ``crack_faces`` (both faces),
``top`` (y = H/2), ``bottom`` (y = -H/2), ``left`` (x = 0, crack mouth side),
``right`` (far side). The ligament (y = 0, a < x < X) is split at ``ligament_mid``;
``ligament_end`` = (X, 0) and ``ligament_mid`` are mesh vertices on the symmetry line
y = 0, so that rigid-body motion can be removed by point constraints that carry no load
for loads symmetric about y = 0.

Mesh: size h_tip at the tip growing linearly with the distance r from it,
h(r) = min(h_far, h_tip + grading * r) (all sizes times ``size_factor``).
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register
from solver.config.units import Quantity

Length = Quantity("m")


class _CrackPlate(GeometryParameters):
    crack_length: Length = Field(
        1e-6, gt=0, description="a: half-length (centre crack) or depth (edge crack) [m]"
    )
    width: Length = Field(40e-6, gt=0, description="W: plate width [m]")
    height: Length = Field(40e-6, gt=0, description="H: plate height [m]")
    tip_size: Length | None = Field(None, gt=0, description="element size at the tip [m]; default a/400")
    grading: float = Field(
        0.12, gt=0, le=1, description="growth of the element size with distance from the tip [-]"
    )


class CentreCrackPlate(_CrackPlate):
    @model_validator(mode="after")
    def _check(self):
        if self.crack_length >= 0.45 * self.width:
            raise ValueError("crack_length (half-length a) must be below 0.45 * width")
        return self


class EdgeCrackPlate(_CrackPlate):
    width: Length = Field(40e-6, gt=0, description="W: plate width [m]")
    height: Length = Field(80e-6, gt=0, description="H: plate height [m]")

    @model_validator(mode="after")
    def _check(self):
        if self.crack_length >= 0.9 * self.width:
            raise ValueError("crack_length (depth a) must be below 0.9 * width")
        return self


# A plate with a slit for fracture-mechanics checks: no anode, so no Li-filled flaws.
PLATE = GeometryDeclaration(dimension=2, regions=frozenset({"electrolyte"}),
                            boundaries=frozenset({"crack_faces", "top", "bottom", "left", "right"}))


def _tip_size_field(model, mesh, p, a: float, tip: int) -> float:
    """Element size growing linearly from the tip point ``tip`` (tip size, then ``grading``
    per unit distance, up to the far size); returns the tip size [m]."""
    h_tip = mesh.scaled(mesh.interface_size or p.tip_size or a / 400)
    h_far = mesh.scaled(mesh.size or max(p.width, p.height) / 10)
    grading = min(1.0, mesh.scaled(p.grading))
    field = model.mesh.field
    dist = field.add("Distance")
    field.setNumbers(dist, "PointsList", [tip])
    size = field.add("MathEval")
    field.setString(size, "F", f"Min({h_far!r}, {h_tip!r} + {grading!r} * F{dist})")
    field.setAsBackgroundMesh(size)
    return h_tip

def _slit_plate(model, p: _CrackPlate, mesh: MeshSettings, x_far: float) -> dict:
    """Plate [0, x_far] x [-H/2, H/2] with a slit from (0, 0) to (a, 0)."""
    occ = model.occ
    a, h2 = p.crack_length, p.height / 2
    mouth_up = occ.addPoint(0, 0, 0)
    mouth_low = occ.addPoint(0, 0, 0)  # same place, distinct point: the faces do not share nodes
    tip = occ.addPoint(a, 0, 0)
    x_mid = 0.5 * (a + x_far)
    mid = occ.addPoint(x_mid, 0, 0)
    end = occ.addPoint(x_far, 0, 0)
    c_ur, c_ul = occ.addPoint(x_far, h2, 0), occ.addPoint(0, h2, 0)
    c_lr, c_ll = occ.addPoint(x_far, -h2, 0), occ.addPoint(0, -h2, 0)

    face_up = occ.addLine(mouth_up, tip)
    face_low = occ.addLine(mouth_low, tip)
    lig1, lig2 = occ.addLine(tip, mid), occ.addLine(mid, end)
    right_up, top, left_up = occ.addLine(end, c_ur), occ.addLine(c_ur, c_ul), occ.addLine(c_ul, mouth_up)
    left_low, bottom = occ.addLine(mouth_low, c_ll), occ.addLine(c_ll, c_lr)
    right_low = occ.addLine(c_lr, end)

    upper = occ.addPlaneSurface([occ.addCurveLoop([face_up, lig1, lig2, right_up, top, left_up])])
    lower = occ.addPlaneSurface([occ.addCurveLoop([left_low, bottom, right_low, lig2, lig1, face_low])])
    occ.synchronize()

    model.addPhysicalGroup(2, [upper, lower], name="electrolyte")
    model.addPhysicalGroup(1, [face_up, face_low], name="crack_faces")
    model.addPhysicalGroup(1, [top], name="top")
    model.addPhysicalGroup(1, [bottom], name="bottom")
    model.addPhysicalGroup(1, [left_up, left_low], name="left")
    model.addPhysicalGroup(1, [right_up, right_low], name="right")

    h_tip = _tip_size_field(model, mesh, p, a, tip)

    return {
        "gdim": 2,
        "crack_tips": [{"tip": [a, 0.0], "direction": [1.0, 0.0], "mouth": [0.0, 0.0], "depth": a}],
        "crack_length_m": a,
        "tip_size_m": h_tip,
        "support_points": {"ligament_mid": [x_mid, 0.0], "ligament_end": [x_far, 0.0]},
    }


@register("centre_crack_plate", CentreCrackPlate, PLATE)
def build_centre(model, p: CentreCrackPlate, mesh: MeshSettings) -> dict:
    """Centre crack 2a in a W x H plate, half model x >= 0 (symmetry plane ``left``)."""
    meta = _slit_plate(model, p, mesh, p.width / 2)
    # statically determinate supports for loads symmetric about y = 0 (zero reactions)
    meta["supports"] = {"constraints": {"left": "symmetry"},
                        "point_constraints": [[meta["support_points"]["ligament_end"], [None, 0.0]]]}
    a, w = p.crack_length, p.width
    meta["handbook"] = {
        "formula": "K_I = p sqrt(pi a) sqrt(sec(pi a / W)) (Feddersen)",
        "geometry_factor": math.sqrt(1 / math.cos(math.pi * a / w)),
    }
    return meta


def edge_crack_factor(ratio: float) -> float:
    """Tada's F(a/W) for an edge crack in a strip under tension (bending free) [-]."""
    x = ratio
    return 1.122 - 0.231 * x + 10.55 * x**2 - 21.71 * x**3 + 30.382 * x**4


@register("edge_crack_plate", EdgeCrackPlate, PLATE)
def build_edge(model, p: EdgeCrackPlate, mesh: MeshSettings) -> dict:
    """Edge crack of depth a from the free edge ``left`` of a W x H plate (half-plane limit)."""
    meta = _slit_plate(model, p, mesh, p.width)
    sp = meta["support_points"]
    meta["supports"] = {"constraints": {}, "point_constraints": [[sp["ligament_end"], [0.0, 0.0]],
                                                                 [sp["ligament_mid"], [None, 0.0]]]}
    # Tada's fit gives 1.122 at a/W -> 0; the exact half-plane value is 1.1215.
    meta["handbook"] = {
        "formula": "K_I = F(a/W) p sqrt(pi a), F -> 1.1215 (half-plane)",
        "geometry_factor": 1.1215 * edge_crack_factor(p.crack_length / p.width) / 1.122,
    }
    return meta


class BimaterialEdgeCrackPlate(EdgeCrackPlate):
    """Edge crack in ``electrolyte`` whose tip lies ``interface_offset`` before a straight
    interface ``x = a + d`` with a second material ``interphase`` (perpendicular to the crack)."""

    interface_offset: Length = Field(0.0, ge=0, description="d: distance from the tip to the interface [m] "
                                     "(0: the crack terminates at the interface)")

    @model_validator(mode="after")
    def _check_interface(self):
        if self.crack_length + self.interface_offset >= 0.9 * self.width:
            raise ValueError("crack_length + interface_offset must be below 0.9 * width")
        return self


BIMATERIAL_PLATE = GeometryDeclaration(dimension=2, regions=frozenset({"electrolyte", "interphase"}),
                                       boundaries=frozenset({"crack_faces", "top", "bottom", "left", "right"}))


def _half(occ, mouth: int, tip: int, iface: int, end: int, ligament: tuple, corners: tuple[int, int, int]):
    """Curves and the two surfaces of one half (above or below the crack line) of the plate;
    ``ligament`` = (tip -> interface or None, interface -> mid, mid -> end), shared by the halves."""
    c_out, c_iface, c_mouth = corners  # far corner, interface corner, mouth-side corner
    lig0, lig1, lig2 = ligament
    face = occ.addLine(mouth, tip)
    vert = occ.addLine(iface, c_iface)
    edge1 = occ.addLine(c_iface, c_mouth)
    left = occ.addLine(c_mouth, mouth)
    right, edge2 = occ.addLine(end, c_out), occ.addLine(c_out, c_iface)
    first = [face] + ([lig0] if lig0 else []) + [vert, edge1, left]
    s1 = occ.addPlaneSurface([occ.addCurveLoop(first, reorient=True)])
    s2 = occ.addPlaneSurface([occ.addCurveLoop([lig1, lig2, right, edge2, -vert], reorient=True)])
    return {"face": face, "lig": [c for c in (lig0, lig1, lig2) if c], "edges": [edge1, edge2], "left": left,
            "right": right, "surfaces": (s1, s2), "vertical": vert}


@register("bimaterial_edge_crack_plate", BimaterialEdgeCrackPlate, BIMATERIAL_PLATE)
def build_bimaterial_edge(model, p: BimaterialEdgeCrackPlate, mesh: MeshSettings) -> dict:
    """Edge crack of depth a from ``left``, its tip d before the interface with ``interphase``."""
    occ = model.geo  # the geo kernel: OCC's 1e-7 tolerance would merge a tip close to the interface
    a, d, h2, w = p.crack_length, p.interface_offset, p.height / 2, p.width
    x_i = a + d
    x_mid = 0.5 * (x_i + w)
    mouth_up, mouth_low, tip = occ.addPoint(0, 0, 0), occ.addPoint(0, 0, 0), occ.addPoint(a, 0, 0)
    iface = occ.addPoint(x_i, 0, 0) if d > 0 else tip
    mid, end = occ.addPoint(x_mid, 0, 0), occ.addPoint(w, 0, 0)
    up = (occ.addPoint(w, h2, 0), occ.addPoint(x_i, h2, 0), occ.addPoint(0, h2, 0))
    low = (occ.addPoint(w, -h2, 0), occ.addPoint(x_i, -h2, 0), occ.addPoint(0, -h2, 0))
    ligament = (occ.addLine(tip, iface) if d > 0 else None, occ.addLine(iface, mid), occ.addLine(mid, end))
    u = _half(occ, mouth_up, tip, iface, end, ligament, up)
    lo = _half(occ, mouth_low, tip, iface, end, ligament, low)
    occ.synchronize()
    model.addPhysicalGroup(2, [u["surfaces"][0], lo["surfaces"][0]], name="electrolyte")
    model.addPhysicalGroup(2, [u["surfaces"][1], lo["surfaces"][1]], name="interphase")
    model.addPhysicalGroup(1, [u["face"], lo["face"]], name="crack_faces")
    model.addPhysicalGroup(1, u["edges"], name="top")
    model.addPhysicalGroup(1, lo["edges"], name="bottom")
    model.addPhysicalGroup(1, [u["left"], lo["left"]], name="left")
    model.addPhysicalGroup(1, [u["right"], lo["right"]], name="right")

    h_tip = _tip_size_field(model, mesh, p, a, tip)
    return {
        "gdim": 2,
        "crack_tips": [{"tip": [a, 0.0], "direction": [1.0, 0.0], "mouth": [0.0, 0.0], "depth": a}],
        "crack_length_m": a,
        "interface_offset_m": d,
        "tip_size_m": h_tip,
        "support_points": {"ligament_mid": [x_mid, 0.0], "ligament_end": [w, 0.0]},
    }
