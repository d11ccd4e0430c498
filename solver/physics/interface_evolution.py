"""Evolution of the Li | electrolyte interface during cycling: contact, voids, Li thickness, filaments.

State per interface element e (a cell of the electrolyte touching the anode interface;
arrays indexed by element), per nominal (projected) area:

- contact fraction c_e [-]: the part of the element's area in contact with Li;
- void thickness h_e [m]: void volume per nominal area, c = max(c_pin, 1 - h / d) with d the
  valley depth a void fills before local contact is lost (``void_depth``) and c_pin the
  contact pinned by a skeleton (seed 001: the Li9Al4/LiCl skeleton bonds Li to the
  interphase);
- Li thickness change s_e [m] (Faraday: ds/dt = V_m i_n / F, i_n > 0 plating);
- filament length l_e [m] from the element into the electrolyte.

Void growth (after Kasemchainan et al. 2019, Nat. Mater. 18, 1105: voids form when the
stripping flux exceeds what Li can bring to the interface). Li stripped at the contacts at
i_s = -i_n [A/m^2 per nominal area] is replaced by Li flowing to the interface at the
supply current density i_sup(sigma) [A/m^2], sigma = p / c the stress on the contacts
under the stack pressure p [Pa] (force balance: the contacts carry the stack load):

    dh/dt = (V_m / F) (i_s - i_sup(p / c)),   h in [0, d (1 - c_pin)].

The same law recovers contact: on plating (i_s < 0) the Li deposited at the interface
and the creep supply both fill the voids. The supply is a sum of named mechanisms
(:data:`supply_mechanisms`), each a law with published constants:

- vacancy (self-)diffusion driven by the stress gradient sigma / lambda over the supply
  length lambda (Nabarro-Herring-type flux J = D sigma / (R T lambda)):
  i_diff = F D sigma / (R T lambda);
- power-law creep of Li, strain rate A (sigma / 1 MPa)^n exp(-Q / R T) (Masias et al. 2019,
  J. Mater. Sci. 54, 2585), over lambda: the interface advances at lambda * strain rate,
  i_creep = (F / V_m) lambda A (sigma / 1 MPa)^n exp(-Q / R T).

The critical stripping current is i_sup(p) (at full contact): its pressure dependence
is that of the laws, nothing is fitted.

Time integration of the local law: backward Euler for h (unconditionally stable; the
supply grows steeply as contact shrinks; safeguarded Newton per element), with the explicit Euler step as the embedded
first-order error estimate err = |h_BE - h_FE| / d, in contact-fraction units.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from solver.physics.kinetics import FARADAY, GAS_CONSTANT, KineticsLaw

__all__ = [
    "EDGE_CRACK_FACTOR",
    "MEGAPASCAL",
    "ContactKinetics",
    "LiSupply",
    "SupplyMechanism",
    "VoidGrowthLaw",
    "supply_mechanisms",
    "void_growth_time",
]

MEGAPASCAL = 1e6  # Pa: the stress unit of the creep law's prefactor
EDGE_CRACK_FACTOR = 1.1215  # K_I = 1.1215 p sqrt(pi a), edge crack with face pressure (handbook)
MIN_CONTACT = 1e-6  # contact floor: keeps sigma = p / c and the local current finite

supply_mechanisms: dict[str, type[SupplyMechanism]] = {}


class SupplyMechanism:
    """A way Li reaches the interface: ``current_density(stress)`` [A/m^2] at contact stress [Pa]."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            supply_mechanisms[cls.name] = cls

    def current_density(self, stress):
        raise NotImplementedError

    def d_current_density(self, stress):
        """d i / d sigma [A/(m^2 Pa)]."""
        raise NotImplementedError


class VacancyDiffusion(SupplyMechanism):
    """i = F D sigma / (R T lambda): D [m^2/s] Li self-diffusion, lambda [m] supply length."""

    name = "vacancy_diffusion"

    def __init__(self, self_diffusion: float, supply_length: float, temperature: float, **_):
        self.coefficient = FARADAY * self_diffusion / (GAS_CONSTANT * temperature * supply_length)

    def current_density(self, stress):
        return self.coefficient * stress

    def d_current_density(self, stress):
        return self.coefficient + 0 * stress


class PowerLawCreep(SupplyMechanism):
    """i = (F / V_m) lambda A (sigma / MPa)^n exp(-Q / R T) [A/m^2]."""

    name = "power_law_creep"

    def __init__(self, creep_prefactor: float, creep_exponent: float, creep_activation_energy: float,
                 supply_length: float, temperature: float, molar_volume: float, **_):
        self.exponent = creep_exponent
        rate = creep_prefactor * np.exp(-creep_activation_energy / (GAS_CONSTANT * temperature))
        self.coefficient = FARADAY / molar_volume * supply_length * rate

    def current_density(self, stress):
        return self.coefficient * (np.asarray(stress) / MEGAPASCAL) ** self.exponent

    def d_current_density(self, stress):
        n = self.exponent
        return self.coefficient * n / MEGAPASCAL * (np.asarray(stress) / MEGAPASCAL) ** (n - 1)


class LiSupply:
    """The sum of the chosen mechanisms: i_sup(sigma) [A/m^2]."""

    def __init__(self, names: list[str], **parameters):
        self.mechanisms = [supply_mechanisms[n](**parameters) for n in names]

    def current_density(self, stress):
        total = np.zeros_like(np.asarray(stress, dtype=float))
        for m in self.mechanisms:
            total = total + m.current_density(stress)
        return total

    def d_current_density(self, stress):
        total = np.zeros_like(np.asarray(stress, dtype=float))
        for m in self.mechanisms:
            total = total + m.d_current_density(stress)
        return total

    def critical_stripping_current(self, stack_pressure: float) -> float:
        """Stripping current density above which voids grow at full contact [A/m^2]."""
        return float(self.current_density(np.array(stack_pressure)))


