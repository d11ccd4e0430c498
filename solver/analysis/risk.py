"""Dendrite risk of Li-filled flaws and the critical current density (CCD).

Chain of the estimate (Porz et al., Adv. Energy Mater. 7 (2017) 1701003):

1. conduction: the local overpotential eta_k [V] at the tip of flaw k at applied current i;
2. Li plated into the flaw builds a pressure p_k = F |eta_k| / V_m [Pa]
   (V_m = 1.30e-5 m^3/mol: 1 mV ~ 7.4 MPa), optionally capped (Li can flow or yield);
3. elasticity: the mode-I stress intensity of every flaw tip is linear in the face
   pressures, K_j = sum_k G_jk p_k + K_j^stack [Pa m^0.5], with the influence matrix G
   computed once from one unit-pressure solve per flaw (and one for the stack pressure);
4. a criterion turns the state into a ratio per flaw (>= 1: a filament propagates):
   K_I / K_IC, |eta_tip| / eta_crit, or i_tip / i_crit (criteria are picked by name;
   each owns the model of its parameters, its threshold named like the criterion);
5. the CCD is the smallest applied current density with a worst ratio >= 1, found by
   expanding a bracket and bisecting; every evaluation reuses the mesh and the compiled
   conduction forms, and is recorded as a sweep point.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Callable, ClassVar

import numpy as np
from pydantic import Field

from solver.parameters import SI, ChoiceParameters
from solver.physics.kinetics import FARADAY

__all__ = ["FlawState", "RiskCriterion", "CriterionParameters", "risk_criteria", "make_criterion", "combined_ccd",
           "check_criterion_kinetics", "porz_pressure", "tip_samples", "critical_current_density", "ccd_bracket",
           "SweepPoint"]

LI_MOLAR_VOLUME = 1.30e-5  # m^3/mol, Porz et al. 2017


def porz_pressure(overpotential: float, molar_volume: float = LI_MOLAR_VOLUME, cap: float | None = None) -> float:
    """Pressure of Li plated into a closed flaw, p = F |eta| / V_m [Pa], optionally capped."""
    p = FARADAY * abs(overpotential) / molar_volume
    return min(p, cap) if cap is not None else p


@dataclasses.dataclass
class FlawState:
    """One flaw at one applied current: tip overpotential [V], tip current density [A/m^2]
    (into the anode, > 0 plating), pressure [Pa], K_I [Pa m^0.5] and the criterion ratio."""

    index: int
    tip: list[float]
    overpotential: float
    current_density: float
    pressure: float = 0.0
    stress_intensity: float = 0.0
    ratio: float = 0.0
    # 3D: K_I [Pa m^0.5] at the nodes along the crack front, with their positions [m] and
    # the front's parameter ({"parameter_name", "parameter", "points", "K_I"})
    front: dict | None = None


risk_criteria: dict[str, type["RiskCriterion"]] = {}


class CriterionParameters(ChoiceParameters):
    """Base of a criterion's parameters (the ``risk`` section adds the CCD search keys)."""


class RiskCriterion:
    """Turns flaw states into ratios (>= 1 means a filament propagates).

    ``parameters`` is the model of the criterion's own keys; its threshold field is named
    like the criterion (``risk: {criterion: NAME, NAME: value}``). ``needs_mechanics``
    marks a criterion that needs the mode-I stress intensity K_I of flaw tips.
    ``combinable`` marks one that runs its own CCD search beside the flaw criterion
    (``risk: {also: [NAME]}``); :func:`combined_ccd` then takes the smallest.
    """

    name: ClassVar[str] = ""
    needs_mechanics: ClassVar[bool] = False
    # reads the local overpotential (directly or through the Porz pressure): meaningless
    # under the primary distribution, where eta = 0 on the interface by definition
    reads_overpotential: ClassVar[bool] = True
    combinable: ClassVar[bool] = False
    description: ClassVar[str] = ""
    parameters: ClassVar[type[CriterionParameters]] = CriterionParameters

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            risk_criteria[cls.name] = cls

    def __init__(self, threshold: float):
        self.threshold = threshold

    def ratio(self, state: FlawState) -> float:
        raise NotImplementedError


