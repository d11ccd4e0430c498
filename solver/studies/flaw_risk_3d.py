"""The Porz chain on 3D Li-filled cracks: front overpotential -> pressure -> K_I(s) -> risk.

A 3D flaw declares its crack front (``crack_front``, see :mod:`meshes.cracks_3d`) and the
region of its faces (``face_region``: the plane x_axis = value and the ellipse with the
given centre and semi-axes in it; with ``cavity``, also the walls of the spheroid of that
centre and semi-axes: a pit whose bottom carries the crack). Its faces belong to the anode interface (the Li in the
flaw is connected to the anode); for the mechanics they are split off as
``flaw_<k>_faces`` so that a unit pressure can be put on one flaw at a time.

The influence of flaw k on front j is the function G_jk(s) = K_I(s) per pascal [m^0.5]
along front j (:func:`solver.physics.fracture_3d.front_stress_intensity` with the face
term); with the Porz pressures p_k [Pa] and the stack-pressure load case K_j^stack(s),
K_j(s) = sum_k G_jk(s) p_k + K_j^stack(s). The flaw's stress intensity is the largest
K_j(s) along its front, reported with the point where it occurs. The pressure of the Li in
a flaw is uniform (one closed Li body); it is set by the largest overpotential magnitude
on the flaw faces within one front element of the front, where plating is fastest.
"""

from __future__ import annotations

import dataclasses

import dolfinx
import numpy as np
from scipy.spatial import cKDTree

from solver.geometry.driver import TaggedMesh
from solver.physics.fracture_3d import CrackFront, FrontStressIntensity, front_stress_intensity

__all__ = ["split_crack_faces", "FrontInfluence", "front_overpotential", "default_radius"]


def _inside_region(points: np.ndarray, region: dict, tol: float) -> np.ndarray:
    """Points (N, 3) on the plane of ``region`` and inside its ellipse."""
    axis, value = int(region["plane_axis"]), float(region["plane_value"])
    rel = points - np.asarray(region["center"], dtype=float)
    semi = np.asarray(region["semi_axes"], dtype=float)
    in_plane = [i for i in range(3) if i != axis]
    radius2 = sum((rel[:, i] / semi[i]) ** 2 for i in in_plane)
    inside = (np.abs(points[:, axis] - value) < tol) & (radius2 <= 1 + 1e-6)
    cavity = region.get("cavity")
    if cavity is not None:  # the walls of a pit the crack grows from (a spheroid; facet midpoints lie inside)
        rel = (points - np.asarray(cavity["center"], dtype=float)) / np.asarray(cavity["semi_axes"], dtype=float)
        inside |= np.einsum("ij,ij->i", rel, rel) <= 1 + 1e-6
    return inside


def split_crack_faces(tagged: TaggedMesh, flaws: list[dict], boundary: str) -> TaggedMesh:
    """A copy of ``tagged`` whose ``boundary`` facets on flaw k's faces are ``flaw_<k>_faces``."""
    msh = tagged.mesh
    fdim = msh.topology.dim - 1
    indices, values = tagged.facet_tags.indices.copy(), tagged.facet_tags.values.copy()
    on_boundary = values == tagged.boundary_tag(boundary)
    mid = dolfinx.mesh.compute_midpoints(msh, fdim, indices[on_boundary])
    tol = 1e-6 * max(float(np.ptp(msh.geometry.x, axis=0).max()) if msh.geometry.x.size else 1.0, 1e-12)
    boundaries = dict(tagged.boundaries)
    next_tag = max(list(boundaries.values()) + [0]) + 1
    sub = values[on_boundary]
    for k, flaw in enumerate(flaws):
        sub[_inside_region(mid, flaw["face_region"], tol)] = next_tag
        boundaries[f"flaw_{k}_faces"] = next_tag
        next_tag += 1
    values[on_boundary] = sub
    order = np.argsort(indices)
    new_tags = dolfinx.mesh.meshtags(msh, fdim, indices[order], values[order])
    return dataclasses.replace(tagged, facet_tags=new_tags, boundaries=boundaries)


def default_radius(tagged: TaggedMesh, front_entry: dict) -> float:
    """r2 [m]: six front elements (so that r2 - r1 spans at least three), at most half the
    smaller crack dimension (the curved-front terms grow with r2 / R)."""
    front = CrackFront.from_metadata(front_entry)
    h = tagged.metadata.get("front_size_m") or tagged.statistics.get("h_min_m")
    extent = np.ptp(front.points, axis=0)
    size = min([e for e in extent if e > 0] + [front.length])
    return float(min(6 * h, 0.5 * size))


@dataclasses.dataclass
class FrontInfluence:
    """G_jk(s) [m^0.5] and K_j^stack(s) [Pa m^0.5] at the nodes of every front."""

    fronts: list[CrackFront]
    radius: list[float]
    influence: list[list[FrontStressIntensity]]  # [j][k]: front j under unit pressure in flaw k
    stack: list[np.ndarray]

    def stress_intensity(self, pressures: np.ndarray) -> list[np.ndarray]:
        """K_j(s) [Pa m^0.5] for flaw pressures p_k [Pa]."""
        return [sum(p * self.influence[j][k].K_I for k, p in enumerate(pressures)) + self.stack[j]
                for j in range(len(self.fronts))]

    def matrix(self) -> np.ndarray:
        """max_s G_jk(s) [m^0.5] (for the summary)."""
        return np.array([[float(np.nanmax(g.K_I)) for g in row] for row in self.influence])


