"""Stress intensity factors at crack tips in 2D plane strain (linear elastic fracture).

Method (Yau, Wang and Corten 1980; Moran and Shih 1987), in crack-tip coordinates
x1 along the crack extension ``direction``, x2 normal to it, tip at the origin:

    J = int_A (stress_ij u_i,1 - W delta_1j) q,j dA  -  int_{C+ + C-} (t_i u_i,1 - W m_1) q ds

    I = int_A (stress_ij ua_i,1 + stressa_ij u_i,1 - stress_ik epsa_ik delta_1j) q,j dA
        - int_{C+ + C-} (t_i ua_i,1 + ta_i u_i,1 - stress_ik epsa_ik m_1) q ds

with W = stress : eps / 2 [J/m^3], q a smooth weight (1 for r <= r1, 0 for r >= r2,
q = (1 + cos(pi (r - r1) / (r2 - r1))) / 2 in between), A its support, C+/C- the crack
faces inside it with outward normal m and applied traction t = -p m (+ any traction
vector), and (ua, stressa, epsa) the auxiliary Williams fields of a unit mode-I or
mode-II tip (traction-free on straight faces, so ta = 0 there). The face integral is
what makes the result independent of r2 when the faces carry a pressure (Li-filled
flaws): without it the loss is about the work of the face load inside r2 and grows
like sqrt(r2). The material must be homogeneous inside the support of q. A blunt notch
(root radius rho, e.g. a Li-filled pit) is read as a crack with its tip at the notch apex:
the boundary term then covers the flanks behind the root (x1 < -rho) only, since a closed
boundary term over the whole notch would cancel the domain integral (no singularity inside),
and the root's share of a face pressure p is added as for a sharp crack loaded over its
last rho: K_I += p sqrt(8 rho / pi). Needs r1 > rho; J is then the flank-only value.

    K_I = E' I(mode I) / 2,   K_II = E' I(mode II) / 2              [Pa m^0.5]
    G = (K_I^2 + K_II^2) / E',  E' = E / (1 - nu^2)                   [J/m^2]

J (the direct integral) equals G: a cross-check. Displacement correlation is a second
cross-check: the crack-face opening (sliding) at distance r behind the tip is
delta_2 (delta_1) = 8 K_I (K_II) / E' sqrt(r / (2 pi)), extrapolated to r -> 0.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx
from dolfinx import fem

from solver.physics.elasticity import ElasticFields, lame_parameters, plane_strain_modulus
from solver.errors import GeometryError, SettingError
from solver.geometry.driver import TaggedMesh
from solver.physics.fem_tools import assemble_scalar

__all__ = [
    "CrackTip",
    "StressIntensity",
    "crack_tips",
    "interaction_integral",
    "displacement_correlation",
    "williams_displacement",
]


@dataclasses.dataclass(frozen=True)
class CrackTip:
    """A crack tip: position [m], unit crack-extension direction, crack depth a [m] if known,
    and the root radius rho [m] of a blunt notch (0 for a sharp crack)."""

    tip: tuple[float, float]
    direction: tuple[float, float]
    depth: float | None = None
    tip_radius: float = 0.0

    @classmethod
    def from_metadata(cls, entry: dict) -> "CrackTip":
        try:
            tip = tuple(float(c) for c in entry["tip"][:2])
            d = np.asarray(entry["direction"][:2], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise GeometryError(f"crack-tip metadata needs 'tip' and 'direction', got {entry!r}") from None
        norm = float(np.linalg.norm(d))
        if not norm > 0:
            raise GeometryError(f"crack direction must be non-zero, got {d.tolist()}")
        depth = entry.get("depth")
        rho = float(entry.get("tip_radius") or 0.0)
        return cls(tip, tuple((d / norm).tolist()), None if depth is None else float(depth), rho)


def crack_tips(tagged: TaggedMesh) -> list[CrackTip]:
    """Crack tips listed in the geometry metadata (``crack_tips`` or ``flaws``)."""
    entries = tagged.metadata.get("crack_tips") or tagged.metadata.get("flaws") or []
    return [CrackTip.from_metadata(e) for e in entries]


@dataclasses.dataclass
class StressIntensity:
    """Stress intensity at one tip.

    Attributes:
        K_I, K_II: stress intensity factors [Pa m^0.5].
        J: the J-integral [J/m^2] (None for displacement correlation).
        youngs_modulus, poissons_ratio: the material at the tip [Pa], [-].
        method: "interaction_integral" or "displacement_correlation".
        inner_radius, radius: r1, r2 of q [m] (or the range of r used for correlation).
        face_term: whether the crack-face traction term was included.
    """

    K_I: float
    K_II: float
    J: float | None
    youngs_modulus: float
    poissons_ratio: float
    method: str
    inner_radius: float
    radius: float
    face_term: bool = True

    @property
    def plane_strain_modulus(self) -> float:
        """E' = E / (1 - nu^2) [Pa]."""
        return plane_strain_modulus(self.youngs_modulus, self.poissons_ratio)

    @property
    def energy_release_rate(self) -> float:
        """G = (K_I^2 + K_II^2) / E' [J/m^2]."""
        return (self.K_I**2 + self.K_II**2) / self.plane_strain_modulus

    def risk(self, fracture_toughness: float) -> float:
        """K_I / K_IC [-] (>= 1: the flaw propagates); ``fracture_toughness`` K_IC [Pa m^0.5]."""
        if not fracture_toughness > 0:
            raise SettingError("fracture_toughness", f"must be positive, got {fracture_toughness} Pa m^0.5")
        return self.K_I / fracture_toughness


