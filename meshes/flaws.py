"""Li-filled surface flaws: an electrolyte slab on a flat anode with pits reaching into it.

The electrolyte fills ``0 < x < width``, ``0 < y < thickness`` minus the flaws. The Li
anode lies below ``y = 0`` and fills every flaw (Li plated into surface pits, Porz et al.
2017), so the flaw faces belong to the anode side: together with the flat part of
``y = 0`` they form the boundary ``anode_interface``. Counter electrode: ``y = thickness``;
``sides``: ``x = 0, width``. Li is not meshed (equipotential conductor).

With an ``anode`` section the anode side is meshed too, for the mechanics (seed 001):

* ``interphase``: the Li9Al4 + LiCl layer ``-t_i < y < 0`` bonded to the electrolyte,
  breached at every flaw mouth (the gap ``|x - x_c| < w/2`` is filled with Li, as the
  flaw);
* ``li_metal`` (``li_thickness > 0``): Li ``-t_i - t_Li < y < -t_i`` under the layer.
  Its stiffness in the mechanics is that of Li with the skeleton particles dispersed at
  ``skeleton_fraction`` (rule of mixtures, see :mod:`solver.studies.flaw_risk`).

Charge transfer is then at Li | interphase (the layer bottoms), on the gap walls and on
the flaw faces: together ``anode_interface`` (with the Li surface across each gap, which
bounds the Li-filled cavity). The ionic problem keeps the electrolyte and the interphase;
the Li region is cut from it as an electronic conductor. Each flaw's metadata gives
``cavity_offset`` = t_i: its Li-filled cavity begins that far before the mouth.

Each flaw opens at its mouth ``(x_c, 0)`` with opening width ``w`` and reaches depth ``a``
along +y (direction (0, 1)):

* ``notch``: straight flanks from ``(x_c -+ w/2, 0)`` tangent to a tip circle of radius
  ``rho`` centred at ``(x_c, a - rho)`` (``rho = w/2`` gives a U-notch with parallel flanks);
* ``semi_ellipse``: the half ellipse ``((x - x_c)/(w/2))^2 + (y/a)^2 = 1, y > 0``; its tip
  radius is ``rho = (w/2)^2 / a`` (the ``tip_radius`` parameter is ignored).

The mesh is refined strongly at each tip (size ``interface_size`` or ``rho / 8`` within
``rho`` of the tip, growing to the far size over the depth ``a``). The metadata lists
each flaw's tip, direction, depth and mouth for the fracture post-processor.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meshes import FlawTip, Flaws, GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import box_faces, min_field, scale_and_name_box, threshold_field
from solver.config.units import Quantity

Length = Quantity("m")


class Flaw(BaseModel):
    """One Li-filled pit opening at the anode interface."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    position: Length = Field(description="x of the flaw mouth centre [m]")
    depth: Length = Field(1e-6, gt=0, description="flaw depth a into the electrolyte [m]")
    width: Length = Field(0.4e-6, gt=0, description="opening width w at the mouth [m]")
    tip_radius: Length = Field(0.05e-6, gt=0, description="tip radius rho of a notch [m]")
    shape: Literal["notch", "semi_ellipse"] = Field("notch", description="flaw shape")

    @model_validator(mode="after")
    def _check(self):
        if self.shape == "notch":
            if self.tip_radius > 0.5 * self.width * (1 + 1e-12):
                raise ValueError(
                    f"notch tip_radius {self.tip_radius:.3g} m exceeds half the opening width "
                    f"{0.5 * self.width:.3g} m (the flanks would close)"
                )
            if self.tip_radius >= self.depth:
                raise ValueError("notch tip_radius must be smaller than its depth")
        return self

    def radius(self) -> float:
        """Tip radius [m] (derived for a semi-ellipse: (w/2)^2 / a)."""
        return self.tip_radius if self.shape == "notch" else (0.5 * self.width) ** 2 / self.depth


