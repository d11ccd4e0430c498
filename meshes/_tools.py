"""Shared helpers for the geometry generators (no Gmsh start/stop, no DOLFINx).

* seeded point sets (hard-core "dart throwing") for Voronoi tessellations,
* Voronoi tessellations clipped to a box (mirrored seeds: the box faces are then
  bisectors, so the clipped cells are exact), with near-coincident vertices merged,
* periodic Gaussian-spectrum random height maps (1D and 2D),
* mesh-size fields (distance threshold, minimum of several fields).

All lengths are in metres.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "hard_core_seeds",
    "voronoi_2d",
    "voronoi_3d",
    "gaussian_height_map",
    "threshold_field",
    "min_field",
    "polygon_area",
]


# --------------------------------------------------------------------------- seeds
def hard_core_seeds(rng: np.random.Generator, lo, hi, n: int, r_min: float, max_tries: int = 200) -> np.ndarray:
    """``n`` uniform random points in the box [lo, hi] no closer than ``r_min`` [m].

    Random sequential addition; ``r_min = 0`` gives a Poisson point set. If a point cannot
    be placed after ``max_tries`` attempts the distance is relaxed by 5 % (the caller keeps
    ``r_min`` well below the jamming limit, so this is rare).
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    dim = lo.size
    cell = max(r_min, 1e-300)
    pts: list[np.ndarray] = []
    grid: dict[tuple, list[int]] = {}
    r = r_min
    while len(pts) < n:
        placed = False
        for _ in range(max_tries):
            p = lo + rng.random(dim) * (hi - lo)
            if r > 0:
                key = tuple((p // cell).astype(int))
                near = [
                    j
                    for off in np.ndindex(*(3,) * dim)
                    for j in grid.get(tuple(np.add(key, off) - 1), ())
                ]
                if near and np.min(np.linalg.norm(np.asarray([pts[j] for j in near]) - p, axis=1)) < r:
                    continue
                grid.setdefault(key, []).append(len(pts))
            pts.append(p)
            placed = True
            break
        if not placed:
            r *= 0.95
    return np.asarray(pts)


def _mirrored(seeds: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Seeds plus their mirror images across every box face (2 * dim copies)."""
    parts = [seeds]
    for axis in range(seeds.shape[1]):
        for plane in (lo[axis], hi[axis]):
            m = seeds.copy()
            m[:, axis] = 2 * plane - m[:, axis]
            parts.append(m)
    return np.vstack(parts)


def _merge_vertices(x: np.ndarray, tol: float, lo: np.ndarray, hi: np.ndarray):
    """Merge vertices closer than ``tol`` (union-find); snap near-box coordinates onto the box.

    Returns (new coordinates, old -> new index map).
    """
    parent = np.arange(len(x))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    from scipy.spatial import cKDTree  # here: scipy.spatial takes ~0.5 s to import, and `validate` needs none

    for i, j in cKDTree(x).query_pairs(tol):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([find(i) for i in range(len(x))])
    uniq, new_index = np.unique(roots, return_inverse=True)
    merged = np.zeros((len(uniq), x.shape[1]))
    np.add.at(merged, new_index, x)
    merged /= np.bincount(new_index)[:, None]
    for axis in range(x.shape[1]):
        for plane in (lo[axis], hi[axis]):
            near = np.abs(merged[:, axis] - plane) < tol
            merged[near, axis] = plane
    return merged, new_index


def polygon_area(xy: np.ndarray) -> float:
    """Signed area of a polygon (counter-clockwise positive) [m^2]."""
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def voronoi_2d(seeds: np.ndarray, lo, hi, tol: float):
    """Voronoi cells of ``seeds`` clipped to the rectangle [lo, hi].

    Returns ``(vertices, cells)``: vertex coordinates (shared between cells) and, per
    seed, its polygon as a counter-clockwise list of vertex indices. Vertices closer than
    ``tol`` [m] are merged (degenerate co-circular seeds and their mirrors give such pairs).
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    from scipy.spatial import Voronoi

    vor = Voronoi(_mirrored(seeds, lo, hi))
    verts, remap = _merge_vertices(vor.vertices, tol, lo, hi)
    cells = []
    for i in range(len(seeds)):
        region = vor.regions[vor.point_region[i]]
        if -1 in region:
            raise RuntimeError("unbounded Voronoi cell for an interior seed")
        poly = [int(remap[v]) for v in region]
        poly = [v for k, v in enumerate(poly) if v != poly[k - 1]]  # cyclic de-duplication
        if polygon_area(verts[poly]) < 0:
            poly = poly[::-1]
        cells.append(poly)
    return verts, cells


def voronoi_3d(seeds: np.ndarray, lo, hi, tol: float):
    """Voronoi cells of ``seeds`` clipped to the box [lo, hi], as shared faces.

    Returns ``(vertices, faces)`` where each face is ``(polygon, a, b)``: an ordered list
    of vertex indices, the cell index ``a`` and either the neighbouring cell ``b >= 0``
    (interior face) or ``b = -1 - k`` for box face ``k`` (k = 2 * axis + (0: low, 1: high)).
    Polygons are ordered counter-clockwise seen from outside cell ``a``.
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    n = len(seeds)
    pts = _mirrored(seeds, lo, hi)
    from scipy.spatial import Voronoi

    vor = Voronoi(pts)
    verts, remap = _merge_vertices(vor.vertices, tol, lo, hi)
    faces = []
    for (a, b), ridge in zip(vor.ridge_points, vor.ridge_vertices):
        if a >= n and b >= n:
            continue
        if a >= n:
            a, b = b, a
        if b >= n:
            b = -1 - (b // n - 1)  # mirror block index = 2 * axis + side
        if -1 in ridge:
            raise RuntimeError("unbounded Voronoi ridge next to an interior seed")
        ids = list(dict.fromkeys(int(remap[v]) for v in ridge))
        if len(ids) < 3:
            continue
        normal = pts[b if b >= 0 else _mirror_index(a, b, n)] - pts[a]
        normal /= np.linalg.norm(normal)
        c = verts[ids].mean(axis=0)
        u = verts[ids[0]] - c
        u /= np.linalg.norm(u)
        w = np.cross(normal, u)
        ang = np.arctan2((verts[ids] - c) @ w, (verts[ids] - c) @ u)
        ids = [ids[k] for k in np.argsort(ang)]
        if abs(_polygon_area_3d(verts[ids])) < tol**2:
            continue
        faces.append((ids, int(a), int(b)))
    return verts, faces


def _mirror_index(a: int, b: int, n: int) -> int:
    block = -1 - b
    return (block + 1) * n + a


def _polygon_area_3d(x: np.ndarray) -> float:
    c = x.mean(axis=0)
    return 0.5 * float(np.linalg.norm(sum(np.cross(x[k] - c, x[(k + 1) % len(x)] - c) for k in range(len(x)))))


# --------------------------------------------------------------------------- random surfaces
MAX_FIELD_POINTS = 2**22  # 4.2 M grid points (67 MB of complex FFT data, ~1 s): a correlation length >= box / 256 in 3D


def gaussian_height_map(shape: tuple[int, ...], lengths: tuple[float, ...], rms: float, corr: float, seed: int):
    """Periodic Gaussian random field with a Gaussian spectrum, on a regular grid.

    Autocorrelation C(r) = h_rms^2 exp(-r^2 / l_c^2), power spectral density
    S(k) ~ exp(-|k|^2 l_c^2 / 4); synthesised by FFT (grid spacing lengths[i] / shape[i],
    periodic) and scaled so that the sampled RMS equals ``rms`` exactly; zero mean.
    """
    points = int(np.prod(shape))
    if points > MAX_FIELD_POINTS:
        raise ValueError(f"a correlation length of {corr:.3g} m needs a random-field grid of {points:.3g} points "
                         f"over {' x '.join(f'{L:.3g}' for L in lengths)} m; at most {MAX_FIELD_POINTS:.3g} "
                         "(enlarge the correlation length or shrink the box)")
    rng = np.random.default_rng(seed)
    ks = np.meshgrid(
        *[2 * np.pi * np.fft.fftfreq(n, d=L / n) for n, L in zip(shape, lengths)], indexing="ij"
    )
    k2 = sum(k**2 for k in ks)
    amplitude = np.exp(-k2 * corr**2 / 8)  # sqrt of the PSD
    noise = np.fft.fftn(rng.standard_normal(shape))
    h = np.real(np.fft.ifftn(noise * amplitude))
    h -= h.mean()
    return h * (rms / np.sqrt(np.mean(h**2)))


# --------------------------------------------------------------------------- size fields
def threshold_field(model, size_min: float, size_max: float, dist_min: float, dist_max: float,
                    points=(), curves=(), surfaces=(), sampling: int = 20) -> int:
    """Threshold on the distance to the given entities: size_min within dist_min, growing
    linearly to size_max at dist_max [m]. Returns the field tag."""
    f = model.mesh.field
    dist = f.add("Distance")
    if points:
        f.setNumbers(dist, "PointsList", list(points))
    if curves:
        f.setNumbers(dist, "CurvesList", list(curves))
        f.setNumber(dist, "Sampling", sampling)
    if surfaces:
        f.setNumbers(dist, "SurfacesList", list(surfaces))
        f.setNumber(dist, "Sampling", sampling)
    thr = f.add("Threshold")
    f.setNumber(thr, "InField", dist)
    f.setNumber(thr, "SizeMin", size_min)
    f.setNumber(thr, "SizeMax", size_max)
    f.setNumber(thr, "DistMin", dist_min)
    f.setNumber(thr, "DistMax", max(dist_max, dist_min * 1.0001))
    return thr


def min_field(model, fields: list[int]) -> int:
    """Set the minimum of ``fields`` as the background size field; returns its tag."""
    f = model.mesh.field
    if len(fields) == 1:
        tag = fields[0]
    else:
        tag = f.add("Min")
        f.setNumbers(tag, "FieldsList", list(fields))
    f.setAsBackgroundMesh(tag)
    return tag


def constant_field(model, size: float) -> int:
    """A constant size field [m]."""
    f = model.mesh.field
    tag = f.add("MathEval")
    f.setString(tag, "F", repr(float(size)))
    return tag


class SharedLines:
    """Signed Gmsh curve tags between points, one curve per point pair.

    Neighbouring cells of a tessellation share their edges (no duplicated curves, so the
    mesh is conforming without booleans): ``lines(a, b)`` returns the curve from a to b,
    negative if it was first drawn from b to a. ``point`` maps a key to a Gmsh point tag.
    ``tags`` maps each drawn (a, b) pair to its curve.
    """

    def __init__(self, geo, point=lambda key: key):
        self.geo, self.point, self.tags = geo, point, {}

    def __call__(self, a, b) -> int:
        if (a, b) in self.tags:
            return self.tags[(a, b)]
        if (b, a) in self.tags:
            return -self.tags[(b, a)]
        self.tags[(a, b)] = self.geo.addLine(self.point(a), self.point(b))
        return self.tags[(a, b)]


def box_faces(model, volume: int, width: float, depth: float, thickness: float, tol: float):
    """Faces of ``volume`` inside the box [0, W] x [0, D] x [., L], by bounding box.

    Returns (top: z = L, sides: x = 0, W or y = 0, D, rest: the anode side, flat or not).
    """
    top, sides, rest = [], [], []
    for _, f in model.getBoundary([(3, volume)], oriented=False):
        x0, y0, z0, x1, y1, z1 = model.getBoundingBox(2, f)
        if abs(z0 - thickness) < tol and abs(z1 - thickness) < tol:
            top.append(f)
        elif (abs(x1 - x0) < 2 * tol and min(abs(x0), abs(x1 - width)) < tol) or (
            abs(y1 - y0) < 2 * tol and min(abs(y0), abs(y1 - depth)) < tol
        ):
            sides.append(f)
        else:
            rest.append(f)
    return top, sides, rest


def scale_and_name_box(model, scale: float, volume: int, anode: list[int], top: list[int], sides: list[int]) -> None:
    """Dilate a model drawn in scaled units to metres and name the electrolyte box groups."""
    model.occ.dilate(model.getEntities(), 0, 0, 0, scale, scale, scale)
    model.occ.synchronize()
    model.addPhysicalGroup(3, [volume], name="electrolyte")
    model.addPhysicalGroup(2, anode, name="anode_interface")
    model.addPhysicalGroup(2, top, name="counter_electrode")
    model.addPhysicalGroup(2, sides, name="sides")
