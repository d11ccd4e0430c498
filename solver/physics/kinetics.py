"""Charge-transfer kinetics at the anode interface: small classes picked by name.

Sign convention: ``current_density(eta)`` is the current density that flows from the
electrode into the electrolyte [A/m^2] (positive = anodic = Li stripping), at
overpotential ``eta = phi_s - phi_e - U_ref`` [V]. Plating (Li deposition) has eta < 0.

Each law works on UFL expressions (for the weak form) and on numpy arrays (for checks):
pass ``exp=ufl.exp`` or ``exp=numpy.exp``. In a UFL expression every parameter (i0, F/(R T),
the transfer coefficients, R_f) enters as a DOLFINx ``Constant``, not as a number
(:func:`parameter`): laws that differ only in their values give forms with one
compiled module, so a sweep over the temperature or i0 compiles its forms once.

An interphase film too thin to mesh is lumped as an area-specific resistance R_f
[ohm m^2] in series with the law (:class:`FilmResistance`, via
``make_kinetics(..., film_resistance=R_f)``): i = i_ct(eta - R_f i), solved exactly at
every quadrature point.

Each law owns the model of its parameters (:attr:`KineticsLaw.parameters`, a
:class:`~solver.parameters.ChoiceParameters`): the case section
``electrochemistry.kinetics`` is that model plus ``law: NAME``, so a key the chosen law
does not take is an error. :meth:`KineticsLaw.from_parameters` builds the law from it.
A law registers itself by subclassing with a ``name``; laws from other packages do the
same (see ``docs/plugins.md``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field

from solver.errors import CaseError, SolverError
from solver.parameters import SI, ChoiceParameters
from solver.physics.scalar_root import increasing_root

__all__ = ["FARADAY", "GAS_CONSTANT", "KineticsLaw", "KineticsParameters", "ChargeTransferParameters",
           "FilmResistance", "kinetics_laws", "make_kinetics", "kinetics_from_parameters", "parameter"]

FARADAY = 96485.33212  # C/mol (CODATA 2018, exact)
GAS_CONSTANT = 8.314462618  # J/(mol K) (CODATA 2018, exact)

kinetics_laws: dict[str, type["KineticsLaw"]] = {}


def parameter(value: float, eta):
    """A law's parameter as it enters its expression in ``eta``: the number itself for numpy,
    a ``Constant`` on eta's mesh for UFL (see :func:`solver.physics.fem_tools.form_parameter`)."""
    if isinstance(eta, (int, float, np.ndarray, np.generic)):
        return value
    from solver.physics.fem_tools import form_parameter

    return form_parameter(value, eta)


class KineticsParameters(ChoiceParameters):
    """Parameters every law takes: the lumped film in series with it."""

    film_resistance: Annotated[float, SI("ohm*m^2")] = Field(
        0.0, ge=0, description="area-specific resistance of an unmeshed film in series with the kinetics [ohm m^2]")


class ChargeTransferParameters(KineticsParameters):
    """Parameters of a law written with an exchange current density and transfer coefficients."""

    exchange_current_density: Annotated[float, SI("A/m^2")] | None = Field(
        None, gt=0, description="i0 [A/m^2]; default: from the material at the anode interface")
    anodic_transfer_coefficient: float = Field(0.5, gt=0, lt=1, description="alpha_a [-]")
    cathodic_transfer_coefficient: float = Field(0.5, gt=0, lt=1, description="alpha_c [-]")


