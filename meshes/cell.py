"""One 2D cell combining the three axes: anode x interface roughness (+ voids) x electrolyte.

Layout, bottom-up, in ``0 < x < width`` (``h(x)``: the Li surface profile, mean zero; the
profile and contact-loss models are those of ``rough_interface_2d``):

* the Li anode lies below ``y = h(x)`` and is **not meshed** (equipotential electronic
  conductor). For ``anode: bare`` the electrolyte sits on it and ``y = h(x)`` is the
  boundary ``anode_interface``. For ``anode: li_al_cl`` (seed 001) a Li9Al4 + LiCl layer of
  thickness ``t_i = interphase_thickness`` covers it as the meshed region ``interphase``,
  ``h < y < h + t_i``; Li deposits beneath that layer, so charge transfer happens at
  Li | interphase, which is then the ``anode_interface`` boundary (the interphase |
  electrolyte interface is interior and untagged). The interphase is the interface curve
  shifted along y by ``t_i`` (not a normal offset): its area is exactly ``t_i * width`` and
  its normal thickness is ``t_i cos(theta)`` where the surface slopes by ``theta``; this is
  fine for ``t_i`` much smaller than the profile's curvature radius, and ``t_i`` must stay
  below half the smallest wavelength / correlation length (rejected otherwise).
* ``contact`` (``ContactLoss``): the void segments of the Li surface are tagged
  ``contact_voids`` instead of ``anode_interface`` (no current). With an interphase the
  voids are gaps between the Li and the interphase layer (the layer itself is continuous).
* ``electrolyte: glass``: one region ``electrolyte`` up to the flat counter electrode
  ``y = thickness``.
* ``electrolyte: polycrystal``: Voronoi grains (``mean_grain_size``, ``spread``, ``seed``
  as in ``polycrystal_2d``, zero-thickness GBs tagged ``grain_boundary_facets``, region
  ``grains``) fill the box ``y_g < y < thickness``, with
  ``y_g = max(h) + t_i + buffer``. Between the (rough) interface and ``y_g`` lies a band of
  homogeneous electrolyte (region ``electrolyte``, at least ``buffer`` thick). The grains
  are not clipped by the rough interface: this keeps the construction exact and robust
  (straight Voronoi edges only, geo kernel, shared curves, no booleans). Give both
  ``electrolyte`` and ``grains`` a material (usually the same one: the band then models
  the first, interface-adjacent layer of grains without GBs).

Boundaries: ``counter_electrode`` (``y = thickness``), ``sides`` (``x = 0, width``: every
layer; profiles are periodic so the sides act as symmetry planes). ``thickness`` is measured
from the mean Li surface ``y = 0`` and includes the interphase.

Drawn with the geo kernel in metres (as ``rough_interface_2d`` / ``stratified_anode_2d``):
each interface segment between void breaks is one spline, and the interphase top is the
same set of splines shifted by ``t_i``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from pydantic import Field, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import SharedLines, min_field, threshold_field, voronoi_2d
from meshes.polycrystal import Polycrystal2D
from meshes.rough import ContactLoss, FlatProfile, Profile, RoughInterface2D, _segment_breaks
from solver.config.units import Quantity

Length = Quantity("m")


class Cell2D(GeometryParameters):
    width: Length = Field(10e-6, gt=0, description="cell width along the interface [m]")
    thickness: Length = Field(
        10e-6, gt=0, description="mean Li surface (y = 0) to counter electrode, interphase included [m]"
    )
    anode: Literal["bare", "li_al_cl"] = Field(
        "li_al_cl", description="'bare': Li | electrolyte; 'li_al_cl': Li9Al4 + LiCl interphase layer on the Li (seed 001)"
    )
    interphase_thickness: Length = Field(
        100e-9, gt=0, description="interphase thickness t_i (li_al_cl only; seed 001: ~100 nm) [m]"
    )
    profile: Profile = Field(default_factory=FlatProfile, description="Li surface profile h(x) (as rough_interface_2d)")
    contact: ContactLoss = Field(default_factory=ContactLoss, description="voids at the Li surface (as rough_interface_2d)")
    electrolyte: Literal["glass", "polycrystal"] = Field(
        "glass", description="'glass': homogeneous region electrolyte; 'polycrystal': Voronoi grains above a buffer band"
    )
    mean_grain_size: Length = Field(1e-6, gt=0, description="mean grain size D (polycrystal, as polycrystal_2d) [m]")
    spread: float = Field(0.5, ge=0, le=1, description="grain-size spread (polycrystal, as polycrystal_2d) [-]")
    seed: int = Field(0, ge=0, description="random seed of the grain centres (polycrystal)")
    buffer: Length | None = Field(
        None, gt=0,
        description="homogeneous electrolyte band between the highest interface point and the grains "
                    "(polycrystal) [m]; default: mean_grain_size / 5",
    )

    # ------------------------------------------------------------------ derived
    @property
    def t_i(self) -> float:
        """Interphase thickness actually drawn (0 for a bare anode) [m]."""
        return self.interphase_thickness if self.anode == "li_al_cl" else 0.0

    def buffer_thickness(self) -> float:
        return self.buffer if self.buffer is not None else self.mean_grain_size / 5

    def max_height(self) -> float:
        return float(np.max(self.profile.heights(np.linspace(0, self.width, 2049), self.width)))

    def grains_bottom(self) -> float:
        """y of the bottom of the grain box [m] (polycrystal)."""
        return self.max_height() + self.t_i + self.buffer_thickness()

    def grain_box(self) -> Polycrystal2D:
        """The polycrystal of the grain box, in its own frame (y from 0 at ``grains_bottom``)."""
        return Polycrystal2D(width=self.width, thickness=self.thickness - self.grains_bottom(),
                             mean_grain_size=self.mean_grain_size, spread=self.spread, seed=self.seed, gb="facets")

    @model_validator(mode="after")
    def _check(self):
        # profile amplitude, periodicity, void counts: the checks of rough_interface_2d
        RoughInterface2D(width=self.width, thickness=self.thickness, profile=self.profile, contact=self.contact)
        if self.anode == "li_al_cl":
            feature = self.profile.smallest_feature(self.width)
            if self.interphase_thickness >= 0.5 * feature:
                raise ValueError(
                    f"interphase_thickness ({self.interphase_thickness:.3g} m) must be below half the smallest "
                    f"wavelength / correlation length of the profile ({0.5 * feature:.3g} m): the layer is the "
                    "interface shifted along y, valid only for a film much thinner than the roughness scale"
                )
            if self.max_height() + self.interphase_thickness >= 0.5 * self.thickness:
                raise ValueError("the interphase reaches above half the thickness: make the cell thicker")
        if self.electrolyte == "polycrystal":
            room = self.thickness - self.grains_bottom()
            if room < 0.5 * self.mean_grain_size:
                raise ValueError(
                    f"no room for grains: the grain box above the interface and buffer is {room:.3g} m thick, "
                    f"less than half the mean grain size; thicken the cell or shrink buffer / grains"
                )
            self.grain_box()  # grain-count limits of polycrystal_2d
        return self


def _arc_length(p: Cell2D, x0: float, x1: float) -> float:
    x = np.linspace(x0, x1, max(64, int(4096 * (x1 - x0) / p.width)) + 1)
    h = p.profile.heights(x, p.width)
    return float(np.sum(np.hypot(np.diff(x), np.diff(h))))


def declare(p: Cell2D) -> GeometryDeclaration:
    regions = {"electrolyte"} | ({"interphase"} if p.t_i else set()) | ({"grains"} if p.electrolyte == "polycrystal" else set())
    voids = ("contact_voids",) if p.contact.void_intervals(p.width) else ()
    facets = frozenset({"grain_boundary_facets"} if p.electrolyte == "polycrystal" else ())
    return slab(2, regions=regions, boundaries=("anode_interface", "counter_electrode", "sides", *voids),
                optional_boundaries=facets)


class _Chain(NamedTuple):
    """A Li-surface curve chain ``y = h(x) + offset``: one curve per contact / void segment."""

    curves: list[int]
    in_contact: list[bool]
    left: int  # Gmsh point at x = 0
    right: int  # Gmsh point at x = width


class _Layers(NamedTuple):
    """What the layers above the Li surface drew: tags that go into the physical groups."""

    surfaces: dict[str, list[int]]  # region name -> plane surfaces
    sides: list[int]  # curves on x = 0 and x = width
    counter: list[int]  # curves on y = thickness
    gb_facets: list[int]  # interior grain-boundary curves, each once
    grain_meta: dict  # grain statistics for the metadata (polycrystal only)


def _mesh_sizes(p: Cell2D, mesh: MeshSettings) -> tuple[float, float]:
    """Element sizes (h_int at the Li surface, h_far in the bulk) [m], scaled once."""
    t_i, feature = p.t_i, p.profile.smallest_feature(p.width)
    h_int = mesh.scaled(mesh.interface_size or min(t_i / 3 if t_i else np.inf, feature / 20, p.width / 100))
    h_default = min(p.thickness / 15, p.mean_grain_size / 4) if p.electrolyte == "polycrystal" else p.thickness / 15
    return h_int, max(h_int, mesh.scaled(mesh.size or h_default))


def _profile_samples(p: Cell2D) -> int:
    """Number of profile samples across the width (about 40 per smallest feature)."""
    return int(max(64, np.ceil(40 * p.width / p.profile.smallest_feature(p.width))))


def _chain(geo, p: Cell2D, segments, n_samples: int, offset: float) -> _Chain:
    """The Li surface shifted by ``offset`` along y, drawn left to right: one spline per
    contact / void segment (one straight line for a flat profile), consecutive segments
    sharing their end point."""
    flat = isinstance(p.profile, FlatProfile)
    curves, flags, first, last = [], [], None, None
    for x0, x1, in_contact in segments:
        n = 1 if flat else max(4, int(np.ceil(n_samples * (x1 - x0) / p.width)))
        xs = np.linspace(x0, x1, n + 1)
        ys = p.profile.heights(xs, p.width) + offset
        pts = [last] if last is not None else []
        pts += [geo.addPoint(float(x), float(y), 0.0) for x, y in zip(xs[len(pts):], ys[len(pts):])]
        first = pts[0] if first is None else first
        last = pts[-1]
        curves.append(geo.addLine(pts[0], pts[-1]) if flat else geo.addSpline(pts))
        flags.append(in_contact)
    return _Chain(curves, flags, first, last)


def _add_interphase(geo, p: Cell2D, anode: _Chain, segments, n_samples: int) -> tuple[_Chain, list[int], int]:
    """The Li9Al4 + LiCl interphase: the anode chain shifted up by t_i closes the layer with two
    short side lines. Returns (top chain, [right, left] side lines, plane surface)."""
    top = _chain(geo, p, segments, n_samples, p.t_i)
    right, left = geo.addLine(anode.right, top.right), geo.addLine(top.left, anode.left)
    loop = geo.addCurveLoop(anode.curves + [right] + [-c for c in reversed(top.curves)] + [left])
    return top, [right, left], geo.addPlaneSurface([loop])


def _add_glass(geo, p: Cell2D, lower: _Chain) -> _Layers:
    """Homogeneous glass electrolyte from the lower chain up to the flat counter electrode."""
    W, T = p.width, p.thickness
    tr, tl = geo.addPoint(W, T, 0.0), geo.addPoint(0.0, T, 0.0)
    right, top_line, left = geo.addLine(lower.right, tr), geo.addLine(tr, tl), geo.addLine(tl, lower.left)
    surface = geo.addPlaneSurface([geo.addCurveLoop(lower.curves + [right, top_line, left])])
    return _Layers({"electrolyte": [surface]}, [right, left], [top_line], [], {})


class _GrainNetwork:
    """Gmsh points and shared lines of the Voronoi vertices of the grain box ``lo < xy < hi``."""

    def __init__(self, geo, verts: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        self.geo, self.verts, self.lo, self.hi = geo, verts, lo, hi
        self.pt: dict[int, int] = {}
        self.line = SharedLines(geo, self.point)

    def point(self, i: int) -> int:
        """Gmsh point of Voronoi vertex ``i``, drawn on first use."""
        if i not in self.pt:
            self.pt[i] = self.geo.addPoint(float(self.verts[i][0]), float(self.verts[i][1]), 0.0)
        return self.pt[i]

    def sides_of(self, v) -> set[int]:
        """Box sides a vertex lies on (0 left, 1 right, 2 bottom, 3 top; exact after snapping)."""
        lo, hi = self.lo, self.hi
        return {2 * ax + k for ax in range(2) for k, plane in enumerate((lo[ax], hi[ax])) if v[ax] == plane}


def _add_grain_cells(net: _GrainNetwork, cells, sides: list[int], counter: list[int],
                     gb_facets: list[int]) -> tuple[list[int], set[int], float]:
    """One plane surface per Voronoi grain, edges shared with the neighbours. Box edges go to
    ``sides`` / ``counter`` (or, on the bottom, only mark their vertices for the buffer band);
    interior edges are grain boundaries, recorded once (the first, positive, drawing).
    Returns (grain surfaces, bottom vertices, total GB length [m])."""
    verts = net.verts
    grains, bottom_vertices, gb_length = [], set(), 0.0
    for cell in cells:
        loop = []
        for k in range(len(cell)):
            a, b = cell[k], cell[(k + 1) % len(cell)]
            c = net.line(a, b)
            loop.append(c)
            common = net.sides_of(verts[a]) & net.sides_of(verts[b])
            if common:
                side = common.pop()
                if side == 2:
                    bottom_vertices |= {a, b}
                elif side == 3:
                    counter.append(abs(c))
                else:
                    sides.append(abs(c))
            elif c > 0:
                gb_facets.append(c)
                gb_length += float(np.linalg.norm(verts[a] - verts[b]))
        grains.append(net.geo.addPlaneSurface([net.geo.addCurveLoop(loop)]))
    return grains, bottom_vertices, gb_length


def _add_buffer_band(net: _GrainNetwork, lower: _Chain, bottom_vertices: set[int]) -> tuple[list[int], int]:
    """The homogeneous electrolyte band between the lower chain and the grain bottoms.

    Its loop: the interface (left to right), the right side, the grain bottoms (right to
    left), the left side. Returns ([right, left] side lines, plane surface)."""
    geo, verts = net.geo, net.verts
    order = sorted(bottom_vertices, key=lambda i: verts[i][0])
    right, left = geo.addLine(lower.right, net.point(order[-1])), geo.addLine(net.point(order[0]), lower.left)
    bottoms = [net.line(order[k], order[k - 1]) for k in range(len(order) - 1, 0, -1)]
    surface = geo.addPlaneSurface([geo.addCurveLoop(lower.curves + [right] + bottoms + [left])])
    return [right, left], surface


def _add_polycrystal(geo, p: Cell2D, lower: _Chain) -> _Layers:
    """Voronoi grains in the box ``y_g < y < thickness`` above a homogeneous buffer band."""
    W, T = p.width, p.thickness
    y_g = p.grains_bottom()
    box = p.grain_box()
    seeds = box.seeds() + np.array([0.0, y_g])
    lo, hi = np.array([0.0, y_g]), np.array([W, T])
    verts, cells = voronoi_2d(seeds, lo, hi, 1e-6 * p.mean_grain_size)
    net = _GrainNetwork(geo, verts, lo, hi)
    sides, counter, gb_facets = [], [], []
    grains, bottom_vertices, gb_length = _add_grain_cells(net, cells, sides, counter, gb_facets)
    band_sides, band = _add_buffer_band(net, lower, bottom_vertices)
    grain_meta = {
        "grain_count": len(grains),
        "mean_grain_size_m": p.mean_grain_size,
        "gb_length_m": gb_length,
        "grains_bottom_m": y_g,
        "buffer_m": p.buffer_thickness(),
        "grains_area_m2": W * (T - y_g),
        "seeds_m": seeds.tolist(),
    }
    return _Layers({"grains": grains, "electrolyte": [band]}, sides + band_sides, counter, gb_facets, grain_meta)


def _add_physical_groups(model, surfaces: dict[str, list[int]], anode: _Chain, layers: _Layers,
                         sides: list[int]) -> None:
    """Regions (interphase, electrolyte, grains) and boundaries, in this fixed order."""
    for name in ("interphase", "electrolyte", "grains"):
        if name in surfaces:
            model.addPhysicalGroup(2, surfaces[name], name=name)
    contact_curves = [c for c, f in zip(anode.curves, anode.in_contact) if f]
    void_curves = [c for c, f in zip(anode.curves, anode.in_contact) if not f]
    model.addPhysicalGroup(1, contact_curves, name="anode_interface")
    if void_curves:
        model.addPhysicalGroup(1, void_curves, name="contact_voids")
    model.addPhysicalGroup(1, layers.counter, name="counter_electrode")
    model.addPhysicalGroup(1, sides, name="sides")
    if layers.gb_facets:
        model.addPhysicalGroup(1, layers.gb_facets, name="grain_boundary_facets")


def _metadata(p: Cell2D, voids, grain_meta: dict) -> dict:
    """Geometry metadata: interface length and profile, void and interphase measures, grains."""
    W, t_i = p.width, p.t_i
    xs = np.linspace(0, W, 513)
    length = _arc_length(p, 0.0, W)
    void_length = sum(_arc_length(p, a, b) for a, b in voids)
    return {
        "gdim": 2,
        "generator": "cell_2d",
        "anode": p.anode,
        "electrolyte": p.electrolyte,
        "interphase_thickness_m": t_i,
        "interphase_area_m2": t_i * W,
        "interface_length_scale_m": p.profile.smallest_feature(W),
        "interface_length_m": length,
        "contact_fraction": p.contact.fraction,
        "void_intervals_m": voids,
        "void_length_m": void_length,
        "interface_profile_m": {"x": xs.tolist(), "y": p.profile.heights(xs, W).tolist()},
        "electrolyte_thickness_m": p.thickness - t_i,
        "projected_interface_area_m": W,
        **grain_meta,
    }


@register("cell_2d", Cell2D, declare)
def build(model, p: Cell2D, mesh: MeshSettings) -> dict:
    """Any anode (bare, Li-Al-Cl interphase) x any Li profile (+ voids) x glass or polycrystal electrolyte."""
    geo = model.geo
    h_int, h_far = _mesh_sizes(p, mesh)
    n_samples = _profile_samples(p)
    voids = p.contact.void_intervals(p.width)
    segments = _segment_breaks(p.width, voids)

    # bottom-up, so that every layer can reuse the curves of the one below (shared, conforming)
    anode = _chain(geo, p, segments, n_samples, 0.0)
    lower, sides, surfaces = anode, [], {}
    if p.t_i:
        lower, interphase_sides, interphase = _add_interphase(geo, p, anode, segments, n_samples)
        sides += interphase_sides
        surfaces["interphase"] = [interphase]
    layers = (_add_polycrystal if p.electrolyte == "polycrystal" else _add_glass)(geo, p, lower)
    sides += layers.sides
    surfaces.update(layers.surfaces)
    geo.synchronize()

    _add_physical_groups(model, surfaces, anode, layers, sides)
    # refine at the Li surface and, with an interphase, at its top: both bound the thin layer
    refine = anode.curves + (lower.curves if p.t_i else [])
    min_field(model, [threshold_field(model, h_int, h_far, p.t_i + 2 * h_int, p.thickness / 3, curves=refine,
                                      sampling=max(200, 4 * n_samples))])
    return _metadata(p, voids, layers.grain_meta)
