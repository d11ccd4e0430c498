"""Stratified Li-Al-Cl anode (seed 001) or bare Li under a solid electrolyte, all meshed.

Bottom-up, in ``0 < x < width`` (thicknesses measured along y, layers are vertical
offsets of the interface profile ``h(x)``, mean zero):

* ``li_metal``: Li bulk, ``-li_thickness < y < h(x)``, with dispersed ``skeleton``
  particles (Li9Al4/LiCl, circles of diameter ``d_p`` at area fraction ``phi`` of the
  Li bulk, seeded, non-overlapping, clear of every boundary by ``d_p / 10``);
* ``interphase_graded`` (optional, ``graded_thickness > 0``): Al/Cl-enriched sublayer
  ``h < y < h + t_g`` (seed 001: enrichment reaches ~300 nm);
* ``interphase``: Li9Al4 + LiCl layer ``h + t_g < y < h + t_g + t_i`` (seed 001: ~100 nm
  purely Li9Al4 + LiCl); absent for ``surface: bare``;
* ``electrolyte``: up to ``y = h + t_g + t_i + electrolyte_thickness`` (flat top).

Boundaries: ``anode_interface`` is the top of the Li bulk (Li | interphase, or Li | SE for
a bare anode): Li deposits beneath the Li9Al4/LiCl layer, so charge transfer happens
there. ``counter_electrode`` is the top, ``sides`` the lateral faces of all layers. The
bottom of the Li (``y = -li_thickness``) stays untagged (an equipotential Li bulk needs
no condition there), and so does the interior interphase | electrolyte interface.

Because every layer is the same spline shifted along y, the interphase area is exactly
``t_i * width`` and the graded area ``t_g * width`` (up to the spline-to-mesh chord error).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import min_field, threshold_field
from meshes.rough import FlatProfile, Profile, SinusoidProfile
from solver.config.units import Quantity

Length = Quantity("m")


class Skeleton(BaseModel):
    """Li9Al4/LiCl particles dispersed in the Li bulk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fraction: float = Field(0.1, ge=0, le=0.35, description="particle area fraction of the Li bulk phi [-]")
    particle_diameter: Length = Field(0.5e-6, gt=0, description="particle diameter d_p [m]")
    seed: int = Field(0, ge=0, description="random seed of the particle positions")


