"""3D crack geometries for stress intensity along a crack front.

Each generator returns its crack fronts in the metadata (``crack_fronts``): a dense
polyline of front points with, at each point, the crack-extension direction e1 (in the
crack plane, normal to the front, pointing away from the crack) and the crack-plane
normal e2. ``mirror_plane`` says whether the crack plane is a symmetry plane of the
model (only the half body on the +e2 side is meshed: mode I only, K_II = K_III = 0 by
symmetry). A front that ends on a symmetry plane of the model is marked in
``mirrored_ends``, so that a weight function cut by that plane is handled as the full one.

``edge_crack_3d``
    A through-thickness edge crack of depth a in a plate W x H x B (x across the width,
    y along the height, z through the thickness). The whole plate is meshed with a true
    slit (the two faces are distinct surfaces; the front is the line x = a, y = 0).
    With ``front``/``back`` (z = 0, B) held in z the state is exactly plane strain and
    K_I(z) equals the 2D value everywhere; with them free, K_I at the mid-plane
    approaches it as B / a grows.
``surface_crack_3d``
    A semi-elliptical surface crack of depth a and half-length c in a plate of thickness
    T, width W and height H: the crack lies in the plane z = 0, its mouth on the surface
    y = 0, the front is x = c cos(phi), y = a sin(phi) with phi = 90 deg at the deepest
    point. Quarter model (x >= 0, z >= 0): ``symmetry_x`` (x = 0) and ``ligament`` (z = 0
    outside the crack) are symmetry planes (``mirror_planes`` in the metadata); Raju and
    Newman (1981) give K_I for remote tension and, by superposition, for a uniform face
    pressure. As an electrolyte cell, y = 0 is the Li anode (``anode_interface``) and
    y = T the counter electrode; with ``li_filled`` the crack is a Li-filled flaw whose
    faces belong to the anode (the Porz chain: its front overpotential gives its pressure)
    and the metadata lists it under ``flaws``; otherwise its faces are ``crack_faces``.
``embedded_crack_3d``
    An embedded elliptical crack with semi-axes c (along x) and a (along y) at the centre
    of a box, in the plane z = 0. Octant model (x, y, z >= 0). Exact value in an
    infinite body under remote tension or face pressure s (Irwin 1962):
    K_I(phi) = s sqrt(pi a) / E(k) (sin^2 phi + (a/c)^2 cos^2 phi)^(1/4), with E(k) the
    complete elliptic integral of the second kind, k^2 = 1 - (a/c)^2 (a <= c).

Mesh: size ``front_size`` within ``front_size * 4`` of the front, growing linearly with
slope ``grading`` away from it, at most ``size`` (all sizes times ``size_factor``).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, model_validator

from meshes import FlawTip, Flaws, GeometryDeclaration, GeometryParameters, MeshSettings, register
from solver.config.units import Quantity

Length = Quantity("m")
FRONT_SAMPLES = 721  # polyline points of a curved front (about 0.125 deg apart on a quarter ellipse)


class _Front(GeometryParameters):
    front_size: Length | None = Field(None, gt=0, description="element size at the crack front [m]; "
                                      "default: crack depth / 12")
    grading: float = Field(0.35, gt=0, le=1, description="growth of the element size with distance from "
                           "the front [-]")


class EdgeCrack3D(_Front):
    crack_length: Length = Field(1e-6, gt=0, description="a: crack depth from the edge x = 0 [m]")
    width: Length = Field(10e-6, gt=0, description="W: plate width along x [m]")
    height: Length = Field(20e-6, gt=0, description="H: plate height along y [m]")
    thickness: Length = Field(2e-6, gt=0, description="B: plate thickness along z (the front length) [m]")

    @model_validator(mode="after")
    def _check(self):
        if self.crack_length >= 0.9 * self.width:
            raise ValueError("crack_length must be below 0.9 * width")
        return self


class SurfaceCrack3D(_Front):
    crack_depth: Length = Field(1e-6, gt=0, description="a: crack depth from the surface y = 0 [m]")
    half_length: Length = Field(1e-6, gt=0, description="c: half-length of the crack along x [m]")
    thickness: Length = Field(5e-6, gt=0, description="T: plate thickness along y [m]")
    width: Length = Field(10e-6, gt=0, description="W: plate width along x (full, 2b) [m]")
    height: Length = Field(10e-6, gt=0, description="H: plate height along z (full) [m]")
    li_filled: bool = Field(False, description="the crack is filled with Li connected to the anode: its faces "
                            "are part of anode_interface (a flaw for the risk analysis)")

    @model_validator(mode="after")
    def _check(self):
        if self.crack_depth >= 0.8 * self.thickness:
            raise ValueError("crack_depth must be below 0.8 * thickness")
        if self.half_length >= 0.4 * self.width:
            raise ValueError("half_length must be below 0.4 * width")
        return self


class EmbeddedCrack3D(_Front):
    crack_depth: Length = Field(1e-6, gt=0, description="a: semi-axis of the crack along y [m]")
    half_length: Length = Field(1e-6, gt=0, description="c: semi-axis of the crack along x [m]")
    box: Length = Field(10e-6, gt=0, description="edge of the cubic body (full) [m]")

    @model_validator(mode="after")
    def _check(self):
        if max(self.crack_depth, self.half_length) >= 0.3 * self.box:
            raise ValueError("the crack semi-axes must be below 0.3 * box")
        return self


def _declare(regions, boundaries):
    return GeometryDeclaration(dimension=3, regions=frozenset(regions), boundaries=frozenset(boundaries))


def _declare_edge(p: "EdgeCrack3D") -> GeometryDeclaration:
    return _declare({"electrolyte"}, {"crack_faces", "top", "bottom", "left", "right", "front", "back"})


def _declare_surface(p: "SurfaceCrack3D") -> GeometryDeclaration:
    boundaries = {"ligament", "symmetry_x", "side", "anode_interface", "counter_electrode", "top"}
    if not p.li_filled:
        return _declare({"electrolyte"}, boundaries | {"crack_faces"})
    tip = FlawTip(tip=(0.0, p.crack_depth, 0.0), direction=(0.0, 1.0, 0.0), mouth=(0.0, 0.0, 0.0),
                  depth=p.crack_depth, width=2 * p.half_length, tip_radius=0.0, shape="semi_elliptical_crack")
    return GeometryDeclaration(dimension=3, regions=frozenset({"electrolyte"}), boundaries=frozenset(boundaries),
                               flaws=Flaws(tips=(tip,), stress_intensity=True))


def _declare_embedded(p: "EmbeddedCrack3D") -> GeometryDeclaration:
    return _declare({"electrolyte"}, {"crack_faces", "ligament", "symmetry_x", "symmetry_y", "side_x", "side_y", "top"})


def ellipse_front(c: float, a: float, phi0: float, phi1: float, samples: int = FRONT_SAMPLES) -> dict:
    """Front x = c cos(phi), y = a sin(phi), z = 0 for phi in [phi0, phi1] (crack plane z = 0)."""
    phi = np.linspace(phi0, phi1, samples)
    points = np.stack([c * np.cos(phi), a * np.sin(phi), np.zeros_like(phi)], axis=1)
    outward = np.stack([np.cos(phi) / c, np.sin(phi) / a, np.zeros_like(phi)], axis=1)
    outward /= np.linalg.norm(outward, axis=1)[:, None]
    return {
        "points": points.tolist(),
        "extension": outward.tolist(),
        "normal": [0.0, 0.0, 1.0],
        "parameter": np.degrees(phi).tolist(),
        "parameter_name": "phi_deg",
    }


def _front_field(model, curves: list[int], h_front: float, h_far: float, grading: float) -> None:
    """Background size: h_front near the front curves, growing with ``grading`` up to h_far."""
    f = model.mesh.field
    dist = f.add("Distance")
    f.setNumbers(dist, "CurvesList", curves)
    f.setNumber(dist, "Sampling", 400)
    size = f.add("MathEval")
    f.setString(size, "F", f"Min({h_far!r}, {h_front!r} + {grading!r} * Max(F{dist} - {4 * h_front!r}, 0))")
    f.setAsBackgroundMesh(size)
    model.mesh.setSize(model.getEntities(0), h_far)


def _sizes(p: _Front, mesh: MeshSettings, depth: float, extent: float) -> tuple[float, float]:
    h_front = mesh.scaled(mesh.interface_size or p.front_size or depth / 12)
    h_far = max(h_front, mesh.scaled(mesh.size or extent / 6))
    return h_front, h_far


def _faces_by_plane(model, volume: int, axis: int, value: float, tol: float) -> list[int]:
    """Boundary faces of ``volume`` lying in the plane x_axis = value."""
    found = []
    for _, f in model.getBoundary([(3, volume)], oriented=False):
        box = model.getBoundingBox(2, f)
        if abs(box[axis] - value) < tol and abs(box[axis + 3] - value) < tol:
            found.append(f)
    return found


@register("edge_crack_3d", EdgeCrack3D, _declare_edge)
def build_edge_3d(model, p: EdgeCrack3D, mesh: MeshSettings) -> dict:
    """Through-thickness edge crack in a W x H x B plate, full model with a true slit."""
    occ = model.occ
    um = 1e-6  # drawn in micrometres (OCC tolerance 1e-7), dilated to metres at the end
    a, w, h2, b = p.crack_length / um, p.width / um, p.height / um / 2, p.thickness / um
    mouth_up, mouth_low = occ.addPoint(0, 0, 0), occ.addPoint(0, 0, 0)
    tip, mid, end = occ.addPoint(a, 0, 0), occ.addPoint((a + w) / 2, 0, 0), occ.addPoint(w, 0, 0)
    c_ur, c_ul, c_lr, c_ll = (occ.addPoint(w, h2, 0), occ.addPoint(0, h2, 0),
                              occ.addPoint(w, -h2, 0), occ.addPoint(0, -h2, 0))
    face_up, face_low = occ.addLine(mouth_up, tip), occ.addLine(mouth_low, tip)
    lig1, lig2 = occ.addLine(tip, mid), occ.addLine(mid, end)
    right_up, top, left_up = occ.addLine(end, c_ur), occ.addLine(c_ur, c_ul), occ.addLine(c_ul, mouth_up)
    left_low, bottom, right_low = occ.addLine(mouth_low, c_ll), occ.addLine(c_ll, c_lr), occ.addLine(c_lr, end)
    upper = occ.addPlaneSurface([occ.addCurveLoop([face_up, lig1, lig2, right_up, top, left_up])])
    lower = occ.addPlaneSurface([occ.addCurveLoop([left_low, bottom, right_low, lig2, lig1, face_low])])
    occ.extrude([(2, upper), (2, lower)], 0, 0, b)
    occ.synchronize()
    vols = [t for _, t in model.getEntities(3)]
    tol = 1e-4
    groups: dict[str, list[int]] = {k: [] for k in ("crack_faces", "top", "bottom", "left", "right", "front", "back")}
    for _, f in model.getEntities(2):
        x0, y0, z0, x1, y1, z1 = model.getBoundingBox(2, f)
        flat = {ax: abs(hi - lo) < 2 * tol for ax, (lo, hi) in enumerate([(x0, x1), (y0, y1), (z0, z1)])}
        if flat[1] and abs(y0) < tol and x1 < a + tol:
            groups["crack_faces"].append(f)
        elif flat[1] and abs(y0) < tol:
            continue  # the ligament: interior
        elif flat[1]:
            groups["top" if y0 > 0 else "bottom"].append(f)
        elif flat[0]:
            groups["left" if abs(x0) < tol else "right"].append(f)
        else:
            groups["front" if abs(z0) < tol else "back"].append(f)
    front_curve = [c for _, c in model.getEntities(1)
                   if np.allclose(model.getBoundingBox(1, c), [a, 0, 0, a, 0, b], atol=tol)]
    occ.dilate(model.getEntities(), 0, 0, 0, um, um, um)
    occ.synchronize()
    model.addPhysicalGroup(3, vols, name="electrolyte")
    for name, faces in groups.items():
        model.addPhysicalGroup(2, faces, name=name)
    h_front, h_far = _sizes(p, mesh, p.crack_length, max(p.width, p.height))
    _front_field(model, front_curve, h_front, h_far, mesh.scaled(p.grading))
    # The two crack faces coincide: Delaunay-type 3D algorithms (1, 7, 10) recover the
    # boundary of all volumes at once and see them as overlapping; the frontal one (4)
    # meshes each volume on its own.
    import gmsh  # (the driver has it running: this is the option store of the current session)

    gmsh.option.setNumber("Mesh.Algorithm3D", 4)
    z = np.linspace(0.0, p.thickness, 201)
    return {
        "gdim": 3,
        "crack_fronts": [{
            "points": np.stack([np.full_like(z, p.crack_length), 0 * z, z], axis=1).tolist(),
            "extension": [[1.0, 0.0, 0.0]] * len(z),
            "normal": [0.0, 1.0, 0.0],
            "parameter": (z / p.thickness).tolist(),
            "parameter_name": "z/B",
            "faces": "crack_faces",
            "mirror_plane": False,
            "mirrored_ends": [False, False],
        }],
        "front_size_m": h_front,
        # mesh vertices on the ligament line for statically determinate supports
        "support_points": {"ligament_end_front": [p.width, 0.0, 0.0], "ligament_end_back": [p.width, 0.0, p.thickness],
                           "ligament_mid_front": [(p.crack_length + p.width) / 2, 0.0, 0.0]},
        # free faces z = 0, B: six point constraints, zero reactions for loads symmetric about y = 0
        # (hold front and back in z for exact plane strain)
        "supports": {"constraints": {}, "point_constraints": [
            [[p.width, 0.0, 0.0], [0.0, 0.0, 0.0]], [[p.width, 0.0, p.thickness], [0.0, 0.0, None]],
            [[(p.crack_length + p.width) / 2, 0.0, 0.0], [None, 0.0, None]]]},
    }


def _crack_in_plane(model, c: float, a: float, x_max: float, y_max: float) -> int:
    """The quarter (x, y >= 0) of the ellipse x^2/c^2 + y^2/a^2 <= 1 in the plane z = 0."""
    occ = model.occ
    disk = occ.addDisk(0, 0, 0, max(c, a), min(c, a))
    if a > c:  # OCC wants the major radius first: draw along x, turn it onto y
        occ.rotate([(2, disk)], 0, 0, 0, 0, 0, 1, math.pi / 2)
    quarter, _ = occ.intersect([(2, disk)], [(2, occ.addRectangle(0, 0, 0, x_max, y_max))])
    return quarter[0][1]


def _split_plane(model, volume_tags, a: float, c: float, tol: float):
    """Faces in z = 0: inside the crack ellipse (crack faces) or outside (ligament)."""
    crack, ligament = [], []
    for vol in volume_tags:
        for f in _faces_by_plane(model, vol, 2, 0.0, tol):
            x, y, _ = model.occ.getCenterOfMass(2, f)
            (crack if (x / c) ** 2 + (y / a) ** 2 < 1 else ligament).append(f)
    return crack, ligament


def _front_curves(model, c: float, a: float, tol: float) -> list[int]:
    """Curves in z = 0 whose two end points lie on the crack ellipse (the front arc)."""
    found = []
    for _, cv in model.getEntities(1):
        ends = [model.getValue(0, pt, []) for _, pt in model.getBoundary([(1, cv)], oriented=False)]
        if len(ends) == 2 and all(abs(z) < tol and abs((x / c) ** 2 + (y / a) ** 2 - 1) < 1e-3 for x, y, z in ends):
            found.append(cv)
    return found


def _mirrored_crack_box(model, a: float, c: float, extent: tuple[float, float, float], planes: dict,
                       merge_faces_into: str | None = None) -> list[int]:
    """The box [0, X] x [0, Y] x [0, Z] [m] with the quarter-ellipse crack x^2/c^2 + y^2/a^2 <= 1
    in z = 0 (``crack_faces``; the rest of z = 0 is the ``ligament``) and the boundaries
    ``planes`` (name -> (axis, coordinate [m])). Drawn in micrometres (OCC tolerance 1e-7)
    and dilated to metres; ``merge_faces_into`` names the boundary that takes the crack faces
    (a Li-filled crack belongs to the anode). Returns the front curves."""
    occ = model.occ
    um = 1e-6
    a, c = a / um, c / um
    box = occ.addBox(0, 0, 0, *(x / um for x in extent))
    crack = _crack_in_plane(model, c, a, extent[0] / um, extent[1] / um)
    occ.fragment([(3, box)], [(2, crack)])
    occ.synchronize()
    vols = [t for _, t in model.getEntities(3)]
    tol = 1e-4
    crack_faces, ligament = _split_plane(model, vols, a, c, tol)
    front = _front_curves(model, c, a, tol)
    named = {"crack_faces": crack_faces, "ligament": ligament}
    for name, (axis, value) in planes.items():
        named[name] = [f for v in vols for f in _faces_by_plane(model, v, axis, value / um, tol)]
    if merge_faces_into is not None:
        named[merge_faces_into] += named.pop("crack_faces")
    occ.dilate(model.getEntities(), 0, 0, 0, um, um, um)
    occ.synchronize()
    model.addPhysicalGroup(3, vols, name="electrolyte")
    for name, faces in named.items():
        model.addPhysicalGroup(2, faces, name=name)
    return front


@register("surface_crack_3d", SurfaceCrack3D, _declare_surface)
def build_surface_3d(model, p: SurfaceCrack3D, mesh: MeshSettings) -> dict:
    """Semi-elliptical surface crack (depth a, half-length c) in a plate: quarter model."""
    bx, ty, hz = p.width / 2, p.thickness, p.height / 2
    planes = {"symmetry_x": (0, 0.0), "side": (0, bx), "anode_interface": (1, 0.0), "counter_electrode": (1, ty),
              "top": (2, hz)}
    front = _mirrored_crack_box(model, p.crack_depth, p.half_length, (bx, ty, hz), planes,
                                "anode_interface" if p.li_filled else None)
    h_front, h_far = _sizes(p, mesh, min(p.crack_depth, p.half_length), max(p.thickness, p.width / 2))
    _front_field(model, front, h_front, h_far, mesh.scaled(p.grading))
    fr = ellipse_front(p.half_length, p.crack_depth, 0.0, math.pi / 2)
    fr.update(faces="crack_faces", mirror_plane=True, mirrored_ends=[False, True])
    meta = {"gdim": 3, "crack_fronts": [fr], "front_size_m": h_front, "mirror_planes": ["ligament", "symmetry_x"],
            "lateral_sides": ["side", "top"], "support_points": {"far_corner": [p.width / 2, p.thickness, 0.0]},
            "supports": {"constraints": {"symmetry_x": "symmetry", "ligament": "symmetry"},
                         "point_constraints": [[[p.width / 2, p.thickness, 0.0], [None, 0.0, None]]]},
            "electrolyte_thickness_m": p.thickness, "projected_interface_area_m2": p.width * p.height / 4}
    if p.li_filled:
        meta["flaws"] = [{
            "tip": [0.0, p.crack_depth, 0.0], "direction": [0.0, 1.0, 0.0], "mouth": [0.0, 0.0, 0.0],
            "depth": p.crack_depth, "width": 2 * p.half_length, "tip_radius": 0.0, "shape": "semi_elliptical_crack",
            "crack_front": fr,
            # the faces: z = 0 and x^2/c^2 + y^2/a^2 <= 1
            "face_region": {"plane_axis": 2, "plane_value": 0.0, "center": [0.0, 0.0, 0.0],
                            "semi_axes": [p.half_length, p.crack_depth, 0.0]},
        }]
    return meta


@register("embedded_crack_3d", EmbeddedCrack3D, _declare_embedded)
def build_embedded_3d(model, p: EmbeddedCrack3D, mesh: MeshSettings) -> dict:
    """Embedded elliptical crack (semi-axes c along x, a along y) in a cube: octant model."""
    half = p.box / 2
    planes = {"symmetry_x": (0, 0.0), "symmetry_y": (1, 0.0), "side_x": (0, half), "side_y": (1, half),
              "top": (2, half)}
    front = _mirrored_crack_box(model, p.crack_depth, p.half_length, (half, half, half), planes)
    h_front, h_far = _sizes(p, mesh, min(p.crack_depth, p.half_length), p.box / 2)
    _front_field(model, front, h_front, h_far, mesh.scaled(p.grading))
    fr = ellipse_front(p.half_length, p.crack_depth, 0.0, math.pi / 2)
    fr.update(faces="crack_faces", mirror_plane=True, mirrored_ends=[True, True])
    return {"gdim": 3, "crack_fronts": [fr], "front_size_m": h_front,
            "supports": {"constraints": {"symmetry_x": "symmetry", "symmetry_y": "symmetry", "ligament": "symmetry"},
                         "point_constraints": []}}
