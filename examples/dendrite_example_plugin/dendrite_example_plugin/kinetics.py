"""``ohmic_interface``: an interface that behaves as a resistor, i = eta / R [A/m^2].

Its own parameter is ``interface_resistance`` R [ohm m^2] (no exchange current density, no
transfer coefficients). It is the low-overpotential limit of any charge-transfer law with
R = R T / ((alpha_a + alpha_c) F i0), written with the measurable resistance instead.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from solver.parameters import SI
from solver.physics.kinetics import FARADAY, GAS_CONSTANT, KineticsLaw, KineticsParameters


class OhmicInterfaceParameters(KineticsParameters):
    interface_resistance: Annotated[float, SI("ohm*m^2")] = Field(
        gt=0, description="area-specific resistance R of the interface [ohm m^2]")


class OhmicInterface(KineticsLaw):
    """i = eta / R: a linear law set by its area-specific resistance R [ohm m^2]."""

    name = "ohmic_interface"
    parameters = OhmicInterfaceParameters
    is_linear = True

    def __init__(self, interface_resistance: float, temperature: float):
        # the equivalent i0 of a symmetric linear law (alpha_a + alpha_c = 1): R = R T / (F i0)
        super().__init__(GAS_CONSTANT * temperature / (FARADAY * interface_resistance), temperature)
        self.resistance = interface_resistance

    @classmethod
    def from_parameters(cls, parameters, temperature, exchange_current_density=None):
        return cls(parameters.interface_resistance, temperature)

    @property
    def charge_transfer_resistance(self) -> float:
        return self.resistance

    def current_density(self, eta, exp=None):
        return eta / self.resistance

    def d_current_density(self, eta, exp=None):
        return 1.0 / self.resistance + 0 * eta