def front_influence(solve, flaws: list[dict], radius: list[float], stack_loads: dict | None,
                    tagged: TaggedMesh | None = None) -> FrontInfluence:
    """Unit-pressure solves per flaw (and the stack load case) rated along every front.

    ``solve(pressures) -> ElasticFields`` runs one elastic solve with the given face loads.
    """
    fronts = [CrackFront.from_metadata(f["crack_front"]) for f in flaws]
    if tagged is not None:
        for front, r in zip(fronts, radius):
            grain_boundary_crossings(tagged, front, r)
    influence = [[None] * len(flaws) for _ in flaws]
    for k in range(len(flaws)):
        fields = solve({f"flaw_{k}_faces": 1.0})
        for j, front in enumerate(fronts):
            influence[j][k] = front_stress_intensity(fields, front, radius[j], pressure=1.0 if j == k else 0.0,
                                                     mixed_material="skip")
    stack = [np.zeros_like(influence[j][0].K_I) for j in range(len(flaws))]
    if stack_loads:
        fields = solve(stack_loads)
        for j, front in enumerate(fronts):
            p_faces = stack_loads.get(f"flaw_{j}_faces", 0.0)
            stack[j] = front_stress_intensity(fields, front, radius[j], pressure=p_faces, mixed_material="skip").K_I
    return FrontInfluence(fronts, radius, influence, stack)


def grain_boundary_crossings(tagged: TaggedMesh, front: CrackFront, radius: float,
                             boundary: str = "grain_boundary_facets") -> int:
    """The number of ``boundary`` facets (grain boundaries) within ``radius`` of the front,
    with a warning when there are any: the interaction integral assumes one isotropic
    material around the front, which holds across a boundary between grains of the same
    elastic constants, but K_I there is not that of a crack in one grain."""
    import logging

    from mpi4py import MPI

    if boundary not in tagged.boundaries:
        return 0
    facets = tagged.facets(boundary)
    mid = dolfinx.mesh.compute_midpoints(tagged.mesh, tagged.mesh.topology.dim - 1, facets)
    near = int(np.count_nonzero(cKDTree(front.points).query(mid)[0] < radius)) if len(mid) else 0
    near = tagged.mesh.comm.allreduce(near, op=MPI.SUM)
    if near:
        logging.getLogger(__name__).warning(
            "the K_I integration domain around the crack front crosses %d grain-boundary facets: the front is not "
            "inside one grain (K_I is that of the grains' common elastic constants)", near)
    return near


def front_overpotential(samples: dict, front: CrackFront, distance: float) -> tuple[float, float, list[float]]:
    """(overpotential [V], current density [A/m^2], point [m]) of largest magnitude among the
    interface samples within ``distance`` of the front (the nearest sample if none is)."""
    pts = samples["points"].reshape(-1, samples["points"].shape[-1])
    eta = samples["overpotential"].ravel()
    cur = samples["current_density"].ravel()
    d = cKDTree(front.points).query(pts)[0]
    near = np.flatnonzero(d <= distance)
    if near.size == 0:
        near = np.array([int(np.argmin(d))])
    k_eta = near[np.argmax(np.abs(eta[near]))]
    k_cur = near[np.argmax(np.abs(cur[near]))]
    return float(eta[k_eta]), float(cur[k_cur]), pts[k_eta].tolist()


def write_front_profile(folder, point, criterion: str, case: str = "") -> None:
    """``front_stress_intensity.csv`` / ``.png``: K_I along every flaw front at ``point`` (rank 0).

    ``point`` is a sweep point whose flaws carry ``front`` data; the run writes the one at
    the critical current density (the smallest current with worst ratio >= 1 found).
    """
    import csv

    from solver.io.pictures import style
    from solver.io.pictures.plots import front_profile

    flaws = [st for st in point.flaws if st.front]
    with open(folder / "front_stress_intensity.csv", "w", newline="") as f:
        w = csv.writer(f)
        name = flaws[0].front["parameter_name"]
        w.writerow(["flaw", name, "x_m", "y_m", "z_m", "K_I_Pa_m05", "ratio"])
        for st in flaws:
            scale = st.ratio / st.stress_intensity if st.stress_intensity else 0.0
            for par, pt, k in zip(st.front["parameter"], st.front["points"], st.front["K_I"]):
                w.writerow([st.index, par, *pt, k, k * scale])
    toughness = None
    if criterion == "fracture_toughness" and flaws and flaws[0].ratio > 0:
        toughness = flaws[0].stress_intensity / flaws[0].ratio
    factor, unit = style.display("applied_current_density")
    front_profile([{"label": f"flaw {st.index}: K$_I$", "parameter": st.front["parameter"], "K": st.front["K_I"]}
                   for st in flaws], folder / "front_stress_intensity.png", case=case or "run", parameter=name,
                  title=f"K$_I$ along the crack front at "
                        f"{style.format_number(point.applied_current_density * factor)} {style.tex_unit(unit)}",
                  toughness=toughness)
