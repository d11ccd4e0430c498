"""Arrhenius temperature dependence of material properties.

    X(T) = X(T_ref) exp(-E_a / k_B (1/T - 1/T_ref))

for an ionic or electronic conductivity [S/m] and for the exchange current density of an
interface [A/m^2], each with its own activation energy E_a [eV] (library property names in
:data:`ACTIVATION_ENERGY_OF`). At T = T_ref nothing is needed. At another temperature a
property without its activation energy is an error naming the material, unless the case
says to hold such properties at their reference value (then the result records that it did).

For i0 the Arrhenius law gives the charge-transfer resistance R_ct(T) = R T / (F i0(T)),
so ln(R_ct / T) is linear in 1/T with slope E_a / k_B.
"""

from __future__ import annotations

import dataclasses
import math

from solver.errors import CaseError

__all__ = ["ACTIVATION_ENERGY_OF", "BOLTZMANN_EV", "TemperatureValue", "arrhenius", "property_at"]

BOLTZMANN_EV = 8.617333262e-5  # eV/K (CODATA 2018, exact)
SAME_TEMPERATURE = 1e-9  # K: closer than this to T_ref needs no activation energy

#: property -> the library property holding its activation energy [eV]
ACTIVATION_ENERGY_OF = {
    "ionic_conductivity": "activation_energy",
    "electronic_conductivity": "electronic_activation_energy",
    "exchange_current_density": "exchange_current_activation_energy",
}


def arrhenius(value: float, activation_energy: float, temperature: float, reference_temperature: float) -> float:
    """X(T) = X(T_ref) exp(-E_a / k_B (1/T - 1/T_ref)); E_a [eV], temperatures [K]."""
    return value * math.exp(-activation_energy / BOLTZMANN_EV * (1.0 / temperature - 1.0 / reference_temperature))


@dataclasses.dataclass(frozen=True)
class TemperatureValue:
    """A property at the case temperature: ``value`` [SI], how it was obtained (``rule``:
    reference | arrhenius | held), and the activation energy used [eV] (None unless arrhenius)."""

    value: float
    rule: str
    activation_energy: float | None = None
    reference_temperature: float | None = None


def property_at(material, prop: str, temperature: float, hold_missing: bool, key: str) -> TemperatureValue:
    """``material``'s ``prop`` at ``temperature`` [K].

    ``key`` names the case entry for errors. A CaseError when the property is missing, or
    when T differs from its reference temperature, the material has no activation energy
    for it, and ``hold_missing`` is False.
    """
    value = material.get(prop, key)
    t_ref = material.reference_temperature_of(prop)
    if abs(temperature - t_ref) < SAME_TEMPERATURE:
        return TemperatureValue(value, "reference", None, t_ref)
    ea_prop = ACTIVATION_ENERGY_OF[prop]
    ea = material.values.get(ea_prop)
    if ea is None:
        if hold_missing:
            return TemperatureValue(value, "held", None, t_ref)
        raise CaseError(key, f"material {material.name!r} has no {ea_prop} for its {prop} (given at {t_ref:g} K), "
                        f"needed at {temperature:g} K: give {ea_prop} in the case, or set "
                        "electrochemistry.missing_activation_energy: hold to keep the reference value")
    return TemperatureValue(arrhenius(value, ea, temperature, t_ref), "arrhenius", ea, t_ref)