@dataclasses.dataclass
class VoidGrowthLaw:
    """dh/dt = (V_m / F)(i_s - i_sup(p / c(h))), c(h) = max(c_pin, 1 - h / d) (module docstring)."""

    supply: LiSupply
    stack_pressure: float  # Pa
    void_depth: float  # d [m]
    pinned_contact_fraction: float = 0.0  # c_pin [-]
    molar_volume: float = 1.30e-5  # m^3/mol

    @property
    def max_void(self) -> float:
        return self.void_depth * (1.0 - self.pinned_contact_fraction)

    def contact(self, void):
        c = 1.0 - np.asarray(void) / self.void_depth
        return np.maximum(np.maximum(c, self.pinned_contact_fraction), MIN_CONTACT)

    def rate(self, void, stripping_current_density):
        """dh/dt [m/s] at void thickness h [m] and stripping current density i_s [A/m^2]."""
        supplied = self.supply.current_density(self.stack_pressure / self.contact(void))
        return self.molar_volume / FARADAY * (np.asarray(stripping_current_density) - supplied)

    def d_rate(self, void):
        """d(dh/dt)/dh [1/s]: the supply rises as the contact shrinks (sigma = p / c)."""
        c = self.contact(void)
        free = (1.0 - np.asarray(void) / self.void_depth) > np.maximum(self.pinned_contact_fraction, MIN_CONTACT)
        stress = self.stack_pressure / c
        d_stress = np.where(free, self.stack_pressure / (c**2 * self.void_depth), 0.0)
        return -self.molar_volume / FARADAY * self.supply.d_current_density(stress) * d_stress

    def step(self, void, stripping_current_density, dt: float, iterations: int = 60):
        """Backward-Euler step of h over dt [s]; returns (h_new [m], error estimate [-]).

        g(h) = h - h0 - dt rate(h) increases with h (the supply grows as contact shrinks), so
        the root in [0, h_max] is bracketed; Newton steps that leave the bracket are replaced
        by bisection (safeguarded Newton), to |dh| < 1e-13 d. The error estimate is
        |h_BE - h_FE| / d with h_FE the explicit Euler step.
        """
        h0 = np.asarray(void, dtype=float)
        i_s = np.broadcast_to(np.asarray(stripping_current_density, dtype=float), h0.shape)
        lo, hi = np.zeros_like(h0), np.full_like(h0, self.max_void)

        def g(h):
            return h - h0 - dt * self.rate(h, i_s)

        at_zero, at_max = g(lo) >= 0, g(hi) <= 0
        explicit = np.clip(h0 + dt * self.rate(h0, i_s), 0.0, self.max_void)
        h = explicit.copy()
        for _ in range(iterations):
            value = g(h)
            lo, hi = np.where(value < 0, h, lo), np.where(value > 0, h, hi)
            slope = 1.0 - dt * self.d_rate(h)
            trial = h - value / slope
            inside = (trial > lo) & (trial < hi)
            new = np.where(inside, trial, 0.5 * (lo + hi))
            done = np.max(np.abs(new - h), initial=0.0) < 1e-13 * self.void_depth
            h = new
            if done:
                break
        h = np.where(at_zero, 0.0, np.where(at_max, self.max_void, h))
        return h, np.abs(h - explicit) / self.void_depth


def void_growth_time(contact: float, initial_contact: float, stripping_current_density: float,
                     diffusion_coefficient: float, stack_pressure: float, void_depth: float,
                     molar_volume: float = 1.30e-5) -> float:
    """Analytic time [s] for the contact to fall from c0 to c under constant stripping with
    linear (diffusion-only) supply i_sup = B p / c, B = ``diffusion_coefficient`` [A/(m^2 Pa)].

    With a = k i_s and b = k B p (k = V_m / (F d)), dc/dt = -a + b / c, so
    t(c) = (c0 - c) / a - (b / a^2) ln((a c - b) / (a c0 - b)), valid for b / a < c <= c0.
    """
    k = molar_volume / (FARADAY * void_depth)
    a, b = k * stripping_current_density, k * diffusion_coefficient * stack_pressure
    c0, c = initial_contact, contact
    return (c0 - c) / a - b / a**2 * np.log((a * c - b) / (a * c0 - b))


class ContactKinetics(KineticsLaw):
    """A kinetics law acting on the contacted part of each interface element.

    In the weak form (UFL, ``exp=ufl.exp``) the current density per nominal area is
    c(x) i_ct(eta) with c the contact fraction, a DG0 ``Function`` updated in place between
    time steps (the compiled forms are reused). Called on numbers (``exp=numpy.exp``) it is
    the law per contacted area, i_ct(eta): the law of the Li that touches the electrolyte.
    """

    def __init__(self, law: KineticsLaw, contact):
        self.law = law
        self.contact = contact
        self.exchange_current_density = law.exchange_current_density
        self.temperature = law.temperature
        self.alpha_a, self.alpha_c = law.alpha_a, law.alpha_c
        self.film_resistance = law.film_resistance

    @property
    def is_linear(self) -> bool:
        return self.law.is_linear

    @property
    def charge_transfer_resistance(self) -> float:
        return self.law.charge_transfer_resistance

    def current_density(self, eta, exp=np.exp):
        if exp is np.exp:
            return self.law.current_density(eta, exp)
        return self.contact * self.law.current_density(eta, exp)

    def d_current_density(self, eta, exp=np.exp):
        if exp is np.exp:
            return self.law.d_current_density(eta, exp)
        return self.contact * self.law.d_current_density(eta, exp)

    def overpotential(self, current_density: float) -> float:
        return self.law.overpotential(current_density)