class KineticsLaw:
    """Base class: i(eta) [A/m^2] with exchange current density i0 [A/m^2] at T [K].

    Subclasses register themselves by ``name``; ``fixes_potential`` marks the primary
    distribution (eta = 0 imposed as a Dirichlet condition instead of a flux);
    ``parameters`` is the model of what the law takes from the case.
    """

    name: ClassVar[str] = ""
    parameters: ClassVar[type[KineticsParameters]] = ChargeTransferParameters
    fixes_potential: ClassVar[bool] = False
    is_linear: ClassVar[bool] = False  # i(eta) affine: one linear solve is exact
    direction: str = "plating"  # operating direction: "plating" or "stripping"
    film_resistance: float = 0.0  # lumped interphase ASR in series [ohm m^2]

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

    @classmethod
    def from_parameters(cls, parameters: KineticsParameters, temperature: float,
                        exchange_current_density: float | None = None) -> "KineticsLaw":
        """The law at ``temperature`` [K] from its parameter model.

        ``exchange_current_density`` [A/m^2] is the default (e.g. the material's value) used
        when the parameters do not give one. Laws with other parameters override this.
        """
        i0 = getattr(parameters, "exchange_current_density", None) or exchange_current_density
        if i0 is None:
            raise CaseError("electrochemistry.kinetics.exchange_current_density",
                            f"required by law {cls.name!r} (e.g. '0.69 mA/cm^2')")
        return cls(i0, temperature, parameters.anodic_transfer_coefficient, parameters.cathodic_transfer_coefficient)

    @property
    def f(self) -> float:
        """F / (R T) [1/V]."""
        return FARADAY / (GAS_CONSTANT * self.temperature)

    @property
    def charge_transfer_resistance(self) -> float:
        """Linearised area-specific resistance R_ct = R T / ((alpha_a + alpha_c) F i0) [ohm m^2]."""
        return 1.0 / ((self.alpha_a + self.alpha_c) * self.f * self.exchange_current_density)

    def coefficients(self, eta) -> tuple:
        """(i0 [A/m^2], f = F/(R T) [1/V], alpha_a, alpha_c) as they enter an expression in ``eta``."""
        return tuple(parameter(value, eta) for value in
                     (self.exchange_current_density, self.f, self.alpha_a, self.alpha_c))

    @property
    def interface_resistance(self) -> float:
        """Linearised ASR of the whole interface, R_ct + R_f [ohm m^2]."""
        return self.charge_transfer_resistance + self.film_resistance

    def current_density(self, eta, exp=np.exp):
        raise NotImplementedError

    def d_current_density(self, eta, exp=np.exp):
        """d i / d eta [A/(m^2 V)]."""
        raise NotImplementedError

    def overpotential(self, current_density: float) -> float:
        """Inverse of the law for a uniform current density [V]: the root of i(eta) = j.

        i(eta) increases with eta for every law, so the root is bracketed from eta = 0 and
        bisected (:func:`solver.physics.scalar_root.increasing_root`): no starting guess
        that could overflow an exponential, at any current or exchange current density.
        """
        try:
            return increasing_root(lambda eta: self.current_density(eta) - current_density)
        except ArithmeticError:
            raise SolverError(f"the {self.name} law gives no overpotential within 100 V for a uniform current "
                              f"density of {current_density:.4g} A/m^2") from None


class ButlerVolmer(KineticsLaw):
    """i = i0 [exp(alpha_a f eta) - exp(-alpha_c f eta)], f = F/(R T)."""

    name = "butler_volmer"

    def current_density(self, eta, exp=np.exp):
        i0, f, alpha_a, alpha_c = self.coefficients(eta)
        return i0 * (exp(alpha_a * f * eta) - exp(-alpha_c * f * eta))

    def d_current_density(self, eta, exp=np.exp):
        i0, f, alpha_a, alpha_c = self.coefficients(eta)
        return i0 * f * (alpha_a * exp(alpha_a * f * eta) + alpha_c * exp(-alpha_c * f * eta))


class Linear(ButlerVolmer):
    """Low-overpotential limit: i = i0 (alpha_a + alpha_c) f eta = eta / R_ct."""

    name = "linear"
    is_linear = True

    def current_density(self, eta, exp=np.exp):
        return eta / parameter(self.charge_transfer_resistance, eta)

    def d_current_density(self, eta, exp=np.exp):
        return 1.0 / parameter(self.charge_transfer_resistance, eta) + 0 * eta


class Tafel(ButlerVolmer):
    """High-overpotential limit of the branch that carries the current.

    Plating (cathodic): i = -i0 exp(-alpha_c f eta); stripping: i = i0 exp(alpha_a f eta).
    The branch is chosen from the operating direction.
    """

    name = "tafel"

    def current_density(self, eta, exp=np.exp):
        i0, f, alpha_a, alpha_c = self.coefficients(eta)
        if self.direction == "plating":
            return -i0 * exp(-alpha_c * f * eta)
        return i0 * exp(alpha_a * f * eta)

    def d_current_density(self, eta, exp=np.exp):
        i0, f, alpha_a, alpha_c = self.coefficients(eta)
        if self.direction == "plating":
            return i0 * alpha_c * f * exp(-alpha_c * f * eta)
        return i0 * alpha_a * f * exp(alpha_a * f * eta)


class Primary(ButlerVolmer):
    """Infinitely fast kinetics: eta = 0 on the interface (primary current distribution)."""

    name = "primary"
    parameters = KineticsParameters
    fixes_potential = True
    is_linear = True

    @classmethod
    def from_parameters(cls, parameters: KineticsParameters, temperature: float,
                        exchange_current_density: float | None = None) -> "Primary":
        """No kinetic parameter: i0 is infinite in effect (stored as given, or 1 A/m^2, unused)."""
        return cls(exchange_current_density or 1.0, temperature)

    @property
    def charge_transfer_resistance(self) -> float:
        return 0.0

    def overpotential(self, current_density: float) -> float:
        return 0.0