def williams_displacement(r, theta, mu, kappa, mode: str):
    """Near-tip displacement (local components) of a unit-K tip [m per Pa m^0.5].

    Mode I:  u1 = sqrt(r/2pi)/(2 mu) cos(t/2) (kappa - 1 + 2 sin^2(t/2)),
             u2 = sqrt(r/2pi)/(2 mu) sin(t/2) (kappa + 1 - 2 cos^2(t/2)).
    Mode II: u1 = sqrt(r/2pi)/(2 mu) sin(t/2) (kappa + 1 + 2 cos^2(t/2)),
             u2 = -sqrt(r/2pi)/(2 mu) cos(t/2) (kappa - 1 - 2 sin^2(t/2)).
    Plane strain: kappa = 3 - 4 nu. Works on numbers and on ufl expressions.
    """
    lib = ufl if isinstance(r, ufl.core.expr.Expr) else np
    c = lib.sqrt(r / (2 * math.pi)) / (2 * mu)
    s, co = lib.sin(theta / 2), lib.cos(theta / 2)
    if mode == "I":
        return c * co * (kappa - 1 + 2 * s**2), c * s * (kappa + 1 - 2 * co**2)
    return c * s * (kappa + 1 + 2 * co**2), -c * co * (kappa - 1 - 2 * s**2)


def _local_frame(msh, tip: CrackTip):
    """Rotation R (rows e1, e2 = e1 turned +90 deg) and local coordinates R (x - tip).

    Tip and frame are DOLFINx Constants, so one compiled form serves every tip.
    """
    e1 = np.asarray(tip.direction, dtype=float)
    e1 = e1 / np.linalg.norm(e1)
    R = np.array([[e1[0], e1[1]], [-e1[1], e1[0]]])
    x = ufl.SpatialCoordinate(msh)
    Rc = fem.Constant(msh, R.astype(PETSc.ScalarType))
    x0 = fem.Constant(msh, np.asarray(tip.tip, dtype=PETSc.ScalarType))
    xl = Rc * (ufl.as_vector([x[0], x[1]]) - x0)
    return R, Rc, xl


def _aux_gradient(r_expr, theta_expr, mu, kappa, mode):
    """Local displacement gradient G[i, j] = d ua_i / d x_j of the unit auxiliary field."""
    rv, tv = ufl.variable(r_expr), ufl.variable(theta_expr)
    u = williams_displacement(rv, tv, mu, kappa, mode)
    c, s = ufl.cos(tv), ufl.sin(tv)
    rows = []
    for ui in u:
        dr, dt = ufl.diff(ui, rv), ufl.diff(ui, tv)
        rows.append([dr * c - dt * s / rv, dr * s + dt * c / rv])
    return ufl.as_matrix(rows)


