"""Stress intensity factors K_I, K_II, K_III along a 3D crack front (linear elastic fracture).

Method: the domain form of the interaction integral with a virtual crack extension
(Shih, Moran and Nakamura 1986; Nikishkov and Atluri 1987; Walters, Paulino and Dodds
2005). At a front point with local frame (e1 extension, e2 crack-plane normal, e3 = e1 x e2
along the front) the virtual extension is the vector field q_k(x) = psi(s) w(r) e1_k(s),
with s the arc length of the nearest front point, r the distance from the front in the
normal plane, psi a tent function along the front (1 at the segment node, 0 at its
neighbours) and w a radial weight (1 for r <= r1, (1 + cos(pi (r - r1)/(r2 - r1)))/2 up to
r2, 0 beyond). With the actual fields (u, sigma, eps) and the auxiliary Williams fields of
a unit mode-I, mode-II or mode-III front (ua, sigmaa, epsa; plane strain / anti-plane in the
local frame, with the material at the front),

    I = int_V (sigma_ij ua_i,k + sigmaa_ij u_i,k - sigma_il epsa_il delta_kj) q_k,j dV
        - int_{faces} t_i ua_i,k q_k dS,

where t = -p m is the traction on the crack faces (p: pressure of the Li in the flaw, m: the
outward normal). The face integral is what makes I independent of r2 for pressurised
faces; it involves only the auxiliary field and is integrated semi-analytically along the
front (r = rho^2 removes the r^-1/2 singularity), so it adds no mesh error. The local
value follows from the average over the tent, I(s_k) = I / int psi ds, and

    K_I = E' I_I / 2,   K_II = E' I_II / 2,   K_III = mu I_III,   E' = E / (1 - nu^2)  [Pa m^0.5].

Symmetric models: when the crack plane is a symmetry plane of the model (only the half
body on the +e2 side is meshed, ``mirror_plane``), the full-body integral of a mode-I field
is twice the half-body one, and K_II = K_III = 0 by symmetry (not computed). A front end on
a symmetry plane of the model (``mirrored_ends``) cuts the tent at that plane; the volume
integral and int psi ds are cut alike, so their ratio is that of the full tent.

Limits: the auxiliary fields are those of a straight front; on a curved front they miss
terms of order r2 / R (R: radius of curvature), which is why r2 should stay small against
R (a few per cent of error at r2 = R / 4 is typical). Values at a front point on a free
surface carry the corner singularity there and are reported, not trusted.

Units: coordinates [m], stresses and pressures [Pa], K [Pa m^0.5], I [m].
"""

from __future__ import annotations

import dataclasses
import logging
import math

import basix
import numpy as np
import ufl
from mpi4py import MPI
from scipy.spatial import cKDTree

import dolfinx
from dolfinx import fem

from solver.errors import SettingError

__all__ = ["CrackFront", "FrontStressIntensity", "front_stress_intensity", "williams_gradient", "crack_fronts"]

log = logging.getLogger(__name__)
MIN_ELEMENTS_ACROSS = 3  # fewer elements between r1 and r2 resolve q too coarsely: warn


