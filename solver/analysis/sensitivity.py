"""One-at-a-time sensitivity of the weakest-link CCD to the microstructure and the conditions.

The CCD of a cell (:mod:`solver.analysis.flaw_population`) is the median over Monte Carlo
cells of the CCD of each cell's worst flaw, with j_c(a) from the Porz pressure, the
kinetics law i(eta) and K_IC. :func:`median_ccd` evaluates it for one set of inputs;
:func:`one_at_a_time` changes one input at a time and reports the CCD ratio to the base.

The stiffness of the Li9Al4 + LiCl layer and the skeleton fraction of the Li under it enter
through ``anode_shielding``, K_I of a flaw under the bonded anode over K_I in the
electrolyte alone, which the meshed flaw mechanics measures
(:meth:`solver.studies.flaw_risk.FlawRiskAnalysis.anode_shielding`; flaw_2d with an
``anode`` section). Elastic Li and fully yielded Li (the layer alone) bound it.

Mechanisms this chain does not contain are listed in :data:`NOT_IN_THE_CHAIN` with the
reason, so that a report can say why an input does not move the prediction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from solver.analysis.flaw_population import FractureLimitedFlaw, make_population, sample_ccd

__all__ = ["NOT_IN_THE_CHAIN", "CcdInputs", "median_ccd", "one_at_a_time"]

NOT_IN_THE_CHAIN = {
    "skeleton_contact": "the skeleton's main role in seed 001, keeping the Li in contact while it strips "
                        "(fewer voids), is not modelled: the skeleton fraction enters only through the "
                        "stiffness it adds to the Li under the layer (anode_shielding)",
}


@dataclasses.dataclass(frozen=True)
class CcdInputs:
    """Inputs of the chain: the kinetics law i(eta) [A/m^2], K_IC [Pa m^0.5], the tip
    focusing [-], the population kind and parameters (SI), the electrode area [m^2], the
    anode shielding [-] (K_I under the bonded anode side over K_I in the electrolyte alone)."""

    current_density: Callable
    fracture_toughness: float
    population: str
    parameters: dict
    electrode_area: float = 7.85e-5  # m^2: 10 mm pellet (seed 001)
    tip_focusing: float = 1.0
    molar_volume: float = 1.30e-5  # m^3/mol, Porz et al. 2017
    anode_shielding: float = 1.0


def median_ccd(inputs: CcdInputs, realisations: int = 2000, seed: int = 0) -> float:
    """Median weakest-link CCD [A/m^2]."""
    flaw = FractureLimitedFlaw(inputs.fracture_toughness, inputs.current_density, inputs.molar_volume,
                               inputs.tip_focusing, anode_shielding=inputs.anode_shielding)
    population = make_population(inputs.population, **inputs.parameters)
    ccds = sample_ccd(population, flaw, inputs.electrode_area, realisations, np.random.default_rng(seed))
    return float(np.median(ccds))


def one_at_a_time(base: CcdInputs, changes: dict[str, dict], realisations: int = 2000) -> dict[str, float]:
    """CCD ratio changed / base [-] for each named change (a dict of CcdInputs fields;
    ``parameters`` entries are merged into the population parameters)."""
    reference = median_ccd(base, realisations)
    out = {}
    for name, change in changes.items():
        change = dict(change)
        parameters = {**base.parameters, **change.pop("parameters", {})}
        varied = dataclasses.replace(base, parameters=parameters, **change)
        out[name] = median_ccd(varied, realisations) / reference
    return out