class StratifiedAnode2D(GeometryParameters):
    width: Length = Field(10e-6, gt=0, description="cell width along the interface [m]")
    li_thickness: Length = Field(4e-6, gt=0, description="Li bulk thickness below the interface [m]")
    electrolyte_thickness: Length = Field(6e-6, gt=0, description="electrolyte thickness L above the layers [m]")
    surface: Literal["li_al_cl", "bare"] = Field(
        "li_al_cl", description="'li_al_cl': interphase layer on the Li (seed 001); 'bare': Li | electrolyte"
    )
    interphase_thickness: Length = Field(100e-9, gt=0, description="Li9Al4 + LiCl layer thickness t_i [m]")
    graded_thickness: Length = Field(
        0.0, ge=0, description="Al/Cl-enriched sublayer thickness t_g under the interphase (0: none) [m]"
    )
    skeleton: Skeleton = Field(default_factory=Skeleton, description="skeleton particles in the Li bulk")
    profile: Profile = Field(default_factory=FlatProfile, description="Li surface profile h(x) (as rough_interface_2d)")

    def layers(self) -> list[tuple[str, float]]:
        """(region name, thickness [m]) of the layers between Li and electrolyte, bottom-up."""
        if self.surface == "bare":
            return []
        out = [("interphase_graded", self.graded_thickness)] if self.graded_thickness > 0 else []
        return out + [("interphase", self.interphase_thickness)]

    def particle_centres(self) -> np.ndarray:
        """Seeded, non-overlapping particle centres [m] (random sequential addition)."""
        s = self.skeleton
        if s.fraction == 0:
            return np.empty((0, 2))
        r, gap = s.particle_diameter / 2, s.particle_diameter / 10
        h_min = float(np.min(self.profile.heights(np.linspace(0, self.width, 2049), self.width)))
        lo = np.array([r + gap, -self.li_thickness + r + gap])
        hi = np.array([self.width - r - gap, h_min - r - gap])
        if np.any(hi <= lo):
            raise ValueError("skeleton particles do not fit in the Li bulk: make them smaller or the Li thicker")
        n = int(round(s.fraction * self.width * self.li_thickness / (np.pi * r**2)))
        rng = np.random.default_rng(s.seed)
        pts = np.empty((0, 2))
        tries = 0
        while len(pts) < n:
            p = lo + rng.random(2) * (hi - lo)
            tries += 1
            if len(pts) == 0 or np.min(np.linalg.norm(pts - p, axis=1)) >= 2 * r + gap:
                pts = np.vstack([pts, p])
            if tries > 2000 * max(n, 1):
                raise ValueError(
                    f"could not place {n} non-overlapping skeleton particles (fraction {s.fraction}); "
                    "lower the fraction or the particle size"
                )
        return pts

    @model_validator(mode="after")
    def _check(self):
        h = self.profile.heights(np.linspace(0, self.width, 2049), self.width)
        limit = 0.5 * min(self.li_thickness, self.electrolyte_thickness)
        if np.max(np.abs(h)) >= limit:
            raise ValueError(f"profile reaches |h| = {np.max(np.abs(h)):.3g} m; keep it below {limit:.3g} m")
        if isinstance(self.profile, SinusoidProfile):
            for m in self.profile.modes:
                if abs(self.width / m.wavelength - round(self.width / m.wavelength)) > 1e-6:
                    raise ValueError(f"wavelength {m.wavelength:.3g} m does not divide the width {self.width:.3g} m")
        if self.surface == "bare" and self.graded_thickness > 0:
            raise ValueError("a bare anode has no graded interphase: set graded_thickness to 0")
        layers = sum(t for _, t in self.layers())
        if layers >= self.li_thickness:
            raise ValueError(
                f"the interphase layers ({layers:.3g} m) are as thick as or thicker than the Li anode "
                f"({self.li_thickness:.3g} m): they are a surface film of the anode (seed 001: 100-300 nm)"
            )
        self.particle_centres()  # raises if the particles do not fit
        return self


def declare(p: StratifiedAnode2D) -> GeometryDeclaration:
    # few or small particles may round to none: the skeleton is optional
    skeleton = frozenset({"skeleton"} if p.skeleton.fraction > 0 else ())
    return slab(2, regions=("li_metal", *(name for name, _ in p.layers()), "electrolyte"), optional_regions=skeleton)


