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

from solver.errors import CaseError, SolverError
from solver.lifecycle import raise_if_interrupted
from solver.physics.grain_boundaries import (
    GrainBoundaryModel,
    dg_operator,
    nitsche_dirichlet,
    potential_space,
    sheet_constraints,
    sheet_end_currents,
)
from solver.physics.kinetics import KineticsLaw
from solver.geometry.driver import TaggedMesh, restrict

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

    def reference_potential(self):
        """U_ref [V] plus the stress shift where there is one (a float or a UFL expression)."""
        if self.equilibrium_shift is None:
            return self.equilibrium_potential
        return self.equilibrium_potential + self.equilibrium_shift


@dataclasses.dataclass
class ConductionFields:
    """A solved state: the potential and what is needed to post-process it."""

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
        the drop across a lumped film, see solver.physics.kinetics.FilmResistance)."""
        return -self.potential - self.settings.reference_potential()


def _attempts(log: list[tuple[float, list[float]]]) -> str:
    """'load: r0, r1, ...' for each attempt (at most 8 residuals; 'linear solve failed' if none)."""
    failed = "linear solve failed (singular or non-finite Jacobian)"
    return "; ".join(f"{load:.6g}: " + (", ".join(f"{r:.3e}" for r in history[:8]) or failed) for load, history in log)


class ConductionProblem:
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
    """

    def __init__(
        self,
        tagged: TaggedMesh,
        conductivity: dict[str, float],
        settings: ConductionSettings,
        source: Callable | None = None,
    ):
        missing = [r for r in conductivity if r not in tagged.regions]
        if missing:
            raise CaseError("materials", f"regions {missing} are not in the mesh; it has {sorted(tagged.regions)}")
        self.settings = settings
        self.tagged = restrict(tagged, list(conductivity))
        t = self.tagged
        msh = t.mesh
        self.comm = msh.comm
        t.boundary_tag(settings.anode_interface)  # early, clear error if missing
        t.boundary_tag(settings.counter_electrode)

        gb = settings.grain_boundary
        self.V = fem.functionspace(msh, ("Lagrange", settings.degree)) if gb is None else potential_space(
            msh, gb, settings.degree
        )
        Q = fem.functionspace(msh, ("DG", 0))
        self.sigma = fem.Function(Q, name="ionic_conductivity_S_m")
        for region, value in conductivity.items():
            self.sigma.x.array[t.cells(region)] = value
        self.sigma.x.scatter_forward()

        # The unknown: phi, or (phi, psi) with the GB sheet potential psi (solver.physics.grain_boundaries).
        self.unknown = fem.Function(self.V, name="potential_V")
        self.sheet = gb is not None and gb.conductance > 0
        if self.sheet:
            unknown, test = ufl.split(self.unknown), ufl.TestFunctions(self.V)
            phi, v = unknown[0], test[0]
        else:
            unknown = phi = self.unknown
            test = v = ufl.TestFunction(self.V)
        ds = ufl.Measure("ds", domain=msh, subdomain_data=t.facet_tags)
        self.ds_anode = ds(t.boundary_tag(settings.anode_interface))
        self.ds_counter = ds(t.boundary_tag(settings.counter_electrode))
        self.load = fem.Constant(msh, PETSc.ScalarType(0.0))
        kin = settings.kinetics
        eta = -phi - settings.reference_potential()
        if settings.mode not in ("galvanostatic", "potentiostatic"):
            raise CaseError("electrochemistry.mode", f"unknown mode {settings.mode!r}; allowed: galvanostatic, potentiostatic")

        weak_fluxes, self.gb_dissipation = {}, None
        if gb is None:
            F = ufl.inner(self.sigma * ufl.grad(phi), ufl.grad(v)) * ufl.dx
        else:
            F, self.gb_dissipation = dg_operator(unknown, test, self.sigma, t, gb, settings.degree)
        bcs = []
        fdim = msh.topology.dim - 1
        dirichlet = []  # (boundary, measure, value)
        if kin.fixes_potential and settings.equilibrium_shift is not None:
            raise CaseError("electrochemistry.stress_kinetics", "needs finite kinetics, not the primary distribution")
        if kin.fixes_potential:
            dirichlet.append((settings.anode_interface, self.ds_anode, -settings.equilibrium_potential))
        else:
            F -= kin.current_density(eta, exp=ufl.exp) * v * self.ds_anode
            weak_fluxes[settings.anode_interface] = -kin.current_density(eta, exp=ufl.exp)
        if settings.mode == "galvanostatic":
            F -= self.load * v * self.ds_counter
            weak_fluxes[settings.counter_electrode] = -self.load
        else:
            dirichlet.append((settings.counter_electrode, self.ds_counter, self.load))
        for boundary, measure, value in dirichlet:
            if gb is None:
                dofs = fem.locate_dofs_topological(self.V, fdim, t.facets(boundary))
                g = value if isinstance(value, fem.Constant) else PETSc.ScalarType(value)
                bcs.append(fem.dirichletbc(g, dofs, self.V))
            else:
                form, flux = nitsche_dirichlet(phi, v, self.sigma, value, measure, gb.penalty, settings.degree)
                F += form
                weak_fluxes[boundary] = flux
        self.sheet_ends = {}
        if gb is not None:
            values = [(boundary, value) for boundary, _, value in dirichlet]
            sheet_bcs, self.sheet_ends = sheet_constraints(self.V, t, gb, values)
            bcs += sheet_bcs
        # DG: fluxes as imposed by the scheme; CG: recovered from the residual (solver.analysis.metrics).
        self.weak_fluxes = weak_fluxes if gb is not None else {}
        if source is not None:
            F -= source(v, ufl.Measure("dx", domain=msh, subdomain_data=t.cell_tags), ds)
        self.residual_form = F
        self.bcs = bcs
        self._residual = fem.form(F)

        n_dofs = self.V.dofmap.index_map.size_global
        direct = settings.linear_solver == "direct" or (
            settings.linear_solver == "auto" and msh.topology.dim == 2 and n_dofs < 300_000
        )
        ksp = (
            {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
            if direct
            else ITERATIVE_SOLVER_OPTIONS
        )
        linear = settings.kinetics.is_linear
        options = {
            # a linear problem needs one linear solve, not a Newton loop that re-checks it
            "snes_type": "ksponly" if linear else "newtonls",
            **({} if linear else {"snes_linesearch_type": "bt"}),
            "snes_rtol": settings.newton_rtol,
            "snes_atol": settings.newton_atol,
            "snes_stol": settings.newton_stol,
            "snes_max_it": settings.newton_max_iterations,
            **ksp,
        }
        t0 = time.perf_counter()
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            F, self.unknown, bcs=bcs, petsc_options_prefix=f"conduction_{id(self)}_", petsc_options=options
        )
        self.problem.solver.setConvergenceHistory()
        # Every variant of the operator is symmetric (ohmic term, kinetics terms f(phi) v,
        # symmetric interior penalty and Nitsche; tests/test_solver_symmetry.py checks it):
        # telling PETSc spares GAMG the symmetrisation of its graph (1 s of 6 at 1e6 DOFs).
        _declare_symmetric(self.problem.A)
        self.compile_seconds = time.perf_counter() - t0
        self.info = {"dofs": n_dofs, "degree": settings.degree, "linear_solver": "direct (MUMPS LU)" if direct else "CG + GAMG"}

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
        linear_ok = snes.getKSP().getConvergedReason() >= 0
        ok = not failed and linear_ok and snes.getConvergedReason() > 0 and np.all(np.isfinite(self.unknown.x.array))
        ok = self.comm.allreduce(bool(ok), MPI.LAND)
        return ok, history

    def solve(self, load: float | None = None, progress=None) -> ConductionFields:
        """Solve at ``load`` (applied current density [A/m^2] or potential [V]; default: settings).

        Starts from the current state (the previous solution in a sweep). If Newton fails,
        walks to the load in smaller steps (continuation), halving a failed step.
        """
        target = self._target() if load is None else float(load)
        if not self.settings.kinetics.is_linear:  # ksponly (linear) takes no Newton tolerance
            atol = max(self.settings.newton_atol, self.settings.newton_rtol * self._cold_residual_norm(target))
            self.problem.solver.setTolerances(atol=atol)
        t0 = time.perf_counter()
        start = float(self.load.value)
        saved = self.unknown.x.array.copy()
        ok, history = self._try(target)
        iterations, steps, log = self.problem.solver.getIterationNumber(), 1, [(target, history)]
        if not ok:
            self.unknown.x.array[:] = saved
            current, step, halvings = start, (target - start) / 4, 0
            while current != target:
                trial = target if abs(target - current) <= abs(step) else current + step
                backup = self.unknown.x.array.copy()
                ok, history = self._try(trial)
                log.append((trial, history))
                steps += 1
                iterations += self.problem.solver.getIterationNumber()
                if ok:
                    current = trial
                    step *= 1.5
                    if progress:
                        progress(current, target)
                    continue
                self.unknown.x.array[:] = backup
                step /= 2
                halvings += 1
                if halvings > self.settings.max_continuation_halvings:
                    raise SolverError(
                        f"Newton failed to converge at load {trial:.6g} (reached {current:.6g} of {target:.6g} "
                        "by continuation; residual history of the first and last attempts: "
                        f"{_attempts(log[:1] + log[-2:])}). "
                        "Try a smaller applied current, linear kinetics to start, or a finer interface mesh."
                    )
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
        # with a GB sheet the potential is a copy of the phi component (a snapshot)
        potential = self.unknown.sub(0).collapse() if self.sheet else self.unknown
        potential.name = "potential_V"
        return ConductionFields(
            self.tagged,
            potential,
            self.sigma,
            self.settings,
            target,
            info,
            self.weak_fluxes,
            self.gb_dissipation,
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