def _q_function(V, tip: CrackTip, r1: float, r2: float) -> fem.Function:
    """q = 1 (r <= r1), (1 + cos(pi (r - r1)/(r2 - r1)))/2 (r1 < r < r2), 0 (r >= r2)."""
    q = fem.Function(V, name="q")

    def profile(x):
        r = np.hypot(x[0] - tip.tip[0], x[1] - tip.tip[1])
        s = np.clip((r - r1) / (r2 - r1), 0.0, 1.0)
        return 0.5 * (1 + np.cos(np.pi * s))

    q.interpolate(profile)
    return q


def _sum(comm, form) -> float:
    return assemble_scalar(form, comm)


def _tip_material(fields: ElasticFields, q, dx, youngs_modulus, poissons_ratio):
    """E, nu inside the q support; error if the material varies there (not handled)."""
    comm = fields.displacement.function_space.mesh.comm
    area = _sum(comm, q * dx)
    if not area > 0:
        raise SettingError("radius", "the integration domain around the tip contains no cells")
    E_mean = _sum(comm, fields.youngs_modulus * q * dx) / area
    nu_mean = _sum(comm, fields.poissons_ratio * q * dx) / area
    E_dev = math.sqrt(max(_sum(comm, (fields.youngs_modulus - E_mean) ** 2 * q * dx), 0.0) / area)
    nu_dev = math.sqrt(max(_sum(comm, (fields.poissons_ratio - nu_mean) ** 2 * q * dx), 0.0) / area)
    if E_dev > 1e-9 * E_mean or nu_dev > 1e-9:
        raise SettingError(
            "radius",
            "the material is not homogeneous within the integration radius; reduce the radius so that "
            "the domain around the tip stays inside one region",
        )
    E = E_mean if youngs_modulus is None else float(youngs_modulus)
    nu = nu_mean if poissons_ratio is None else float(poissons_ratio)
    return E, nu


def _face_traction(fields: ElasticFields, name: str, n):
    """Applied traction on a boundary from the problem's loads: -p n + t [Pa] (ufl)."""
    problem = fields.problem
    msh = problem.mesh
    t = ufl.as_vector([0.0, 0.0])
    if name in problem.pressures:
        t = t - fem.Constant(msh, PETSc.ScalarType(problem.pressures[name])) * n
    if name in problem.tractions:
        t = t + fem.Constant(msh, np.asarray(problem.tractions[name], dtype=PETSc.ScalarType))
    return t


def _check_support(fields: ElasticFields, q, names: list[str], r2: float) -> None:
    """The support of q may meet the mesh boundary only on the listed boundaries."""
    msh = fields.displacement.function_space.mesh
    tagged = fields.problem.tagged
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tagged.facet_tags)
    total = _sum(msh.comm, q * ds)
    listed = sum(_sum(msh.comm, q * ds(tagged.boundary_tag(n))) for n in names)
    if total - listed > 1e-9 * max(total, r2):
        raise SettingError(
            "radius",
            f"the integration domain (radius {r2:.3g} m) reaches boundaries other than {names}: "
            "reduce the radius, or list those boundaries with the crack faces",
        )


def _root_correction(fields: ElasticFields, names: list[str], rho: float) -> float:
    """K_I of the face pressure p on the last rho of a crack: p sqrt(8 rho / pi) [Pa m^0.5].

    The boundary term of a notch skips its root (x1 > -rho); this adds back what a uniform
    pressure on that stretch of an equivalent sharp crack contributes (semi-infinite crack,
    exact as rho / a -> 0). Needs one pressure on the listed boundaries.
    """
    values = {float(fields.problem.pressures[n]) for n in names if n in fields.problem.pressures}
    if len(values) > 1:
        raise SettingError(
            "crack_faces", f"a notch tip needs one face pressure, got {sorted(values)} Pa"
        )
    p = values.pop() if values else 0.0
    return p * math.sqrt(8 * rho / math.pi)


