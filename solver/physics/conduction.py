"""Steady ionic conduction in the electrolyte with charge-transfer kinetics at the anode.

In every ionic region (conductivity sigma [S/m], piecewise constant by region)

    div(sigma grad phi) = 0,        i = -sigma grad phi  [A/m^2],

with phi [V] the electrolyte potential against the Li anode (phi_s = 0). Boundaries:

- ``anode_interface``: the kinetics law, sigma grad phi . n = i_ct(eta), eta = -phi - U_ref,
  or phi = -U_ref for the primary distribution (n points out of the electrolyte);
- ``contact_voids``, ``sides`` and any other boundary: insulating;
- ``counter_electrode``: galvanostatic, sigma grad phi . n = i_app (the applied current
  density enters here; i_app > 0 plates Li on the anode), or potentiostatic, phi = V_app.

Weak form: find phi with
    (sigma grad phi, grad v) - <i_ct(-phi - U), v>_anode - <i_app, v>_counter = 0.
The problem is solved by Newton (PETSc SNES, backtracking line search) with continuation
in the applied load when a full step fails. Forms are compiled once: the applied current
or potential is a ``Constant`` so that sweeps reuse them.

Structure: the boundary conditions are objects of :mod:`solver.physics.boundary_conditions`
(charge transfer, applied current, applied potential; insulating elsewhere) and the
discretisation one of :mod:`solver.physics.conduction_schemes` (Lagrange, or SIPG with
lumped GBs). PETSc options prefix ``dendrite_conduction_`` (see
:mod:`solver.physics.petsc_options`). ``solve()`` returns a snapshot that later solves
leave unchanged; ``close()`` (or ``with``) releases the PETSc objects collectively.

Options: ``grain_boundary`` (a :class:`~solver.physics.grain_boundaries.GrainBoundaryModel`)
switches to a discontinuous (SIPG) space with lumped zero-thickness GBs (Dirichlet data
then imposed by Nitsche); ``counter_kinetics`` gives the counter electrode its own law
for the cell voltage (see :mod:`solver.analysis.metrics`); ``source`` (verification only) adds
manufactured volume/boundary sources.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from typing import Callable

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx
import dolfinx.fem.petsc
from dolfinx import fem

from solver.errors import SettingError, SolverError
from solver.lifecycle import raise_if_interrupted
from solver.geometry.driver import TaggedMesh, restrict
from solver.physics.boundary_conditions import counter_condition, interface_condition
from solver.physics.conduction_schemes import make_scheme
from solver.physics.dg_preconditioner import TWO_LEVEL_OPTIONS, use_grain_wise_coarse_space
from solver.physics.split_jacobian import SplitJacobian
from solver.physics.fem_tools import form_constant, form_parameter
from solver.physics.grain_boundaries import GrainBoundaryModel, sheet_end_currents
from solver.physics.kinetics import KineticsLaw
from solver.physics.petsc_options import CONDUCTION_PREFIX, PetscResources, configure_solver, user_has_option

__all__ = ["ConductionSettings", "ConductionProblem", "ConductionFields"]


# CG + GAMG for 3D and large 2D problems. Measured in bench/solver_options.md: the strength
# threshold 0.02 keeps iteration counts flat at a conductivity contrast of 1e3 (0.01 and 0.1
# do not), aggressive coarsening halves the GAMG set-up that dominates at 1e6 DOFs.
ITERATIVE_SOLVER_OPTIONS = {
    "ksp_type": "cg",
    "ksp_rtol": 1e-10,
    "pc_type": "gamg",
    "pc_gamg_threshold": 0.02,
    "pc_gamg_aggressive_coarsening": 2,
    "pc_gamg_coarse_eq_limit": 1000,
    "pc_gamg_reuse_interpolation": True,
}

@dataclasses.dataclass
class ConductionSettings:
    """Operating conditions and numerics (SI units).

    applied_current_density [A/m^2] (galvanostatic; > 0 plates Li on the anode);
    applied_potential [V] (potentiostatic: phi at the counter boundary vs the anode);
    equilibrium_potential U_ref [V]; degree of the Lagrange elements.
    counter_kinetics: the law of the counter electrode (e.g. Li in a symmetric Li | SE | Li
    cell), used for the cell voltage; None = ideal non-polarisable counter.
    grain_boundary: lumped zero-thickness GBs on interior facets (DG formulation).
    """

    kinetics: KineticsLaw
    mode: str = "galvanostatic"
    applied_current_density: float = 0.0
    applied_potential: float = 0.0
    equilibrium_potential: float = 0.0
    degree: int = 1
    anode_interface: str = "anode_interface"
    counter_electrode: str = "counter_electrode"
    linear_solver: str = "auto"  # auto | direct | iterative
    # Newton: rtol relative to the initial residual and, times the cold-start residual
    # norm, absolute; stol: converged when the step is this small relative to phi
    # (the round-off floor); atol: absolute floor [residual units: A, or A/m in 2D].
    newton_rtol: float = 1e-10
    newton_atol: float = 1e-30
    newton_stol: float = 1e-11
    newton_max_iterations: int = 50
    max_continuation_halvings: int = 12
    counter_kinetics: KineticsLaw | None = None
    grain_boundary: GrainBoundaryModel | None = None
    # Stress-affected kinetics (Monroe and Newman 2005): Li under hydrostatic pressure p_h
    # has its equilibrium potential lowered by V_m p_h / F, so eta = -phi - U_ref - dU with
    # dU = -V_m p_h / F [V]; a Function on the conduction mesh (see solver.studies.run).
    equilibrium_shift: object = None
    # PETSc: the options prefix of the solver and options (names without prefix) merged over
    # the tuned defaults; the options database (command line, PETSC_OPTIONS) wins over both.
    options_prefix: str = CONDUCTION_PREFIX
    petsc_options: dict = dataclasses.field(default_factory=dict)

    def reference_potential(self):
        """U_ref [V] plus the stress shift where there is one (a float or a UFL expression)."""
        if self.equilibrium_shift is None:
            return self.equilibrium_potential
        return self.equilibrium_potential + self.equilibrium_shift


@dataclasses.dataclass
class ConductionFields:
    """A solved state: the potential and what is needed to post-process it.

    A snapshot: it owns a copy of the solution (and of the load in its UFL expressions),
    so later solves of the problem do not change it.
    """

    tagged: TaggedMesh
    potential: fem.Function  # V
    conductivity: fem.Function  # S/m, DG0
    settings: ConductionSettings
    load: float  # applied current density [A/m^2] or potential [V], as solved
    solver_info: dict
    # boundary name -> UFL current density leaving the electrolyte [A/m^2], where the
    # discrete scheme imposes it weakly (DG); the CG scheme uses the residual instead.
    weak_fluxes: dict = dataclasses.field(default_factory=dict)
    grain_boundary_dissipation: object = None  # UFL form [W, or W/m in 2D] (DG only)
    # boundary name -> current [A, or A/m in 2D] leaving through it along GB sheets (the
    # lumped layer's end: a point/line contribution not in the boundary flux density)
    sheet_currents: dict = dataclasses.field(default_factory=dict)

    @property
    def current_density(self):
        """UFL expression of the current density vector i = -sigma grad phi [A/m^2]."""
        return -self.conductivity * ufl.grad(self.potential)

    @property
    def overpotential(self):
        """UFL expression of the interface overpotential eta = -phi - U_ref [V] (charge transfer plus
        the drop across a lumped film, see solver.physics.kinetics.FilmResistance); U_ref as a Constant."""
        return -self.potential - form_parameter(self.settings.reference_potential(), self.potential)


def _ionic_mesh(tagged: TaggedMesh, conductivity: dict[str, float], settings: ConductionSettings):
    """The sub-mesh of the ionic regions (errors name the settings when regions or boundaries are missing)."""
    missing = [r for r in conductivity if r not in tagged.regions]
    if missing:
        known = sorted(tagged.regions)
        raise SettingError("conductivity", f"regions {missing} are not in the mesh; it has {known}")
    ionic = restrict(tagged, list(conductivity))
    ionic.boundary_tag(settings.anode_interface)  # early, clear error if missing
    ionic.boundary_tag(settings.counter_electrode)
    return ionic


def _default_options(settings: ConductionSettings, direct: bool, discontinuous: bool = False) -> dict:
    """The tuned PETSc options (without prefix): Newton, or one linear solve for linear kinetics.

    Iterative: CG + GAMG for Lagrange elements, CG + the two-level DG preconditioner
    (solver.physics.dg_preconditioner) for the interior-penalty scheme.
    """
    if direct:
        ksp = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    else:
        ksp = TWO_LEVEL_OPTIONS if discontinuous else ITERATIVE_SOLVER_OPTIONS
    linear = settings.kinetics.is_linear
    # Newton with GAMG: the preconditioner built from the first Jacobian of a solve serves its
    # later steps (the kinetics change only the interface rows; Krylov counts stay the same,
    # measured in bench/README.md), so it is built once per solve (lag > max iterations).
    lag = {} if linear or direct else {"snes_lag_preconditioner": settings.newton_max_iterations + 1}
    # Inexact Newton (Eisenstat-Walker): a Krylov tolerance that follows the Newton residual's
    # decrease, between 1e-3 and 1e-2 of it, instead of 1e-10 at every step; the Newton
    # tolerance is unchanged. Measured on cases/polycrystal_3d_rough_voxel.yaml (1e5 DOFs):
    # from the uniform-current start BV converges in 3 steps, and its Krylov iterations fall
    # from 2.6x to 2.1x those of the linear-kinetics solve on the same mesh (at 20 mA/cm^2:
    # 9 Newton steps from phi = 0 without either, 3 with both). Not for ksponly, whose one
    # solve must be exact.
    inexact = {} if linear or direct else {"snes_ksp_ew": True, "snes_ksp_ew_rtol0": 1e-3,
                                            "snes_ksp_ew_rtolmax": 1e-2}
    return {
        # a linear problem needs one linear solve, not a Newton loop that re-checks it
        "snes_type": "ksponly" if linear else "newtonls",
        **({} if linear else {"snes_linesearch_type": "bt"}),
        **lag,
        **inexact,
        "snes_rtol": settings.newton_rtol,
        "snes_atol": settings.newton_atol,
        "snes_stol": settings.newton_stol,
        "snes_max_it": settings.newton_max_iterations,
        **ksp,
    }


def _attempts(log: list) -> str:
    """'load: r0, r1, ...' for each attempt (at most 8 residuals; the linear solver's failure if it failed)."""
    def one(load, history, linear):
        text = ", ".join(f"{r:.3e}" for r in history[:8])
        if linear < 0:
            text += ("; " if text else "") + f"linear solve failed ({_KSP_REASONS.get(linear, linear)})"
        return f"{load:.6g}: {text}"

    return "; ".join(one(*attempt) for attempt in log)


_KSP_REASONS = {v: k for k, v in vars(PETSc.KSP.ConvergedReason).items() if isinstance(v, int)}


def _failure_advice(log: list) -> str:
    """What to try, from what failed: the linear solver (every attempt), or Newton itself."""
    if all(linear < 0 for _, _, linear in log):
        return (
            "The linear solver failed at every load, so a smaller current will not help: "
            "try solver.linear_solver: direct, or other solver.petsc_options (docs/petsc_options.md)."
        )
    return "Try a smaller applied current, linear kinetics to start, or a finer interface mesh."


class ConductionProblem(PetscResources):
    """Ionic conduction on the regions that have a conductivity.

    Args:
        tagged: the mesh with named regions and boundaries.
        conductivity: region name -> ionic conductivity [S/m]. Regions left out (Li metal,
            skeleton particles) are not ionic and are cut away (sub-mesh).
        settings: operating conditions and numerics.
        source: verification hook, ``source(v, dx, ds) -> UFL form`` added to the right-hand
            side: int f v dx + <g, v>_boundaries for a volume source f [A/m^3] and extra
            boundary current densities g [A/m^2] into the electrolyte (dx, ds carry the
            region and boundary tags).

    Built in steps: function spaces, coefficients, boundary conditions, forms, solver.
    Holds PETSc objects: call :meth:`close` (collective) or use it as a context manager.
    """

    def __init__(
        self,
        tagged: TaggedMesh,
        conductivity: dict[str, float],
        settings: ConductionSettings,
        source: Callable | None = None,
    ):
        self.settings = settings
        self.tagged = _ionic_mesh(tagged, conductivity, settings)
        self.comm = self.tagged.mesh.comm
        self.scheme = make_scheme(settings.degree, settings.grain_boundary)
        self.sheet = self.scheme.has_sheet
        self._define_function_spaces()
        self._define_coefficients(conductivity)
        self._define_boundary_conditions()
        self._define_forms(source)
        self._define_solver()

    # --- set-up steps --------------------------------------------------------------------
    def _define_function_spaces(self) -> None:
        """V for the unknown: phi, or (phi, psi) with the GB sheet potential psi."""
        self.V = self.scheme.space(self.tagged.mesh)
        self.unknown = fem.Function(self.V, name="potential_V")

    def _define_coefficients(self, conductivity: dict[str, float]) -> None:
        """sigma [S/m] (DG0, by region) and the applied load (a Constant: sweeps reuse the forms)."""
        msh = self.tagged.mesh
        self.sigma = fem.Function(fem.functionspace(msh, ("DG", 0)), name="ionic_conductivity_S_m")
        for region, value in conductivity.items():
            self.sigma.x.array[self.tagged.cells(region)] = value
        self.sigma.x.scatter_forward()
        self.load = form_constant(msh, 0.0)

    def _define_boundary_conditions(self) -> None:
        """Boundary name -> condition; boundaries not listed are insulating."""
        s = self.settings
        self.conditions = {
            s.anode_interface: interface_condition(s.kinetics, s.equilibrium_potential, s.equilibrium_shift),
            s.counter_electrode: counter_condition(s.mode, self.load),
        }

    def _define_forms(self, source: Callable | None) -> None:
        """The residual F(phi; v), strong conditions and the weak fluxes of the scheme."""
        t, msh = self.tagged, self.tagged.mesh
        phi, v, unknowns, tests = self.scheme.split(self.unknown, self.V)
        F, self.gb_dissipation = self.scheme.bulk(unknowns, tests, self.sigma, t)
        ds = ufl.Measure("ds", domain=msh, subdomain_data=t.facet_tags)
        weak_fluxes, dirichlet = {}, []
        self._varying_residual, self._nonlinear = 0, False  # the terms nonlinear in phi (kinetics)
        for boundary, condition in self.conditions.items():
            measure = ds(t.boundary_tag(boundary))
            terms = condition.terms(phi, v, measure)
            F += terms.residual
            law = getattr(condition, "law", None)
            if law is not None and not law.is_linear:
                self._varying_residual, self._nonlinear = self._varying_residual + terms.residual, True
            if terms.weak_flux is not None:
                weak_fluxes[boundary] = terms.weak_flux
            if terms.dirichlet is not None:
                dirichlet.append((boundary, measure, terms.dirichlet))
        imposed = self.scheme.impose(self.V, t, phi, v, self.sigma, dirichlet)
        F += imposed.form
        weak_fluxes.update(imposed.weak_fluxes)
        self.weak_fluxes = weak_fluxes if self.scheme.keeps_weak_fluxes else {}
        self.sheet_ends = imposed.sheet_ends
        if source is not None:
            F -= source(v, ufl.Measure("dx", domain=msh, subdomain_data=t.cell_tags), ds)
        self.residual_form, self.bcs = F, imposed.bcs
        self._residual = fem.form(F)

    def _define_solver(self) -> None:
        """Newton (SNES) under the prefix ``settings.options_prefix``; see solver.physics.petsc_options."""
        s = self.settings
        n_dofs = self.V.dofmap.index_map.size_global
        direct = s.linear_solver == "direct" or (
            s.linear_solver == "auto" and self.tagged.mesh.topology.dim == 2 and n_dofs < 300_000
        )
        t0 = time.perf_counter()
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            self.residual_form, self.unknown, bcs=self.bcs, petsc_options_prefix=s.options_prefix
        )
        discontinuous = self.scheme.keeps_weak_fluxes  # the interior-penalty (DG) scheme
        defaults = _default_options(s, direct, discontinuous)
        self.petsc_options = configure_solver(self.problem.solver, defaults, s.petsc_options)
        # as configured (the user's, if given); _start sets them per solve
        self._newton_rtol, self._inexact = self.problem.solver.getTolerances()[0], self.problem.solver.getUseEW()
        self._coarse_space = None
        if not direct and discontinuous and self.problem.solver.getKSP().getPC().getType() == "mg":
            self._coarse_space = use_grain_wise_coarse_space(self.problem.solver.getKSP(), self.V, self._strong_rows(),
                                                             self.scheme.joining_facets(self.tagged),
                                                             self.petsc_options)
        self._split = None
        if self._nonlinear:
            fixed = self.residual_form - self._varying_residual
            self._split = SplitJacobian(fixed, self._varying_residual, self.unknown, self.bcs)
            self.problem.solver.setJacobian(self._split, self.problem.A, self.problem.P_mat)
        self.problem.solver.setConvergenceHistory()
        if not s.kinetics.is_linear and not user_has_option(s.options_prefix, "snes_atol", s.petsc_options):
            self.problem.solver.setMonitor(self._raise_atol_to_round_off)
        # Every variant of the operator is symmetric (ohmic term, kinetics terms f(phi) v,
        # symmetric interior penalty and Nitsche; tests/verification/test_solver_symmetry.py checks it):
        # telling PETSc spares GAMG the symmetrisation of its graph (1 s of 6 at 1e6 DOFs).
        _declare_symmetric(self.problem.A)
        self.compile_seconds = time.perf_counter() - t0
        self.info = {
            "dofs": n_dofs,
            "degree": s.degree,
            "linear_solver": "direct (MUMPS LU)" if direct else self._iterative_name(),
            "options_prefix": s.options_prefix,
        }

    def _iterative_name(self) -> str:
        if self._coarse_space is not None:
            return "CG + two-level DG (grain-wise continuous P1 coarse space, GAMG)"
        return "CG + GAMG"

    def _strong_rows(self) -> np.ndarray:
        """Owned local rows of the strong (Dirichlet) conditions."""
        rows = [bc.dof_indices()[0][: bc.dof_indices()[1]] for bc in self.bcs]
        return np.concatenate(rows).astype(np.int32) if rows else np.zeros(0, np.int32)

    def _petsc_objects(self):
        problem = self.__dict__.get("problem")
        split = self.__dict__.get("_split")
        coarse = (self.__dict__.get("_coarse_space"), None if split is None else split.base)
        return coarse if problem is None else (problem.solver, problem.A, problem.P_mat, problem.b, problem.x) + coarse

    def _target(self) -> float:
        s = self.settings
        return s.applied_current_density if s.mode == "galvanostatic" else s.applied_potential

    def _cold_residual_norm(self, load: float) -> float:
        """||F|| at phi = 0 (Dirichlet values applied) and the given load: the residual scale.

        Newton's absolute tolerance is newton_rtol times this, so that a warm start (a
        sweep or a continuation step, with a tiny initial residual) is not asked to go
        below round-off, and tiny cells/currents are not declared converged too early.
        """
        saved, saved_load = self.unknown.x.array.copy(), float(self.load.value)
        self.load.value = load
        self.unknown.x.array[:] = 0.0
        for bc in self.bcs:
            bc.set(self.unknown.x.array)
        self.unknown.x.scatter_forward()
        vector = dolfinx.fem.petsc.assemble_vector(self._residual)
        vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        norm = vector.norm()
        vector.destroy()
        self.unknown.x.array[:] = saved
        self.load.value = saved_load
        return norm

    def _try(self, load: float) -> tuple[bool, list[float]]:
        self.load.value = load
        snes = self.problem.solver
        snes.setConvergenceHistory()  # reset
        try:
            with _gamg_product_algorithms(self.comm, snes.getOptionsPrefix()):
                self.problem.solve()
            failed = False
        except PETSc.Error:  # e.g. a factorisation of a matrix with inf/nan entries (exp overflow)
            raise_if_interrupted()  # Ctrl-C inside a callback reaches here as a PETSc error
            failed = True
        history = [float(r) for r in snes.getConvergenceHistory()[0]]
        # a linear solve that stopped short (KSP diverged) must not pass as a converged step
        linear = snes.getKSP().getConvergedReason()
        converged = snes.getConvergedReason() > 0 or self._at_round_off(history)
        ok = not failed and linear >= 0 and converged and np.all(np.isfinite(self.unknown.x.array))
        ok = self.comm.allreduce(bool(ok), MPI.LAND)
        return ok, history, int(linear)

    def _round_off(self) -> float:
        """The residual's round-off level: 4 eps ||diag(J) x||_2 [residual units], rows of
        the strong (Dirichlet) conditions left out.

        Assembling F = J x - b sums terms of size |J_ij x_j| (about |J_ii x_i| each, a few
        dozen per row); double precision cannot resolve a residual below about eps times
        them. Estimated from the last assembled Jacobian; 0 before there is one.
        """
        A = self.problem.A
        if not A.isAssembled():
            return 0.0
        if not hasattr(self, "_strong"):
            self._strong = self._strong_rows()
        terms = A.getDiagonal()
        terms.pointwiseMult(terms, self.problem.solver.getSolution())
        terms.array[self._strong] = 0.0
        level = 4 * np.finfo(float).eps * terms.norm()
        terms.destroy()
        return level

    def _raise_atol_to_round_off(self, snes, iteration: int, residual: float) -> None:
        """SNES monitor (it runs before the convergence test): Newton's absolute tolerance is
        at least the round-off level, so that a residual already there (a warm start, or
        the last quadratic step) is converged instead of sent through steps that cannot
        reduce it and a line search that then fails."""
        floor = self._round_off()
        if floor > snes.getTolerances()[1]:
            snes.setTolerances(atol=floor)

    def _at_round_off(self, history: list[float]) -> bool:
        """Converged to round-off: Newton stopped with the residual at the round-off level."""
        return bool(history) and history[-1] <= self._round_off()

    def solve(self, load: float | None = None, progress=None) -> ConductionFields:
        """Solve at ``load`` (applied current density [A/m^2] or potential [V]; default: settings).

        Starts from the current state (the previous solution in a sweep). If Newton fails,
        walks to the load in smaller steps (continuation), halving a failed step. Returns
        an independent snapshot: later solves do not change it.
        """
        if self.closed:
            raise RuntimeError("ConductionProblem.solve after close(): its PETSc objects are released")
        target = self._target() if load is None else float(load)
        if self._split is not None:
            self._split.refresh()  # the bulk operator once per solve (conductivities may have changed)
        t0 = time.perf_counter()
        cold = None if self.settings.kinetics.is_linear else self._cold_residual_norm(target)
        self._set_absolute_tolerance(cold)
        start = float(self.load.value)
        saved = self.unknown.x.array.copy()
        self._start(target, cold)
        ok, history, linear = self._try(target)
        log = [(target, history, linear)]
        iterations, steps = self.problem.solver.getIterationNumber(), 1
        if not ok:
            self.unknown.x.array[:] = saved
            self.problem.solver.setTolerances(rtol=self._newton_rtol)
            self.problem.solver.setUseEW(False)  # continuation: exact linear steps
            more_iterations, more_steps = self._continuation(start, target, log, progress)
            iterations, steps = iterations + more_iterations, steps + more_steps
        self.unknown.x.scatter_forward()
        info = dict(
            self.info,
            newton_iterations=int(iterations),
            load_steps=steps,
            solve_seconds=time.perf_counter() - t0,
            compile_seconds=self.compile_seconds,
            final_residual=log[-1][1][-1] if log[-1][1] else None,
            converged=True,  # every path that gets here converged; a failure raised SolverError
        )
        return self._snapshot(target, info)

    def _start(self, target: float, cold: float | None) -> None:
        """Where Newton starts, and the Newton settings that go with it.

        A warm start (a sweep, a continuation, any state other than phi = 0) is kept and
        solved with exact linear steps: near convergence an inexact step cannot reduce a
        residual that is already small. A cold start is solved inexactly (Eisenstat-Walker,
        if configured) and, for non-linear kinetics under an applied current, begins at the
        uniform-current state: phi = -U_ref - eta(j) with j the current through the counter
        spread over the whole anode interface and eta(j) the law's inverse. Newton's first
        step then solves the ohmic part at the right overpotential, not at eta = 0 where an
        exponential law is far from its slope.
        """
        s, snes = self.settings, self.problem.solver
        snes.setTolerances(rtol=self._newton_rtol)
        snes.setUseEW(False)
        if cold is None or self.comm.allreduce(bool(np.any(self.unknown.x.array != 0.0)), MPI.LOR):
            return
        snes.setUseEW(self._inexact)
        if s.mode != "galvanostatic" or target == 0.0:
            return
        areas = [self._area(b) for b in (s.counter_electrode, s.anode_interface)]
        j = -target * areas[0] / areas[1]  # i_ct < 0 plates Li for target > 0
        try:
            eta = s.kinetics.overpotential(j)
        except SolverError:
            return  # no uniform state (a current the law cannot carry): Newton finds out from phi = 0
        # phi and the GB sheet potential alike; the sheet's constrained dofs take their values
        self.unknown.x.array[:] = -s.equilibrium_potential - eta
        for bc in self.bcs:
            bc.set(self.unknown.x.array)
        self.unknown.x.scatter_forward()
        if not user_has_option(s.options_prefix, "snes_atol", s.petsc_options):
            # Newton's rtol is relative to the first residual, which the start changes: the
            # absolute tolerance (newton_rtol times the cold residual) alone decides
            snes.setTolerances(rtol=0.0)

    def _area(self, boundary: str) -> float:
        """Area [m^2] (length in 2D) of a boundary."""
        ds = ufl.Measure("ds", domain=self.tagged.mesh, subdomain_data=self.tagged.facet_tags)
        one = fem.form(form_constant(self.tagged.mesh, 1.0) * ds(self.tagged.boundary_tag(boundary)))
        return self.comm.allreduce(fem.assemble_scalar(one), MPI.SUM)

    def _set_absolute_tolerance(self, cold: float | None) -> None:
        """Newton's atol: newton_rtol times the cold-start residual ``cold`` (unless the user chose one)."""
        s = self.settings
        if cold is None or user_has_option(s.options_prefix, "snes_atol", s.petsc_options):
            return  # ksponly (linear) takes no Newton tolerance
        atol = max(s.newton_atol, s.newton_rtol * cold)
        self.problem.solver.setTolerances(atol=atol)

    def _continuation(self, start: float, target: float, log: list, progress) -> tuple[int, int]:
        """Walk from ``start`` to ``target``, growing a step that succeeds and halving one that
        fails; returns (Newton iterations, load steps). ``log`` collects every attempt."""
        current, step, halvings, iterations, steps = start, (target - start) / 4, 0, 0, 0
        while current != target:
            trial = target if abs(target - current) <= abs(step) else current + step
            backup = self.unknown.x.array.copy()
            ok, history, linear = self._try(trial)
            log.append((trial, history, linear))
            steps += 1
            iterations += self.problem.solver.getIterationNumber()
            if ok:
                current, step = trial, step * 1.5
                if progress:
                    progress(current, target)
                continue
            self.unknown.x.array[:] = backup
            step, halvings = step / 2, halvings + 1
            if halvings > self.settings.max_continuation_halvings:
                raise SolverError(
                    f"Newton failed to converge at load {trial:.6g} (reached {current:.6g} of {target:.6g} "
                    "by continuation; residual history of the first and last attempts: "
                    f"{_attempts(log[:1] + log[-2:])}). " + _failure_advice(log)
                )
        return iterations, steps

    def _snapshot(self, target: float, info: dict) -> ConductionFields:
        """The solved state as fields that own their data (a copy of the unknown and of the load)."""
        state = fem.Function(self.V, name="potential_V")
        state.x.array[:] = self.unknown.x.array
        load = form_constant(self.tagged.mesh, target)
        # the weak fluxes and the dissipation are UFL in the unknown and the load: re-bind them
        frozen = {self.unknown: state, self.load: load}
        potential = state.sub(0).collapse() if self.sheet else state
        potential.name = "potential_V"
        return ConductionFields(
            self.tagged,
            potential,
            self.sigma,
            self.settings,
            target,
            info,
            {name: ufl.replace(flux, frozen) for name, flux in self.weak_fluxes.items()},
            None if self.gb_dissipation is None else ufl.replace(self.gb_dissipation, frozen),
            sheet_end_currents(self._residual, self.sheet_ends, self.comm),
        )