class FilmResistance(KineticsLaw):
    """A law in series with a film of area-specific resistance R_f [ohm m^2].

    The total overpotential eta = phi_s - phi_e - U_ref [V] splits into the film drop
    R_f i and the charge-transfer overpotential x:

        eta = x + R_f i_ct(x),      i = i_ct(x) = (eta - x) / R_f.

    x is found by Newton iterations unrolled in the expression (UFL differentiates them,
    so the Jacobian is exact). h(x) = x + R_f i_ct(x) - eta is increasing with h' >= 1 and
    convex on the branch that carries the current, and both starting values below are
    upper bounds of |x|, so Newton converges monotonically: x_lin = eta R_ct/(R_ct + R_f)
    (i_ct is steeper than linear) and the Tafel bound x_T = ln(1 + |eta|/(R_f i0))/(alpha f)
    (from i0 (exp(alpha f x) - 1) <= |i_ct(x)|). Linear kinetics needs one iteration
    (exact: i = eta / (R_ct + R_f)); the primary distribution becomes i = eta / R_f.
    """

    iterations_nonlinear: ClassVar[int] = 8

    def __init__(self, law: KineticsLaw, film_resistance: float):
        if not film_resistance > 0:
            raise CaseError("electrochemistry.kinetics.film_resistance", f"must be > 0 ohm m^2, got {film_resistance}")
        self.law = law
        self.film_resistance = float(film_resistance)
        self.exchange_current_density = law.exchange_current_density
        self.temperature = law.temperature
        self.alpha_a, self.alpha_c = law.alpha_a, law.alpha_c

    @property
    def is_linear(self) -> bool:
        return self.law.is_linear

    @property
    def direction(self) -> str:
        return self.law.direction

    @direction.setter
    def direction(self, value: str) -> None:
        self.law.direction = value

    @property
    def charge_transfer_resistance(self) -> float:
        return self.law.charge_transfer_resistance

    def charge_transfer_overpotential(self, eta, exp=np.exp):
        """x [V] solving x + R_f i_ct(x) = eta (UFL expression or numpy array)."""
        law, rf = self.law, parameter(self.film_resistance, eta)
        if law.fixes_potential:
            return 0 * eta
        rct = parameter(law.charge_transfer_resistance, eta)
        x = eta * rct / (rct + rf)
        if law.is_linear:  # i_ct = x / R_ct: the first guess is exact
            return x
        if exp is np.exp:
            sign, absolute, smaller, log = np.sign, np.abs, np.minimum, np.log
        else:
            import ufl

            sign, absolute, smaller, log = ufl.sign, abs, ufl.min_value, ufl.ln
        i0, f, alpha_a, alpha_c = self.coefficients(eta)
        alpha = (alpha_a + alpha_c) / 2 + sign(eta) * (alpha_a - alpha_c) / 2
        tafel = log(1 + absolute(eta) / (rf * i0)) / (alpha * f)
        x = sign(eta) * smaller(absolute(x), tafel)
        for _ in range(self.iterations_nonlinear):
            x = x - (x + rf * law.current_density(x, exp) - eta) / (1 + rf * law.d_current_density(x, exp))
        return x

    def current_density(self, eta, exp=np.exp):
        return (eta - self.charge_transfer_overpotential(eta, exp)) / parameter(self.film_resistance, eta)

    def d_current_density(self, eta, exp=np.exp):
        rf = parameter(self.film_resistance, eta)
        if self.law.fixes_potential:
            return 1.0 / rf + 0 * eta
        slope = self.law.d_current_density(self.charge_transfer_overpotential(eta, exp), exp)
        return slope / (1 + rf * slope)

    def overpotential(self, current_density: float) -> float:
        """Exact inverse: eta = eta_ct(i) + R_f i [V]."""
        return self.law.overpotential(current_density) + self.film_resistance * current_density


def _law_class(law: str) -> type[KineticsLaw]:
    try:
        return kinetics_laws[law]
    except KeyError:
        raise CaseError(
            "electrochemistry.kinetics.law", f"unknown law {law!r}; allowed: {', '.join(kinetics_laws)}"
        ) from None


def make_kinetics(law: str, direction: str = "plating", film_resistance: float = 0.0, **parameters) -> KineticsLaw:
    """Instantiate the law registered as ``law`` (CaseError listing the allowed names).

    ``parameters`` are the constructor's (e.g. ``exchange_current_density`` [A/m^2] and
    ``temperature`` [K]); ``film_resistance`` [ohm m^2] > 0 puts a lumped interphase in
    series (:class:`FilmResistance`).
    """
    obj = _law_class(law)(**parameters)
    obj.direction = direction
    return FilmResistance(obj, film_resistance) if film_resistance else obj


def kinetics_from_parameters(law: str, parameters: KineticsParameters, temperature: float,
                             direction: str = "plating", exchange_current_density: float | None = None) -> KineticsLaw:
    """The law ``law`` from its parameter model at ``temperature`` [K] (film in series when given).

    ``exchange_current_density`` [A/m^2] is the default for laws that take one.
    """
    obj = _law_class(law).from_parameters(parameters, temperature, exchange_current_density)
    obj.direction = direction
    film = parameters.film_resistance
    return FilmResistance(obj, film) if film else obj