def interaction_integral(
    fields: ElasticFields,
    tip: CrackTip,
    radius: float | None = None,
    inner_radius: float | None = None,
    crack_faces: str | Sequence[str] | None = "crack_faces",
    face_term: bool = True,
    youngs_modulus: float | None = None,
    poissons_ratio: float | None = None,
    quadrature_degree: int | None = None,
) -> StressIntensity:
    """K_I, K_II and J at ``tip`` by the domain interaction integral (2D plane strain).

    Args:
        fields: an elastic solution (2D).
        tip: the crack tip (position, extension direction, depth).
        radius: r2, outer radius of q [m]; default depth/4 (needs ``tip.depth``).
        inner_radius: r1 [m]; default r2/4.
        crack_faces: boundary name(s) of the crack faces; their applied pressure /
            traction enters the face integral inside r2. Every boundary that the support
            of q meets must be listed (SettingError otherwise): the boundary term is exact on
            any listed boundary, loaded or free, straight or not. None: no boundary term
            and no check (traction-free straight faces only).
        face_term: include the crack-face traction term (switch off only to show why it
            is needed).
        youngs_modulus, poissons_ratio: override the material at the tip (default: the
            region around the tip; it must be homogeneous inside r2).
        quadrature_degree: for the domain integrals (default 2p + 4); faces use 3x that.
    Returns: a :class:`StressIntensity` (MPI-reduced; the same on every rank).
    """
    msh = fields.displacement.function_space.mesh
    if msh.geometry.dim != 2:
        raise SettingError("dimension", "stress intensity factors are computed in 2D (plane strain) only")
    r1, r2 = _radii(tip, radius, inner_radius)
    tf = _tip_fields(fields, tip, r1, r2, quadrature_degree, youngs_modulus, poissons_ratio)
    J, I = _domain_integrals(tf)
    names = [crack_faces] if isinstance(crack_faces, str) else list(crack_faces or [])
    if names:
        _check_support(fields, tf.q, names, r2)
    with_faces = bool(face_term and names)
    if with_faces:
        for name in names:
            dJ, dI = _face_integrals(fields, tf, tip, name)
            J -= dJ
            I = {mode: I[mode] - dI[mode] for mode in I}
    Ep = plane_strain_modulus(tf.youngs_modulus, tf.poissons_ratio)
    K_I = Ep * I["I"] / 2
    if with_faces and tip.tip_radius > 0:
        K_I += _root_correction(fields, names, tip.tip_radius)
    return StressIntensity(
        K_I=K_I, K_II=Ep * I["II"] / 2, J=J,
        youngs_modulus=tf.youngs_modulus, poissons_ratio=tf.poissons_ratio, method="interaction_integral",
        inner_radius=r1, radius=r2, face_term=with_faces,
    )


def _radii(tip: CrackTip, radius: float | None, inner_radius: float | None) -> tuple[float, float]:
    """(r1, r2) [m] of the weight q: defaults r2 = depth/4, r1 = r2/4; checked."""
    if radius is None:
        if tip.depth is None:
            raise SettingError("radius", "give the integration radius (the crack depth is unknown)")
        radius = tip.depth / 4
    r2 = float(radius)
    r1 = r2 / 4 if inner_radius is None else float(inner_radius)
    if not 0 <= r1 < r2:
        raise SettingError("inner_radius", f"needs 0 <= inner_radius < radius, got {r1} and {r2} m")
    if tip.tip_radius > 0 and r1 <= tip.tip_radius:
        raise SettingError(
            "inner_radius",
            f"must exceed the notch root radius {tip.tip_radius:.3g} m (got {r1:.3g} m): enlarge the radius",
        )
    return r1, r2


@dataclasses.dataclass
class _TipFields:
    """The pieces of the integrals in crack-tip coordinates (UFL), and the tip material."""

    G: object  # local gradient of the local displacement
    stress: object  # local stress [Pa]
    W: object  # strain energy density [J/m^3]
    q: fem.Function
    dq: object
    xl: object  # local coordinates [m]
    r: object
    Rc: object  # rotation to the local frame
    lam: object
    mu: object
    kappa: object
    qdeg: int
    comm: MPI.Comm
    youngs_modulus: float
    poissons_ratio: float

    def hooke(self, e):
        return self.lam * ufl.tr(e) * ufl.Identity(2) + 2 * self.mu * e

    def auxiliary(self, theta, mode: str):
        """(gradient, strain, stress) of the unit auxiliary Williams field of ``mode``."""
        Ga = _aux_gradient(self.r, theta, self.mu, self.kappa, mode)
        ea = ufl.sym(Ga)
        return Ga, ea, self.hooke(ea)


