"""Stratified Li-Al-Cl anode (seed 001) or bare Li under a solid electrolyte, in 3D, all meshed.

The 3D counterpart of ``stratified_anode_2d``. Bottom-up, in ``0 < x < width``,
``0 < y < depth`` (flat layers, thicknesses along z, the Li surface at z = 0):

* ``li_metal``: Li bulk, ``-li_thickness < z < 0``, holding the ``skeleton`` (Li9Al4/LiCl):
  ``shape: particles``: spheres of diameter ``d_p`` at volume fraction ``phi`` of the Li
  bulk, seeded, non-overlapping (random sequential addition), clear of every boundary and
  of each other by ``d_p / 10``; ``shape: columns``: vertical cylinders of diameter ``d_p``
  standing on the Li bottom and ending ``d_p / 10`` below the Li surface, at volume fraction
  ``phi``, seeded, clear of the sides and of each other by ``d_p / 10``;
* ``interphase_graded`` (optional, ``graded_thickness > 0``): Al/Cl-enriched sublayer
  ``0 < z < t_g`` (seed 001: enrichment reaches ~300 nm);
* ``interphase``: Li9Al4 + LiCl layer ``t_g < z < t_g + t_i`` (seed 001: ~100 nm purely
  Li9Al4 + LiCl); absent for ``surface: bare``;
* ``electrolyte``: up to ``z = t_g + t_i + electrolyte_thickness``.

Boundaries: ``anode_interface`` is the top of the Li bulk (Li | graded layer, Li |
interphase, or Li | electrolyte for a bare anode), interior to the mesh: Li deposits
beneath the layers, so charge transfer happens there. ``counter_electrode`` is the top,
``sides`` the four lateral faces of every region. The Li bottom stays untagged (the Li bulk
is an equipotential electronic conductor and is cut from the ionic problem, with the
skeleton, which is metallic too).

Volumes: the layers are exactly ``t * width * depth``; ``li_metal`` + ``skeleton`` is
exactly ``width * depth * li_thickness``; the skeleton is ``n (pi/6) d_p^3`` (particles) or
``n (pi/4) d_p^2 (li_thickness - d_p / 10)`` (columns) up to the facets' chord error.
Drawn with OpenCASCADE in micrometres (its tolerance is 1e-7) and dilated to metres.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import min_field, threshold_field
from solver.config.units import Quantity

Length = Quantity("m")
_UM = 1e-6
MAX_PARTICLES = 400  # each particle is a meshed sphere: beyond this the skeleton dominates the mesh


class Skeleton3D(BaseModel):
    """Li9Al4/LiCl skeleton in the Li bulk: dispersed spheres or vertical columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shape: Literal["particles", "columns"] = Field("particles", description="'particles': spheres; 'columns': "
                                                   "vertical cylinders standing on the Li bottom")
    fraction: float = Field(0.1, ge=0, le=0.3, description="skeleton volume fraction of the Li bulk phi [-]")
    particle_diameter: Length = Field(0.6e-6, gt=0, description="sphere or column diameter d_p [m]")
    seed: int = Field(0, ge=0, description="random seed of the positions")