class AnodeLayers(BaseModel):
    """The anode side of the flaw slab, meshed for the mechanics (seed 001)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interphase_thickness: Length = Field(100e-9, gt=0, description="Li9Al4 + LiCl layer thickness t_i [m]")
    li_thickness: Length = Field(0.0, ge=0, description="Li metal thickness t_Li under the layer (0: not meshed) [m]")
    skeleton_fraction: float = Field(0.0, ge=0, le=0.35, description="area fraction of skeleton particles in the Li [-]")


class Flaw2D(GeometryParameters):
    anode: AnodeLayers | None = Field(None, description="interphase layer and Li under the electrolyte (mechanics)")
    width: Length = Field(20e-6, gt=0, description="slab width along the interface [m]")
    thickness: Length = Field(10e-6, gt=0, description="electrolyte thickness L [m]")
    flaws: list[Flaw] = Field(
        default_factory=lambda: [Flaw(position=10e-6)], min_length=1, description="the flaws (Li-filled pits)"
    )

    @model_validator(mode="after")
    def _check(self):
        spans = sorted((f.position - f.width / 2, f.position + f.width / 2, f) for f in self.flaws)
        for lo, hi, f in spans:
            if lo <= 0 or hi >= self.width:
                raise ValueError(f"flaw at x = {f.position:.3g} m does not fit inside the width {self.width:.3g} m")
            if f.depth >= 0.8 * self.thickness:
                raise ValueError(
                    f"flaw depth {f.depth:.3g} m must stay below 80 % of the thickness {self.thickness:.3g} m"
                )
        for (_, hi, f), (lo, _, g) in zip(spans, spans[1:]):
            if lo - hi < 0.1 * min(f.width, g.width):
                raise ValueError(
                    f"flaws at x = {f.position:.3g} m and {g.position:.3g} m overlap or touch; "
                    "keep their mouths apart"
                )
        return self


def _tangent_point(p: np.ndarray, c: np.ndarray, r: float, left: bool) -> np.ndarray:
    """Point of the circle (c, r) touched by the tangent from p (left- or rightmost one)."""
    v = p - c
    d = np.linalg.norm(v)
    phi, alpha = np.arctan2(v[1], v[0]), np.arccos(min(1.0, r / d))
    cand = [c + r * np.array([np.cos(phi + s * alpha), np.sin(phi + s * alpha)]) for s in (1, -1)]
    return min(cand, key=lambda t: t[0]) if left else max(cand, key=lambda t: t[0])


def _draw_flaw(geo, f: Flaw, left_pt: int, right_pt: int) -> tuple[list[int], int]:
    """Curves of one flaw from its left to its right mouth point; returns (curves, tip point)."""
    x0, a, b = f.position, f.depth, f.width / 2
    tip = geo.addPoint(x0, a, 0.0)
    if f.shape == "semi_ellipse":
        centre = geo.addPoint(x0, 0.0, 0.0)
        if abs(a - b) < 1e-12 * a:
            return [geo.addCircleArc(left_pt, centre, tip), geo.addCircleArc(tip, centre, right_pt)], tip
        major = tip if a > b else right_pt
        return [geo.addEllipseArc(left_pt, centre, major, tip), geo.addEllipseArc(tip, centre, major, right_pt)], tip
    rho = f.tip_radius
    c = np.array([x0, a - rho])
    tl = _tangent_point(np.array([x0 - b, 0.0]), c, rho, left=True)
    tr = np.array([2 * x0 - tl[0], tl[1]])
    centre = geo.addPoint(c[0], c[1], 0.0)
    p_tl, p_tr = geo.addPoint(tl[0], tl[1], 0.0), geo.addPoint(tr[0], tr[1], 0.0)
    curves = [
        geo.addLine(left_pt, p_tl),
        geo.addCircleArc(p_tl, centre, tip),
        geo.addCircleArc(tip, centre, p_tr),
        geo.addLine(p_tr, right_pt),
    ]
    return curves, tip


def flaw_area(f: Flaw) -> float:
    """Area of the flaw cross-section [m^2] (removed from the electrolyte)."""
    a, b = f.depth, f.width / 2
    if f.shape == "semi_ellipse":
        return 0.5 * np.pi * a * b
    rho = f.tip_radius
    c = np.array([0.0, a - rho])
    tl = _tangent_point(np.array([-b, 0.0]), c, rho, left=True)
    # polygon mouth-left, tangent-left, tangent-right, mouth-right plus the circular cap above
    poly = np.array([[-b, 0.0], tl, [-tl[0], tl[1]], [b, 0.0]])
    x, y = poly[:, 0], poly[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
    half_angle = np.arctan2(-tl[0], tl[1] - c[1])  # angle of the cap from the axis
    theta = 2 * half_angle
    return float(area + 0.5 * rho**2 * (theta - np.sin(theta)))


def flaw_tips_2d(p: Flaw2D) -> list[FlawTip]:
    """The flaws of ``p`` in drawing order (by position), with their tips [m]."""
    return [FlawTip(tip=(f.position, f.depth), direction=(0.0, 1.0), mouth=(f.position, 0.0), depth=f.depth,
                    width=f.width, tip_radius=f.radius(), shape=f.shape)
            for f in sorted(p.flaws, key=lambda f: f.position)]


def declare_2d(p: Flaw2D) -> GeometryDeclaration:
    # K_I by the plane-strain interaction integral at each tip
    regions = ["electrolyte"]
    if p.anode is not None:
        regions += ["interphase"] + (["li_metal"] if p.anode.li_thickness > 0 else [])
    return slab(2, regions=regions, flaws=Flaws(tips=tuple(flaw_tips_2d(p)), stress_intensity=True))


def _draw_anode(geo, p: Flaw2D, flaws: list[Flaw], mouth_points: list[int], flats: list[int]) -> dict:
    """The interphase pieces between the flaw gaps and the Li under them (geo kernel).

    ``mouth_points``: the electrolyte's bottom points at y = 0 from x = 0 to x = width
    (two per flat), ``flats`` its flat curves there (shared with the layer). Returns the surfaces and curves by role.
    """
    t, t_li = p.anode.interphase_thickness, p.anode.li_thickness
    xs = [0.0] + [x for f in flaws for x in (f.position - f.width / 2, f.position + f.width / 2)] + [p.width]
    low = [geo.addPoint(x, -t, 0.0) for x in xs]
    out = {"interphase": [], "sides": [], "walls": [], "bottoms": [], "gaps": [], "li": []}
    verticals = [geo.addLine(mouth_points[k], low[k]) for k in range(len(xs))]
    out["sides"] += [verticals[0], verticals[-1]]
    out["walls"] += verticals[1:-1]
    for k in range(0, len(xs), 2):  # layer pieces [x_k, x_k+1]; gaps [x_k+1, x_k+2]
        top = flats[k // 2]
        bottom = geo.addLine(low[k], low[k + 1])
        out["bottoms"].append(bottom)
        loop = geo.addCurveLoop([top, verticals[k + 1], -bottom, -verticals[k]])
        out["interphase"].append(geo.addPlaneSurface([loop]))
        if k + 2 < len(xs) and t_li > 0:  # the Li surface across the gap (no curve without the Li)
            out["gaps"].append(geo.addLine(low[k + 1], low[k + 2]))
    if t_li > 0:
        bl, br = geo.addPoint(0.0, -t - t_li, 0.0), geo.addPoint(p.width, -t - t_li, 0.0)
        left, base, right = geo.addLine(low[0], bl), geo.addLine(bl, br), geo.addLine(br, low[-1])
        along = [c for pair in zip(out["bottoms"], out["gaps"] + [None]) for c in pair if c is not None]
        loop = geo.addCurveLoop([left, base, right] + [-c for c in reversed(along)])
        out["li"].append(geo.addPlaneSurface([loop]))
        out["sides"] += [left, right]
    return out


@register("flaw_2d", Flaw2D, declare_2d)
def build(model, p: Flaw2D, mesh: MeshSettings) -> dict:
    """2D electrolyte slab with Li-filled surface flaws (notches, semi-elliptical pits)."""
    geo = model.geo  # the geo kernel: OCC's 1e-7 tolerance merges sub-100 nm features
    flaws = sorted(p.flaws, key=lambda f: f.position)
    rho_min = min(f.radius() for f in flaws)
    h_tip = mesh.scaled(mesh.interface_size or rho_min / 8)
    h_int = max(h_tip, mesh.scaled(min(min(f.width for f in flaws) / 8, p.width / 100)))
    h_far = max(h_int, mesh.scaled(mesh.size or p.thickness / 15))  # scaled once

    chain, tips, flats, mouths = [], [], [], []
    start = geo.addPoint(0.0, 0.0, 0.0)
    prev = start
    for f in flaws:
        lp = geo.addPoint(f.position - f.width / 2, 0.0, 0.0)
        rp = geo.addPoint(f.position + f.width / 2, 0.0, 0.0)
        flats.append(geo.addLine(prev, lp))
        mouths += [prev, lp]
        curves, tip = _draw_flaw(geo, f, lp, rp)
        chain += [flats[-1]] + curves
        tips.append(tip)
        prev = rp
    br = geo.addPoint(p.width, 0.0, 0.0)
    flats.append(geo.addLine(prev, br))
    mouths += [prev, br]
    chain.append(flats[-1])
    tr, tl = geo.addPoint(p.width, p.thickness, 0.0), geo.addPoint(0.0, p.thickness, 0.0)
    right, top, left = geo.addLine(br, tr), geo.addLine(tr, tl), geo.addLine(tl, start)
    surface = geo.addPlaneSurface([geo.addCurveLoop(chain + [right, top, left])])
    anode = _draw_anode(geo, p, flaws, mouths, flats) if p.anode is not None else None
    geo.synchronize()

    model.addPhysicalGroup(2, [surface], name="electrolyte")
    interface, sides = chain, [left, right]
    if anode is not None:  # the flats of y = 0 are electrolyte | interphase, inside the ionic domain
        model.addPhysicalGroup(2, anode["interphase"], name="interphase")
        if anode["li"]:
            model.addPhysicalGroup(2, anode["li"], name="li_metal")
        interface = [c for c in chain if c not in flats] + anode["walls"] + anode["bottoms"] + anode["gaps"]
        sides = sides + anode["sides"]
    model.addPhysicalGroup(1, interface, name="anode_interface")
    model.addPhysicalGroup(1, [top], name="counter_electrode")
    model.addPhysicalGroup(1, sides, name="sides")

    fields = [threshold_field(model, h_int, h_far, 2 * h_int, p.thickness / 3, curves=chain, sampling=200)]
    for f, tip in zip(flaws, tips):
        h = mesh.scaled(mesh.interface_size or f.radius() / 8)
        fields.append(threshold_field(model, h, h_far, f.radius(), 2 * f.depth, points=[tip]))
    min_field(model, fields)

    offset = {} if p.anode is None else {"cavity_offset": p.anode.interphase_thickness}
    extra = {} if p.anode is None else {"anode_layers": p.anode.model_dump(mode="json")}
    return {
        "gdim": 2,
        **extra,
        "flaws": [{**tip.model_dump(mode="json"), "area_m2": flaw_area(f), **offset}
                  for tip, f in zip(flaw_tips_2d(p), flaws)],
        "electrolyte_thickness_m": p.thickness,
        "projected_interface_area_m": p.width,
        "electrolyte_area_m2": p.width * p.thickness - sum(flaw_area(f) for f in flaws),
    }


# --------------------------------------------------------------------------- 3D pit
class Flaw3D(GeometryParameters):
    width: Length = Field(8e-6, gt=0, description="box width along x [m]")
    depth: Length = Field(8e-6, gt=0, description="box depth along y [m]")
    thickness: Length = Field(6e-6, gt=0, description="electrolyte thickness L along z [m]")
    pit_depth: Length = Field(1.5e-6, gt=0, description="pit depth a into the electrolyte (along +z) [m]")
    pit_radius: Length = Field(0.75e-6, gt=0, description="pit mouth radius b [m]")
    x: Length | None = Field(None, description="x of the pit axis (default: box centre) [m]")
    y: Length | None = Field(None, description="y of the pit axis (default: box centre) [m]")

    def axis(self) -> tuple[float, float]:
        return (self.width / 2 if self.x is None else self.x, self.depth / 2 if self.y is None else self.y)

    @model_validator(mode="after")
    def _check(self):
        x0, y0 = self.axis()
        if min(x0, y0, self.width - x0, self.depth - y0) <= 1.1 * self.pit_radius:
            raise ValueError("the pit mouth must stay clear of the sides (by 10 % of its radius)")
        if self.pit_depth >= 0.8 * self.thickness:
            raise ValueError("the pit depth must stay below 80 % of the thickness")
        return self


def flaw_tip_3d(p: Flaw3D) -> FlawTip:
    """The pit (semi-ellipsoid of depth a, mouth radius b: tip radius b^2 / a) [m]."""
    (x0, y0), a, b = p.axis(), p.pit_depth, p.pit_radius
    return FlawTip(tip=(x0, y0, a), direction=(0.0, 0.0, 1.0), mouth=(x0, y0, 0.0), depth=a, width=2 * b,
                   tip_radius=b**2 / a, shape="semi_ellipsoid")


def declare_3d(p: Flaw3D) -> GeometryDeclaration:
    # the interaction integral of solver.physics.fracture is 2D: no K_I in 3D
    return slab(3, flaws=Flaws(tips=(flaw_tip_3d(p),), stress_intensity=False))


def pit_curvature_radius(a: float, b: float) -> float:
    """Smallest principal radius of curvature of the pit face [m]: the spheroid of semi-axes
    (b, b, a) has b^2 / a at the apex and a^2 / b at the mouth rim (the smaller one is the
    apex of a deep pit, a > b, and the rim of a shallow one, a < b)."""
    return min(b * b / a, a * a / b)


def pit_sizes(p: Flaw3D, mesh: MeshSettings) -> dict[str, float]:
    """Element sizes of the pit mesh [m] (``size_factor`` applied once).

    ``apex``: at the deepest point, a sixth of the apex radius of curvature b^2 / a, and no
    more than a sixth of the depth and of the mouth radius (a shallow pit, whose apex is
    nearly flat, still gets about 6 * 2 pi elements around its circumference);
    ``pit``: on the rest of the pit face, a quarter of min(a, b) and no more than four times
    the apex size; ``far``: far from the pit. ``interface_size`` sets ``apex`` when given.
    """
    a, b = p.pit_depth, p.pit_radius
    apex = mesh.scaled(mesh.interface_size or min(b * b / a, a, b) / 6)
    pit = max(apex, min(mesh.scaled(min(a, b) / 4), 4 * apex))
    far = max(pit, mesh.scaled(mesh.size or p.thickness / 8))
    return {"apex": apex, "pit": pit, "far": far}


#: elevation of the sphere's poles above the mouth plane [rad]: one pole lies on the pit face
#: at 15 degrees, where the current is ~ sin(15 deg) = 0.26 of the apex value, the other below it
POLE_ELEVATION = np.radians(15.0)


def _pit_ball(occ, x0: float, y0: float, a: float, b: float) -> int:
    """The spheroid of semi-axes (b, b, a) centred on (x0, y0, 0), drawn with no pole or seam
    near the apex.

    The OCC sphere has its poles on its z axis and its seam on the half meridian towards +x.
    It is turned about x until its upper pole lies at :data:`POLE_ELEVATION` above the mouth
    plane (on the -y side), then about that pole axis until the seam passes through the
    lowest point of the equator: the seam meets the electrolyte only between the pole and
    the rim (the poles cannot both lie in the mouth plane: OCC then fails to close the rim).
    """
    eps = POLE_ELEVATION
    ball = occ.addSphere(x0, y0, 0, 1.0)
    occ.rotate([(3, ball)], x0, y0, 0, 1, 0, 0, np.pi / 2 - eps)
    axis = np.array([0.0, -np.cos(eps), np.sin(eps)])
    occ.rotate([(3, ball)], x0, y0, 0, *axis, _seam_turn(axis, np.array([0.0, -np.sin(eps), -np.cos(eps)])))
    occ.dilate([(3, ball)], x0, y0, 0, b, b, a)
    return ball


def _seam_turn(axis: np.ndarray, target: np.ndarray) -> float:
    """Angle [rad] of the right-handed turn about ``axis`` that brings +x onto ``target``
    (both perpendicular to ``axis``)."""
    x = np.array([1.0, 0.0, 0.0])
    return float(np.arctan2(np.cross(x, target) @ axis, x @ target))


def _pit_fields(model, p: Flaw3D, sizes: dict[str, float]) -> None:
    """Size fields local to the pit: ``apex`` at the apex and ``pit`` on the pit face, both
    growing with slope 0.3 with the distance from them, ``far`` elsewhere [m].

    The distance from the pit face is measured by its level set, d ~ min(a, b) |rho - 1| with
    rho^2 = ((x - x0)^2 + (y - y0)^2) / b^2 + z^2 / a^2 (exact for a hemisphere, smaller
    than the true distance otherwise: the refinement errs on the finer side)."""
    (x0, y0), a, b = p.axis(), p.pit_depth, p.pit_radius
    f = model.mesh.field
    tip = f.add("MathEval")
    f.setString(tip, "F", f"{sizes['apex']!r} + 0.3 * Sqrt((x - {x0!r})^2 + (y - {y0!r})^2 + (z - {a!r})^2)")
    pit = f.add("MathEval")
    rho = f"Sqrt(((x - {x0!r})^2 + (y - {y0!r})^2) / {b * b!r} + z^2 / {a * a!r})"
    f.setString(pit, "F", f"{sizes['pit']!r} + 0.3 * {min(a, b)!r} * Abs({rho} - 1)")
    cap = f.add("MathEval")
    f.setString(cap, "F", repr(sizes["far"]))
    min_field(model, [tip, pit, cap])


@register("flaw_3d", Flaw3D, declare_3d)
def build_3d(model, p: Flaw3D, mesh: MeshSettings) -> dict:
    """3D electrolyte box with one Li-filled semi-ellipsoidal surface pit (axis along +z)."""
    occ = model.occ
    um = 1e-6  # drawn in micrometres, dilated to metres (OCC tolerance 1e-7)
    x0, y0 = p.axis()
    a, b = p.pit_depth, p.pit_radius
    box = occ.addBox(0, 0, 0, p.width / um, p.depth / um, p.thickness / um)
    ball = _pit_ball(occ, x0 / um, y0 / um, a / um, b / um)
    out, _ = occ.cut([(3, box)], [(3, ball)])
    occ.synchronize()
    vol = out[0][1]
    tol = 1e-4  # um; OCC bounding boxes are inflated by its tolerance (1e-7)
    # the anode side is the flat bottom and the pit face
    top, sides, anode = box_faces(model, vol, p.width / um, p.depth / um, p.thickness / um, tol)
    scale_and_name_box(model, um, vol, anode, top, sides)
    _pit_fields(model, p, pit_sizes(p, mesh))
    return {
        "gdim": 3,
        "flaws": [{**flaw_tip_3d(p).model_dump(mode="json"), "volume_m3": 2 * np.pi * b * b * a / 3}],
        "electrolyte_thickness_m": p.thickness,
        "electrolyte_volume_m3": p.width * p.depth * p.thickness - 2 * np.pi * b * b * a / 3,
        "projected_interface_area_m2": p.width * p.depth,
    }