class FractureToughnessParameters(CriterionParameters):
    fracture_toughness: Annotated[float, SI("Pa*m^0.5")] | None = Field(
        None, gt=0, description="K_IC [Pa m^0.5]; default: the electrolyte material's value")


class CriticalOverpotentialParameters(CriterionParameters):
    critical_overpotential: Annotated[float, SI("V")] = Field(gt=0, description="eta_crit [V]")


class CriticalLocalCurrentDensityParameters(CriterionParameters):
    critical_local_current_density: Annotated[float, SI("A/m^2")] = Field(gt=0, description="i_crit [A/m^2]")


class FractureToughness(RiskCriterion):
    """K_I / K_IC at the flaw tip (threshold: fracture toughness K_IC [Pa m^0.5])."""

    name = "fracture_toughness"
    needs_mechanics = True
    description = "worst K_I / K_IC"
    parameters = FractureToughnessParameters

    def ratio(self, state: FlawState) -> float:
        return max(state.stress_intensity, 0.0) / self.threshold


class CriticalOverpotential(RiskCriterion):
    """|eta_tip| / eta_crit (threshold: critical local overpotential [V])."""

    name = "critical_overpotential"
    description = "worst |eta_tip| / eta_crit"
    parameters = CriticalOverpotentialParameters

    def ratio(self, state: FlawState) -> float:
        return abs(state.overpotential) / self.threshold


class CriticalLocalCurrentDensity(RiskCriterion):
    """i_tip / i_crit (threshold: critical local current density [A/m^2])."""

    name = "critical_local_current_density"
    reads_overpotential = False
    description = "worst i_tip / i_crit"
    parameters = CriticalLocalCurrentDensityParameters

    def ratio(self, state: FlawState) -> float:
        return abs(state.current_density) / self.threshold


class InternalLiFormation(RiskCriterion):
    """Li forming inside the electrolyte: -eta_Li / eta_crit at the worst point inside.

    ``state.overpotential`` is the Li-formation overpotential eta_Li = phi_e - phi_i - U_ref
    [V] of a mixed conductor (solver.analysis.electronic) at its most negative point at
    least a given distance from the anode; Li metal is stable there (dmu_Li = -F eta_Li >=
    F eta_crit) when the ratio reaches 1. Threshold: the critical supersaturation eta_crit [V] > 0.
    """

    name = "internal_li_formation"
    description = "worst -eta_Li / eta_crit inside the electrolyte"
    combinable = True  # searched on the mixed conductor (the electronic section), beside a flaw criterion

    def ratio(self, state: FlawState) -> float:
        return max(-state.overpotential, 0.0) / self.threshold


def combined_ccd(ccds: dict[str, float | None]) -> dict:
    """The CCD of several criteria together: the smallest of their CCDs [A/m^2] and the
    mechanism (criterion name) that sets it; ``ccd`` None when no criterion is met in range.
    Ties go to the first criterion listed."""
    found = [(value, k, name) for k, (name, value) in enumerate(ccds.items()) if value is not None]
    ccd, _, mechanism = min(found) if found else (None, 0, None)
    return {"ccd": ccd, "mechanism": mechanism, "by_criterion": dict(ccds)}


def make_criterion(name: str, threshold: float) -> RiskCriterion:
    from solver.errors import CaseError

    if name not in risk_criteria:
        raise CaseError("risk.criterion", f"unknown criterion {name!r}; allowed: {', '.join(risk_criteria)}")
    return risk_criteria[name](threshold)


def check_criterion_kinetics(criterion: str, fixes_potential: bool, film_resistance: float) -> None:
    """CaseError when ``criterion`` reads an overpotential that the kinetics fix at zero.

    Under the primary distribution without a film (eta = 0 on the interface) the Porz
    pressure and the tip overpotential vanish whatever the current, so such a criterion
    would silently report no risk; a criterion that reads the local current works.
    """
    from solver.errors import CaseError

    cls = risk_criteria.get(criterion)
    if cls is not None and cls.reads_overpotential and fixes_potential and not film_resistance:
        readers = [n for n, c in risk_criteria.items() if not c.reads_overpotential]
        raise CaseError("risk.criterion", f"{criterion} reads the local overpotential, which primary kinetics fix at "
                        f"0; use {' or '.join(readers)}, or finite kinetics (electrochemistry.kinetics.law)")


