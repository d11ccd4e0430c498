"""Electronic conductivity that follows the local Li activity (Wagner; Hebb-Wagner polarisation).

In a Li+ conductor the minority electronic carriers are in local equilibrium with Li,
Li = Li+ + e-: at fixed Li+ concentration the electron concentration is proportional to
the Li activity a_Li and the hole concentration to 1/a_Li. With the Li-formation
overpotential eta_Li = phi_e - phi_i - U_ref [V] (solver.physics.electronic),
a_Li = exp(-f eta_Li), f = F/(R T), so

    sigma_e = sigma_ref * a_Li^k = sigma_ref * exp(-k f eta_Li),

with sigma_ref [S/m] the value in equilibrium with Li metal and k = 0 (``constant``),
1 (``n_type``: electrons) or -1 (``p_type``: holes). With k != 0 the electron equation
div(sigma_e grad phi_e) = 0 is nonlinear; it is solved by Newton (continuation in the
counter potential, steps of at most two thermal voltages) in the Lagrange space of phi_i
(continuous potentials only: no zero-thickness GB facets).

In the ion-blocking cell (Li | MIEC | inert electrode at V, Hebb-Wagner) phi_i is uniform and
exp(-k f phi_e) is linear in y: phi_e = -ln(1 - (1 - exp(-k f V)) y/L) / (k f), and the
current saturates, I = sigma_ref A (1 - exp(-k f V)) / (k f L).
"""

from __future__ import annotations

import math
from typing import ClassVar

import dolfinx
import dolfinx.fem.petsc
import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI
from petsc4py import PETSc

from solver.errors import CaseError, SolverError
from solver.geometry.driver import TaggedMesh
from solver.physics.conduction import ConductionFields, ConductionSettings
from solver.physics.fem_tools import form_parameter

__all__ = ["ActivityElectronProblem", "ElectronStatistics", "electron_statistics", "make_statistics"]

electron_statistics: dict[str, type[ElectronStatistics]] = {}


class ElectronStatistics:
    """sigma_e = sigma_ref a_Li^k (registered by ``name``; k = ``activity_exponent``)."""

    name: ClassVar[str] = ""
    activity_exponent: ClassVar[int] = 0
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            electron_statistics[cls.name] = cls


class ConstantConductivity(ElectronStatistics):
    name = "constant"
    description = "sigma_e independent of the Li activity (linear transport)"


class NType(ElectronStatistics):
    name = "n_type"
    activity_exponent = 1
    description = "electrons: sigma_e proportional to a_Li"


class PType(ElectronStatistics):
    name = "p_type"
    activity_exponent = -1
    description = "holes: sigma_e proportional to 1 / a_Li"


def make_statistics(name: str) -> ElectronStatistics:
    if name not in electron_statistics:
        raise CaseError("electronic.statistics", f"unknown {name!r}; allowed: {', '.join(electron_statistics)}")
    return electron_statistics[name]()


class ActivityElectronProblem:
    """phi_e with sigma_e = sigma_ref exp(-k f (phi_e - phi_i - U_ref)), phi_i given.

    phi_e = 0 on the anode and V_c on the counter when it passes electrons (else no flux).
    ``solve(V_c)`` returns a ConductionFields whose conductivity is the UFL expression of
    sigma_e, so the consistent boundary flux of solver.analysis.metrics applies.
    """

    def __init__(self, tagged: TaggedMesh, sigma_ref: fem.Function, ionic_potential: fem.Function,
                 reference_potential: float, statistics: ElectronStatistics, settings: ConductionSettings,
                 temperature: float, contact_counter: bool):
        from solver.physics.kinetics import FARADAY, GAS_CONSTANT

        self.tagged, self.settings, self.contact_counter = tagged, settings, contact_counter
        V = ionic_potential.function_space
        self.phi = fem.Function(V, name="electronic_potential_V")
        v = ufl.TestFunction(V)
        f = FARADAY / (GAS_CONSTANT * temperature)
        self.thermal_voltage = 1.0 / f
        # Constants, not numbers: a sweep over the temperature or U_ref compiles these forms once
        eta = self.phi - ionic_potential - form_parameter(reference_potential, self.phi)
        self.sigma = sigma_ref * ufl.exp(-statistics.activity_exponent * form_parameter(f, self.phi) * eta)
        F = ufl.inner(self.sigma * ufl.grad(self.phi), ufl.grad(v)) * ufl.dx
        fdim = tagged.mesh.topology.dim - 1
        self.counter_value = fem.Constant(tagged.mesh, PETSc.ScalarType(0.0))
        bcs = [fem.dirichletbc(PETSc.ScalarType(0.0),
                               fem.locate_dofs_topological(V, fdim, tagged.facets(settings.anode_interface)), V)]
        if contact_counter:
            dofs = fem.locate_dofs_topological(V, fdim, tagged.facets(settings.counter_electrode))
            bcs.append(fem.dirichletbc(self.counter_value, dofs, V))
        options = {"snes_type": "newtonls", "snes_linesearch_type": "bt", "snes_rtol": 1e-12, "snes_atol": 1e-300,
                   "snes_stol": 1e-14, "snes_max_it": 50, "ksp_type": "preonly", "pc_type": "lu",
                   "pc_factor_mat_solver_type": "mumps"}
        self.problem = dolfinx.fem.petsc.NonlinearProblem(F, self.phi, bcs=bcs, petsc_options=options,
                                                          petsc_options_prefix=f"electrons_{id(self)}_")
        self.info = {"dofs": V.dofmap.index_map.size_global, "statistics": statistics.name}

    def _try(self, value: float) -> bool:
        self.counter_value.value = value
        try:
            self.problem.solve()
            ok = self.problem.solver.getConvergedReason() > 0 and np.all(np.isfinite(self.phi.x.array))
        except PETSc.Error:
            ok = False
        return self.tagged.mesh.comm.allreduce(bool(ok), MPI.LAND)

    def solve(self, counter_potential: float) -> ConductionFields:
        """phi_e at the counter potential V_c [V], walking there from the last state."""
        start = float(self.counter_value.value)
        steps = max(1, math.ceil(abs(counter_potential - start) / (2 * self.thermal_voltage)))
        for k in range(1, steps + 1):
            value = start + (counter_potential - start) * k / steps
            saved = self.phi.x.array.copy()
            if not self._try(value):
                self.phi.x.array[:] = saved
                raise SolverError(f"the electron equation did not converge at a counter potential of {value:.4g} V "
                                  "(activity-dependent conductivity); try constant statistics")
        self.phi.x.scatter_forward()
        load = counter_potential if self.contact_counter else 0.0  # the no-flux counter carries no current
        return ConductionFields(self.tagged, self.phi, self.sigma, self.settings, load, dict(self.info))
