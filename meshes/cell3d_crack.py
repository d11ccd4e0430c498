"""The crack of a ``cell_3d`` pit: a Li-filled half ellipse in the mirror plane y = 0.

The pit (spheroid of semi-axes b, b, a about the axis x = x0, y = 0) is the finite opening
of a crack in the plane y = 0: the half ellipse (x - x0)^2 / c^2 + z^2 / a_c^2 <= 1, z >= 0,
whose faces outside the pit belong to the Li (``anode_interface``: the Li in the crack is
the Li of the pit, connected to the anode). The plane y = 0 is a mirror plane of the model
(half of the pit and crack are meshed); outside the crack it is the ``ligament``. The front
is the half ellipse x = x0 + c cos(phi), z = a_c sin(phi), phi in [0, 180] deg (90 deg: the
apex, deepest into the electrolyte), clipped to the part above the highest Li-surface point
(a rough Li surface meets the front slightly above z = 0). Mesh: ``front_size`` within four
front sizes of the front, growing with slope ``grading`` away from it.

Coordinates in micrometres while drawing (as ``cell_3d``), metres in the metadata.
"""

from __future__ import annotations

import math

import numpy as np

_UM = 1e-6
FRONT_SAMPLES = 721


def _crack(p) -> tuple[float, float, float, float]:
    """(x0, a_c, c, b) [m] of the cell's pit crack."""
    return p.pit_axis()[0], p.pit.crack.depth, p.pit.crack.half_length, p.pit.radius


def _crack_surface(occ, p) -> int:
    """The half ellipse in the plane y = 0 [um]: drawn in the xy plane, turned onto xz."""
    x0, ac, c, _ = (v / _UM for v in _crack(p))
    disk = occ.addDisk(x0, 0, 0, max(c, ac), min(c, ac))
    if ac > c:  # OCC wants the major radius first: draw along x, turn it onto y
        occ.rotate([(2, disk)], x0, 0, 0, 0, 0, 1, math.pi / 2)
    half, _ = occ.intersect([(2, disk)], [(2, occ.addRectangle(x0 - 1.01 * c, 0, 0, 2.02 * c, 1.01 * ac))])
    occ.rotate(half, 0, 0, 0, 1, 0, 0, math.pi / 2)  # (x, y, 0) -> (x, 0, y)
    return half[0][1]


def _inside(p, x: float, z: float) -> bool:
    x0, ac, c, _ = (v / _UM for v in _crack(p))
    return ((x - x0) / c) ** 2 + (z / ac) ** 2 < 1


def pit_crack_sides(model, sides: list[int], p, tol: float) -> tuple[list[int], dict[str, list[int]]]:
    """(crack faces, {ligament, side_x, side_y}) among the side faces [um]."""
    crack, groups = [], {"ligament": [], "side_x": [], "side_y": []}
    for f in sides:
        x0, y0, z0, x1, y1, z1 = model.getBoundingBox(2, f)
        if y1 - y0 < 2 * tol and abs(y0) < tol:
            x, _, z = model.occ.getCenterOfMass(2, f)
            (crack if _inside(p, x, z) else groups["ligament"]).append(f)
        elif y1 - y0 < 2 * tol:
            groups["side_y"].append(f)
        else:
            groups["side_x"].append(f)
    return crack, groups


def _on_ellipse(p, point, tol: float) -> bool:
    x0, ac, c, _ = (v / _UM for v in _crack(p))
    x, y, z = point
    return abs(y) < tol and z > -tol and abs(((x - x0) / c) ** 2 + (z / ac) ** 2 - 1) < 1e-3


def _front_curves(model, p, tol: float) -> list[int]:
    """Curves in y = 0 whose end points and middle lie on the crack ellipse (the front arcs) [um]."""
    found = []
    for _, cv in model.getEntities(1):
        ends = [model.getValue(0, pt, []) for _, pt in model.getBoundary([(1, cv)], oriented=False)]
        lo, hi = model.getParametrizationBounds(1, cv)
        mid = model.getValue(1, cv, [0.5 * (lo[0] + hi[0])])
        if len(ends) == 2 and all(_on_ellipse(p, pt, tol) for pt in [*ends, mid]):
            found.append(cv)
    return found


def front_entry(p) -> dict:
    """The crack front (metadata ``crack_fronts`` entry) [m]."""
    x0, ac, c, _ = _crack(p)
    phi0 = math.asin(min(max(p.max_height(), 0.0) / ac, 0.5))
    phi = np.linspace(phi0, math.pi - phi0, FRONT_SAMPLES)
    points = np.stack([x0 + c * np.cos(phi), np.zeros_like(phi), ac * np.sin(phi)], axis=1)
    outward = np.stack([np.cos(phi) / c, np.zeros_like(phi), np.sin(phi) / ac], axis=1)
    outward /= np.linalg.norm(outward, axis=1)[:, None]
    return {"points": points.tolist(), "extension": outward.tolist(), "normal": [0.0, 1.0, 0.0],
            "parameter": np.degrees(phi).tolist(), "parameter_name": "phi_deg", "mirror_plane": True,
            "mirrored_ends": [False, False]}


def pit_crack_front(model, p, mesh, h_far: float, curves: list[int]) -> tuple[int, dict]:
    """(the size field along the front, the crack's metadata) [m]."""
    x0, ac, c, b = _crack(p)
    crack = p.pit.crack
    h_front = min(h_far, mesh.scaled(crack.front_size or min(ac, c) / 10))
    f = model.mesh.field
    dist = f.add("Distance")
    f.setNumbers(dist, "CurvesList", curves)
    f.setNumber(dist, "Sampling", 400)
    size = f.add("MathEval")
    grading = mesh.scaled(crack.grading)
    f.setString(size, "F", f"Min({h_far!r}, {h_front!r} + {grading!r} * Max(F{dist} - {4 * h_front!r}, 0))")
    front = front_entry(p)
    flaw = {**p.flaw_tip().model_dump(mode="json"), "crack_front": front,
            # the faces: y = 0 inside the ellipse, and the pit walls (the spheroid)
            "face_region": {"plane_axis": 1, "plane_value": 0.0, "center": [x0, 0.0, 0.0], "semi_axes": [c, 0.0, ac],
                            "cavity": {"center": [x0, 0.0, 0.0], "semi_axes": [b, b, p.pit.depth]}}}
    return size, {"flaws": [flaw], "crack_fronts": [front], "front_size_m": h_front, "front_curves": len(curves),
                  "mirror_planes": ["ligament"], "lateral_sides": ["side_x", "side_y"]}
