"""Boundary conditions of the conduction problem as small objects.

A condition on a named boundary says *what* holds there, as :class:`BoundaryTerms`:

- a residual term (added to F; a current density j [A/m^2] into the electrolyte enters
  as -<j, v>_boundary),
- Dirichlet data (phi = value [V]),
- the current density leaving the electrolyte [A/m^2] that the weak form imposes.

The discretisation (:mod:`solver.physics.conduction_schemes`) decides *how* Dirichlet
data are imposed: strongly (Lagrange) or by Nitsche's method (SIPG), which also gives
their weak flux. Conditions are picked by name from :data:`boundary_conditions`; the
operating mode picks the counter-electrode condition (:data:`mode_conditions`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import ufl

from solver.errors import SettingError
from solver.physics.fem_tools import form_parameter
from solver.physics.kinetics import KineticsLaw

__all__ = [
    "BoundaryTerms",
    "BoundaryCondition",
    "Insulating",
    "ChargeTransfer",
    "AppliedCurrent",
    "AppliedPotential",
    "boundary_conditions",
    "mode_conditions",
    "counter_condition",
    "interface_condition",
]


@dataclasses.dataclass
class BoundaryTerms:
    """What a condition contributes (UFL): ``residual`` term, ``dirichlet`` value [V] or
    None, ``weak_flux`` = current density leaving the electrolyte [A/m^2] or None."""

    residual: object = 0
    dirichlet: object = None
    weak_flux: object = None


class BoundaryCondition:
    """Base class; subclasses register under ``name``."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            boundary_conditions[cls.name] = cls

    def terms(self, phi, v, ds) -> BoundaryTerms:
        """The contribution on the boundary measure ``ds`` (phi: unknown, v: test function)."""
        raise NotImplementedError


boundary_conditions: dict[str, type[BoundaryCondition]] = {}


class Insulating(BoundaryCondition):
    """No current crosses: sigma grad phi . n = 0 (the natural condition, no term)."""

    name = "insulating"

    def terms(self, phi, v, ds) -> BoundaryTerms:
        return BoundaryTerms()


@dataclasses.dataclass
class AppliedCurrent(BoundaryCondition):
    """Galvanostatic: sigma grad phi . n = j, the current density [A/m^2] fed into the
    electrolyte (j > 0 plates Li on the anode); ``current_density`` a float or Constant."""

    current_density: object
    name: ClassVar[str] = "applied_current"

    def terms(self, phi, v, ds) -> BoundaryTerms:
        return BoundaryTerms(residual=-self.current_density * v * ds, weak_flux=-self.current_density)


@dataclasses.dataclass
class AppliedPotential(BoundaryCondition):
    """Potentiostatic: phi = ``potential`` [V] (vs the anode), a float or Constant."""

    potential: object
    name: ClassVar[str] = "applied_potential"

    def terms(self, phi, v, ds) -> BoundaryTerms:
        return BoundaryTerms(dirichlet=self.potential)


@dataclasses.dataclass
class ChargeTransfer(BoundaryCondition):
    """Kinetics: sigma grad phi . n = i_ct(eta), eta = -phi - U_ref [V] (phi_s = 0).

    ``reference_potential`` U_ref [V]: a float (it enters the form as a ``Constant``) or a
    UFL expression (stress shift).
    """

    law: KineticsLaw
    reference_potential: object = 0.0
    name: ClassVar[str] = "charge_transfer"

    def terms(self, phi, v, ds) -> BoundaryTerms:
        current = self.law.current_density(-phi - form_parameter(self.reference_potential, phi), exp=ufl.exp)
        return BoundaryTerms(residual=-current * v * ds, weak_flux=-current)


# operating mode -> the condition on the counter electrode (built with the load)
mode_conditions: dict[str, str] = {"galvanostatic": "applied_current", "potentiostatic": "applied_potential"}


def counter_condition(mode: str, load) -> BoundaryCondition:
    """The counter-electrode condition of an operating mode, carrying the applied ``load``."""
    if mode not in mode_conditions:
        raise SettingError("mode", f"unknown mode {mode!r}; allowed: {', '.join(mode_conditions)}")
    return boundary_conditions[mode_conditions[mode]](load)


def interface_condition(law: KineticsLaw, equilibrium_potential: float, shift=None) -> BoundaryCondition:
    """The anode-interface condition of a kinetics law.

    Finite kinetics: :class:`ChargeTransfer` with U_ref + dU (``shift`` dU [V], optional).
    The primary distribution (infinitely fast kinetics) fixes phi = -U_ref there.
    """
    if not law.fixes_potential:
        return ChargeTransfer(law, equilibrium_potential if shift is None else equilibrium_potential + shift)
    if shift is not None:
        raise SettingError("equilibrium_shift", "needs finite kinetics, not the primary distribution")
    return AppliedPotential(-equilibrium_potential)