class StratifiedAnode3D(GeometryParameters):
    width: Length = Field(3e-6, gt=0, description="box width along x [m]")
    depth: Length = Field(3e-6, gt=0, description="box depth along y [m]")
    li_thickness: Length = Field(2e-6, gt=0, description="Li bulk thickness below the Li surface [m]")
    electrolyte_thickness: Length = Field(3e-6, gt=0, description="electrolyte thickness above the layers [m]")
    surface: Literal["li_al_cl", "bare"] = Field(
        "li_al_cl", description="'li_al_cl': interphase layer on the Li (seed 001); 'bare': Li | electrolyte")
    interphase_thickness: Length = Field(100e-9, gt=0, description="Li9Al4 + LiCl layer thickness t_i [m]")
    graded_thickness: Length = Field(0.0, ge=0, description="Al/Cl-enriched sublayer thickness t_g under the "
                                     "interphase (0: none) [m]")
    skeleton: Skeleton3D = Field(default_factory=Skeleton3D, description="skeleton in the Li bulk")

    def layers(self) -> list[tuple[str, float]]:
        """(region name, thickness [m]) of the layers between Li and electrolyte, bottom-up."""
        if self.surface == "bare":
            return []
        out = [("interphase_graded", self.graded_thickness)] if self.graded_thickness > 0 else []
        return out + [("interphase", self.interphase_thickness)]

    def skeleton_unit_volume(self) -> float:
        """Volume of one sphere or column [m^3]."""
        d = self.skeleton.particle_diameter
        if self.skeleton.shape == "particles":
            return math.pi / 6 * d**3
        return math.pi / 4 * d**2 * (self.li_thickness - d / 10)

    def skeleton_count(self) -> int:
        """n = round(phi W D L_Li / v_1) [-]."""
        return int(round(self.skeleton.fraction * self.width * self.depth * self.li_thickness
                         / self.skeleton_unit_volume()))

    def skeleton_centres(self) -> np.ndarray:
        """Seeded, non-overlapping centres (n, 3) [m] (columns: the centre of the column axis)."""
        s = self.skeleton
        n = self.skeleton_count()
        if n == 0:
            return np.empty((0, 3))
        r, gap = s.particle_diameter / 2, s.particle_diameter / 10
        columns = s.shape == "columns"
        lo = np.array([r + gap, r + gap, -self.li_thickness + r + gap])
        hi = np.array([self.width - r - gap, self.depth - r - gap, -r - gap])
        if np.any(hi[:2] <= lo[:2]) or (not columns and hi[2] <= lo[2]) or (columns and self.li_thickness <= 2 * gap):
            raise ValueError("skeleton: the particles or columns do not fit in the Li bulk: make them smaller or "
                             "the Li box larger")
        if n > MAX_PARTICLES:
            raise ValueError(f"skeleton: {n} particles or columns, at most {MAX_PARTICLES}: use larger ones "
                             "or a smaller box")
        rng = np.random.default_rng(s.seed)
        pts = np.empty((0, 3))
        dims = 2 if columns else 3
        tries = 0
        while len(pts) < n:
            p = lo + rng.random(3) * (hi - lo)
            tries += 1
            if len(pts) == 0 or np.min(np.linalg.norm(pts[:, :dims] - p[:dims], axis=1)) >= 2 * r + gap:
                pts = np.vstack([pts, p])
            if tries > 2000 * n:
                raise ValueError(f"skeleton: could not place {n} non-overlapping {s.shape} (fraction "
                                 f"{s.fraction}); lower the fraction or the diameter")
        if columns:
            pts[:, 2] = (-self.li_thickness - gap) / 2  # the column from z = -L_Li to z = -gap
        return pts

    @model_validator(mode="after")
    def _check(self):
        if self.surface == "bare" and self.graded_thickness > 0:
            raise ValueError("a bare anode has no graded interphase: set graded_thickness to 0")
        layers = sum(t for _, t in self.layers())
        if layers >= self.li_thickness:
            raise ValueError(f"the interphase layers ({layers:.3g} m) are as thick as or thicker than the Li anode "
                             f"({self.li_thickness:.3g} m): they are a surface film of the anode (seed 001: 100-300 nm)")
        if layers >= 0.5 * self.electrolyte_thickness:
            raise ValueError("the interphase layers reach half the electrolyte thickness: make the electrolyte thicker")
        self.skeleton_centres()  # raises if the skeleton does not fit
        return self


def declare(p: StratifiedAnode3D) -> GeometryDeclaration:
    skeleton = frozenset({"skeleton"} if p.skeleton_count() > 0 else ())
    return slab(3, regions=("li_metal", *(name for name, _ in p.layers()), "electrolyte"), optional_regions=skeleton)


def _skeleton_volumes(occ, p: StratifiedAnode3D, centres: np.ndarray) -> list[int]:
    """Spheres or cylinders [um]."""
    r = p.skeleton.particle_diameter / 2 / _UM
    if p.skeleton.shape == "particles":
        return [occ.addSphere(*(c / _UM), r) for c in centres]
    height = (p.li_thickness - p.skeleton.particle_diameter / 10) / _UM
    return [occ.addCylinder(x / _UM, y / _UM, -p.li_thickness / _UM, 0, 0, height, r) for x, y, _ in centres]


def _skeleton_fields(model, p: StratifiedAnode3D, centres: np.ndarray, h_p: float, h_far: float) -> list[int]:
    """Size h_p inside every sphere or column and one h_p beyond its surface [m]."""
    f = model.mesh.field
    r = p.skeleton.particle_diameter / 2
    tags = []
    for x, y, z in centres:
        if p.skeleton.shape == "particles":
            tag = f.add("Ball")
            f.setNumber(tag, "ZCenter", z)
        else:
            tag = f.add("Cylinder")
            f.setNumber(tag, "ZCenter", z)
            f.setNumber(tag, "ZAxis", p.li_thickness)
        f.setNumber(tag, "XCenter", x)
        f.setNumber(tag, "YCenter", y)
        f.setNumber(tag, "Radius", r + h_p)
        f.setNumber(tag, "VIn", h_p)
        f.setNumber(tag, "VOut", h_far)
        tags.append(tag)
    return tags


