"""The case temperature applied to every material property that depends on it.

Ionic conductivities of every ionic region (grain boundaries included) and the exchange
current density of the anode interface follow Arrhenius' law with their own activation
energies (:mod:`solver.materials.temperature`). An i0 given in the case
(``electrochemistry.kinetics.exchange_current_density``) is taken as the value at the case
temperature. ``electrochemistry.missing_activation_energy: hold`` keeps properties without
an activation energy at their reference value instead of stopping with an error.
"""

from __future__ import annotations

from solver.materials.temperature import TemperatureValue, property_at

__all__ = ["check_temperature", "exchange_current_density_at", "grain_boundary_conductivity_at", "ionic_conductivity_at",
           "temperature_rules"]

ELECTRODE_ROLE = "electrode"  # electronic conductors: equipotential, no ionic conductivity needed


def _hold(case) -> bool:
    return case.electrochemistry.missing_activation_energy == "hold"


def ionic_conductivity_at(case, region: str) -> TemperatureValue:
    """Ionic conductivity [S/m] of ``region``'s material at the case temperature."""
    return property_at(case.materials[region], "ionic_conductivity", case.electrochemistry.temperature,
                       _hold(case), f"materials.{region}")


def grain_boundary_conductivity_at(case) -> TemperatureValue:
    """Ionic conductivity [S/m] of the lumped grain boundaries' material at the case temperature."""
    return property_at(case.grain_boundary, "ionic_conductivity", case.electrochemistry.temperature, _hold(case),
                       "grain_boundaries.material")


def _i0_region(case) -> str | None:
    """The region whose material provides i0 (the order of Case.exchange_current_density)."""
    for region in ("interphase", "electrolyte", "grains", *case.materials):
        mat = case.materials.get(region)
        if mat is not None and "exchange_current_density" in mat.values:
            return region
    return None


def exchange_current_density_at(case) -> TemperatureValue:
    """i0 [A/m^2] at the case temperature (a case value is taken as given at that temperature)."""
    i0, reason = case.exchange_current_density()
    if i0 is None:  # a law without i0 (primary kinetics)
        return TemperatureValue(None, reason)
    if getattr(case.electrochemistry.kinetics, "exchange_current_density", None) is not None:
        return TemperatureValue(i0, "case value at the case temperature")
    region = _i0_region(case)
    return property_at(case.materials[region], "exchange_current_density", case.electrochemistry.temperature,
                       _hold(case), f"materials.{region}")


def temperature_rules(case) -> dict:
    """How every temperature-dependent input was obtained: region -> {property: rule, E_a [eV]}."""
    out = {}
    for region, mat in case.materials.items():
        if mat.role != ELECTRODE_ROLE and "ionic_conductivity" in mat.values:
            v = ionic_conductivity_at(case, region)
            out.setdefault(region, {})["ionic_conductivity"] = {"rule": v.rule, "activation_energy_eV": v.activation_energy}
    if case.grain_boundary is not None:
        v = grain_boundary_conductivity_at(case)
        out["grain_boundaries"] = {"ionic_conductivity": {"rule": v.rule, "activation_energy_eV": v.activation_energy}}
    v = exchange_current_density_at(case)
    out["anode_interface"] = {"exchange_current_density": {"rule": v.rule, "activation_energy_eV": v.activation_energy}}
    return out


def check_temperature(case) -> None:
    """Raise the CaseError of the first property that cannot be had at the case temperature."""
    temperature_rules(case)
