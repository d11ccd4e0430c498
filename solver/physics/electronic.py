"""Mixed ionic-electronic conduction: Li+ and electrons in the electrolyte (Hebb-Wagner, Riess).

Two fields in every electrolyte region, both as potentials [V] against the Li anode:

    phi_i = mu~(Li+) / F        (the electrolyte potential of solver.physics.conduction),
    phi_e = -mu~(e-) / F        (the electron electrochemical potential: the Fermi level),

with current densities i_ion = -sigma_i grad phi_i and i_e = -sigma_e grad phi_e [A/m^2]
(region-wise conductivities [S/m]; zero-thickness GB facets with their own sheet
conductance and normal resistance for each carrier, solver.physics.grain_boundaries).
Without an internal reaction both carriers are conserved separately,

    div(sigma_i grad phi_i) = 0,    div(sigma_e grad phi_e) = 0,

and the local Li chemical potential is mu(Li) - mu(Li metal) = -F eta_Li with the
Li-formation overpotential eta_Li = phi_e - phi_i - U_ref [V] (eta at the anode interface
with the metal potential replaced by the local Fermi level): Li can form where eta_Li < 0.

Boundaries: the Li anode (metal potential 0) is an ohmic electron contact, phi_e = 0, and
exchanges Li+ by its kinetics law; the counter electrode (metal potential V_c) is
``lithium`` (both carriers: phi_e = V_c, Li+ as in the ionic problem), ``ion_blocking``
(phi_e = V_c, no Li+ flux) or ``electron_blocking`` (Li+ only, no electron flux); the
sides are insulating for both carriers.

The ionic boundary conditions never involve phi_e, so the Jacobian of the two-field
system is block triangular: the ionic block is solved by
:class:`~solver.physics.conduction.ConductionProblem` (unchanged: the limit sigma_e -> 0
is today's ionic problem exactly), the electronic block by a second ConductionProblem
with phi_e fixed at both electron contacts. The blocks meet in two scalars: galvanostatic,
the external current is ionic plus electronic, I = i_ion A_c + I_e(V_c), and the counter
metal sits at V_c = <phi_i>_counter + U_c + eta_c(i_ion) (its kinetics law at the uniform
ionic current density, as in solver.analysis.metrics.cell_voltage). I_e is linear in V_c
(I_e = G_e V_c, G_e from one unit solve), and the scalar balance is solved by secant
iterations on i_ion.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import ufl
from dolfinx import fem

from solver.errors import CaseError, SolverError
from solver.geometry.driver import TaggedMesh
from solver.physics.conduction import ConductionFields, ConductionProblem, ConductionSettings
from solver.physics.electron_statistics import (
    ActivityElectronProblem,
    ConstantConductivity,
    ElectronStatistics,
)
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import make_kinetics
from solver.physics.fem_tools import integrate

__all__ = [
    "CounterContact",
    "ElectronicSettings",
    "MixedConductorFields",
    "MixedConductorProblem",
    "boundary_current",
    "counter_contacts",
    "make_counter",
]

counter_contacts: dict[str, type[CounterContact]] = {}

VOLTAGE_FLOOR = 1e-12  # V: a counter-potential error far below any physical one


class CounterContact:
    """What the counter electrode exchanges with the electrolyte (registered by ``name``)."""

    name: ClassVar[str] = ""
    passes_ions: ClassVar[bool] = True
    passes_electrons: ClassVar[bool] = True
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            counter_contacts[cls.name] = cls


class LithiumCounter(CounterContact):
    name = "lithium"
    description = "Li (or any electrode reversible for Li+ and electrons): Li+ by its kinetics, phi_e = V_c"


class IonBlockingCounter(CounterContact):
    name = "ion_blocking"
    passes_ions = False
    description = "electronic conductor blocking Li+ (e.g. Ti, stainless steel): phi_e = V_c, no Li+ flux"


class ElectronBlockingCounter(CounterContact):
    name = "electron_blocking"
    passes_electrons = False
    description = "Li+ reservoir blocking electrons: Li+ as in the ionic problem, no electron flux"


def make_counter(name: str) -> CounterContact:
    if name not in counter_contacts:
        raise CaseError("electronic.counter", f"unknown counter contact {name!r}; allowed: {', '.join(counter_contacts)}")
    return counter_contacts[name]()


@dataclasses.dataclass
class ElectronicSettings:
    """The electronic side of a mixed conductor (SI units).

    counter: the counter contact; counter_equilibrium_potential U_c [V] of its Li+ reaction
    vs Li (None: the anode's U_ref, a Li counter); grain_boundary: the electrons' lumped GB
    model (R = delta / sigma_e,gb [ohm m^2], G = sigma_e,gb delta [S]); balance_rtol: relative
    tolerance of the external current balance [-].
    """

    counter: CounterContact = dataclasses.field(default_factory=LithiumCounter)
    counter_equilibrium_potential: float | None = None
    grain_boundary: GrainBoundaryModel | None = None
    statistics: ElectronStatistics = dataclasses.field(default_factory=ConstantConductivity)
    balance_rtol: float = 1e-12
    max_iterations: int = 40


@dataclasses.dataclass
class MixedConductorFields:
    """A solved mixed-conductor state. Currents [A, or A/m in 2D] enter the electrolyte
    through the counter (> 0 when the anode plates); ``electronic`` is None when
    sigma_e = 0 everywhere (no electrons: the ionic-only problem)."""

    ionic: ConductionFields
    electronic: ConductionFields | None
    counter_metal_potential: float  # V_c [V]
    ionic_current: float
    electronic_current: float
    counter_area: float  # m^2 (m in 2D)
    anode_area: float
    electronic_anode_current: float  # leaving the electrolyte into the anode
    ionic_anode_current: float
    iterations: int
    counter_equilibrium_potential: float  # U_c [V]

    @property
    def total_current(self) -> float:
        return self.ionic_current + self.electronic_current

    @property
    def equilibrium_potential(self) -> float:
        return self.ionic.settings.reference_potential()

    def conservation_errors(self) -> dict:
        """|I_in(counter) - I_out(anode)| / max(|I_in|, |I_out|) for each carrier [-] (0 when both vanish)."""
        out = {}
        for name, into, leaving in (("ionic", self.ionic_current, self.ionic_anode_current),
                                    ("electronic", self.electronic_current, self.electronic_anode_current)):
            scale = max(abs(into), abs(leaving))
            out[name] = abs(into - leaving) / scale if scale > 0 else 0.0
        return out


def boundary_current(fields: ConductionFields, boundary: str) -> float:
    """Current [A, or A/m in 2D] leaving the electrolyte through ``boundary``: the consistent
    boundary flux of the scheme plus the GB sheet currents ending there."""
    from solver.analysis.metrics import boundary_flux  # post-processing of a ConductionFields

    t = fields.tagged
    ds = ufl.Measure("ds", domain=t.mesh, subdomain_data=t.facet_tags)(t.boundary_tag(boundary))
    flux = boundary_flux(fields, boundary)
    return integrate(flux, ds) + fields.sheet_currents.get(boundary, 0.0)


def _check_conductivities(ionic: dict, electronic: dict) -> bool:
    """True when electrons conduct (all values > 0), False when sigma_e = 0 everywhere."""
    if set(electronic) != set(ionic):
        raise CaseError("electronic.electronic_conductivity",
                        f"needed for the regions {sorted(ionic)}, got {sorted(electronic)}")
    values = np.array(list(electronic.values()), float)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise CaseError("electronic.electronic_conductivity", f"must be >= 0 S/m in every region, got {electronic}")
    if np.all(values == 0):
        return False
    if np.any(values == 0):
        zero = sorted(r for r, v in electronic.items() if v == 0)
        raise CaseError("electronic.electronic_conductivity",
                        f"zero in {zero} but not everywhere: electrons need a path (give every electrolyte region "
                        "a value > 0, or 0 everywhere for the ionic-only limit)")
    return True


class MixedConductorProblem:
    """Li+ and electrons in the electrolyte regions of ``tagged``.

    Args:
        tagged: the mesh; ionic_conductivity / electronic_conductivity: region -> [S/m]
            (the same regions; sigma_e = 0 everywhere is the ionic-only limit);
        ionic: the ionic problem's settings (kinetics, load, GB model, numerics);
        electronic: the electronic settings.
    """

    def __init__(self, tagged: TaggedMesh, ionic_conductivity: dict[str, float],
                 electronic_conductivity: dict[str, float], ionic: ConductionSettings,
                 electronic: ElectronicSettings | None = None):
        self.settings = electronic or ElectronicSettings()
        counter = self.settings.counter
        self.mode = ionic.mode
        # the external load: current density [A/m^2] (galvanostatic) or counter potential [V]
        self.default_load = ionic.applied_current_density if ionic.mode == "galvanostatic" else ionic.applied_potential
        if not counter.passes_ions:  # no Li+ crosses the counter: the ionic problem is at rest
            ionic = dataclasses.replace(ionic, mode="galvanostatic", applied_current_density=0.0)
        self.ionic_settings = ionic
        self.conducts = _check_conductivities(ionic_conductivity, electronic_conductivity)
        self.electronic_conductivity = dict(electronic_conductivity)
        if self.conducts and ionic.grain_boundary is not None and self.settings.grain_boundary is None:
            raise CaseError("electronic.grain_boundary_enhancement",
                            "the grain-boundary facets need an electronic model when electrons conduct")
        self.ionic = ConductionProblem(tagged, ionic_conductivity, ionic)
        self.tagged = self.ionic.tagged
        self.electronic = None
        if self.conducts:
            electron_settings = ConductionSettings(
                # the anode is an ohmic electron contact: phi_e = 0 (a potential-fixing "law")
                kinetics=make_kinetics("primary", exchange_current_density=1.0, temperature=ionic.kinetics.temperature),
                mode="potentiostatic" if counter.passes_electrons else "galvanostatic",
                degree=ionic.degree, anode_interface=ionic.anode_interface,
                counter_electrode=ionic.counter_electrode, linear_solver=ionic.linear_solver,
                grain_boundary=self.settings.grain_boundary)
            if self.settings.statistics.activity_exponent:
                self.electronic = self._activity_problem(electronic_conductivity, electron_settings)
            else:
                self.electronic = ConductionProblem(self.tagged, electronic_conductivity, electron_settings)
                self.electronic.sigma.name = "electronic_conductivity_S_m"
        t = self.tagged
        ds = ufl.Measure("ds", domain=t.mesh, subdomain_data=t.facet_tags)
        self.counter_area = integrate(1.0, ds(t.boundary_tag(ionic.counter_electrode)))
        self.anode_area = integrate(1.0, ds(t.boundary_tag(ionic.anode_interface)))
        self._conductance = None

    def _activity_problem(self, electronic_conductivity: dict, electron_settings: ConductionSettings):
        if self.ionic_settings.grain_boundary is not None:
            raise CaseError("electronic.statistics", f"{self.settings.statistics.name} needs continuous potentials: "
                            "not with zero-thickness grain-boundary facets (use constant)")
        sigma_ref = fem.Function(self.ionic.sigma.function_space, name="electronic_conductivity_S_m")
        for region, value in electronic_conductivity.items():
            sigma_ref.x.array[self.tagged.cells(region)] = value
        sigma_ref.x.scatter_forward()
        return ActivityElectronProblem(self.tagged, sigma_ref, self.ionic.unknown,
                                       self.ionic_settings.reference_potential(), self.settings.statistics,
                                       electron_settings, self.ionic_settings.kinetics.temperature,
                                       self.settings.counter.passes_electrons)

    def electronic_conductance_at_reference(self) -> float:
        """Small-signal G_e [S, S/m in 2D] of the activity-dependent electrons in the present state."""
        dv = 1e-3 * self.electronic.thermal_voltage
        current = -boundary_current(self.electronic.solve(dv), self.ionic_settings.counter_electrode)
        self.electronic.solve(0.0)
        return current / dv

    @property
    def linear_electrons(self) -> bool:
        return not self.settings.statistics.activity_exponent

    def _electronic_current(self, counter_potential: float) -> float:
        """I_e [A, A/m in 2D] into the electrolyte at the counter at V_c (with the current phi_i)."""
        if self.linear_electrons:
            return self.electronic_conductance() * counter_potential
        return -boundary_current(self.electronic.solve(counter_potential), self.ionic_settings.counter_electrode)

    def _counter_for_current(self, target: float) -> float:
        """V_c [V] of an ion-blocking counter carrying ``target`` [A/m^2] (secant when nonlinear)."""
        g_e, area = self.electronic_conductance(), self.counter_area
        if not g_e:
            if target:
                raise CaseError("electronic.counter", "an ion-blocking counter carries no current without electrons "
                                "(electronic conductivity 0)")
            return 0.0
        x0, x1 = 0.0, target * area / g_e
        if self.linear_electrons:
            return x1
        r0 = -target * area
        for _ in range(self.settings.max_iterations):
            r1 = self._electronic_current(x1) - target * area
            if abs(r1) <= self.settings.balance_rtol * abs(target * area):
                return x1
            if r1 == r0:
                break
            x0, r0, x1 = x1, r1, x1 - r1 * (x1 - x0) / (r1 - r0)
        raise SolverError(f"no counter potential carries {target:.4g} A/m^2 through the ion-blocking cell "
                          f"(the electronic current saturates; residual {r1:.3e} A)")

    @property
    def counter_equilibrium_potential(self) -> float:
        u = self.settings.counter_equilibrium_potential
        return self.ionic_settings.equilibrium_potential if u is None else u

    def electronic_conductance(self) -> float:
        """G_e = I_e / V_c [S, or S/m in 2D] between the anode and the counter (0: no electrons)."""
        if self._conductance is None:
            if self.electronic is None or not self.settings.counter.passes_electrons:
                self._conductance = 0.0
            elif not self.linear_electrons:  # small-signal value in the present state (a secant start)
                self._conductance = self.electronic_conductance_at_reference()
            else:
                unit = self.electronic.solve(1.0)
                self._conductance = -boundary_current(unit, self.ionic_settings.counter_electrode)
        return self._conductance

    def _counter_metal_potential(self, fields: ConductionFields, ionic_current_density: float) -> float:
        """V_c = <phi_i>_counter + U_c + eta_c(i_ion) [V] (eta_c = 0 for an ideal counter)."""
        t = fields.tagged
        ds = ufl.Measure("ds", domain=t.mesh, subdomain_data=t.facet_tags)(t.boundary_tag(fields.settings.counter_electrode))
        mean = integrate(fields.potential, ds) / self.counter_area
        law = fields.settings.counter_kinetics
        eta = law.overpotential(ionic_current_density) if law is not None else 0.0
        return mean + self.counter_equilibrium_potential + eta

    def _ionic_state(self, current_density: float) -> tuple[ConductionFields, float]:
        fields = self.ionic.solve(current_density)
        return fields, self._counter_metal_potential(fields, current_density)

    def solve(self, load: float | None = None) -> MixedConductorFields:
        """Solve at ``load``: the external current density [A/m^2] through the counter
        (galvanostatic, ionic plus electronic) or the counter potential [V] (potentiostatic)."""
        ionic = self.ionic_settings
        counter = self.settings.counter
        target = self.default_load if load is None else float(load)
        g_e = self.electronic_conductance()
        iterations = 1
        if not counter.passes_ions:
            fields_i = self.ionic.solve(0.0)
            v_c = target if self.mode == "potentiostatic" else self._counter_for_current(target)
            i_ion = 0.0
        elif self.mode == "potentiostatic":
            fields_i = self.ionic.solve(target)
            i_ion = -boundary_current(fields_i, ionic.counter_electrode) / self.counter_area
            v_c = self._counter_metal_potential(fields_i, i_ion)
        elif not g_e:  # electron-blocking counter, or no electrons: the ionic current is the applied one
            fields_i, v_c = self._ionic_state(target)
            i_ion = target
        else:
            fields_i, v_c, i_ion, iterations = self._balance(target, g_e)
        fields_e = None
        if self.electronic is not None:
            fields_e = self.electronic.solve(v_c if counter.passes_electrons else 0.0)
        return self._fields(fields_i, fields_e, v_c, i_ion, iterations)

    def _balance(self, target: float, g_e: float):
        """Secant iterations on i_ion for i_ion A_c + I_e(V_c(i_ion)) = target A_c (I_e = G_e V_c when linear)."""
        area = self.counter_area

        def residual(i):
            fields, v_c = self._ionic_state(i)
            return fields, v_c, i * area + self._electronic_current(v_c) - target * area

        x0 = target
        f0_fields, v0, r0 = residual(x0)
        # relative to the larger current, with a floor of G_e times a voltage below round-off
        # (a resting symmetric cell has I = 0 and V_c at round-off)
        scale = max(abs(target) * area, abs(g_e * v0), g_e * abs(self.counter_equilibrium_potential))
        tolerance = self.settings.balance_rtol * scale + g_e * VOLTAGE_FLOOR
        if abs(r0) <= tolerance:
            return f0_fields, v0, x0, 1
        x1 = target - g_e * v0 / area  # the fixed-point step: exact when V_c does not depend on i_ion
        for k in range(2, self.settings.max_iterations + 1):
            fields, v1, r1 = residual(x1)
            if abs(r1) <= tolerance:
                return fields, v1, x1, k
            if r1 == r0:
                break
            x0, r0, x1 = x1, r1, x1 - r1 * (x1 - x0) / (r1 - r0)
        raise SolverError(f"the current balance of the mixed conductor did not converge (residual {r1:.3e} A of "
                          f"{scale:.3e} A after {k} ionic solves)")

    def _fields(self, fields_i, fields_e, v_c, i_ion, iterations) -> MixedConductorFields:
        s = self.ionic_settings
        ionic_current = i_ion * self.counter_area
        ionic_anode = ionic_current
        if fields_i is not None:
            if s.kinetics.fixes_potential:
                ionic_anode = boundary_current(fields_i, s.anode_interface)
            else:  # the kinetics current itself: a true check of the nonlinear solve
                t = fields_i.tagged
                ds = ufl.Measure("ds", domain=t.mesh, subdomain_data=t.facet_tags)(t.boundary_tag(s.anode_interface))
                ionic_anode = integrate(-s.kinetics.current_density(fields_i.overpotential, exp=ufl.exp), ds)
        electronic_current = electronic_anode = 0.0
        if fields_e is not None:
            electronic_current = -boundary_current(fields_e, s.counter_electrode)
            electronic_anode = boundary_current(fields_e, s.anode_interface)
        return MixedConductorFields(
            fields_i, fields_e, float(v_c), float(ionic_current), float(electronic_current), self.counter_area,
            self.anode_area, float(electronic_anode), float(ionic_anode), iterations,
            self.counter_equilibrium_potential)