@register("stratified_anode_3d", StratifiedAnode3D, declare)
def build(model, p: StratifiedAnode3D, mesh: MeshSettings) -> dict:
    """Li bulk with a skeleton, (graded) Li9Al4+LiCl interphase and electrolyte, or bare Li, in 3D."""
    occ = model.occ
    W, D = p.width / _UM, p.depth / _UM
    layers = p.layers()
    offsets = np.concatenate([[0.0], np.cumsum([t for _, t in layers])])
    z_top = offsets[-1] + p.electrolyte_thickness
    slabs = [occ.addBox(0, 0, -p.li_thickness / _UM, W, D, p.li_thickness / _UM)]
    slabs += [occ.addBox(0, 0, offsets[k] / _UM, W, D, t / _UM) for k, (_, t) in enumerate(layers)]
    slabs.append(occ.addBox(0, 0, offsets[-1] / _UM, W, D, p.electrolyte_thickness / _UM))
    centres = p.skeleton_centres()
    parts = _skeleton_volumes(occ, p, centres)
    _, out_map = occ.fragment([(3, s) for s in slabs], [(3, t) for t in parts])
    occ.synchronize()
    skeleton = sorted({t for m in out_map[len(slabs):] for _, t in m})
    li = [t for _, t in out_map[0] if t not in skeleton]
    stack = [[t for _, t in m] for m in out_map[1:len(slabs)]]  # the layers, then the electrolyte
    tol = 1e-4
    faces_of = {v: {f for _, f in model.getBoundary([(3, v)], combined=False, oriented=False)} for v in
                li + skeleton + [t for s in stack for t in s]}
    above = stack[0]
    li_faces = set().union(*(faces_of[v] for v in li))
    anode = sorted(li_faces & set().union(*(faces_of[v] for v in above)))
    counter, sides = [], []
    for f in set().union(*faces_of.values()):
        x0, y0, z0, x1, y1, z1 = model.getBoundingBox(2, f)
        if abs(z0 - z_top / _UM) < tol and abs(z1 - z_top / _UM) < tol:
            counter.append(f)
        elif (x1 - x0 < 2 * tol and min(abs(x0), abs(x1 - W)) < tol) or (
                y1 - y0 < 2 * tol and min(abs(y0), abs(y1 - D)) < tol):
            sides.append(f)
    occ.dilate(model.getEntities(), 0, 0, 0, _UM, _UM, _UM)
    occ.synchronize()

    model.addPhysicalGroup(3, li, name="li_metal")
    if skeleton:
        model.addPhysicalGroup(3, skeleton, name="skeleton")
    for (name, _), tags in zip(layers, stack):
        model.addPhysicalGroup(3, tags, name=name)
    model.addPhysicalGroup(3, stack[-1], name="electrolyte")
    model.addPhysicalGroup(2, anode, name="anode_interface")
    model.addPhysicalGroup(2, sorted(counter), name="counter_electrode")
    model.addPhysicalGroup(2, sorted(sides), name="sides")

    t_thin = min([t for _, t in layers], default=p.width / 20)
    h_int = mesh.scaled(mesh.interface_size or min(t_thin, p.width / 20))
    h_far = max(h_int, mesh.scaled(mesh.size or min(p.electrolyte_thickness, p.li_thickness) / 6))
    fields = [threshold_field(model, h_int, h_far, offsets[-1] + 2 * h_int, offsets[-1] + p.electrolyte_thickness / 3,
                              surfaces=anode, sampling=60)]
    if skeleton:
        fields += _skeleton_fields(model, p, centres, min(h_far, mesh.scaled(p.skeleton.particle_diameter / 8)), h_far)
    min_field(model, fields)
    n = len(centres)
    v_skeleton = n * p.skeleton_unit_volume()
    return {
        "gdim": 3,
        "surface": p.surface,
        "layers_m": [[name, t] for name, t in layers],
        "skeleton_shape": p.skeleton.shape,
        "particle_count": n,
        "particle_centres_m": centres.tolist(),
        "skeleton_volume_m3": float(v_skeleton),
        "skeleton_fraction": float(v_skeleton / (p.width * p.depth * p.li_thickness)),
        "li_volume_m3": float(p.width * p.depth * p.li_thickness - v_skeleton),
        "electrolyte_thickness_m": p.electrolyte_thickness,
        "projected_interface_area_m2": p.width * p.depth,
    }
