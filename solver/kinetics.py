"""Charge-transfer kinetics at the anode interface: small classes picked by name.

Sign convention: ``current_density(eta)`` is the current density that flows from the
electrode into the electrolyte [A/m^2] (positive = anodic = Li stripping), at
overpotential ``eta = phi_s - phi_e - U_ref`` [V]. Plating (Li deposition) has eta < 0.

Each law works on UFL expressions (for the weak form) and on numpy arrays (for checks):
pass ``exp=ufl.exp`` or ``exp=numpy.exp``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from solver.errors import CaseError

__all__ = ["FARADAY", "GAS_CONSTANT", "KineticsLaw", "kinetics_laws", "make_kinetics"]

FARADAY = 96485.33212  # C/mol (CODATA 2018, exact)
GAS_CONSTANT = 8.314462618  # J/(mol K) (CODATA 2018, exact)

kinetics_laws: dict[str, type["KineticsLaw"]] = {}


class KineticsLaw:
    """Base class: i(eta) [A/m^2] with exchange current density i0 [A/m^2] at T [K].

    Subclasses register themselves by ``name``; ``fixes_potential`` marks the primary
    distribution (eta = 0 imposed as a Dirichlet condition instead of a flux).
    """

    name: ClassVar[str] = ""
    fixes_potential: ClassVar[bool] = False
    direction: str = "plating"  # operating direction: "plating" or "stripping"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            kinetics_laws[cls.name] = cls

    def __init__(
        self,
        exchange_current_density: float,
        temperature: float,
        anodic_transfer_coefficient: float = 0.5,
        cathodic_transfer_coefficient: float = 0.5,
    ):
        self.exchange_current_density = exchange_current_density
        self.temperature = temperature
        self.alpha_a = anodic_transfer_coefficient
        self.alpha_c = cathodic_transfer_coefficient

    @property
    def f(self) -> float:
        """F / (R T) [1/V]."""
        return FARADAY / (GAS_CONSTANT * self.temperature)

    @property
    def charge_transfer_resistance(self) -> float:
        """Linearised area-specific resistance R_ct = R T / ((alpha_a + alpha_c) F i0) [ohm m^2]."""
        return 1.0 / ((self.alpha_a + self.alpha_c) * self.f * self.exchange_current_density)

    def current_density(self, eta, exp=np.exp):
        raise NotImplementedError

    def d_current_density(self, eta, exp=np.exp):
        """d i / d eta [A/(m^2 V)]."""
        raise NotImplementedError

    def overpotential(self, current_density: float) -> float:
        """Inverse of the law for a uniform current density [V] (Newton on a scalar)."""
        eta = current_density * self.charge_transfer_resistance
        for _ in range(200):
            r = float(self.current_density(eta)) - current_density
            step = r / float(self.d_current_density(eta))
            eta -= np.clip(step, -0.05, 0.05)
            if abs(step) < 1e-15 + 1e-12 * abs(eta):
                return eta
        raise ArithmeticError("no overpotential found for this current density")


class ButlerVolmer(KineticsLaw):
    """i = i0 [exp(alpha_a f eta) - exp(-alpha_c f eta)], f = F/(R T)."""

    name = "butler_volmer"

    def current_density(self, eta, exp=np.exp):
        f = self.f
        return self.exchange_current_density * (exp(self.alpha_a * f * eta) - exp(-self.alpha_c * f * eta))

    def d_current_density(self, eta, exp=np.exp):
        f = self.f
        return self.exchange_current_density * f * (
            self.alpha_a * exp(self.alpha_a * f * eta) + self.alpha_c * exp(-self.alpha_c * f * eta)
        )


class Linear(ButlerVolmer):
    """Low-overpotential limit: i = i0 (alpha_a + alpha_c) f eta = eta / R_ct."""

    name = "linear"

    def current_density(self, eta, exp=np.exp):
        return eta / self.charge_transfer_resistance

    def d_current_density(self, eta, exp=np.exp):
        return 1.0 / self.charge_transfer_resistance + 0 * eta


class Tafel(ButlerVolmer):
    """High-overpotential limit of the branch that carries the current.

    Plating (cathodic): i = -i0 exp(-alpha_c f eta); stripping: i = i0 exp(alpha_a f eta).
    The branch is chosen from the operating direction.
    """

    name = "tafel"

    def current_density(self, eta, exp=np.exp):
        i0, f = self.exchange_current_density, self.f
        if self.direction == "plating":
            return -i0 * exp(-self.alpha_c * f * eta)
        return i0 * exp(self.alpha_a * f * eta)

    def d_current_density(self, eta, exp=np.exp):
        i0, f = self.exchange_current_density, self.f
        if self.direction == "plating":
            return i0 * self.alpha_c * f * exp(-self.alpha_c * f * eta)
        return i0 * self.alpha_a * f * exp(self.alpha_a * f * eta)


class Primary(ButlerVolmer):
    """Infinitely fast kinetics: eta = 0 on the interface (primary current distribution)."""

    name = "primary"
    fixes_potential = True

    @property
    def charge_transfer_resistance(self) -> float:
        return 0.0

    def overpotential(self, current_density: float) -> float:
        return 0.0


def make_kinetics(law: str, direction: str = "plating", **parameters) -> KineticsLaw:
    """Instantiate the law registered as ``law`` (CaseError listing the allowed names)."""
    try:
        cls = kinetics_laws[law]
    except KeyError:
        raise CaseError(
            "electrochemistry.kinetics.law", f"unknown law {law!r}; allowed: {', '.join(kinetics_laws)}"
        ) from None
    obj = cls(**parameters)
    obj.direction = direction
    return obj
