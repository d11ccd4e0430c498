"""Focusing metrics that a cell's lateral walls and singular points cannot fake.

Two measures on top of the raw interface samples of :func:`solver.analysis.metrics.interface_samples`:

1. **Interior focusing** (guard band). The lateral sides of a cell are insulating
   symmetry planes: the solution is the one of the cell mirrored about each side. Where
   the interface meets a side at an angle other than 90 degrees the mirrored interface has
   a kink, a corner the real, wider electrode does not have, and the current there can be
   the largest of the cell although it is an artefact of where the cell was cut. The
   interior metrics ignore every interface point closer than a guard band ``g`` [m] to a
   lateral side: i_max^int = max { i(x) : g <= x_l - x_l,min and x_l,max - x_l >= g } for
   every lateral coordinate x_l. The disturbance of a side decays over the lateral length
   scale of the interface (a wavelength / 2 pi for a sinusoid), so a guard band of one such
   length leaves the interior maximum of the wider electrode.

2. **Edge-averaged current** (singular points). Where the contact ends at a void, the
   potential near the contact edge behaves like r^(1/2) (a Dirichlet / Neumann junction
   on a straight line, corner angle pi, singular exponent pi / (2 pi)) in the primary
   distribution, so the local current density i ~ r^(-1/2) is unbounded and its
   finite-element maximum grows like h^(-1/2) on refinement. The current averaged over a
   physical length ``l`` [m] next to each edge,

       i_l = int_{s < l} (1 - s/l) i(s) ds / int_{s < l} (1 - s/l) ds     [A/m^2]

   (s the distance from the edge along the contact), is finite because r^(-1/2) is
   integrable, and converges on refinement. With finite kinetics the field is bounded but
   steep over L_p; the same average is then a physical measure of the edge load.

Everything here works on rank-0 samples (numpy); :func:`contact_edges` is collective.
"""

from __future__ import annotations

import dolfinx
import numpy as np

__all__ = ["contact_edges", "edge_averaged_current", "interior_focusing", "lateral_bounds"]


def lateral_bounds(samples: dict) -> np.ndarray:
    """(n_lateral, 2) min/max of the lateral coordinates of the interface samples [m].

    The counter electrode lies along the last axis (y in 2D, z in 3D); the others are lateral.
    """
    pts = samples["points"].reshape(-1, samples["points"].shape[-1])
    lateral = pts[:, :-1]
    return np.stack([lateral.min(axis=0), lateral.max(axis=0)], axis=1)


def _inside_guard(points: np.ndarray, bounds: np.ndarray, guard: float) -> np.ndarray:
    """Mask of points at least ``guard`` [m] from every lateral side."""
    lateral = points[..., : bounds.shape[0]]
    return np.all((lateral - bounds[:, 0] >= guard * (1 - 1e-9)) & (bounds[:, 1] - lateral >= guard * (1 - 1e-9)),
                  axis=-1)


def interior_focusing(samples: dict, mean_current_density: float, guard: float, percentile: float = 99.0,
                      sign: float = 1.0) -> dict:
    """Focusing metrics of the interface points at least ``guard`` [m] from the lateral sides.

    Args:
        samples: rank-0 interface samples (points [m], area [m^2 or m], current_density [A/m^2]).
        mean_current_density: mean interface current density of the whole interface [A/m^2].
        guard: guard band [m] (0: every point).
        percentile: percentile of the robust focusing factor [%].
        sign: +1 for plating (the metrics read the plating current), -1 for stripping.

    Returns ``interior_max_interface_current_density`` [A/m^2], ``interior_focusing_factor``
    = i_max^int / i_mean [-], ``interior_focusing_factor_percentile`` [-] (area-weighted,
    over facets with every vertex inside the band), ``interior_hot_spot`` [m] and
    ``guard_band`` [m]. A ValueError when the band leaves no interface point.
    """
    pts = samples["points"]
    i = samples["current_density"] * sign
    inside = _inside_guard(pts, lateral_bounds(samples), guard)
    if not inside.any():
        raise ValueError(f"a guard band of {guard:.3g} m leaves no interface point")
    k = np.flatnonzero(inside.ravel())[np.argmax(i.ravel()[inside.ravel()])]
    facets = inside.all(axis=1)
    nv = i.shape[1]
    w = np.repeat(samples["area"][facets, None] / nv, nv, axis=1).ravel()
    values = i[facets].ravel()
    mean = sign * mean_current_density
    if values.size:
        order = np.argsort(values)
        cdf = np.cumsum(w[order])
        p = float(np.interp(percentile / 100.0 * cdf[-1], cdf, values[order]))
    else:
        p = float(i.ravel()[k])
    return {
        "guard_band": float(guard),
        "interior_max_interface_current_density": float(i.ravel()[k]) * sign,
        "interior_focusing_factor": float(i.ravel()[k]) / mean if mean else float("nan"),
        "interior_focusing_factor_percentile": p / mean if mean else float("nan"),
        "interior_hot_spot": pts.reshape(-1, pts.shape[-1])[k].tolist(),
    }