@contextlib.contextmanager
def _gamg_product_algorithms(comm: MPI.Comm, prefix: str):
    """The fastest sparse-product algorithms for the GAMG set-up, for the duration of a solve.

    Measured at 1e6 DOFs (bench/solver_options.md section 5): on one process the Galerkin
    products P^T A P with ``rap`` (set-up 9.2 -> 6.4 s, +5 % peak memory); on several, the
    graph squaring of the two aggressive-coarsening levels as an explicit transpose and a
    product, ``at*b`` (-0.8 s of 5.5 on 2 ranks; the MPI Galerkin products are fastest as
    they are). PETSc reads these only when GAMG builds its levels, the Galerkin choice
    only from the global options database, and a level that is never built would leave
    an unused option behind (PETSc warns at exit): so they are set here and removed
    afterwards. Options the user set win.
    """
    if comm.size == 1:
        wanted = {"matptap_via": "rap"}
    else:
        wanted = {f"{prefix}pc_gamg_square_{level}_mat_product_algorithm": "at*b" for level in range(2)}
    options = PETSc.Options()
    ours = [name for name in wanted if not options.hasName(name)]
    for name in ours:
        options[name] = wanted[name]
    try:
        yield
    finally:
        for name in ours:
            options.delValue(name)


def _declare_symmetric(matrix: PETSc.Mat) -> None:
    """Mark a matrix symmetric for good (through re-assembly): PETSc does not check it."""
    matrix.setOption(PETSc.Mat.Option.SYMMETRIC, True)
    matrix.setOption(PETSc.Mat.Option.SYMMETRY_ETERNAL, True)