@dataclasses.dataclass(frozen=True)
class CrackFront:
    """A crack front as a dense polyline with its local frames.

    Attributes:
        points: (M, 3) front points [m].
        extension: (M, 3) unit crack-extension directions e1 (in the crack plane, outward).
        normal: (M, 3) unit crack-plane normals e2 (towards the meshed side for a mirror plane).
        parameter: (M,) a parameter for reports (e.g. phi [deg] or z/B).
        parameter_name: what ``parameter`` is.
        faces: boundary name of the crack faces (for the face pressure).
        mirror_plane: the crack plane is a symmetry plane of the model (half body).
        mirrored_ends: (start, end): the front ends on a symmetry plane of the model.
    """

    points: np.ndarray
    extension: np.ndarray
    normal: np.ndarray
    parameter: np.ndarray
    parameter_name: str = "s"
    faces: str = "crack_faces"
    mirror_plane: bool = False
    mirrored_ends: tuple[bool, bool] = (False, False)

    @classmethod
    def from_metadata(cls, entry: dict) -> "CrackFront":
        points = np.asarray(entry["points"], dtype=float)
        normal = np.broadcast_to(np.asarray(entry["normal"], dtype=float), points.shape).copy()
        parameter = np.asarray(entry.get("parameter", np.arange(len(points))), dtype=float)
        return cls(points, _unit(np.asarray(entry["extension"], dtype=float)), _unit(normal), parameter,
                   entry.get("parameter_name", "s"), entry.get("faces", "crack_faces"),
                   bool(entry.get("mirror_plane", False)), tuple(entry.get("mirrored_ends", (False, False))))

    @property
    def arc_length(self) -> np.ndarray:
        """s [m] at every front point, from the first."""
        steps = np.linalg.norm(np.diff(self.points, axis=0), axis=1)
        return np.concatenate([[0.0], np.cumsum(steps)])

    @property
    def length(self) -> float:
        return float(self.arc_length[-1])

    @property
    def tangent(self) -> np.ndarray:
        """e3 = e1 x e2 (right-handed local frame)."""
        return _unit(np.cross(self.extension, self.normal))

    def curvature(self) -> np.ndarray:
        """Signed curvature k(s) [1/m] of the front in its plane: > 0 when the front turns
        away from e1 (a convex crack, e.g. an ellipse), so that the face area at distance r
        behind the front is (1 - k r) ds dr. From the unit tangent T = dX/ds:
        k = -dT/ds . e1."""
        if len(self.points) < 3:
            return np.zeros(len(self.points))
        s = self.arc_length
        T = _unit(np.gradient(self.points, s, axis=0))
        return -np.einsum("ij,ij->i", np.gradient(T, s, axis=0), self.extension)

    def local(self, x: np.ndarray):
        """Nearest front parameter and local coordinates of points x (N, 3).

        Returns (s*, R, (x1, x2, x3)) with R (N, 3, 3) the rows e1, e2, e3 at s*. s* is the
        exact projection onto the polyline (the nearer of the two segments at the nearest
        vertex), so it is continuous in x: the virtual extension built on it can be
        differentiated.
        """
        s = self.arc_length
        idx = cKDTree(self.points).query(x)[1]
        best_s, best_d = np.zeros(len(x)), np.full(len(x), np.inf)
        for lo in (np.maximum(idx - 1, 0), np.minimum(idx, len(s) - 2)):
            a, b = self.points[lo], self.points[lo + 1]
            ab = b - a
            t = np.clip(np.einsum("ij,ij->i", x - a, ab) / np.einsum("ij,ij->i", ab, ab), 0.0, 1.0)
            d = np.linalg.norm(x - (a + t[:, None] * ab), axis=1)
            better = d < best_d
            best_s[better], best_d[better] = (s[lo] + t * (s[lo + 1] - s[lo]))[better], d[better]
        s_star = best_s
        frame = [self._at(s_star, v) for v in (self.extension, self.normal)]
        e1, e2 = _unit(frame[0]), _unit(frame[1])
        R = np.stack([e1, e2, np.cross(e1, e2)], axis=1)
        d = x - self._at(s_star, self.points)
        return s_star, R, np.einsum("nij,nj->ni", R, d).T

    def _at(self, s_star: np.ndarray, values: np.ndarray) -> np.ndarray:
        s = self.arc_length
        return np.stack([np.interp(s_star, s, values[:, k]) for k in range(values.shape[1])], axis=1)


@dataclasses.dataclass
class FrontStressIntensity:
    """K along a front, at the segment nodes.

    Attributes:
        arc_length: s [m] of each node; parameter: the front's own parameter there.
        points: (N, 3) node positions [m].
        K_I, K_II, K_III: [Pa m^0.5] (K_II, K_III None for a mirror-plane model).
        youngs_modulus, poissons_ratio: the material at the front [Pa], [-].
        inner_radius, radius: r1, r2 of the radial weight [m].
        elements_across: (r2 - r1) / h near the front [-].
    """

    arc_length: np.ndarray
    parameter: np.ndarray
    parameter_name: str
    points: np.ndarray
    K_I: np.ndarray
    K_II: np.ndarray | None
    K_III: np.ndarray | None
    youngs_modulus: float
    poissons_ratio: float
    inner_radius: float
    radius: float
    elements_across: float

    def worst(self) -> tuple[int, float]:
        """Index and value of the largest K_I [Pa m^0.5]."""
        k = int(np.nanargmax(self.K_I))
        return k, float(self.K_I[k])

    def records(self) -> list[dict]:
        """One JSON-ready row per node (SI units)."""
        rows = []
        for k in range(len(self.arc_length)):
            row = {"arc_length_m": float(self.arc_length[k]), self.parameter_name: float(self.parameter[k]),
                   "x_m": float(self.points[k, 0]), "y_m": float(self.points[k, 1]), "z_m": float(self.points[k, 2]),
                   "K_I_Pa_m05": float(self.K_I[k])}
            if self.K_II is not None:
                row.update(K_II_Pa_m05=float(self.K_II[k]), K_III_Pa_m05=float(self.K_III[k]))
            rows.append(row)
        return rows


