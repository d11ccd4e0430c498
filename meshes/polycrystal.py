"""Polycrystalline electrolytes: seeded Voronoi grains in a box on a flat Li anode.

The electrolyte fills the box ``0 < x < width``, ``0 < y < thickness`` (and ``0 < z <
depth`` in 3D). The Li anode is below ``y = 0`` (2D) / ``z = 0`` (3D) and is not meshed:
the bottom face is ``anode_interface``, the top face ``counter_electrode``, the lateral
faces ``sides``.

Grains are the Voronoi cells of ``N = round(box measure / D^dim)`` seeds, where
``D = mean_grain_size`` is the mean seed spacing (grain plus half a GB on each side). The
seeds are placed by random sequential addition with a hard-core distance
``r_min = (1 - spread) * c_dim * D`` (c_2 = 0.75, c_3 = 0.7, safely below jamming):
``spread = 0`` gives nearly equal grains, ``spread = 1`` a Poisson-Voronoi structure with
a broad size distribution. Cells are clipped to the box exactly by mirroring the seeds
across the box faces. Small vs large grains differ by ``mean_grain_size`` only.

Grain boundaries:

* ``gb: facets`` (2D and 3D): zero thickness. All cells form region ``grains``; interior
  facets between two grains are tagged ``grain_boundary_facets`` (for an interface
  resistance / GB conductance model).
* ``gb: explicit`` (2D): a GB phase of thickness ``delta``. Each grain polygon is shrunk by
  ``delta / 2`` along every interior edge (not along the box), so neighbouring grains are
  separated by a strip of width ``delta``; region ``grain_boundaries`` is the box minus the
  grains, built as one surface whose holes are the grains (shared curves, no booleans).
  The GB area fraction is about ``delta * L_gb / A`` (L_gb: total interior Voronoi edge
  length, A: box area), minus O(delta^2) corner terms; it is returned in the metadata.

``nanodomains_2d`` is the LPS7228 hetero-nanodomain microstructure (seed 000): domains of
20-40 nm (cores, region ``grains``) in a ~5 nm shell/GB phase (``grain_boundaries``).

A homogeneous glass has no grains: use ``rough_interface_2d`` (flat profile) or
``rough_interface_3d``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import (
    SharedLines, hard_core_seeds, min_field, polygon_area, threshold_field, voronoi_2d, voronoi_3d,
)
from solver.config.units import Quantity

Length = Quantity("m")

_HARD_CORE = {2: 0.75, 3: 0.7}  # r_min / D at spread = 0 (RSA jamming: 0.86 in 2D, 0.80 in 3D)
_MAX_GRAINS = {2: 20000, 3: 2000}


class _PolyBase(GeometryParameters):
    width: Length = Field(10e-6, gt=0, description="box width along x [m]")
    thickness: Length = Field(10e-6, gt=0, description="electrolyte thickness L (anode to counter) [m]")
    mean_grain_size: Length = Field(
        1e-6, gt=0, description="mean grain size D = (box measure / number of grains)^(1/dim) [m]"
    )
    spread: float = Field(
        0.5, ge=0, le=1, description="grain-size spread: 0 nearly equal grains, 1 Poisson-Voronoi [-]"
    )
    seed: int = Field(0, ge=0, description="random seed of the grain centres")

    def _box(self) -> np.ndarray:
        raise NotImplementedError

    def grain_count(self) -> int:
        box = self._box()
        return int(max(1, round(float(np.prod(box)) / self.mean_grain_size ** len(box))))

    def seeds(self) -> np.ndarray:
        """The seeded grain centres [m] (shape (N, dim))."""
        box = self._box()
        rng = np.random.default_rng(self.seed)
        r_min = (1 - self.spread) * _HARD_CORE[len(box)] * self.mean_grain_size
        return hard_core_seeds(rng, np.zeros(len(box)), box, self.grain_count(), r_min)

    @model_validator(mode="after")
    def _count(self):
        dim = len(self._box())
        n = self.grain_count()
        if n > _MAX_GRAINS[dim]:
            raise ValueError(
                f"{n} grains (box / mean_grain_size^{dim}) exceed the limit of {_MAX_GRAINS[dim]} for a "
                f"{dim}D polycrystal; enlarge mean_grain_size or shrink the box"
            )
        if min(self._box()) < 0.5 * self.mean_grain_size:
            raise ValueError("every box dimension must be at least half the mean grain size")
        return self


class Polycrystal2D(_PolyBase):
    gb: Literal["facets", "explicit"] = Field(
        "facets", description="grain-boundary model: 'facets' (zero thickness) or 'explicit' (GB phase)"
    )
    gb_thickness: Length = Field(50e-9, gt=0, description="GB phase thickness delta (gb: explicit) [m]")

    def _box(self):
        return np.array([self.width, self.thickness])

    @model_validator(mode="after")
    def _gb(self):
        if self.gb == "explicit" and self.gb_thickness > 0.25 * self.mean_grain_size:
            raise ValueError(
                f"gb_thickness {self.gb_thickness:.3g} m is more than a quarter of the mean grain size "
                f"{self.mean_grain_size:.3g} m: grains would vanish into the GB phase"
            )
        return self


class Polycrystal3D(_PolyBase):
    depth: Length = Field(5e-6, gt=0, description="box depth along y [m]")
    thickness: Length = Field(5e-6, gt=0, description="electrolyte thickness L along z (anode to counter) [m]")
    width: Length = Field(5e-6, gt=0, description="box width along x [m]")
    gb: Literal["facets", "explicit"] = Field(
        "facets", description="grain-boundary model; only 'facets' (zero thickness) in 3D"
    )

    def _box(self):
        return np.array([self.width, self.depth, self.thickness])

    @model_validator(mode="after")
    def _gb(self):
        if self.gb == "explicit":
            raise ValueError(
                "gb: explicit is only available in 2D (polycrystal_2d, nanodomains_2d); in 3D use gb: facets "
                "and give the grain-boundary facets an interface conductance"
            )
        return self


class Nanodomains2D(GeometryParameters):
    width: Length = Field(300e-9, gt=0, description="box width along x [m]")
    thickness: Length = Field(300e-9, gt=0, description="electrolyte thickness L (anode to counter) [m]")
    domain_size_min: Length = Field(20e-9, gt=0, description="smallest domain size (seed 000: 20 nm) [m]")
    domain_size_max: Length = Field(40e-9, gt=0, description="largest domain size (seed 000: 40 nm) [m]")
    shell_thickness: Length = Field(5e-9, gt=0, description="shell / GB phase thickness (seed 000: ~5 nm) [m]")
    seed: int = Field(0, ge=0, description="random seed of the domain centres")

    @model_validator(mode="after")
    def _check(self):
        if self.domain_size_max < self.domain_size_min:
            raise ValueError("domain_size_max must not be smaller than domain_size_min")
        self.as_polycrystal()  # validates grain count and shell thickness
        return self

    def as_polycrystal(self) -> Polycrystal2D:
        """The equivalent explicit-GB polycrystal: D = mean size, spread = range / mean."""
        mean = 0.5 * (self.domain_size_min + self.domain_size_max)
        spread = float(min(1.0, (self.domain_size_max - self.domain_size_min) / mean))
        return Polycrystal2D(
            width=self.width, thickness=self.thickness, mean_grain_size=mean, spread=spread,
            seed=self.seed, gb="explicit", gb_thickness=self.shell_thickness,
        )


# --------------------------------------------------------------------------- 2D geometry
def _on_box(xy: np.ndarray, box: np.ndarray) -> list[int]:
    """Box sides (0 left, 1 right, 2 bottom, 3 top) a point lies on (exact after snapping)."""
    sides = []
    for axis in range(2):
        if xy[axis] == 0.0:
            sides.append(2 * axis)
        if xy[axis] == box[axis]:
            sides.append(2 * axis + 1)
    return sides


def _edge_side(a: np.ndarray, b: np.ndarray, box: np.ndarray) -> int | None:
    common = set(_on_box(a, box)) & set(_on_box(b, box))
    return common.pop() if common else None


def _perimeter_parameter(xy: np.ndarray, box: np.ndarray) -> float:
    """Counter-clockwise arc length along the box boundary from (0, 0) [m]."""
    w, h = box
    x, y = xy
    if y == 0.0:
        return x
    if x == w:
        return w + y
    if y == h:
        return w + h + (w - x)
    return 2 * w + h + (h - y)


def _shrink(poly: np.ndarray, interior: list[bool], d: float) -> np.ndarray:
    """Convex polygon (CCW) with every interior edge moved inwards by ``d`` [m].

    Half-plane clipping (Sutherland-Hodgman) of the polygon by each offset edge line;
    edges shorter than about 2 d disappear, as they should.
    """
    out = poly.copy()
    n = len(poly)
    for k in range(n):
        if not interior[k]:
            continue
        a, b = poly[k], poly[(k + 1) % n]
        t = (b - a) / np.linalg.norm(b - a)
        nrm = np.array([-t[1], t[0]])  # inward normal of a CCW polygon
        c = float(nrm @ a) + d
        s = out @ nrm - c  # >= 0 inside
        new = []
        for i in range(len(out)):
            p, q, sp, sq = out[i], out[(i + 1) % len(out)], s[i], s[(i + 1) % len(out)]
            if sp >= 0:
                new.append(p)
            if (sp >= 0) != (sq >= 0):
                new.append(p + (q - p) * (sp / (sp - sq)))
        if len(new) < 3:
            return np.empty((0, 2))
        out = np.asarray(new)
    return out


def _clean(poly: np.ndarray, box: np.ndarray, tol: float) -> np.ndarray:
    """Snap to the box and drop vertices closer than ``tol`` to their predecessor."""
    poly = poly.copy()
    for axis in range(2):
        poly[np.abs(poly[:, axis]) < tol, axis] = 0.0
        poly[np.abs(poly[:, axis] - box[axis]) < tol, axis] = box[axis]
    keep = [poly[0]]
    for p in poly[1:]:
        if np.linalg.norm(p - keep[-1]) > tol:
            keep.append(p)
    if len(keep) > 1 and np.linalg.norm(keep[-1] - keep[0]) <= tol:
        keep.pop()
    return np.asarray(keep)


def _loops(segments: list[tuple[int, int, int]]) -> list[list[tuple[int, int, int]]]:
    """Chain directed segments (start point, end point, signed curve) into closed loops."""
    outgoing = {}
    for s in segments:
        if s[0] in outgoing:
            raise RuntimeError("grain-boundary network is not a manifold (two segments leave one point)")
        outgoing[s[0]] = s
    loops, seen = [], set()
    for s in segments:
        if s[0] in seen:
            continue
        loop, cur = [], s
        while cur[0] not in seen:
            seen.add(cur[0])
            loop.append(cur)
            cur = outgoing[cur[1]]
        loops.append(loop)
    return loops


def _point_in_polygon(p: np.ndarray, poly: np.ndarray) -> bool:
    x, y = p
    inside = False
    for i in range(len(poly)):
        (x1, y1), (x2, y2) = poly[i], poly[i - 1]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _sizes_2d(p: Polycrystal2D, mesh: MeshSettings) -> tuple[float, float]:
    """Element sizes [m]: h_int at the anode and in the GB phase, h_far in the grains (scaled once)."""
    D = p.mean_grain_size
    explicit = p.gb == "explicit"
    h_int = mesh.scaled(mesh.interface_size or (p.gb_thickness if explicit else D / 8))
    return h_int, max(h_int, mesh.scaled(mesh.size or D / 4))


def _interior_edge_length(verts: np.ndarray, cells, box: np.ndarray) -> float:
    """Total interior Voronoi edge length L_gb [m] (each shared edge counted once)."""
    edges = {}
    for poly in cells:
        for k in range(len(poly)):
            a, b = poly[k], poly[(k + 1) % len(poly)]
            if _edge_side(verts[a], verts[b], box) is None:
                edges[(min(a, b), max(a, b))] = float(np.linalg.norm(verts[a] - verts[b]))
    return sum(edges.values())


class _Drawing2D:
    """Gmsh points keyed by their coordinates and shared lines between them, plus the tags
    collected for the physical groups of a 2D polycrystal."""

    def __init__(self, geo, box: np.ndarray):
        self.geo, self.box = geo, box
        self.point_of: dict[tuple[float, float], int] = {}
        self.line = SharedLines(geo)  # point tags are the keys
        self.boundary_curves = {0: [], 1: [], 2: [], 3: []}  # box side -> curves
        self.gb_facets = []  # interior edges between two grains (gb: facets), each once
        self.gb_segments = []  # directed (start, end, signed curve) around the GB phase (gb: explicit)

    def point(self, xy) -> int:
        """Gmsh point at ``xy``, drawn on first use."""
        key = (float(xy[0]), float(xy[1]))
        if key not in self.point_of:
            self.point_of[key] = self.geo.addPoint(key[0], key[1], 0.0)
        return self.point_of[key]

    def coordinates(self) -> dict[int, np.ndarray]:
        """Point tag -> coordinates [m]."""
        return {t: np.array(k) for k, t in self.point_of.items()}


def _explicit_grain(xy: np.ndarray, box: np.ndarray, delta: float, tol: float) -> np.ndarray | None:
    """The grain polygon shrunk by delta / 2 along its interior edges (the GB phase takes the
    rest); None when the grain vanishes into the GB phase (counted as GB area)."""
    interior = [_edge_side(xy[k], xy[(k + 1) % len(xy)], box) is None for k in range(len(xy))]
    xy = _shrink(xy, interior, delta / 2)
    if len(xy) < 3:
        return None
    xy = _clean(xy, box, tol)
    if len(xy) < 3 or polygon_area(xy) < (delta / 2) ** 2:
        return None
    return xy


def _add_grain(drawing: _Drawing2D, xy: np.ndarray, explicit: bool) -> int:
    """One grain polygon as a plane surface; its edges are sorted into box sides, GB facets
    (first drawing only) or, with a GB phase, segments of the GB phase boundary."""
    pts = [drawing.point(v) for v in xy]
    loop = []
    for k in range(len(pts)):
        a, b = pts[k], pts[(k + 1) % len(pts)]
        c = drawing.line(a, b)
        loop.append(c)
        side = _edge_side(xy[k], xy[(k + 1) % len(xy)], drawing.box)
        if side is not None:
            drawing.boundary_curves[side].append(abs(c))
        elif explicit:
            drawing.gb_segments.append((b, a, -c))  # GB phase sees the grain edge reversed
        elif c > 0:
            drawing.gb_facets.append(c)  # first time this interior edge is drawn
    return drawing.geo.addPlaneSurface([drawing.geo.addCurveLoop(loop)])


def _add_grains(drawing: _Drawing2D, p: Polycrystal2D, verts: np.ndarray, cells,
                tol: float) -> tuple[list[int], list[np.ndarray]]:
    """Every grain that survives the GB phase: (plane surfaces, drawn polygons)."""
    explicit = p.gb == "explicit"
    grain_surfaces, grain_polys = [], []
    for poly in cells:
        xy = verts[poly]
        if explicit:
            xy = _explicit_grain(xy, drawing.box, p.gb_thickness, tol)
            if xy is None:
                continue
        grain_surfaces.append(_add_grain(drawing, xy, explicit))
        grain_polys.append(xy)
    return grain_surfaces, grain_polys


def _add_gb_mouths(drawing: _Drawing2D, grain_polys: list[np.ndarray]) -> None:
    """GB mouths: stretches of the box boundary not covered by a grain edge, drawn as box-side
    curves that also close the GB phase boundary."""
    box = drawing.box
    corners = [np.array(c, float) for c in ((0, 0), (box[0], 0), tuple(box), (0, box[1]))]
    on_boundary = {drawing.point(c): c for c in corners}
    for xy in grain_polys:
        for v in xy:
            if _on_box(v, box):
                on_boundary[drawing.point(v)] = v
    order = sorted(on_boundary, key=lambda t: _perimeter_parameter(on_boundary[t], box))
    line_of = drawing.line.tags
    for k in range(len(order)):
        a, b = order[k], order[(k + 1) % len(order)]
        if (a, b) in line_of or (b, a) in line_of:
            continue  # covered by a grain
        c = drawing.line(a, b)
        side = _edge_side(on_boundary[a], on_boundary[b], box)
        drawing.boundary_curves[side].append(abs(c))
        drawing.gb_segments.append((a, b, c))


def _add_gb_phase(drawing: _Drawing2D) -> list[int]:
    """Region grain_boundaries: the box minus the grains, one plane surface per outer loop of
    the GB network (counter-clockwise) with the grain loops inside it as holes."""
    coords = drawing.coordinates()
    loops = _loops(drawing.gb_segments)
    rings = [np.array([coords[s[0]] for s in lp]) for lp in loops]
    areas = [polygon_area(r) for r in rings]
    outer = [i for i, a in enumerate(areas) if a > 0]
    holes = [i for i, a in enumerate(areas) if a <= 0]
    gb_surfaces = []
    for i in outer:
        mine = [j for j in holes if len(outer) == 1 or _point_in_polygon(rings[j][0] * (1 - 1e-12), rings[i])]
        tags = [drawing.geo.addCurveLoop([s[2] for s in loops[k]]) for k in [i] + mine]
        gb_surfaces.append(drawing.geo.addPlaneSurface(tags))
    return gb_surfaces


def _add_physical_groups_2d(model, drawing: _Drawing2D, grain_surfaces: list[int], gb_surfaces: list[int]) -> None:
    """Regions grains (+ grain_boundaries) and the boundaries, in this fixed order."""
    curves = drawing.boundary_curves
    model.addPhysicalGroup(2, grain_surfaces, name="grains")
    if gb_surfaces:
        model.addPhysicalGroup(2, gb_surfaces, name="grain_boundaries")
    model.addPhysicalGroup(1, curves[2], name="anode_interface")
    model.addPhysicalGroup(1, curves[3], name="counter_electrode")
    model.addPhysicalGroup(1, curves[0] + curves[1], name="sides")
    if drawing.gb_facets:
        model.addPhysicalGroup(1, drawing.gb_facets, name="grain_boundary_facets")


def _size_fields_2d(model, drawing: _Drawing2D, p: Polycrystal2D, h_int: float, h_far: float) -> None:
    """Refinement at the anode; with a GB phase also transfinite GB curves and a grain-side
    coarsening field."""
    fields = [threshold_field(model, h_int, h_far, 2 * h_int, p.thickness / 4, curves=drawing.boundary_curves[2])]
    if p.gb == "explicit":
        # GB curves get h_int directly (transfinite: the 1D mesher then skips integrating the
        # size field along thousands of curves); the grains coarsen to h_far over D / 4.
        grain_curves = sorted({abs(s[2]) for s in drawing.gb_segments})
        xyz = drawing.coordinates()
        for (a, b), c in drawing.line.tags.items():
            if c in grain_curves:
                n = int(np.ceil(np.linalg.norm(xyz[a] - xyz[b]) / h_int)) + 1
                model.mesh.setTransfiniteCurve(c, max(n, 2))
        fields.append(threshold_field(model, h_int, h_far, p.gb_thickness, p.mean_grain_size / 4,
                                      curves=grain_curves, sampling=4))
    min_field(model, fields)


def _metadata_2d(p: Polycrystal2D, name: str, seeds: np.ndarray, grain_count: int, grain_polys: list[np.ndarray],
                 gb_length: float) -> dict:
    """Geometry metadata: grain counts, GB length, grain and GB-phase areas."""
    explicit = p.gb == "explicit"
    delta = p.gb_thickness if explicit else 0.0
    area = float(np.prod(np.array([p.width, p.thickness])))
    grain_area = float(sum(polygon_area(xy) for xy in grain_polys))
    return {
        "gdim": 2,
        "generator": name,
        "grain_count": int(grain_count),
        "seed_count": int(len(seeds)),
        "mean_grain_size_m": p.mean_grain_size,
        "gb_model": p.gb,
        "gb_thickness_m": delta,
        "gb_length_m": gb_length,
        "grains_area_m2": grain_area if explicit else area,
        "gb_area_m2": area - grain_area if explicit else 0.0,
        "gb_area_fraction_estimate": delta * gb_length / area,
        "seeds_m": seeds.tolist(),
        "electrolyte_thickness_m": p.thickness,
        "projected_interface_area_m": p.width,
    }


def _build_2d(model, p: Polycrystal2D, mesh: MeshSettings, name: str) -> dict:
    """2D Voronoi polycrystal: grains, GB facets or GB phase, tags, size fields, metadata."""
    box = np.array([p.width, p.thickness])
    tol = 1e-6 * p.mean_grain_size
    seeds = p.seeds()
    verts, cells = voronoi_2d(seeds, [0, 0], box, tol)
    h_int, h_far = _sizes_2d(p, mesh)
    gb_length = _interior_edge_length(verts, cells, box)

    drawing = _Drawing2D(model.geo, box)
    grain_surfaces, grain_polys = _add_grains(drawing, p, verts, cells, tol)
    gb_surfaces = []
    if p.gb == "explicit":
        _add_gb_mouths(drawing, grain_polys)  # closes the GB phase along the box first
        gb_surfaces = _add_gb_phase(drawing)
    model.geo.synchronize()

    _add_physical_groups_2d(model, drawing, grain_surfaces, gb_surfaces)
    _size_fields_2d(model, drawing, p, h_int, h_far)
    return _metadata_2d(p, name, seeds, len(grain_surfaces), grain_polys, gb_length)


def declare_2d(p: Polycrystal2D) -> GeometryDeclaration:
    # a grain may vanish into the GB phase and one grain has no interior facet: optional
    if p.gb == "explicit":
        return slab(2, regions=("grains",), optional_regions=frozenset({"grain_boundaries"}))
    return slab(2, regions=("grains",), optional_boundaries=frozenset({"grain_boundary_facets"}))


@register("polycrystal_2d", Polycrystal2D, declare_2d)
def build_2d(model, p: Polycrystal2D, mesh: MeshSettings) -> dict:
    """2D Voronoi polycrystal on a flat anode; GB as tagged facets or an explicit phase."""
    return _build_2d(model, p, mesh, "polycrystal_2d")


@register("nanodomains_2d", Nanodomains2D, lambda p: declare_2d(p.as_polycrystal()))
def build_nanodomains(model, p: Nanodomains2D, mesh: MeshSettings) -> dict:
    """LPS7228 core-shell hetero-nanodomains (seed 000): 20-40 nm cores in a ~5 nm shell phase."""
    meta = _build_2d(model, p.as_polycrystal(), mesh, "nanodomains_2d")
    meta["domain_size_range_m"] = [p.domain_size_min, p.domain_size_max]
    return meta


# --------------------------------------------------------------------------- 3D geometry
@register("polycrystal_3d", Polycrystal3D,
          slab(3, regions=("grains",), optional_boundaries=frozenset({"grain_boundary_facets"})))
def build_3d(model, p: Polycrystal3D, mesh: MeshSettings) -> dict:
    """3D Voronoi polycrystal on a flat anode (z = 0); GB as tagged interior facets."""
    box = np.array([p.width, p.depth, p.thickness])
    D = p.mean_grain_size
    tol = 1e-6 * D
    seeds = p.seeds()
    verts, faces = voronoi_3d(seeds, np.zeros(3), box, tol)
    h_int = mesh.scaled(mesh.interface_size or D / 5)
    h_far = max(h_int, mesh.scaled(mesh.size or D / 3))  # scaled once
    geo = model.geo
    pts = [geo.addPoint(*map(float, x)) for x in verts]
    line = SharedLines(geo, pts.__getitem__)

    cell_faces: dict[int, list[int]] = {i: [] for i in range(len(seeds))}
    sides: dict[int, list[int]] = {k: [] for k in range(6)}
    gb_faces, gb_area = [], 0.0
    for ids, a, b in faces:
        loop = geo.addCurveLoop([line(ids[k], ids[(k + 1) % len(ids)]) for k in range(len(ids))])
        s = geo.addPlaneSurface([loop])
        cell_faces[a].append(s)
        if b >= 0:
            cell_faces[b].append(s)
            gb_faces.append(s)
            x = verts[ids]
            c = x.mean(axis=0)
            gb_area += 0.5 * float(np.linalg.norm(sum(np.cross(x[k] - c, x[(k + 1) % len(x)] - c) for k in range(len(x)))))
        else:
            sides[-1 - b].append(s)
    volumes = [geo.addVolume([geo.addSurfaceLoop(fs)]) for fs in cell_faces.values()]
    geo.synchronize()
    model.addPhysicalGroup(3, volumes, name="grains")
    model.addPhysicalGroup(2, sides[4], name="anode_interface")
    model.addPhysicalGroup(2, sides[5], name="counter_electrode")
    model.addPhysicalGroup(2, sides[0] + sides[1] + sides[2] + sides[3], name="sides")
    model.addPhysicalGroup(2, gb_faces, name="grain_boundary_facets")
    min_field(model, [threshold_field(model, h_int, h_far, 2 * h_int, p.thickness / 3, surfaces=sides[4])])
    return {
        "gdim": 3,
        "generator": "polycrystal_3d",
        "grain_count": int(len(volumes)),
        "mean_grain_size_m": D,
        "gb_model": "facets",
        "gb_facet_area_m2": gb_area,
        "seeds_m": seeds.tolist(),
        "electrolyte_thickness_m": p.thickness,
        "projected_interface_area_m2": p.width * p.depth,
    }