def contact_edges(tagged, contact: str, voids: str) -> np.ndarray:
    """Coordinates (n, gdim) [m] of the mesh vertices shared by ``contact`` and ``voids`` facets.

    In 2D these are the points where the contact ends at a void; in 3D the vertices of the
    edge curves. Collective; every rank returns the same array (empty when either boundary
    is missing).
    """
    msh = tagged.mesh
    comm = msh.comm
    gdim = msh.geometry.dim
    if contact not in tagged.boundaries or voids not in tagged.boundaries:
        return np.zeros((0, gdim))
    fdim = msh.topology.dim - 1
    msh.topology.create_connectivity(fdim, 0)
    msh.topology.create_connectivity(0, msh.topology.dim)
    f2v = msh.topology.connectivity(fdim, 0)

    def vertices(name):
        facets = tagged.facets(name)
        return np.unique(np.concatenate([f2v.links(f) for f in facets])) if facets.size else np.zeros(0, np.int32)

    shared = np.intersect1d(vertices(contact), vertices(voids)).astype(np.int32)
    if shared.size:
        nodes = dolfinx.mesh.entities_to_geometry(msh, 0, shared).ravel()
        local = msh.geometry.x[nodes, :gdim]
    else:
        local = np.zeros((0, gdim))
    everything = np.concatenate(comm.allgather(local)) if comm.size > 1 else local
    if everything.shape[0] == 0:
        return everything
    scale = max(float(np.ptp(everything, axis=0).max()), float(np.abs(everything).max()), 1e-300)
    keys = np.round(everything / (scale * 1e-9)).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return everything[np.sort(first)]


def _segment_ball(p0: np.ndarray, p1: np.ndarray, centre: np.ndarray, radius: float) -> tuple[float, float] | None:
    """Parameter interval [t0, t1] of the segment p0 + t (p1 - p0) inside the ball (None if outside)."""
    d = p1 - p0
    f = p0 - centre
    a, b, c = d @ d, 2 * f @ d, f @ f - radius * radius
    disc = b * b - 4 * a * c
    if a == 0 or disc <= 0:
        return None
    root = np.sqrt(disc)
    t0, t1 = max((-b - root) / (2 * a), 0.0), min((-b + root) / (2 * a), 1.0)
    return (t0, t1) if t1 > t0 else None