def crack_fronts(metadata: dict) -> list[CrackFront]:
    """The crack fronts a generator declared in its metadata (``crack_fronts``)."""
    return [CrackFront.from_metadata(e) for e in metadata.get("crack_fronts", [])]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


# --------------------------------------------------------------------------- auxiliary fields
def _angular(theta: np.ndarray, kappa: float, mode: str):
    """f(theta) and f'(theta) of u = sqrt(r) f(theta) for a unit-K front, times 2 mu sqrt(2 pi).

    Mode I:  u1 ~ cos(t/2)(kappa - 1 + 2 sin^2(t/2)),  u2 ~ sin(t/2)(kappa + 1 - 2 cos^2(t/2));
    Mode II: u1 ~ sin(t/2)(kappa + 1 + 2 cos^2(t/2)),  u2 ~ -cos(t/2)(kappa - 1 - 2 sin^2(t/2));
    Mode III: u3 ~ 4 sin(t/2) (u3 = 2/mu sqrt(r / 2 pi) sin(t/2)).
    """
    s, c, st = np.sin(theta / 2), np.cos(theta / 2), np.sin(theta)
    zero = np.zeros_like(theta)
    if mode == "I":
        f = (c * (kappa - 1 + 2 * s**2), s * (kappa + 1 - 2 * c**2), zero)
        df = (-0.5 * s * (kappa - 1 + 2 * s**2) + c * st, 0.5 * c * (kappa + 1 - 2 * c**2) + s * st, zero)
    elif mode == "II":
        f = (s * (kappa + 1 + 2 * c**2), -c * (kappa - 1 - 2 * s**2), zero)
        df = (0.5 * c * (kappa + 1 + 2 * c**2) - s * st, 0.5 * s * (kappa - 1 - 2 * s**2) + c * st, zero)
    else:
        f, df = (zero, zero, 4 * s), (zero, zero, 2 * c)
    return np.stack(f), np.stack(df)


def williams_gradient(x1: np.ndarray, x2: np.ndarray, mu: float, nu: float, mode: str) -> np.ndarray:
    """Local displacement gradient G[n, i, j] = d ua_i / d x_j (N, 3, 3) of a unit-K front.

    With u = sqrt(r) f(theta):  du/dx1 = r^-1/2 (cos t f / 2 - sin t f'),
    du/dx2 = r^-1/2 (sin t f / 2 + cos t f'),  du/dx3 = 0; kappa = 3 - 4 nu (plane strain).
    """
    r, theta = np.hypot(x1, x2), np.arctan2(x2, x1)
    f, df = _angular(theta, 3 - 4 * nu, mode)
    scale = 1.0 / (2 * mu * math.sqrt(2 * math.pi) * np.sqrt(r))
    c, s = np.cos(theta), np.sin(theta)
    G = np.zeros((len(r), 3, 3))
    G[:, :, 0] = (scale * (c * f / 2 - s * df)).T
    G[:, :, 1] = (scale * (s * f / 2 + c * df)).T
    return G


# --------------------------------------------------------------------------- domain integral
def _radial_weight(r: np.ndarray, r1: float, r2: float) -> np.ndarray:
    t = np.clip((r - r1) / (r2 - r1), 0.0, 1.0)
    return 0.5 * (1 + np.cos(np.pi * t))


def _tent(s_star: np.ndarray, node: float, half_width: float) -> np.ndarray:
    return np.clip(1 - np.abs(s_star - node) / half_width, 0.0, None)


