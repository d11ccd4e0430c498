"""One 3D cell combining the three axes: anode x interface roughness (+ voids) x electrolyte.

The 3D counterpart of ``cell_2d``. Bottom-up, in ``0 < x < width``, ``0 < y < depth``:

* the Li anode below the Li surface ``z = h(x, y)`` (a height map of ``rough_interface_3d``,
  or flat) is **not meshed**. For ``anode: bare`` the electrolyte sits on it and the Li
  surface is ``anode_interface``. For ``anode: li_al_cl`` a Li9Al4 + LiCl layer of thickness
  ``t_i = interphase_thickness`` covers it as region ``interphase``,
  ``h < z < h + t_i`` (the Li surface shifted along z, as in 2D: valid for ``t_i`` much
  smaller than the roughness scale); charge transfer at Li | interphase.
* ``contact`` (:class:`meshes.contact3d.ContactPatches`): circular void patches of the Li
  surface, tagged ``contact_voids`` (with an interphase: gaps between Li and the layer).
* ``electrolyte: glass``: region ``electrolyte`` up to ``z = thickness``;
  ``electrolyte: polycrystal``: Voronoi grains (``mean_grain_size``, ``spread``, ``seed`` as
  ``polycrystal_3d``; region ``grains``, zero-thickness GBs ``grain_boundary_facets``) in the
  box ``z_g < z < thickness``, ``z_g = max(h) + t_i + buffer``, over a band of homogeneous
  electrolyte (region ``electrolyte``). The grains are not clipped by the rough surface.

Boundaries: ``counter_electrode`` (``z = thickness``), ``sides`` (the four lateral faces of
every layer). Drawn with OpenCASCADE in micrometres and dilated to metres (its tolerance
is 1e-7); the layers are glued by one boolean fragment.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meshes import FlawTip, Flaws, GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import SharedLines, min_field, threshold_field, voronoi_3d
from meshes.cell3d_crack import _crack_surface, _front_curves, pit_crack_front, pit_crack_sides
from meshes.contact3d import ContactPatches, classify_faces, imprint_patches
from meshes.flaws import _pit_ball
from meshes.polycrystal import Polycrystal3D
from meshes.rough3d import HeightMap, RoughInterface3D
from solver.config.units import Quantity

Length = Quantity("m")
_UM = 1e-6


class PitCrack(BaseModel):
    """A Li-filled semi-elliptical crack from the pit bottom: in the plane y = 0 through the pit
    axis, the half ellipse (x - x0)^2 / c^2 + z^2 / a_c^2 <= 1, z >= 0, around the pit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    depth: Length = Field(..., gt=0, description="a_c: height of the crack front's apex above the mean Li surface "
                          "(beyond the pit depth) [m]")
    half_length: Length = Field(..., gt=0, description="c: half-length of the crack along x at the Li surface "
                                "(beyond the pit radius) [m]")
    front_size: Length | None = Field(None, gt=0, description="element size at the crack front [m]; default: "
                                      "min(a_c, c) / 10")
    grading: float = Field(0.35, gt=0, le=1, description="growth of the element size with distance from the front [-]")


