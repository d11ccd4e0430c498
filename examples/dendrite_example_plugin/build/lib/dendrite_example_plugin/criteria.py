"""``critical_pressure``: the Porz pressure of Li plated at the tip over a critical pressure.

ratio = p / p_crit with p = F |eta_tip| / V_m [Pa] (Porz et al. 2017) and ``critical_pressure``
p_crit [Pa] its own parameter, e.g. a strength of the electrolyte. Needs no mechanics.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from solver.analysis.risk import CriterionParameters, FlawState, RiskCriterion
from solver.parameters import SI


class CriticalPressureParameters(CriterionParameters):
    critical_pressure: Annotated[float, SI("Pa")] = Field(gt=0, description="p_crit [Pa]")


class CriticalPressure(RiskCriterion):
    """Porz pressure at the tip / p_crit (threshold: critical pressure [Pa])."""

    name = "critical_pressure"
    description = "worst p / p_crit"
    parameters = CriticalPressureParameters

    def ratio(self, state: FlawState) -> float:
        return state.pressure / self.threshold