def _tent_length(front: CrackFront, node: float, half_width: float) -> float:
    """int psi ds over the modelled front [m] (a tent cut at an end stays cut)."""
    s = np.linspace(0.0, front.length, 4001)
    return float(np.trapezoid(_tent(s, node, half_width), s))


def _face_integral(front: CrackFront, node: float, half_width: float, r1: float, r2: float) -> float:
    """int_faces psi(s) w(r) r^-1/2 dS on one face [m^1.5], with dS = (1 - k r) ds dr.

    r = rho^2 turns r^-1/2 dr into 2 drho (Gauss-Legendre in rho, exact to round-off here).
    """
    rho, wts = np.polynomial.legendre.leggauss(48)
    rho = 0.5 * math.sqrt(r2) * (rho + 1)
    wts = 0.5 * math.sqrt(r2) * wts
    r = rho**2
    s = front.arc_length
    k = front.curvature()
    radial = np.array([np.sum(wts * 2 * _radial_weight(r, r1, r2) * (1 - kk * r)) for kk in k])
    return float(np.trapezoid(_tent(s, node, half_width) * radial, s))


@dataclasses.dataclass
class _QuadratureData:
    """Everything the integrand needs at the quadrature points of the cells near the front."""

    x: np.ndarray  # (N, 3) [m]
    weight: np.ndarray  # (N,) |det J| w [m^3]
    grad_u: np.ndarray  # (N, 3, 3)
    youngs_modulus: np.ndarray  # (N,)
    poissons_ratio: np.ndarray  # (N,)

    def within(self, front: CrackFront, radius: float) -> "_QuadratureData":
        """Only the points closer than ``radius`` to the front (the support of q)."""
        keep = cKDTree(front.points).query(self.x)[0] < radius
        return _QuadratureData(*(getattr(self, f.name)[keep] for f in dataclasses.fields(self)))


def _near_cells(msh, front: CrackFront, radius: float) -> np.ndarray:
    """Owned cells with a vertex within ``radius`` of the front (with a margin of one cell)."""
    n_owned = msh.topology.index_map(msh.topology.dim).size_local
    cells = np.arange(n_owned, dtype=np.int32)
    h = msh.h(msh.topology.dim, cells)
    mid = dolfinx.mesh.compute_midpoints(msh, msh.topology.dim, cells)
    dist = cKDTree(front.points).query(mid)[0]
    return cells[dist < radius + h]


def _quadrature_data(fields, cells: np.ndarray, degree: int) -> _QuadratureData:
    msh = fields.displacement.function_space.mesh
    # Gauss-Jacobi: every point strictly inside the cell (the default rule of some degrees
    # has points on edges, and an edge on the front would put a point at r = 0).
    points, weights = basix.make_quadrature(basix.CellType.tetrahedron, degree, rule=basix.QuadratureType.gauss_jacobi)

    def evaluate(expr):
        return fem.Expression(expr, points).eval(msh, cells)

    x = evaluate(ufl.SpatialCoordinate(msh)).reshape(-1, 3)
    det = np.abs(evaluate(ufl.JacobianDeterminant(msh))).reshape(len(cells), -1)
    grad_u = evaluate(ufl.grad(fields.displacement)).reshape(-1, 3, 3)
    per_point = np.repeat
    n_q = len(weights)
    return _QuadratureData(
        x=x,
        weight=(det * weights[None, :]).ravel(),
        grad_u=grad_u,
        youngs_modulus=per_point(fields.youngs_modulus.x.array[cells], n_q),
        poissons_ratio=per_point(fields.poissons_ratio.x.array[cells], n_q),
    )


def _hooke(grad: np.ndarray, lam: float, mu: float):
    """Strain and stress (N, 3, 3) [-], [Pa] of displacement gradients (N, 3, 3)."""
    eps = 0.5 * (grad + np.swapaxes(grad, 1, 2))
    return eps, lam * np.trace(eps, axis1=1, axis2=2)[:, None, None] * np.eye(3) + 2 * mu * eps


