"""Cracks at bimaterial interfaces: Dundurs parameters and the singularity of a crack that
terminates perpendicular to an interface (Zak and Williams 1963, J. Appl. Mech. 30, 142).

A mode-I crack in material 1 whose tip lies on a straight bonded interface with material 2,
the crack perpendicular to it, has near-tip stresses sigma ~ r^(lambda - 1) and crack
opening delta ~ r^lambda with 0 < lambda < 1 set by the two materials through the Dundurs
parameters only (plane strain, kappa = 3 - 4 nu, mu the shear modulus [Pa]):

    alpha = (mu1 (kappa2 + 1) - mu2 (kappa1 + 1)) / (mu1 (kappa2 + 1) + mu2 (kappa1 + 1))
    beta  = (mu1 (kappa2 - 1) - mu2 (kappa1 - 1)) / (mu1 (kappa2 + 1) + mu2 (kappa1 + 1))

lambda = 1/2 for one material; lambda > 1/2 (a weaker singularity) when the crack meets a
stiffer material (alpha < 0), lambda < 1/2 when it meets a more compliant one.

:func:`terminating_crack_exponent` computes lambda as Zak and Williams did, from the Williams
eigenfunction expansion: Airy function phi = r^(lambda + 1) F(theta) in each material
(crack faces theta = +-pi in material 1, the interface theta = +-pi/2, material 2 in
|theta| < pi/2; mode I symmetric, so F is even in material 2), with traction-free faces and
continuous tractions and displacements across the interface: six homogeneous linear
equations whose determinant vanishes at lambda. Stresses and displacements of one term
(sigma = r^(lambda - 1) f(theta), u = r^lambda U(theta)):

    f_rr = (lambda + 1) F + F'',  f_tt = lambda (lambda + 1) F,  f_rt = -lambda F'
    U_r = ((1 - nu) f_rr - nu f_tt) / (2 mu lambda),
    U_t = (f_rt / mu - U_r') / (lambda - 1)       (from the shear strain; plane strain)

The same eigenvalue in closed form, the Zak-Williams characteristic equation written in
the Dundurs parameters (He and Hutchinson 1989, Int. J. Solids Struct. 25, 1053, the crack
impinging on the interface; there the material across the interface is "1" and the stress
exponent s = 1 - lambda, sigma ~ r^(-s)):

    cos(s pi) = 2 (beta' - alpha') / (1 + beta') (1 - s)^2 + (alpha' + beta'^2) / (1 - beta'^2)

with alpha' = -alpha, beta' = -beta in the convention above, i.e.

    cos(lambda pi) = 2 (beta - alpha) / (1 - beta) lambda^2 + (alpha - beta^2) / (1 - beta^2)

:func:`closed_form_exponent` solves it; it agrees with the determinant to 1e-10 for every
pair tested (tests/verification/test_bimaterial_crack.py), two independent derivations of
the same number.

A tip at a distance d before the interface has a square-root singularity again; as d -> 0
with everything else fixed its stress intensity factor scales as K_I ~ d^(lambda - 1/2)
(the matched asymptotics of a crack approaching an interface, e.g. Hutchinson and Suo 1992,
Adv. Appl. Mech. 29, section on cracks meeting interfaces): a stiff layer ahead of the tip
shields it, a compliant one amplifies it.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from solver.errors import SettingError

__all__ = ["closed_form_exponent", "dundurs_parameters", "terminating_crack_exponent"]


def _shear_and_kappa(youngs_modulus: float, poissons_ratio: float) -> tuple[float, float]:
    if not youngs_modulus > 0 or not -1 < poissons_ratio < 0.5:
        raise SettingError("materials", f"needs E > 0 and -1 < nu < 0.5, got {youngs_modulus} Pa, {poissons_ratio}")
    return youngs_modulus / (2 * (1 + poissons_ratio)), 3 - 4 * poissons_ratio


def dundurs_parameters(material_1: tuple[float, float], material_2: tuple[float, float]) -> tuple[float, float]:
    """(alpha, beta) [-] of two materials given as (E [Pa], nu [-]), plane strain."""
    (mu1, k1), (mu2, k2) = _shear_and_kappa(*material_1), _shear_and_kappa(*material_2)
    den = mu1 * (k2 + 1) + mu2 * (k1 + 1)
    return (mu1 * (k2 + 1) - mu2 * (k1 + 1)) / den, (mu1 * (k2 - 1) - mu2 * (k1 - 1)) / den


def _basis(kind: str, k: float, theta: float) -> np.ndarray:
    """F, F', F'', F''' of sin(k theta) ("s") or cos(k theta) ("c")."""
    s, c = np.sin(k * theta), np.cos(k * theta)
    if kind == "s":
        return np.array([s, k * c, -k**2 * s, -k**3 * c])
    return np.array([c, -k * s, -k**2 * c, k**3 * s])


def _traction_displacement(lam: float, mu: float, nu: float, kind: str, k: float, theta: float) -> np.ndarray:
    """(f_tt, f_rt, U_r, U_t) of one basis function at theta."""
    F, F1, F2, F3 = _basis(kind, k, theta)
    f_rr, f_rr1 = (lam + 1) * F + F2, (lam + 1) * F1 + F3
    f_tt, f_tt1 = lam * (lam + 1) * F, lam * (lam + 1) * F1
    f_rt = -lam * F1
    u_r = ((1 - nu) * f_rr - nu * f_tt) / (2 * mu * lam)
    u_r1 = ((1 - nu) * f_rr1 - nu * f_tt1) / (2 * mu * lam)
    return np.array([f_tt, f_rt, u_r, (f_rt / mu - u_r1) / (lam - 1)])


def _determinant(lam: float, material_1, material_2) -> float:
    (e1, n1), (e2, n2) = material_1, material_2
    mu1, mu2 = e1 / (2 * (1 + n1)), e2 / (2 * (1 + n2))
    scale = 1 / mu1  # keep the entries of order one
    m = np.zeros((6, 6))
    for j, (kind, k) in enumerate([("s", lam + 1), ("c", lam + 1), ("s", lam - 1), ("c", lam - 1)]):
        m[0:2, j] = _traction_displacement(lam, mu1 * scale, n1, kind, k, np.pi)[:2]  # free faces
        m[2:6, j] = _traction_displacement(lam, mu1 * scale, n1, kind, k, np.pi / 2)
    for j, (kind, k) in enumerate([("c", lam + 1), ("c", lam - 1)]):
        m[2:6, 4 + j] = -_traction_displacement(lam, mu2 * scale, n2, kind, k, np.pi / 2)
    return float(np.linalg.det(m))


def terminating_crack_exponent(material_1: tuple[float, float], material_2: tuple[float, float]) -> float:
    """lambda [-] of a mode-I crack in material 1 ending perpendicular at material 2
    (each (E [Pa], nu [-])): sigma ~ r^(lambda - 1), crack opening ~ r^lambda.

    The smallest root in (0, 1) of the Williams determinant (module docstring), bracketed on
    a grid and refined by Brent's method to 1e-12.
    """
    grid = np.linspace(0.02, 0.98, 481)
    values = [_determinant(x, material_1, material_2) for x in grid]
    for x0, x1, v0, v1 in zip(grid, grid[1:], values, values[1:]):
        if v0 == 0:
            return float(x0)
        if v0 * v1 < 0:
            return float(brentq(_determinant, x0, x1, args=(material_1, material_2), xtol=1e-12))
    raise SettingError("materials", "no singular crack-tip field found in (0, 1) for these materials")


def _characteristic(lam: float, alpha: float, beta: float) -> float:
    return (np.cos(lam * np.pi) - 2 * (beta - alpha) / (1 - beta) * lam**2
            - (alpha - beta**2) / (1 - beta**2))


def closed_form_exponent(alpha: float, beta: float) -> float:
    """lambda [-] from the closed-form characteristic equation (module docstring) for the
    Dundurs parameters (alpha, beta) of :func:`dundurs_parameters` (material 1 cracked): the
    smallest root in (0, 1), bracketed on a grid and refined by Brent's method to 1e-12."""
    if not (-1 <= alpha <= 1 and abs(beta) < 1):
        raise SettingError("materials", f"Dundurs parameters out of range: alpha {alpha}, beta {beta}")
    grid = np.linspace(1e-3, 1 - 1e-3, 1000)
    values = _characteristic(grid, alpha, beta)
    change = np.nonzero(np.sign(values[:-1]) != np.sign(values[1:]))[0]
    if change.size == 0:
        raise SettingError("materials", "no singular crack-tip field found in (0, 1) for these materials")
    i = int(change[0])
    return float(brentq(_characteristic, grid[i], grid[i + 1], args=(alpha, beta), xtol=1e-12))
