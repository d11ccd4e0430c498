"""Flaw populations and weakest-link (Weibull) statistics of the critical current density.

A cell fails at the current where its worst flaw does. With flaws scattered over an
electrode of area A as a Poisson process of density rho [1/m^2], each with a critical
current j_c(a) [A/m^2] set by its depth a [m], the probability that the cell has failed
by the current j is

    P_f(j) = 1 - exp(-rho A F(j)),     F(j) = P(j_c(a) <= j)            (weakest link)

For a power-law (Pareto) tail of depths, P(a > x) = (x / a_min)^(-beta), and a
fracture-limited flaw, j_c = C a^(-1/2), F(j) = (j / j_max)^(2 beta) with
j_max = C a_min^(-1/2), so P_f is a Weibull distribution of modulus m = 2 beta and
scale j_0 = j_max (rho A)^(-1/m): the median CCD falls with the electrode area as
A^(-1/m). :func:`sample_ccd` draws whole cells (Monte Carlo) for any population, and
:func:`ccd_distribution` reports the median with its confidence interval.

Depth distributions (picked by name from :data:`flaw_populations`):

- ``pareto``: the power-law tail above (a_min [m], beta [-], density [1/m^2]).
- ``roughness``: pits of a Gaussian rough surface of RMS height h_rms and correlation
  length l_c [m]: one local minimum per l_c^2 (density 1/l_c^2), depths below the mean
  Rayleigh-distributed with scale h_rms (the narrow-band result for the extrema of a
  Gaussian surface, Longuet-Higgins 1957 / Nayak 1971; an order-of-magnitude count of pits).
- ``grain_boundary_grooves``: one groove per grain (density 1/d^2) of depth a = c d with
  the depth-to-grain-size ratio c a measured input (seed 003: pits deepen with grain size;
  no value is given there, so none is assumed here).

Critical current of one flaw (:class:`FractureLimitedFlaw`): an edge flaw of depth a with
Li at the Porz pressure p = F eta_tip / V_m (optionally limited, see
:mod:`solver.physics.li_flow`) fails when 1.1215 p sqrt(pi a) = K_IC; the tip overpotential
is the kinetics' overpotential at the focused tip current f_tip j.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar

import numpy as np

__all__ = [
    "EDGE_CRACK_FACTOR",
    "FlawPopulation",
    "FractureLimitedFlaw",
    "ccd_distribution",
    "flaw_populations",
    "make_population",
    "sample_ccd",
    "weibull_failure_probability",
]

EDGE_CRACK_FACTOR = 1.1215  # K_I = 1.1215 p sqrt(pi a): edge crack in a half-plane (Tada, Paris and Irwin)

flaw_populations: dict[str, type[FlawPopulation]] = {}


class FlawPopulation:
    """Flaw depths [m] and their areal density [1/m^2]."""

    name: ClassVar[str] = ""
    density: float

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            flaw_populations[cls.name] = cls

    def depths(self, count: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def depth_with_survival(self, survival: np.ndarray) -> np.ndarray:
        """The depth x [m] with P(a > x) = ``survival`` (0 < survival <= 1)."""
        raise NotImplementedError

    def largest_depths(self, mean_count: float, realisations: int, rng: np.random.Generator) -> np.ndarray:
        """Largest depth [m] among Poisson(mean_count) flaws, per realisation (nan: no flaw).

        For a Poisson process P(a_max <= x) = exp(-N S(x)), so S(a_max) = E / N with E a
        unit exponential variate; E >= N means no flaw at all.
        """
        e = rng.exponential(1.0, realisations) / mean_count
        out = np.full(realisations, np.nan)
        some = e < 1.0
        out[some] = self.depth_with_survival(e[some])
        return out


def _positive(**values):
    for k, v in values.items():
        if not v > 0:
            raise ValueError(f"{k} must be > 0, got {v}")


class Pareto(FlawPopulation):
    """P(a > x) = (x / a_min)^(-beta) for x >= a_min [m]; density [1/m^2]."""

    name = "pareto"

    def __init__(self, minimum_depth: float, exponent: float, density: float):
        _positive(minimum_depth=minimum_depth, exponent=exponent, density=density)
        self.minimum_depth, self.exponent, self.density = minimum_depth, exponent, density

    def depths(self, count, rng):
        return self.minimum_depth * rng.random(count) ** (-1.0 / self.exponent)

    def depth_with_survival(self, survival):
        return self.minimum_depth * survival ** (-1.0 / self.exponent)


class Roughness(FlawPopulation):
    """Pits of a Gaussian surface: density 1/l_c^2, Rayleigh depths of scale h_rms [m]."""

    name = "roughness"

    def __init__(self, rms_height: float, correlation_length: float):
        _positive(rms_height=rms_height, correlation_length=correlation_length)
        self.rms_height, self.correlation_length = rms_height, correlation_length
        self.density = 1.0 / correlation_length**2

    def depths(self, count, rng):
        return rng.rayleigh(self.rms_height, count)

    def depth_with_survival(self, survival):
        return self.rms_height * np.sqrt(-2.0 * np.log(survival))


class GrainBoundaryGrooves(FlawPopulation):
    """One groove per grain (density 1/d^2) of depth c d [m], c the measured depth ratio."""

    name = "grain_boundary_grooves"

    def __init__(self, grain_size: float, depth_ratio: float):
        _positive(grain_size=grain_size, depth_ratio=depth_ratio)
        self.grain_size, self.depth_ratio = grain_size, depth_ratio
        self.density = 1.0 / grain_size**2

    def depths(self, count, rng):
        return np.full(count, self.depth_ratio * self.grain_size)

    def depth_with_survival(self, survival):
        return np.full(np.shape(survival), self.depth_ratio * self.grain_size)


def make_population(name: str, **parameters) -> FlawPopulation:
    """The population registered as ``name`` (KeyError listing the allowed names)."""
    if name not in flaw_populations:
        raise KeyError(f"unknown flaw population {name!r}; allowed: {', '.join(flaw_populations)}")
    return flaw_populations[name](**parameters)


@dataclasses.dataclass
class FractureLimitedFlaw:
    """j_c(a) [A/m^2] of an edge flaw of depth a [m] filled with Li at the Porz pressure.

    p_c = K_IC / (1.1215 sqrt(pi a)) [Pa]; eta_c = p_c V_m / F [V]; j_c = |i(eta_c)| / f_tip
    with ``current_density`` the kinetics law i(eta) [A/m^2] (eta < 0 plating), ``tip_focusing``
    f_tip [-] the tip current over the mean (1: no focusing), ``pressure_limit`` p_lim [Pa]
    (a fixed cap; None: none): a flaw whose critical pressure exceeds p_lim never fails (inf).

    ``li_flow`` (:class:`~solver.physics.li_flow.LiFlowLimit`) with ``opening_ratio`` w / a [-]:
    the pressure is min(Porz, p_flow(i_tip)), both rising with the current, so the flaw
    fails at the larger of the two currents that bring each to p_c: j_c = max(j_Porz, j_flow).

    ``anode_shielding`` s [-]: K_I of the flaw under the bonded anode side (interphase layer,
    Li and its skeleton) over K_I of the same flaw in the electrolyte alone, from the meshed
    flaw mechanics (:mod:`solver.studies.anode_mechanics`); K_I = s 1.1215 p sqrt(pi a), so
    p_c = K_IC / (s 1.1215 sqrt(pi a)). Taken as independent of the depth (an approximation).
    """

    fracture_toughness: float
    current_density: Callable[[float], float]
    molar_volume: float = 1.30e-5  # m^3/mol, Porz et al. 2017
    tip_focusing: float = 1.0
    pressure_limit: float | None = None
    li_flow: object | None = None
    opening_ratio: float | None = None
    anode_shielding: float = 1.0

    def critical_pressure(self, depth):
        if not self.anode_shielding > 0:
            raise ValueError(f"anode_shielding must be > 0, got {self.anode_shielding}")
        return self.fracture_toughness / (self.anode_shielding * EDGE_CRACK_FACTOR
                                          * np.sqrt(np.pi * np.asarray(depth, float)))

    def __call__(self, depth) -> np.ndarray:
        from solver.physics.kinetics import FARADAY

        p_c = self.critical_pressure(depth)
        eta_c = p_c * self.molar_volume / FARADAY
        j_c = np.abs(self.current_density(-eta_c)) / self.tip_focusing
        if self.pressure_limit is not None:
            j_c = np.where(p_c > self.pressure_limit, np.inf, j_c)
        if self.li_flow is not None:
            if not self.opening_ratio or self.opening_ratio <= 0:
                raise ValueError("the Li-flow limit needs the flaws' opening_ratio w / a > 0")
            depth = np.asarray(depth, float)
            j_flow = self.li_flow.tip_current_for_pressure(p_c, depth, self.opening_ratio * depth) / self.tip_focusing
            j_c = np.maximum(j_c, j_flow)
        return j_c


EXPLICIT_LIMIT = 5_000_000  # flaws drawn one by one up to this many in all; beyond, the extreme-value draw


def sample_ccd(population: FlawPopulation, critical_current: Callable[[np.ndarray], np.ndarray], area: float,
               realisations: int, rng: np.random.Generator, method: str = "auto") -> np.ndarray:
    """CCDs [A/m^2] of ``realisations`` cells of electrode area ``area`` [m^2] (inf: no flaw).

    Each cell has Poisson(rho A) flaws; its CCD is the smallest j_c. ``method``:
    ``explicit`` draws every flaw; ``extreme`` draws only each cell's deepest flaw
    (:meth:`FlawPopulation.largest_depths`; exact because j_c falls with the depth, and the
    only way for millions of flaws per cell); ``auto`` picks explicit below
    :data:`EXPLICIT_LIMIT` flaws in all.
    """
    _positive(area=area, realisations=realisations)
    mean = population.density * area
    if method == "auto":
        method = "explicit" if mean * realisations <= EXPLICIT_LIMIT else "extreme"
    if method == "extreme":
        deepest = population.largest_depths(mean, realisations, rng)
        out = np.full(realisations, np.inf)
        some = np.isfinite(deepest)
        out[some] = np.asarray(critical_current(deepest[some]), float)
        return out
    counts = rng.poisson(mean, realisations)
    out = np.full(realisations, np.inf)
    j_c = np.asarray(critical_current(population.depths(int(counts.sum()), rng)), float)
    has = counts > 0
    if has.any():  # the smallest j_c of each cell's run of flaws
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[has]
        out[has] = np.minimum.reduceat(j_c, starts)
    return out


def ccd_distribution(ccds: np.ndarray, confidence: float = 0.95) -> dict:
    """Median, 5 / 95 % quantiles of cell CCDs [A/m^2] and the distribution-free confidence
    interval of the median (binomial order statistics at ``confidence``)."""
    from scipy.stats import binom

    x = np.sort(np.asarray(ccds, float))
    n = x.size
    lo = int(binom.ppf((1 - confidence) / 2, n, 0.5))
    hi = int(binom.ppf((1 + confidence) / 2, n, 0.5))
    return {
        "realisations": n,
        "median": float(np.median(x)),
        "p05": float(np.quantile(x, 0.05)),
        "p95": float(np.quantile(x, 0.95)),
        "median_confidence_interval": [float(x[max(lo - 1, 0)]), float(x[min(hi, n - 1)])],
        "confidence": confidence,
        "fraction_without_failure": float(np.mean(~np.isfinite(x))),
    }


def weibull_failure_probability(j, scale: float, modulus: float):
    """P_f(j) = 1 - exp(-(j / j_0)^m) [-] (j, j_0 in A/m^2)."""
    return 1.0 - np.exp(-(np.asarray(j, float) / scale) ** modulus)