class _ShiftedPoints:
    """Nearest-front data (s*, R, x1, x2) at x +- h e_j, j = 1..3, computed once.

    Central differences over them give Cartesian derivatives of fields built on the front
    frame: of the virtual extension q, smooth where it is not constant (r1 < r < r2), and
    of the auxiliary gradient, smooth away from the front; exact to ~(h / r)^2 with
    h = 1e-4 r1, while the fields themselves stay exact (not interpolated). The same points
    serve every tent and every mode.
    """

    def __init__(self, front: CrackFront, x: np.ndarray, step: float):
        self.step = step
        self.pairs = []
        for j in range(3):
            dx = np.zeros(3)
            dx[j] = step
            self.pairs.append([front.local(x + sign * dx) for sign in (1, -1)])

    def derivative(self, field) -> np.ndarray:
        """d field / d x_j, stacked on a last axis, of ``field(s*, R, x1, x2) -> (N, ...)``."""
        columns = [(field(s_p, R_p, *xl_p[:2]) - field(s_m, R_m, *xl_m[:2])) / (2 * self.step)
                   for (s_p, R_p, xl_p), (s_m, R_m, xl_m) in self.pairs]
        return np.stack(columns, axis=-1)


def _virtual_extension(node: float, half_width: float, r1: float, r2: float):
    """q(s*, R, x1, x2) = psi(s*) w(r) e1(s*) for the tent centred at ``node``."""
    def q(s_star, R, x1, x2):
        return (_tent(s_star, node, half_width) * _radial_weight(np.hypot(x1, x2), r1, r2))[:, None] * R[:, 0, :]
    return q


class _InteractionDensity:
    """The parts of the integrand that do not depend on q, per auxiliary mode.

    With the straight-front auxiliary gradient rotated into the frame at s*,
    Ga = R^T G'(x1, x2) R, epsa = sym(Ga), sigmaa = C : epsa, and

        A_kj = sigma_ij Ga_ik + sigmaa_ij u_i,k,   b = sigma_il epsa_il,
        c_k = sigma_ij Ga_ik,j + sigmaa_ij,j u_i,k - sigma_il epsa_il,k,
        I_vol = int (A_kj q_k,j - b q_k,k + c_k q_k) dV.

    c is the divergence of the interaction integrand: zero for a straight front, where the
    auxiliary fields are compatible and in equilibrium, and of order 1 / R on a front of
    radius of curvature R, where they are neither. Leaving it out underestimates K by a
    few per cent at r2 = R / 5 (a penny crack: -2 % at r2 = a / 5, -3.5 % at 2 a / 5);
    with it, K is independent of r2 to about 1 %. Its derivatives are central differences
    over the shifted points. Computed once at every quadrature point; each tent then costs
    one contraction.
    """

    def __init__(self, front: CrackFront, data: _QuadratureData, shifted: "_ShiftedPoints", E: float, nu: float,
                 modes):
        lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
        G, self.weight = data.grad_u, data.weight
        _, sigma = _hooke(G, lam, mu)
        self.at_points = front.local(data.x)
        self.parts = {}
        for mode in modes:
            def aux_gradient(s, R, x1, x2, mode=mode):
                return np.einsum("nai,nab,nbj->nij", R, williams_gradient(x1, x2, mu, nu, mode), R)

            _, R, (x1, x2, _) = self.at_points
            Ga = aux_gradient(None, R, x1, x2)
            eps_a, sigma_a = _hooke(Ga, lam, mu)
            dGa = shifted.derivative(aux_gradient)  # dGa[n, i, k, m] = d Ga_ik / d x_m
            deps = 0.5 * (dGa + np.swapaxes(dGa, 1, 2))
            div_sigma_a = lam * np.einsum("nllm->nm", deps) + 2 * mu * np.einsum("nijj->ni", deps)
            A = np.einsum("nij,nik->nkj", sigma, Ga) + np.einsum("nij,nik->nkj", sigma_a, G)
            c = (np.einsum("nij,nikj->nk", sigma, dGa) + np.einsum("ni,nik->nk", div_sigma_a, G)
                 - np.einsum("nil,nilk->nk", sigma, deps))
            self.parts[mode] = (A, np.einsum("nil,nil->n", sigma, eps_a), c)

    def integrals(self, q, Q: np.ndarray) -> dict[str, float]:
        """The volume part of I for each mode on this rank's cells [m], for the virtual
        extension ``q(s*, R, x1, x2)`` with gradient Q (N, 3, 3)."""
        s, R, (x1, x2, _) = self.at_points
        q_values = q(s, R, x1, x2)
        trace = np.trace(Q, axis1=1, axis2=2)
        return {mode: float(np.sum((np.einsum("nkj,nkj->n", A, Q) - b * trace
                                    + np.einsum("nk,nk->n", c, q_values)) * self.weight))
                for mode, (A, b, c) in self.parts.items()}