def _tip_fields(fields, tip, r1, r2, quadrature_degree, youngs_modulus, poissons_ratio) -> _TipFields:
    V = fields.displacement.function_space
    msh = V.mesh
    p = V.ufl_element().degree
    qdeg = quadrature_degree or 2 * p + 4
    dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": qdeg})
    q = _q_function(fem.functionspace(msh, ("Lagrange", p)), tip, r1, r2)
    E, nu = _tip_material(fields, q, dx, youngs_modulus, poissons_ratio)
    lam, mu = (fem.Constant(msh, PETSc.ScalarType(c)) for c in lame_parameters(E, nu))
    kappa = fem.Constant(msh, PETSc.ScalarType(3 - 4 * nu))
    _, Rc, xl = _local_frame(msh, tip)
    G = Rc * ufl.grad(fields.displacement) * Rc.T
    stress = Rc * fields.stress() * Rc.T
    W = 0.5 * ufl.inner(stress, ufl.sym(G))
    r = ufl.sqrt(xl[0] ** 2 + xl[1] ** 2)
    return _TipFields(G, stress, W, q, Rc * ufl.grad(q), xl, r, Rc, lam, mu, kappa, qdeg, msh.comm, E, nu)


def _domain_integrals(tf: _TipFields) -> tuple[float, dict]:
    """J and the interaction integrals I (modes I, II) over the support of q."""
    dx = ufl.Measure("dx", domain=tf.q.function_space.mesh, metadata={"quadrature_degree": tf.qdeg})
    G, stress, dq = tf.G, tf.stress, tf.dq
    J = _sum(tf.comm, (ufl.dot(G[:, 0], stress * dq) - tf.W * dq[0]) * dx)
    theta = ufl.atan2(tf.xl[1], tf.xl[0])  # off the faces (interior quadrature points)
    I = {}
    for mode in ("I", "II"):
        Ga, ea, sa = tf.auxiliary(theta, mode)
        integrand = ufl.dot(Ga[:, 0], stress * dq) + ufl.dot(G[:, 0], sa * dq) - ufl.inner(stress, ea) * dq[0]
        I[mode] = _sum(tf.comm, integrand * dx)
    return J, I


def _face_integrals(fields: ElasticFields, tf: _TipFields, tip: CrackTip, name: str) -> tuple[float, dict]:
    """The crack-face terms of J and I on boundary ``name`` (to be subtracted)."""
    msh = tf.q.function_space.mesh
    xl, r = tf.xl, tf.r
    n = ufl.FacetNormal(msh)
    m = tf.Rc * n  # outward normal, local components
    # On the crack line behind the tip atan2 sits on its branch cut: take the side from
    # the normal there (the body lies on the +x2 side of the upper face, m2 < 0: theta = +pi).
    side = ufl.conditional(ufl.lt(m[1], 0), 1.0, -1.0)
    on_cut = side * ufl.acos(ufl.max_value(ufl.min_value(xl[0] / r, 1.0), -1.0))
    theta_face = ufl.conditional(ufl.gt(abs(xl[1]), 1e-8 * r), ufl.atan2(xl[1], xl[0]), on_cut)
    # A blunt notch is read as a crack: its root (x1 > -rho) is where the tip singularity
    # would be, so the boundary term covers the flanks behind it only (all of the faces
    # of a sharp crack, rho = 0).
    rho = fem.Constant(msh, PETSc.ScalarType(tip.tip_radius))
    behind = ufl.conditional(ufl.lt(xl[0], -rho), 1.0, 0.0) if tip.tip_radius > 0 else 1.0
    tagged = fields.problem.tagged
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tagged.facet_tags,
                     metadata={"quadrature_degree": 3 * tf.qdeg})(tagged.boundary_tag(name))
    t = tf.Rc * _face_traction(fields, name, n)
    G, q = tf.G, tf.q
    dJ = _sum(tf.comm, (ufl.dot(t, G[:, 0]) - tf.W * m[0]) * q * behind * ds)
    dI = {}
    for mode in ("I", "II"):
        Ga, ea, sa = tf.auxiliary(theta_face, mode)
        integrand = ufl.dot(t, Ga[:, 0]) + ufl.dot(sa * m, G[:, 0]) - ufl.inner(tf.stress, ea) * m[0]
        dI[mode] = _sum(tf.comm, integrand * q * behind * ds)
    return dJ, dI


