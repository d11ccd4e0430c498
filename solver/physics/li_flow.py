"""Pressure of Li in a flaw limited by the flow of the Li itself (instead of a fixed cap).

Li plated at the tip of a Li-filled flaw (depth a, opening w) must either raise the
pressure in the flaw or flow out of it, back through the flaw channel to the anode. The
Porz pressure F |eta| / V_m is the thermodynamic upper bound; the pressure the Li can
actually sustain is the one at which it extrudes at the rate it is plated.

Flow stress (power-law creep, Masias et al., J. Mater. Sci. 54 (2019) 2585; LePage et al.,
J. Electrochem. Soc. 166 (2019) A89):

    eps_dot = B sigma^n exp(-Q / (R T))
    =>  sigma_f(eps_dot, T) = sigma_ref (eps_dot / eps_dot_ref)^(1/n) exp(Q / (n R) (1/T - 1/T_ref))

written relative to a measured flow stress sigma_ref at the strain rate eps_dot_ref and
temperature T_ref of its test (so the prefactor B is not needed).

Strain rate in the channel: the tip deposits Li at the velocity v = i_tip V_m / F [m/s];
the Li moves out through the channel of half-opening h = w / 2 at that velocity, sheared
at eps_dot ~ v / h.

Extrusion pressure (slab analysis of plane-strain flow through a parallel channel with
sticking walls, the "friction hill"; e.g. Hosford and Caddell, Metal Forming, ch. on slab
analysis): the wall shear stress is the shear flow stress k = sigma_f / sqrt(3), the
mouth needs the plane-strain flow stress 2 k, and the force balance dp/dx = k / h over the
depth a gives

    p_flow = 2 k (1 + a / w) = (2 / sqrt(3)) sigma_f (1 + a / w)      [Pa].

The pressure in the flaw is min(F |eta| / V_m, p_flow): Li yields before it can build the
Porz pressure whenever p_flow is the smaller.
"""

from __future__ import annotations

import dataclasses
import math

from solver.physics.kinetics import FARADAY, GAS_CONSTANT

__all__ = ["LiFlowLimit", "extrusion_pressure", "flow_stress"]


def flow_stress(strain_rate: float, temperature: float, reference_stress: float, reference_strain_rate: float,
                stress_exponent: float, activation_energy: float, reference_temperature: float) -> float:
    """Power-law creep flow stress sigma_f [Pa] at ``strain_rate`` [1/s] and ``temperature`` [K].

    ``activation_energy`` Q [J/mol]; sigma_f = sigma_ref at (eps_dot_ref, T_ref).
    """
    if strain_rate <= 0:
        return 0.0
    thermal = math.exp(activation_energy / (stress_exponent * GAS_CONSTANT)
                       * (1.0 / temperature - 1.0 / reference_temperature))
    return reference_stress * (strain_rate / reference_strain_rate) ** (1.0 / stress_exponent) * thermal


def extrusion_pressure(flow: float, depth: float, opening: float) -> float:
    """p = (2 / sqrt 3) sigma_f (1 + a / w) [Pa]: Li pushed out of a channel of depth a and opening w [m]."""
    if opening <= 0 or depth < 0:
        raise ValueError(f"need opening > 0 and depth >= 0 m, got {opening}, {depth}")
    return 2.0 / math.sqrt(3.0) * flow * (1.0 + depth / opening)


@dataclasses.dataclass(frozen=True)
class LiFlowLimit:
    """The flow-limited pressure of Li in a flaw (see the module docstring).

    reference_stress [Pa], reference_strain_rate [1/s], reference_temperature [K]: one
    measured flow stress of Li and its test conditions; stress_exponent n [-];
    activation_energy Q [J/mol]; molar_volume V_m [m^3/mol]; temperature [K] of the case.
    """

    reference_stress: float
    reference_strain_rate: float
    stress_exponent: float
    activation_energy: float
    temperature: float
    reference_temperature: float = 298.15
    molar_volume: float = 1.30e-5

    def strain_rate(self, tip_current_density: float, opening: float) -> float:
        """eps_dot = (|i_tip| V_m / F) / (w / 2) [1/s]."""
        return abs(tip_current_density) * self.molar_volume / FARADAY / (0.5 * opening)

    def tip_current_for_pressure(self, pressure, depth, opening):
        """The tip current density |i_tip| [A/m^2] at which the flowing Li sustains ``pressure`` [Pa]
        (the inverse of :meth:`pressure`; numpy arrays allowed)."""
        import numpy as np

        flow = np.asarray(pressure, float) * math.sqrt(3.0) / (2.0 * (1.0 + np.asarray(depth) / np.asarray(opening)))
        thermal = math.exp(self.activation_energy / (self.stress_exponent * GAS_CONSTANT)
                           * (1.0 / self.temperature - 1.0 / self.reference_temperature))
        rate = self.reference_strain_rate * (flow / (self.reference_stress * thermal)) ** self.stress_exponent
        return rate * 0.5 * np.asarray(opening) * FARADAY / self.molar_volume

    def pressure(self, tip_current_density: float, depth: float, opening: float) -> float:
        """The largest pressure [Pa] the flowing Li sustains in the flaw at this tip current [A/m^2]."""
        flow = flow_stress(self.strain_rate(tip_current_density, opening), self.temperature, self.reference_stress,
                           self.reference_strain_rate, self.stress_exponent, self.activation_energy,
                           self.reference_temperature)
        return extrusion_pressure(flow, depth, opening)