class CellPit(BaseModel):
    """A Li-filled pit: the spheroid of semi-axes (b, b, a) centred on (x, y, 0), Li inside.

    With ``crack`` the pit axis lies on the side y = 0, which becomes the crack plane and a
    mirror plane of the model (half the pit and half the crack are meshed; ``ligament`` is
    the rest of y = 0): the pit is the finite opening of a crack whose front, the half
    ellipse of semi-axes c (x) and a_c (z), lies in the electrolyte above and beside it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    crack: PitCrack | None = Field(None, description="a Li-filled crack grown from the pit (none: the pit alone, "
                                   "without K_I)")

    depth: Length = Field(1e-6, gt=0, description="pit depth a above the mean Li surface (along +z) [m]")
    radius: Length = Field(0.5e-6, gt=0, description="pit mouth radius b [m]")
    x: Length | None = Field(None, description="x of the pit axis (default: box centre) [m]")
    y: Length | None = Field(None, description="y of the pit axis (default: box centre) [m]")


class Cell3D(GeometryParameters):
    width: Length = Field(4e-6, gt=0, description="box width along x [m]")
    depth: Length = Field(4e-6, gt=0, description="box depth along y [m]")
    thickness: Length = Field(4e-6, gt=0, description="mean Li surface (z = 0) to counter electrode, interphase "
                              "included [m]")
    anode: Literal["bare", "li_al_cl"] = Field(
        "li_al_cl", description="'bare': Li | electrolyte; 'li_al_cl': Li9Al4 + LiCl interphase layer on the Li")
    interphase_thickness: Length = Field(0.2e-6, gt=0, description="interphase thickness t_i (li_al_cl only) [m]")
    height_map: HeightMap | None = Field(None, description="Li surface height map (as rough_interface_3d); "
                                         "none: flat")
    contact: ContactPatches = Field(default_factory=ContactPatches,
                                    description="voids at the Li surface (as rough_interface_3d)")
    electrolyte: Literal["glass", "polycrystal"] = Field(
        "glass", description="'glass': homogeneous region electrolyte; 'polycrystal': Voronoi grains above a buffer band")
    mean_grain_size: Length = Field(1e-6, gt=0, description="mean grain size D (polycrystal, as polycrystal_3d) [m]")
    spread: float = Field(0.5, ge=0, le=1, description="grain-size spread (polycrystal) [-]")
    seed: int = Field(0, ge=0, description="random seed of the grain centres (polycrystal)")
    buffer: Length | None = Field(None, gt=0, description="homogeneous electrolyte band between the highest "
                                  "Li-surface point and the grains (polycrystal) [m]; default: mean_grain_size / 5")
    pit: CellPit | None = Field(None, description="a Li-filled semi-ellipsoidal pit reaching from the Li surface "
                                "into the layers and grains above it (none: no pit)")

    @property
    def t_i(self) -> float:
        """Interphase thickness drawn (0 for a bare anode) [m]."""
        return self.interphase_thickness if self.anode == "li_al_cl" else 0.0

    def surface(self) -> RoughInterface3D | None:
        """The rough-interface model of the Li surface (None when flat)."""
        if self.height_map is None:
            return None
        return RoughInterface3D(width=self.width, depth=self.depth, thickness=self.thickness,
                                height_map=self.height_map, contact=self.contact)

    def max_height(self) -> float:
        """An upper bound of h [m]: the largest control-net height (a B-spline stays in its net's hull)."""
        rough = self.surface()
        return float(np.max(rough.net()[2])) if rough is not None else 0.0

    def grains_bottom(self) -> float:
        return self.max_height() + self.t_i + (self.buffer if self.buffer is not None else self.mean_grain_size / 5)

    def grain_box(self) -> Polycrystal3D:
        """The polycrystal of the grain box, in its own frame (z from 0 at ``grains_bottom``)."""
        return Polycrystal3D(width=self.width, depth=self.depth, thickness=self.thickness - self.grains_bottom(),
                             mean_grain_size=self.mean_grain_size, spread=self.spread, seed=self.seed)

    def pit_axis(self) -> tuple[float, float]:
        """(x, y) of the pit axis [m] (y = 0 for a pit with a crack)."""
        y = 0.0 if self.pit.crack is not None else (self.depth / 2 if self.pit.y is None else self.pit.y)
        return (self.width / 2 if self.pit.x is None else self.pit.x, y)

    def flaw_tip(self) -> FlawTip:
        """The pit as a flaw (tip radius b^2 / a), or its crack (tip at the front's apex) [m]."""
        (x0, y0), a, b = self.pit_axis(), self.pit.depth, self.pit.radius
        if self.pit.crack is not None:
            ac, c = self.pit.crack.depth, self.pit.crack.half_length
            return FlawTip(tip=(x0, 0.0, ac), direction=(0.0, 0.0, 1.0), mouth=(x0, 0.0, 0.0), depth=ac,
                           width=2 * c, tip_radius=0.0, shape="semi_elliptical_crack")
        return FlawTip(tip=(x0, y0, a), direction=(0.0, 0.0, 1.0), mouth=(x0, y0, 0.0), depth=a, width=2 * b,
                       tip_radius=b * b / a, shape="semi_ellipsoid")

    def _check_pit(self) -> None:
        x0, y0 = self.pit_axis()
        a, b = self.pit.depth, self.pit.radius
        if self.pit.crack is not None:
            self._check_crack()
        elif min(x0, y0, self.width - x0, self.depth - y0) <= 1.1 * b:
            raise ValueError("pit: the mouth must stay clear of the sides (by 10 % of its radius)")
        if a >= 0.8 * self.thickness:
            raise ValueError("pit: the depth must stay below 80 % of the thickness")
        if a <= self.max_height() + 0.1 * b:
            raise ValueError(f"pit: the depth must reach above the Li surface (max height {self.max_height():.3g} m)")
        for px, py, r in self.contact.patches(self.width, self.depth):
            if np.hypot(px - x0, py - y0) < r + 1.1 * b:
                raise ValueError("pit: its mouth overlaps a contact void patch; move the pit or change contact.seed")

    def _check_crack(self) -> None:
        x0, _ = self.pit_axis()
        a, b = self.pit.depth, self.pit.radius
        ac, c = self.pit.crack.depth, self.pit.crack.half_length
        if self.pit.y is not None:
            raise ValueError("pit.y: a pit with a crack lies on the side y = 0 (its mirror plane); leave y out")
        if ac < 1.2 * a or c < 1.2 * b:
            raise ValueError("pit.crack: the front must lie outside the pit (depth >= 1.2 pit depth, "
                             "half_length >= 1.2 pit radius)")
        if ac >= 0.6 * self.thickness:
            raise ValueError("pit.crack.depth: must stay below 60 % of the thickness")
        if min(x0, self.width - x0) <= 1.2 * c or self.depth <= 2 * max(ac, c):
            raise ValueError("pit.crack: the crack must stay clear of the sides x = 0, width (by 20 % of its "
                             "half_length) and the box depth must exceed twice its size")
        for px, py, r in self.contact.patches(self.width, self.depth):
            if py < r + 0.2 * c and abs(px - x0) < r + 1.2 * c:
                raise ValueError("pit.crack: a contact void patch touches the crack mouth; change contact.seed")

    @model_validator(mode="after")
    def _check(self):
        if self.pit is not None:
            self._check_pit()
        rough = self.surface()  # height-map and contact checks of rough_interface_3d
        if rough is None:
            self.contact.check_box(self.width, self.depth)
        if self.t_i:
            feature = rough.height_map.smallest_feature(self.width, self.depth) if rough is not None else np.inf
            if self.t_i >= 0.5 * feature:
                raise ValueError(f"interphase_thickness ({self.t_i:.3g} m) must be below half the smallest feature "
                                 f"of the height map ({0.5 * feature:.3g} m)")
            if self.max_height() + self.t_i >= 0.5 * self.thickness:
                raise ValueError("the interphase reaches above half the thickness: make the cell thicker")
        if self.electrolyte == "polycrystal":
            room = self.thickness - self.grains_bottom()
            if room < 0.5 * self.mean_grain_size:
                raise ValueError(f"no room for grains: the grain box above the interface and buffer is {room:.3g} m "
                                 "thick, less than half the mean grain size; thicken the cell or shrink buffer / grains")
            self.grain_box()  # grain-count limits of polycrystal_3d
        return self


def declare(p: Cell3D) -> GeometryDeclaration:
    regions = {"electrolyte"} | ({"interphase"} if p.t_i else set()) | (
        {"grains"} if p.electrolyte == "polycrystal" else set())
    voids = ("contact_voids",) if p.contact.count(p.width, p.depth) else ()
    facets = frozenset({"grain_boundary_facets"} if p.electrolyte == "polycrystal" else ())
    cracked = p.pit is not None and p.pit.crack is not None
    flaws = Flaws(tips=(p.flaw_tip(),), stress_intensity=cracked) if p.pit is not None else None
    sides = ("ligament", "side_x", "side_y") if cracked else ("sides",)
    return slab(3, regions=regions, boundaries=("anode_interface", "counter_electrode", *sides, *voids),
                optional_boundaries=facets, flaws=flaws)


def _li_surface(occ, p: Cell3D) -> int:
    """The Li surface z = h(x, y) [um]: a cubic B-spline on the height map's net, or a rectangle."""
    rough = p.surface()
    if rough is None:
        return occ.addRectangle(0, 0, 0, p.width / _UM, p.depth / _UM)
    x, y, h = rough.net()
    pts = [occ.addPoint(a / _UM, b / _UM, c / _UM) for a, b, c in zip(x.ravel(), y.ravel(), h.ravel())]
    surface = occ.addBSplineSurface(pts, h.shape[1], degreeU=3, degreeV=3)
    occ.remove([(0, t) for t in pts])
    return surface


def _grain_volumes(occ, p: Cell3D) -> tuple[list[int], np.ndarray]:
    """Voronoi grains of the grain box [um], sharing their faces; returns (volumes, seeds [m])."""
    box = p.grain_box()
    z_g = p.grains_bottom()
    lo, hi = np.zeros(3), np.array([p.width, p.depth, box.thickness])
    seeds = box.seeds()
    verts, faces = voronoi_3d(seeds, lo, hi, 1e-6 * p.mean_grain_size)
    pts = [occ.addPoint(x / _UM, y / _UM, (z + z_g) / _UM) for x, y, z in verts]
    line = SharedLines(occ, pts.__getitem__)
    cell_faces: dict[int, list[int]] = {i: [] for i in range(len(seeds))}
    for ids, a, b in faces:
        loop = occ.addCurveLoop([abs(line(ids[k], ids[(k + 1) % len(ids)])) for k in range(len(ids))])
        s = occ.addPlaneSurface([loop])
        cell_faces[a].append(s)
        if b >= 0:
            cell_faces[b].append(s)
    volumes = [occ.addVolume([occ.addSurfaceLoop(fs, sewing=True)]) for fs in cell_faces.values()]
    return volumes, seeds + np.array([0.0, 0.0, z_g])


def _classify_volumes(occ, box_pieces: list[int], grains: set[int]) -> tuple[int, list[int]]:
    """(the Li volume below the surface, the layers above it bottom-up) among the box pieces."""
    layers = sorted((t for t in box_pieces if t not in grains), key=lambda t: occ.getCenterOfMass(3, t)[2])
    return layers[0], layers[1:]


def _outer_faces(model, volumes: list[int], p: Cell3D, tol: float) -> tuple[list[int], list[int]]:
    """(counter: z = thickness, sides: x = 0, W or y = 0, D) faces of ``volumes``."""
    W, D, L = p.width / _UM, p.depth / _UM, p.thickness / _UM
    top, sides = set(), set()
    for _, f in model.getBoundary([(3, v) for v in volumes], combined=False, oriented=False):
        x0, y0, z0, x1, y1, z1 = model.getBoundingBox(2, f)
        if abs(z0 - L) < tol and abs(z1 - L) < tol:
            top.add(f)
        elif (x1 - x0 < 2 * tol and min(abs(x0), abs(x1 - W)) < tol) or (
                y1 - y0 < 2 * tol and min(abs(y0), abs(y1 - D)) < tol):
            sides.add(f)
    return sorted(top), sorted(sides)


def _grain_boundary_faces(model, grains: list[int]) -> list[int]:
    """Faces shared by two grains."""
    count: dict[int, int] = {}
    for g in grains:
        for _, f in model.getBoundary([(3, g)], combined=False, oriented=False):
            count[f] = count.get(f, 0) + 1
    return sorted(f for f, n in count.items() if n == 2)


@register("cell_3d", Cell3D, declare)
def build(model, p: Cell3D, mesh: MeshSettings) -> dict:
    """Any anode (bare, Li-Al-Cl interphase) x any Li surface (+ void patches) x glass or polycrystal, in 3D."""
    occ = model.occ
    W, D, L, t_i = p.width / _UM, p.depth / _UM, p.thickness / _UM, p.t_i / _UM
    pad = p.max_height() / _UM + 0.1 * L
    surface = _li_surface(occ, p)
    tools = []
    if t_i:
        (top_layer,) = occ.copy([(2, surface)])
        occ.translate([top_layer], 0, 0, t_i)
        tools.append(top_layer)
    patches = p.contact.patches(p.width, p.depth)
    contact_faces, void_faces = imprint_patches(occ, surface, patches, (-pad, pad), _UM)
    tools += [(2, f) for f in contact_faces + void_faces]
    grains, seeds = _grain_volumes(occ, p) if p.electrolyte == "polycrystal" else ([], np.zeros((0, 3)))
    box = occ.addBox(0, 0, -pad, W, D, L + pad)
    pit = []
    if p.pit is not None:
        (x0, y0), a, b = p.pit_axis(), p.pit.depth, p.pit.radius
        pit = [(3, _pit_ball(occ, x0 / _UM, y0 / _UM, a / _UM, b / _UM))]
        if p.pit.crack is not None:
            tools.append((2, _crack_surface(occ, p)))
    _, out_map = occ.fragment([(3, box)], tools + [(3, g) for g in grains] + pit)
    occ.synchronize()
    pit_tags = {t for d, t in out_map[-1] if d == 3} if pit else set()
    grain_tags = [t for m in out_map[1 + len(tools):1 + len(tools) + len(grains)] for d, t in m
                  if d == 3 and t not in pit_tags]
    li, layers = _classify_volumes(occ, [t for d, t in out_map[0] if d == 3 and t not in pit_tags], set(grain_tags))
    li_volumes = [li, *sorted(pit_tags)]
    kept = {f for v in layers + grain_tags for _, f in model.getBoundary([(3, v)], combined=False, oriented=False)}
    li_surface = sorted({f for _, f in model.getBoundary([(3, v) for v in li_volumes], combined=False,
                                                        oriented=False) if f in kept})
    occ.remove([(3, v) for v in li_volumes], recursive=True)
    occ.synchronize()
    tol = 1e-4
    anode, voids = classify_faces(model, li_surface, patches, _UM)
    volumes = layers + grain_tags
    counter, sides = _outer_faces(model, volumes, p, tol)
    side_groups = {"sides": sides}
    if p.pit is not None and p.pit.crack is not None:
        crack_faces, side_groups = pit_crack_sides(model, sides, p, tol)
        anode += crack_faces
    gb_faces = _grain_boundary_faces(model, grain_tags)
    void_area = sum(occ.getMass(2, f) for f in voids) * _UM**2
    gb_area = sum(occ.getMass(2, f) for f in gb_faces) * _UM**2
    front_curves = _front_curves(model, p, tol) if p.pit is not None and p.pit.crack is not None else []
    occ.dilate(model.getEntities(), 0, 0, 0, _UM, _UM, _UM)
    occ.synchronize()

    regions = {"interphase": layers[:1] if t_i else [], "electrolyte": layers[1:] if t_i else layers,
               "grains": grain_tags}
    for name, tags in regions.items():
        if tags:
            model.addPhysicalGroup(3, tags, name=name)
    model.addPhysicalGroup(2, anode, name="anode_interface")
    if voids:
        model.addPhysicalGroup(2, voids, name="contact_voids")
    model.addPhysicalGroup(2, counter, name="counter_electrode")
    for name, faces in side_groups.items():
        model.addPhysicalGroup(2, faces, name=name)
    if gb_faces:
        model.addPhysicalGroup(2, gb_faces, name="grain_boundary_facets")

    feature, crack_meta = _size_fields(model, p, mesh, anode + voids, front_curves)
    return {
        "gdim": 3,
        "generator": "cell_3d",
        "anode": p.anode,
        "electrolyte": p.electrolyte,
        "interphase_thickness_m": p.t_i,
        "interphase_volume_m3": p.t_i * p.width * p.depth,
        "interface_length_scale_m": float(feature),
        "contact_fraction": p.contact.fraction,
        "void_patches_m": [list(c) for c in patches],
        "void_area_m2": float(void_area),
        "grain_count": len(grain_tags),
        "gb_facet_area_m2": float(gb_area),
        "seeds_m": seeds.tolist(),
        "electrolyte_thickness_m": p.thickness - p.t_i,
        "projected_interface_area_m2": p.width * p.depth,
        **({"flaws": [p.flaw_tip().model_dump(mode="json")]} if p.pit is not None else {}),
        **crack_meta,
    }


def _size_fields(model, p: Cell3D, mesh: MeshSettings, li_faces: list[int], front_curves: list[int]):
    """The background size (at the Li surface, the pit, the crack front); returns (the lateral
    feature size [m], the crack's metadata)."""
    rough = p.surface()
    feature = rough.height_map.smallest_feature(p.width, p.depth) if rough is not None else p.width
    h_int = mesh.scaled(mesh.interface_size or min(feature / 6, p.width / 20, p.t_i or np.inf))
    h_far = max(h_int, mesh.scaled(mesh.size or min(p.thickness / 8, p.mean_grain_size / 3)))
    fields = [threshold_field(model, h_int, h_far, p.t_i + 2 * h_int, p.thickness / 3, surfaces=li_faces,
                              sampling=60)]
    if p.pit is not None:
        fields.append(_pit_field(model, p, mesh, h_far))
    crack_meta = {}
    if front_curves:
        front_field, crack_meta = pit_crack_front(model, p, mesh, h_far, front_curves)
        fields.append(front_field)
    min_field(model, fields)
    return feature, crack_meta


def _pit_field(model, p: Cell3D, mesh: MeshSettings, h_far: float) -> int:
    """The size at the pit: a sixth of min(b^2 / a, a, b) at the apex, growing with slope 0.3
    with the distance from the apex (as ``flaw_3d``) [m]."""
    (x0, y0), a, b = p.pit_axis(), p.pit.depth, p.pit.radius
    h_tip = mesh.scaled(min(b * b / a, a, b) / 6)
    f = model.mesh.field
    tag = f.add("MathEval")
    f.setString(tag, "F", f"Min({h_far!r}, {h_tip!r} + 0.3 * Sqrt((x - {x0!r})^2 + (y - {y0!r})^2 + (z - {a!r})^2))")
    return tag