def _front_material(comm, data: _QuadratureData) -> tuple[float, float]:
    """E, nu inside the domain; an error if they vary there (the auxiliary fields assume one material)."""
    values = [(data.youngs_modulus.min(initial=np.inf), data.youngs_modulus.max(initial=-np.inf)),
              (data.poissons_ratio.min(initial=np.inf), data.poissons_ratio.max(initial=-np.inf))]
    lo = [comm.allreduce(v[0], op=MPI.MIN) for v in values]
    hi = [comm.allreduce(v[1], op=MPI.MAX) for v in values]
    if not np.isfinite(lo[0]):
        raise SettingError("radius", "the integration domain around the front contains no cells")
    if any(h - low > 1e-9 * abs(h) for low, h in zip(lo, hi)):
        raise SettingError("radius", "the material varies inside the integration domain: choose a "
                                   "smaller radius (the auxiliary fields assume one material at the front)")
    return lo[0], lo[1]


def _mixed_nodes(comm, front: CrackFront, data: _QuadratureData, nodes: np.ndarray, half_width: float) -> np.ndarray:
    """True for the nodes whose tent support (within r2 of the front) holds more than one material."""
    s_star = front.local(data.x)[0] if len(data.x) else np.zeros(0)
    mixed = np.zeros(len(nodes), dtype=bool)
    for k, node in enumerate(nodes):
        inside = _tent(s_star, node, half_width) > 0
        local = [(v[inside].min(initial=np.inf), v[inside].max(initial=-np.inf))
                 for v in (data.youngs_modulus, data.poissons_ratio)]
        lo = [comm.allreduce(v[0], op=MPI.MIN) for v in local]
        hi = [comm.allreduce(v[1], op=MPI.MAX) for v in local]
        mixed[k] = bool(np.isfinite(lo[0]) and any(h - low > 1e-9 * abs(h) for low, h in zip(lo, hi)))
    return mixed


def _single_material(front: CrackFront, data: _QuadratureData, nodes: np.ndarray, half_width: float,
                     mixed: np.ndarray) -> _QuadratureData:
    """The quadrature points of the tents of the single-material nodes only."""
    s_star = front.local(data.x)[0] if len(data.x) else np.zeros(0)
    keep = np.zeros(len(data.x), dtype=bool)
    for node in nodes[~mixed]:
        keep |= _tent(s_star, node, half_width) > 0
    return _QuadratureData(*(getattr(data, f.name)[keep] for f in dataclasses.fields(data)))


def _drop_mixed(comm, front: CrackFront, data: _QuadratureData, nodes: np.ndarray, half_width: float):
    """(the points of the single-material nodes, the mask of the mixed nodes), with a warning."""
    mixed = _mixed_nodes(comm, front, data, nodes, half_width)
    if mixed.all():
        raise SettingError("radius", "the material varies inside the integration domain of every front node")
    if mixed.any():
        log.warning("K_I not computed at %d of %d front nodes: their integration domain crosses a material "
                    "boundary (reported as NaN)", int(mixed.sum()), len(nodes))
        data = _single_material(front, data, nodes, half_width, mixed)
    return data, mixed


def _elements_across(msh, front: CrackFront, cells: np.ndarray, r1: float, r2: float) -> float:
    """(r2 - r1) / mean diameter of the cells whose midpoints lie within r2 of the front."""
    if len(cells):
        mid = dolfinx.mesh.compute_midpoints(msh, msh.topology.dim, cells)
        cells = cells[cKDTree(front.points).query(mid)[0] < r2]
    h_local = msh.h(msh.topology.dim, cells) if len(cells) else np.array([])
    count = msh.comm.allreduce(len(h_local), op=MPI.SUM)
    mean_h = msh.comm.allreduce(float(h_local.sum()), op=MPI.SUM) / max(count, 1)
    return (r2 - r1) / mean_h if mean_h > 0 else 0.0