@register("stratified_anode_2d", StratifiedAnode2D, declare)
def build(model, p: StratifiedAnode2D, mesh: MeshSettings) -> dict:
    """Li bulk with skeleton particles, (graded) Li9Al4+LiCl interphase and electrolyte, or bare Li."""
    geo = model.geo  # geo kernel: nm-thin layers are below OCC's 1e-7 tolerance
    W = p.width
    layers = p.layers()
    t_thin = min([t for _, t in layers], default=W / 50)
    feature = p.profile.smallest_feature(W)
    h_int = mesh.scaled(mesh.interface_size or min(t_thin / 3, feature / 20, W / 60))
    h_far = max(h_int, mesh.scaled(mesh.size or min(p.electrolyte_thickness, p.li_thickness) / 10))

    n_samples = int(max(64, np.ceil(40 * W / feature))) if not isinstance(p.profile, FlatProfile) else 1
    xs = np.linspace(0.0, W, n_samples + 1)
    h = p.profile.heights(xs, W)

    def interface(offset: float) -> tuple[int, int, int]:
        """(curve, left point, right point) of y = h(x) + offset."""
        pts = [geo.addPoint(x, y + offset, 0.0) for x, y in zip(xs, h)]
        curve = geo.addSpline(pts) if n_samples > 1 else geo.addLine(pts[0], pts[-1])
        return curve, pts[0], pts[-1]

    offsets = np.concatenate([[0.0], np.cumsum([t for _, t in layers])])
    curves = [interface(o) for o in offsets]  # bottom-up: Li top, ..., electrolyte bottom
    y_top = offsets[-1] + p.electrolyte_thickness
    bl, br = geo.addPoint(0.0, -p.li_thickness, 0.0), geo.addPoint(W, -p.li_thickness, 0.0)
    tl, tr = geo.addPoint(0.0, y_top, 0.0), geo.addPoint(W, y_top, 0.0)
    sides = []

    def band(lower, upper) -> int:
        """Curve loop of the band between two interface curves (lower, upper: (curve, left, right))."""
        right, left = geo.addLine(lower[2], upper[2]), geo.addLine(upper[1], lower[1])
        sides.extend([right, left])
        return geo.addCurveLoop([lower[0], right, -upper[0], left])

    # Li bulk with particle holes
    bottom = geo.addLine(bl, br)
    li_right, li_left = geo.addLine(br, curves[0][2]), geo.addLine(curves[0][1], bl)
    sides += [li_right, li_left]
    li_loop = geo.addCurveLoop([bottom, li_right, -curves[0][0], li_left])
    centres = p.particle_centres()
    r = p.skeleton.particle_diameter / 2
    particle_loops, particle_curves = [], []
    for cx, cy in centres:
        c = geo.addPoint(cx, cy, 0.0)
        ring = [geo.addPoint(cx + r * np.cos(a), cy + r * np.sin(a), 0.0) for a in np.arange(4) * np.pi / 2]
        arcs = [geo.addCircleArc(ring[k], c, ring[(k + 1) % 4]) for k in range(4)]
        particle_curves += arcs
        particle_loops.append(geo.addCurveLoop(arcs))
    li = geo.addPlaneSurface([li_loop] + particle_loops)
    particles = [geo.addPlaneSurface([lp]) for lp in particle_loops]
    layer_surfaces = [geo.addPlaneSurface([band(curves[k], curves[k + 1])]) for k in range(len(layers))]
    top = geo.addLine(tr, tl)
    e_right, e_left = geo.addLine(curves[-1][2], tr), geo.addLine(tl, curves[-1][1])
    sides += [e_right, e_left]
    electrolyte = geo.addPlaneSurface([geo.addCurveLoop([curves[-1][0], e_right, top, e_left])])
    geo.synchronize()

    model.addPhysicalGroup(2, [li], name="li_metal")
    if particles:
        model.addPhysicalGroup(2, particles, name="skeleton")
    for (name, _), s in zip(layers, layer_surfaces):
        model.addPhysicalGroup(2, [s], name=name)
    model.addPhysicalGroup(2, [electrolyte], name="electrolyte")
    model.addPhysicalGroup(1, [curves[0][0]], name="anode_interface")
    model.addPhysicalGroup(1, [top], name="counter_electrode")
    model.addPhysicalGroup(1, sides, name="sides")

    layer_curves = [c[0] for c in curves]
    fields = [
        threshold_field(model, h_int, h_far, offsets[-1] + 2 * h_int, offsets[-1] + p.electrolyte_thickness / 3,
                        curves=layer_curves, sampling=max(200, 4 * n_samples))
    ]
    if particles:
        h_p = min(h_far, mesh.scaled(p.skeleton.particle_diameter / 8))
        fields.append(threshold_field(model, h_p, h_far, h_p, 2 * r, curves=particle_curves, sampling=20))
    min_field(model, fields)

    return {
        "gdim": 2,
        "surface": p.surface,
        "layers_m": [[name, t] for name, t in layers],
        "particle_count": int(len(centres)),
        "particle_centres_m": centres.tolist(),
        "skeleton_area_m2": float(len(centres) * np.pi * r**2),
        "li_area_m2": float(W * p.li_thickness - len(centres) * np.pi * r**2),
        "interface_profile_m": {"x": xs.tolist(), "y": h.tolist()},
        "electrolyte_thickness_m": p.electrolyte_thickness,
        "projected_interface_area_m": W,
    }