def edge_averaged_current(samples: dict, edges: np.ndarray, length: float, sign: float = 1.0) -> list[dict]:
    """Current density averaged over ``length`` [m] of contact next to each edge point.

    i_l = int w(s) i(s) ds / int w(s) ds with the linear taper w(s) = 1 - s / l on s < l
    (s the distance from the edge [m]). The taper makes the averaging functional continuous
    at s = l, so its finite-element value converges at the rate the edge singularity allows
    (O(h) for i ~ s^(-1/2), any degree) instead of jumping as facet ends cross s = l.

    2D: Simpson's rule on the part of every contact facet within ``length`` of the edge
    (exact for a piecewise-linear current on a facet pointing at the edge). 3D: the
    facet-centroid version of the same weights (a band average; the 2D form is the verified one).

    Returns one dict per edge: ``position`` [m], ``averaged_current_density`` [A/m^2] (signed
    as the samples), ``averaging_length`` [m] (the contact length covered, = l unless the
    contact is shorter).
    """
    pts = samples["points"]
    cur = samples["current_density"] * sign
    out = []
    for e in edges:
        e = np.asarray(e)[: pts.shape[-1]]
        total = weight = covered = 0.0
        if pts.shape[1] == 2:
            for (p0, p1), (i0, i1) in zip(pts, cur):
                span = _segment_ball(p0, p1, e, length)
                if span is None:
                    continue
                t = np.array([span[0], 0.5 * (span[0] + span[1]), span[1]])
                seg = np.linalg.norm(p1 - p0) * (span[1] - span[0])
                q = np.array([1.0, 4.0, 1.0]) / 6.0 * seg
                w = np.clip(1.0 - np.linalg.norm(p0 + np.outer(t, p1 - p0) - e, axis=1) / length, 0.0, 1.0)
                total += float(np.sum(q * w * (i0 + (i1 - i0) * t)))
                weight += float(np.sum(q * w))
                covered += seg
        else:
            w = np.clip(1.0 - np.linalg.norm(pts.mean(axis=1) - e, axis=1) / length, 0.0, 1.0)
            near = w > 0
            covered = float(samples["area"][near].sum())
            total = float(np.sum(samples["area"] * w * cur.mean(axis=1)))
            weight = float(np.sum(samples["area"] * w))
        value = total / weight if weight else float("nan")
        out.append({"position": e.tolist(), "averaged_current_density": value * sign, "averaging_length": covered})
    return out


def _lateral_scale(metadata: dict) -> float:
    """The geometry's lateral length scale [m]: its interface length scale, else the deepest flaw."""
    scale = metadata.get("interface_length_scale_m")
    if scale:
        return float(scale)
    return max((float(f["depth"]) for f in metadata.get("flaws") or []), default=0.0)


def focusing_metrics(tagged, samples: dict | None, mean_current_density: float, sign: float, percentile: float,
                     guard_band: float | None = None, edge_averaging_length: float | None = None,
                     contact: str = "anode_interface", voids: str = "contact_voids") -> dict:
    """The interior and edge metrics of a solution (collective; the same dict on every rank).

    ``guard_band`` [m]: None takes the geometry's lateral length scale
    (``interface_length_scale_m``: wavelength, correlation length, grain size; else the
    deepest flaw's depth), at most a quarter of the interface width; the band is applied only when the mesh has ``sides``.
    ``edge_averaging_length`` [m]: None skips the edge averages (then ``void_edges`` reports
    only how many edges there are, and that their nodal maximum is mesh dependent).
    """
    comm = tagged.mesh.comm
    edges = contact_edges(tagged, contact, voids)
    out = None
    if comm.rank == 0:
        bounds = lateral_bounds(samples)
        width = float(np.min(bounds[:, 1] - bounds[:, 0]))
        if "sides" not in tagged.boundaries:
            guard = 0.0
        elif guard_band is None:
            guard = min(_lateral_scale(tagged.metadata), 0.25 * width)
        else:
            guard = guard_band
        try:
            out = interior_focusing(samples, mean_current_density, guard, percentile, sign)
        except ValueError as exc:
            out = {"guard_band": guard, "interior_error": str(exc)}
        out["void_edges"] = {"count": int(edges.shape[0])}
        if edges.shape[0] and edge_averaging_length:
            averaged = edge_averaged_current(samples, edges, edge_averaging_length, sign)
            worst = max(averaged, key=lambda a: a["averaged_current_density"] * sign)
            out["void_edges"].update(
                averaging_length=edge_averaging_length, edges=averaged,
                max_averaged_current_density=worst["averaged_current_density"],
                edge_focusing_factor=worst["averaged_current_density"] / mean_current_density
                if mean_current_density else float("nan"))
        elif edges.shape[0]:
            out["void_edges"]["note"] = ("the current at a contact edge is singular with primary kinetics "
                                         "(i ~ r^-1/2) and steep over L_p otherwise, so its maximum is mesh "
                                         "dependent; set outputs.edge_averaging_length for a mesh-independent value")
    return comm.bcast(out, root=0)