def _evaluate(u: fem.Function, points: np.ndarray) -> np.ndarray:
    """u at points (n, 3) on every rank (MPI-reduced); NaN where no cell contains a point."""
    msh = u.function_space.mesh
    tree = dolfinx.geometry.bb_tree(msh, msh.topology.dim)
    candidates = dolfinx.geometry.compute_collisions_points(tree, points)
    colliding = dolfinx.geometry.compute_colliding_cells(msh, candidates, points)
    n_local = msh.topology.index_map(msh.topology.dim).size_local
    bs = u.function_space.dofmap.index_map_bs
    values = np.zeros((len(points), bs))
    count = np.zeros(len(points))
    for i in range(len(points)):
        cells = [c for c in colliding.links(i) if c < n_local]
        if cells:
            values[i] = u.eval(points[i : i + 1], np.array(cells[:1], dtype=np.int32))
            count[i] = 1
    values = msh.comm.allreduce(values, op=MPI.SUM)
    count = msh.comm.allreduce(count, op=MPI.SUM)
    with np.errstate(invalid="ignore"):
        return values / count[:, None]


def displacement_correlation(
    fields: ElasticFields,
    tip: CrackTip,
    distances: Sequence[float] | None = None,
    youngs_modulus: float | None = None,
    poissons_ratio: float | None = None,
) -> StressIntensity:
    """K_I, K_II from the crack-face opening and sliding behind the tip (cross-check).

    K(r) = E' / 8 sqrt(2 pi / r) delta(r) at each distance r (delta = upper minus lower
    face displacement in local components), extrapolated linearly to r = 0 by least
    squares. Default distances: 6 points from depth/40 to depth/8 (needs ``tip.depth``).
    E, nu default to the material of the cell behind the tip.
    """
    if distances is None:
        if tip.depth is None:
            raise SettingError("distances", "give the correlation distances (the crack depth is unknown)")
        distances = np.linspace(tip.depth / 40, tip.depth / 8, 6)
    rs = np.asarray(distances, dtype=float)
    e1 = np.asarray(tip.direction, dtype=float)
    e2 = np.array([-e1[1], e1[0]])
    pts = _face_points(tip, rs, e1, e2)
    uu = _evaluate(fields.displacement, pts)
    if not np.all(np.isfinite(uu)):
        raise SettingError("distances", "a correlation point lies outside the mesh")
    jump = uu[: len(rs)] - uu[len(rs):]
    opening, sliding = jump @ e2, jump @ e1
    E, nu = _material_at(fields, pts[:1], youngs_modulus, poissons_ratio)
    Ep = plane_strain_modulus(E, nu)
    factor = Ep / 8 * np.sqrt(2 * np.pi / rs)
    A = np.vstack([np.ones_like(rs), rs]).T
    K_I = float(np.linalg.lstsq(A, factor * opening, rcond=None)[0][0])
    K_II = float(np.linalg.lstsq(A, factor * sliding, rcond=None)[0][0])
    return StressIntensity(K_I, K_II, None, float(E), float(nu), "displacement_correlation",
                           float(rs.min()), float(rs.max()), False)


def _face_points(tip: CrackTip, rs: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """Points (2n, 3) just above (first n) and below (last n) the crack line, rs behind the tip."""
    base = np.asarray(tip.tip, dtype=float)[None, :] - rs[:, None] * e1[None, :]
    offset = 1e-6 * rs[:, None] * e2[None, :]
    pts = np.zeros((2 * len(rs), 3))
    pts[: len(rs), :2] = base + offset
    pts[len(rs):, :2] = base - offset
    return pts


def _material_at(fields: ElasticFields, point: np.ndarray, youngs_modulus, poissons_ratio) -> tuple:
    """E [Pa], nu [-] at ``point`` (1, 3) unless given."""
    if youngs_modulus is not None and poissons_ratio is not None:
        return youngs_modulus, poissons_ratio
    E = _evaluate(fields.youngs_modulus, point)[0, 0] if youngs_modulus is None else youngs_modulus
    nu = _evaluate(fields.poissons_ratio, point)[0, 0] if poissons_ratio is None else poissons_ratio
    return E, nu