def tip_samples(samples: dict, tips: list[list[float]], radius: float) -> list[tuple[float, float]]:
    """(overpotential [V], current density [A/m^2]) at each tip, from interface samples.

    The value is the one of largest magnitude among sample vertices within ``radius`` of
    the tip (the nearest vertex if none is that close): the tip of a rounded notch is where
    both peak, and a vertex value is the finite-element value there.
    """
    pts = samples["points"].reshape(-1, samples["points"].shape[-1])
    eta = samples["overpotential"].ravel()
    cur = samples["current_density"].ravel()
    out = []
    for tip in tips:
        d = np.linalg.norm(pts - np.asarray(tip)[: pts.shape[1]], axis=1)
        near = np.flatnonzero(d <= radius)
        if near.size == 0:
            near = np.array([int(np.argmin(d))])
        k_eta = near[np.argmax(np.abs(eta[near]))]
        k_cur = near[np.argmax(np.abs(cur[near]))]
        out.append((float(eta[k_eta]), float(cur[k_cur])))
    return out


@dataclasses.dataclass
class SweepPoint:
    """One evaluation of the CCD search: applied current density [A/m^2] and the outcome."""

    applied_current_density: float
    worst_ratio: float
    worst_flaw: int | None
    flaws: list[FlawState]
    failed: str | None = None


def critical_current_density(
    evaluate: Callable[[float], SweepPoint],
    start: float,
    maximum: float,
    rtol: float = 1e-3,
    progress: Callable[[SweepPoint], None] | None = None,
) -> tuple[float | None, list[SweepPoint]]:
    """Smallest applied current density [A/m^2] with worst ratio >= 1.

    Doubles from ``start`` until the ratio reaches 1 (or ``maximum`` is passed: returns
    None, no CCD in range), then bisects to relative width ``rtol``. Assumes the worst
    ratio grows with the current (true for every criterion here: |eta| grows with i).

    A failed solve says nothing about the ratio, so it is never taken as safe or unsafe:
    the search stops there and returns None; :func:`ccd_bracket` of the points then gives
    what is known (the last safe current and the failed or first unsafe one).
    """
    points: list[SweepPoint] = []

    def run(i: float) -> SweepPoint:
        point = evaluate(i)
        points.append(point)
        if progress:
            progress(point)
        return point

    lo, hi = 0.0, start
    while True:
        point = run(hi)
        if point.failed is not None:
            return None, points
        if point.worst_ratio >= 1.0:
            break
        lo = hi
        if hi >= maximum:
            return None, points
        hi = min(2.0 * hi, maximum)
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        point = run(mid)
        if point.failed is not None:
            return None, points
        if point.worst_ratio >= 1.0:
            hi = mid
        else:
            lo = mid
    return hi, points


def ccd_bracket(points: list[SweepPoint]) -> dict | None:
    """What a search stopped by a failed solve knows: None if no point failed.

    ``safe``: the largest current density solved with ratio < 1 (0 if none) [A/m^2];
    ``unsafe``: the smallest solved with ratio >= 1 (None if none) [A/m^2]; ``failed``: the
    current density whose solve failed, and its error. The CCD is above ``safe`` and, when
    ``unsafe`` is known, at most ``unsafe``.
    """
    failed = [p for p in points if p.failed is not None]
    if not failed:
        return None
    solved = [p for p in points if p.failed is None]
    safe = max((p.applied_current_density for p in solved if p.worst_ratio < 1.0), default=0.0)
    unsafe = min((p.applied_current_density for p in solved if p.worst_ratio >= 1.0), default=None)
    return {"safe": safe, "unsafe": unsafe, "failed": failed[0].applied_current_density, "error": failed[0].failed}