def front_stress_intensity(
    fields,
    front: CrackFront,
    radius: float,
    pressure: float = 0.0,
    segments: int | None = None,
    inner_fraction: float = 0.25,
    quadrature_degree: int = 4,
    mixed_material: str = "raise",
) -> FrontStressIntensity:
    """K_I (and K_II, K_III for a full model) at ``segments`` nodes along ``front``.

    Args:
        fields: :class:`~solver.physics.elasticity.ElasticFields` of a 3D solve.
        front: the crack front and its frames.
        radius: r2, outer radius of the radial weight [m] (r1 = inner_fraction * r2).
        pressure: uniform pressure p on the crack faces [Pa] (the face term), as loaded in
            the elastic solve; 0 for traction-free faces.
        segments: number of nodes along the front (tents of half-width L / (segments - 1));
            default: about one per 2 r2, between 5 and 41.
        quadrature_degree: degree of the cell quadrature [-].
        mixed_material: what to do at a node whose integration domain holds more than one
            material (the auxiliary fields assume one): "raise" an error, or "skip" the node
            (K = NaN there, with a warning; e.g. where a front meets a coating layer).
    """
    msh = fields.displacement.function_space.mesh
    if msh.geometry.dim != 3:
        raise SettingError("dimension", "the 3D front integral needs a 3D mesh")
    if not radius > 0:
        raise SettingError("radius", f"must be positive, got {radius} m")
    L = front.length
    n = segments or int(np.clip(round(L / (2 * radius)) + 1, 5, 41))
    if n < 2:
        raise SettingError("segments", f"needs at least 2 nodes, got {n}")
    half_width = L / (n - 1)
    r1 = inner_fraction * radius
    cells = _near_cells(msh, front, radius)
    data = _quadrature_data(fields, cells, quadrature_degree).within(front, radius)
    nodes = np.linspace(0.0, L, n)
    mixed = np.zeros(n, dtype=bool)
    if mixed_material == "skip":
        data, mixed = _drop_mixed(msh.comm, front, data, nodes, half_width)
    E, nu = _front_material(msh.comm, data)
    mu, e_prime, kappa = E / (2 * (1 + nu)), E / (1 - nu**2), 3 - 4 * nu
    modes = ("I",) if front.mirror_plane else ("I", "II", "III")
    faces, sym = (1, 2.0) if front.mirror_plane else (2, 1.0)
    K = {m: np.zeros(n) for m in modes}
    shifted = _ShiftedPoints(front, data.x, 1e-4 * r1)
    density = _InteractionDensity(front, data, shifted, E, nu, modes)
    for k, node in enumerate(nodes):
        q = _virtual_extension(node, half_width, r1, radius)
        local = density.integrals(q, shifted.derivative(q))
        total = {m: msh.comm.allreduce(v, op=MPI.SUM) for m, v in local.items()}
        total["I"] += faces * pressure * (kappa + 1) / (4 * mu * math.sqrt(2 * math.pi)) * _face_integral(
            front, node, half_width, r1, radius)
        length = _tent_length(front, node, half_width)
        K["I"][k] = sym * e_prime / 2 * total["I"] / length
        if not front.mirror_plane:
            K["II"][k] = e_prime / 2 * total["II"] / length
            K["III"][k] = mu * total["III"] / length
    for m in modes:
        K[m][mixed] = np.nan
    across = _elements_across(msh, front, cells, r1, radius)
    if across < MIN_ELEMENTS_ACROSS:
        log.warning("the K_I integration domain holds %.1f elements across (r2 - r1 = %.3g m); at least %d are "
                    "needed for a converged value: give a larger radius or refine the front", across, radius - r1,
                    MIN_ELEMENTS_ACROSS)
    s = front.arc_length
    return FrontStressIntensity(
        arc_length=nodes, parameter=np.interp(nodes, s, front.parameter), parameter_name=front.parameter_name,
        points=front._at(nodes, front.points), K_I=K["I"], K_II=K.get("II"), K_III=K.get("III"),
        youngs_modulus=E, poissons_ratio=nu, inner_radius=r1, radius=radius, elements_across=across)
