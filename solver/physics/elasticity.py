"""Linear elasticity: 2D plane strain or 3D, piecewise material per named region.

Equilibrium without inertia, small strain, isotropic Hooke's law (SI units):

    -div stress(u) = f              in the body            (f: body force [N/m^3])
    stress(u) = lam tr(eps) I + 2 mu eps,   eps = sym(grad u)        [Pa]
    lam = E nu / ((1 + nu)(1 - 2 nu)),  mu = E / (2 (1 + nu))        [Pa]
    stress(u) n = -p n              on pressure boundaries  (p > 0 pushes on the face) [Pa]
    stress(u) n = t                 on traction boundaries  [Pa]
    u = g (all or some components)  on constrained boundaries / points [m]

In 2D the state is plane strain (eps_zz = 0), so the out-of-plane stress is
stress_zz = nu (stress_xx + stress_yy); it enters the von Mises stress and the
hydrostatic pressure p_h = -tr(stress_3D) / 3 [Pa].

Weak form: find u in V (vector Lagrange P1/P2) with u = g on the constraints, and

    int stress(u) : eps(v) dx = int f . v dx + sum_b int (t_b - p_b n) . v ds_b   for all v.

Solvers: MUMPS LU by default for 2D problems (robust, small), CG + GAMG with the
rigid-body near-nullspace otherwise; ``solver="lu" | "cg_gamg"`` overrides. PETSc
options prefix ``dendrite_elasticity_`` (see :mod:`solver.physics.petsc_options`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Mapping, Sequence, Union

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx
import dolfinx.fem.petsc
from dolfinx import fem

from solver.errors import SettingError, SolverError
from solver.geometry.driver import TaggedMesh
from solver.physics.petsc_options import ELASTICITY_PREFIX, PetscResources, configure_solver
from solver.physics.fem_tools import assemble_scalar

__all__ = [
    "ElasticityProblem",
    "ElasticFields",
    "lame_parameters",
    "plane_strain_modulus",
    "rigid_body_modes",
]

# A constraint value: "fixed" (u = 0), "roller"/"symmetry" (u.n = 0 on an axis-aligned
# boundary), a constant vector with None for free components, or a callable x -> u(x)
# (shape (gdim, npoints)) prescribing all components.
ConstraintValue = Union[str, Sequence[float | None], Callable]


def lame_parameters(youngs_modulus, poissons_ratio):
    """Lame's first parameter lam and shear modulus mu [Pa] from E [Pa] and nu [-]."""
    lam = youngs_modulus * poissons_ratio / ((1 + poissons_ratio) * (1 - 2 * poissons_ratio))
    mu = youngs_modulus / (2 * (1 + poissons_ratio))
    return lam, mu


def plane_strain_modulus(youngs_modulus: float, poissons_ratio: float) -> float:
    """E' = E / (1 - nu^2) [Pa], the plane-strain modulus."""
    return youngs_modulus / (1 - poissons_ratio**2)


def rigid_body_modes(V: fem.FunctionSpace) -> PETSc.NullSpace:
    """Orthonormalised rigid-body modes of a vector space (3 in 2D, 6 in 3D), for GAMG."""
    msh = V.mesh
    gdim = msh.geometry.dim
    n_modes = 3 if gdim == 2 else 6
    index_map, bs = V.dofmap.index_map, V.dofmap.index_map_bs
    n_nodes = index_map.size_local + index_map.num_ghosts
    basis = [dolfinx.la.vector(index_map, bs=bs, dtype=PETSc.ScalarType) for _ in range(n_modes)]
    x = V.tabulate_dof_coordinates()[:n_nodes]
    nodes = np.arange(n_nodes)
    arrays = [b.array for b in basis]
    for i in range(gdim):
        arrays[i][bs * nodes + i] = 1.0
    if gdim == 2:  # rotation about z: u = (-y, x)
        arrays[2][bs * nodes + 0] = -x[:, 1]
        arrays[2][bs * nodes + 1] = x[:, 0]
    else:
        arrays[3][bs * nodes + 0] = -x[:, 1]
        arrays[3][bs * nodes + 1] = x[:, 0]
        arrays[4][bs * nodes + 0] = x[:, 2]
        arrays[4][bs * nodes + 2] = -x[:, 0]
        arrays[5][bs * nodes + 2] = x[:, 1]
        arrays[5][bs * nodes + 1] = -x[:, 2]
    for b in basis:
        b.scatter_forward()
    dolfinx.la.orthonormalize(basis)
    vectors = [b.petsc_vec for b in basis]
    return PETSc.NullSpace().create(vectors=vectors, comm=msh.comm)


@dataclasses.dataclass
class ElasticFields:
    """The solution of an :class:`ElasticityProblem` and the helpers built on it.

    Attributes:
        displacement: u [m] (vector Lagrange).
        youngs_modulus, poissons_ratio: DG0 fields E [Pa], nu [-].
        problem: the problem that produced it (mesh, loads, measures).
        solve_seconds, iterations: solver statistics.
    """

    displacement: fem.Function
    youngs_modulus: fem.Function
    poissons_ratio: fem.Function
    problem: "ElasticityProblem"
    solve_seconds: float = 0.0
    iterations: int = 0

    @property
    def gdim(self) -> int:
        return self.displacement.function_space.mesh.geometry.dim

    # --- ufl expressions -------------------------------------------------------------
    def strain(self, u=None):
        """eps = sym(grad u) [-] (in-plane part in 2D)."""
        return ufl.sym(ufl.grad(self.displacement if u is None else u))

    def stress(self, u=None):
        """Cauchy stress [Pa] (gdim x gdim; in 2D the in-plane components)."""
        return self.problem.stress_of(self.displacement if u is None else u)

    def out_of_plane_stress(self):
        """stress_zz = nu (stress_xx + stress_yy) [Pa] in plane strain (2D only)."""
        s = self.stress()
        return self.poissons_ratio * (s[0, 0] + s[1, 1])

    def hydrostatic_pressure(self):
        """p_h = -tr(stress_3D) / 3 [Pa] (positive in compression; includes stress_zz in 2D)."""
        s = self.stress()
        trace = ufl.tr(s) + (self.out_of_plane_stress() if self.gdim == 2 else 0)
        return -trace / 3

    def von_mises_stress(self):
        """sqrt(3/2 s:s) [Pa], s the deviator of the 3D stress (plane strain stress_zz included)."""
        s = self.stress()
        if self.gdim == 2:
            szz = self.out_of_plane_stress()
            s3 = ufl.as_matrix([[s[0, 0], s[0, 1], 0], [s[1, 0], s[1, 1], 0], [0, 0, szz]])
        else:
            s3 = s
        dev = s3 - ufl.tr(s3) / 3 * ufl.Identity(3)
        return ufl.sqrt(1.5 * ufl.inner(dev, dev))

    def strain_energy_density(self):
        """W = stress : eps / 2 [J/m^3]."""
        return 0.5 * ufl.inner(self.stress(), self.strain())

    # --- fields -------------------------------------------------------------------------
    def project(self, expression, name: str, degree: int = 0, shape=None) -> fem.Function:
        """Interpolate a ufl expression into a DG space of ``degree`` (cell-wise, no solve)."""
        msh = self.displacement.function_space.mesh
        V = fem.functionspace(msh, ("DG", degree, shape) if shape else ("DG", degree))
        f = fem.Function(V, name=name)
        f.interpolate(fem.Expression(expression, V.element.interpolation_points))
        return f

    def stress_field(self, degree: int | None = None) -> fem.Function:
        """The stress tensor as a DG function (degree p - 1 by default) [Pa]."""
        p = self.displacement.function_space.ufl_element().degree
        d = max(0, p - 1) if degree is None else degree
        return self.project(self.stress(), "stress", d, (self.gdim, self.gdim))

    def von_mises_field(self, degree: int = 0) -> fem.Function:
        return self.project(self.von_mises_stress(), "von_mises_stress", degree)

    def hydrostatic_pressure_field(self, degree: int = 0) -> fem.Function:
        return self.project(self.hydrostatic_pressure(), "hydrostatic_pressure", degree)

    # --- checks -------------------------------------------------------------------------
    def integrate(self, form) -> float:
        """MPI-reduced integral of a scalar ufl form."""
        return assemble_scalar(form, self.displacement.function_space.mesh.comm)

    def boundary_force(self, boundary: str) -> np.ndarray:
        """Resultant force of the FE traction stress(u) n over a named boundary [N/m in 2D, N in 3D]."""
        n = ufl.FacetNormal(self.displacement.function_space.mesh)
        ds = self.problem.ds(boundary)
        t = ufl.dot(self.stress(), n)
        return np.array([self.integrate(t[i] * ds) for i in range(self.gdim)])

    def force_balance(self) -> dict:
        """Applied loads against the reactions of the constraints (global equilibrium).

        Applied force F = int f dx + sum_b int (t_b - p_b n) ds [N/m in 2D, N in 3D];
        reaction R = sum over constrained dofs of (K u - F_v)_i per direction i, i.e. the
        nodal forces the constraints exert. Equilibrium: R + F = 0. Returns ``applied``,
        ``reaction``, ``imbalance`` = |R + F| / max(|F|, |R|, scale) (relative, [-]).
        """
        return self.problem.force_balance(self.displacement)


def _fixed(problem: "ElasticityProblem", name: str) -> tuple:
    """u = 0 on the boundary."""
    return (0.0,) * problem.gdim


def _roller(problem: "ElasticityProblem", name: str) -> tuple:
    """u . n = 0 on a planar boundary normal to a coordinate axis; tangential motion free."""
    components = [None] * problem.gdim
    components[problem._boundary_normal_axis(name)] = 0.0
    return tuple(components)


# named constraints -> the held components (None = free) on a boundary
constraint_kinds: dict[str, Callable] = {"fixed": _fixed, "roller": _roller, "symmetry": _roller}

# bench/solver_options.md: 17 CG iterations flat from 1e5 to 1e6 DOFs
ITERATIVE_SOLVER_OPTIONS = {
    "ksp_type": "cg",
    "ksp_atol": 1e-30,
    "ksp_max_it": 2000,
    "pc_type": "gamg",
    "pc_gamg_threshold": 0.02,
    "pc_gamg_aggressive_coarsening": 2,
    "pc_gamg_coarse_eq_limit": 1000,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}
DIRECT_SOLVER_OPTIONS = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}


class ElasticityProblem(PetscResources):
    """Linear elasticity on a :class:`~solver.geometry.driver.TaggedMesh`.

    Args:
        tagged: the mesh with named regions and boundaries.
        materials: region name -> (youngs_modulus E [Pa], poissons_ratio nu [-]); every
            region of the mesh must be given.
        pressures: boundary name -> normal pressure p [Pa] (traction -p n; p > 0 pushes
            on the face, p < 0 pulls: a remote tension s is p = -s).
        constraints: boundary name -> a name of :data:`constraint_kinds` ("fixed",
            "roller", "symmetry") | vector with None for free components (e.g.
            ``(0.0, None)``) | callable x -> u(x).
        tractions: boundary name -> traction vector t [Pa].
        point_constraints: list of (point [m], components) with components a vector with
            None for free entries; the mesh vertex at the point is held.
        body_force: f [N/m^3] (vector or ufl expression).
        degree: polynomial degree of the displacement (1 or 2).
        solver: "auto" | "lu" | "cg_gamg".
        rtol: relative tolerance of the iterative solver.
        petsc_options: PETSc options (names without the prefix ``dendrite_elasticity_``)
            merged over the tuned defaults; the options database wins over both.

    Settings errors are :class:`~solver.errors.SettingError` naming the argument.
    Holds PETSc objects once solved: call :meth:`close` (collective) or use ``with``.
    """

    options_prefix = ELASTICITY_PREFIX

    def __init__(
        self,
        tagged: TaggedMesh,
        materials: Mapping[str, tuple[float, float]],
        pressures: Mapping[str, float] | None = None,
        constraints: Mapping[str, ConstraintValue] | None = None,
        tractions: Mapping[str, Sequence[float]] | None = None,
        point_constraints: Sequence[tuple[Sequence[float], Sequence[float | None]]] = (),
        body_force=None,
        degree: int = 2,
        solver: str = "auto",
        rtol: float = 1e-10,
        petsc_options: Mapping | None = None,
    ):
        _check_numerics(degree, solver)
        self.tagged = tagged
        self.mesh = tagged.mesh
        self.gdim = self.mesh.geometry.dim
        self.degree, self.rtol = degree, rtol
        self.petsc_overrides = dict(petsc_options or {})
        self._define_loads(pressures, tractions, body_force)
        self.constraints = dict(constraints or {})
        self.point_constraints = list(point_constraints)
        self._define_function_space()
        self.youngs_modulus, self.poissons_ratio = self._material_fields(materials)
        self.lam, self.mu = lame_parameters(self.youngs_modulus, self.poissons_ratio)
        self.bcs = self._dirichlet()
        self._choose_solver(solver)
        self._linear_problem, self._near_nullspace = None, None

    # --- set-up -----------------------------------------------------------------------------
    def _define_loads(self, pressures, tractions, body_force) -> None:
        """Pressures [Pa], traction vectors [Pa] on named boundaries, body force [N/m^3]."""
        self.pressures = dict(pressures or {})
        self.tractions = {k: tuple(float(c) for c in v) for k, v in (tractions or {}).items()}
        self.body_force = body_force
        for name, t in self.tractions.items():
            if len(t) != self.gdim:
                raise SettingError(f"tractions.{name}", f"needs {self.gdim} components, got {len(t)}")

    def _define_function_space(self) -> None:
        """Vector Lagrange space of the displacement, and the boundary measure."""
        for name in list(self.pressures) + list(self.tractions) + list(self.constraints or {}):
            self.tagged.boundary_tag(name)  # GeometryError naming the known boundaries
        self.V = fem.functionspace(self.mesh, ("Lagrange", self.degree, (self.gdim,)))
        self._ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=self.tagged.facet_tags)

    def _choose_solver(self, solver: str) -> None:
        """MUMPS LU for 2D problems below 4e5 DOFs, CG + GAMG otherwise (unless chosen)."""
        n_dofs = self.V.dofmap.index_map.size_global * self.gdim
        small = self.gdim == 2 and n_dofs < 400_000
        self.solver_kind = solver if solver != "auto" else ("lu" if small else "cg_gamg")

    def _material_fields(self, materials):
        Q = fem.functionspace(self.mesh, ("DG", 0))
        E, nu = fem.Function(Q, name="youngs_modulus"), fem.Function(Q, name="poissons_ratio")
        E.x.array[:] = np.nan
        nu.x.array[:] = np.nan
        for region, values in materials.items():
            e, v = _elastic_constants(region, values)
            cells = self.tagged.cells(region)
            E.x.array[cells] = e
            nu.x.array[cells] = v
        E.x.scatter_forward()
        nu.x.scatter_forward()
        self._check_all_regions(E)
        return E, nu

    def _check_all_regions(self, E: fem.Function) -> None:
        """SettingError naming the regions left without elastic constants (MPI-reduced)."""
        tagged, comm = self.tagged, self.mesh.comm
        n_local = self.mesh.topology.index_map(self.mesh.topology.dim).size_local
        bad = comm.allreduce(int(np.isnan(E.x.array[:n_local]).sum()), op=MPI.SUM)
        if not bad:
            return
        missing_local = set()
        if tagged.cell_tags is not None:
            unset = np.isnan(E.x.array[tagged.cell_tags.indices])
            missing_local = {int(t) for t in tagged.cell_tags.values[unset]}
        local_names = sorted({n for n, t in tagged.regions.items() if t in missing_local})
        names = comm.allreduce(local_names, op=MPI.SUM)
        missing = sorted(set(names)) or "(untagged cells)"
        raise SettingError("materials", f"no elastic constants for region(s) {missing}")

    def ds(self, boundary: str):
        """Surface measure of a named boundary."""
        return self._ds(self.tagged.boundary_tag(boundary))

    def stress_of(self, u):
        """stress(u) = lam tr(eps) I + 2 mu eps [Pa]."""
        eps = ufl.sym(ufl.grad(u))
        return self.lam * ufl.tr(eps) * ufl.Identity(self.gdim) + 2 * self.mu * eps

    def _boundary_normal_axis(self, name: str) -> int:
        """The axis to which a (planar, axis-aligned) boundary is normal, for rollers."""
        msh, tdim = self.mesh, self.mesh.topology.dim
        facets = self.tagged.facets(name)
        normals = np.zeros((0, self.gdim))
        if facets.size:
            geom = dolfinx.mesh.entities_to_geometry(msh, tdim - 1, facets)
            x = msh.geometry.x[geom][:, :, : self.gdim]
            if self.gdim == 2:
                d = x[:, 1] - x[:, 0]
                normals = np.stack([-d[:, 1], d[:, 0]], axis=1)
            else:
                normals = np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0])
            normals /= np.linalg.norm(normals, axis=1)[:, None]
        local = np.abs(normals).max(axis=0) if normals.size else np.zeros(self.gdim)
        spread = np.zeros(self.gdim)
        self.mesh.comm.Allreduce(np.ascontiguousarray(local, dtype=float), spread, op=MPI.MAX)
        axis = int(np.argmax(spread))
        off = np.abs(normals[:, [i for i in range(self.gdim) if i != axis]]).max() if normals.size else 0.0
        off = self.mesh.comm.allreduce(float(off), op=MPI.MAX)
        if off > 1e-8:
            raise SettingError(
                f"constraints.{name}",
                "a roller/symmetry constraint needs a planar boundary normal to a coordinate axis",
            )
        return axis

    def _dirichlet(self) -> list[fem.DirichletBC]:
        """Conditions of the boundary constraints, then of the point constraints."""
        bcs = []
        for name, value in self.constraints.items():
            bcs += self._boundary_constraint(name, value)
        for k, (point, components) in enumerate(self.point_constraints):
            bcs += self._point_constraint(k, np.asarray(point, dtype=float), components)
        return bcs

    def _boundary_constraint(self, name: str, value: ConstraintValue) -> list[fem.DirichletBC]:
        """u (or some of its components) prescribed on a named boundary."""
        setting = f"constraints.{name}"
        facets = self.tagged.facets(name)
        fdim = self.mesh.topology.dim - 1
        if isinstance(value, str):
            if value not in constraint_kinds:
                kinds = ", ".join(map(repr, constraint_kinds))
                raise SettingError(setting, f"unknown constraint {value!r}: use {kinds} or a vector")
            value = constraint_kinds[value](self, name)
        if callable(value):
            g = fem.Function(self.V)
            g.interpolate(value)
            return [fem.dirichletbc(g, fem.locate_dofs_topological(self.V, fdim, facets))]
        if len(value) != self.gdim:
            raise SettingError(setting, f"needs {self.gdim} components (None = free), got {len(value)}")
        subspaces = [(self.V.sub(i), c) for i, c in enumerate(value) if c is not None]
        return [
            fem.dirichletbc(PETSc.ScalarType(c), fem.locate_dofs_topological(Vi, fdim, facets), Vi)
            for Vi, c in subspaces
        ]

    def _point_constraint(self, k: int, point: np.ndarray, components) -> list[fem.DirichletBC]:
        """The listed components held at the mesh vertex at ``point``."""
        setting = f"point_constraints[{k}]"
        if len(components) != self.gdim or point.size != self.gdim:
            raise SettingError(setting, f"needs a point and {self.gdim} components")
        stats = self.tagged.statistics
        tol = max(1e-9 * stats.get("h_max_m", 1.0) if stats else 1e-12, 1e-14)

        def at_point(x):
            return np.linalg.norm(x[: self.gdim].T - point, axis=1) <= tol

        bcs, found = [], 0
        for i, c in enumerate(components):
            if c is None:
                continue
            Vi = self.V.sub(i)
            dofs = fem.locate_dofs_geometrical((Vi, Vi.collapse()[0]), at_point)[0]
            found += len(dofs)
            bcs.append(fem.dirichletbc(PETSc.ScalarType(c), dofs, Vi))
        if self.mesh.comm.allreduce(found, op=MPI.SUM) == 0 and bcs:
            raise SettingError(setting, f"no mesh vertex at {point.tolist()}")
        return bcs

    def forms(self):
        """Bilinear form a(u, v) and linear form L(v)."""
        u, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        a = ufl.inner(self.stress_of(u), ufl.sym(ufl.grad(v))) * ufl.dx
        return a, self._load_form(v)

    def _load_form(self, v):
        n = ufl.FacetNormal(self.mesh)
        zero = ufl.as_vector([0.0] * self.gdim)
        dx = ufl.Measure("dx", domain=self.mesh)
        L = ufl.inner(zero, v) * dx
        if self.body_force is not None:
            f = self.body_force
            if not isinstance(f, ufl.core.expr.Expr):
                f = ufl.as_vector(f)
            L += ufl.inner(f, v) * dx
        for name, p in self.pressures.items():
            L += -fem.Constant(self.mesh, PETSc.ScalarType(p)) * ufl.inner(n, v) * self.ds(name)
        for name, t in self.tractions.items():
            L += ufl.inner(fem.Constant(self.mesh, np.array(t, dtype=PETSc.ScalarType)), v) * self.ds(name)
        return L

    # --- solve --------------------------------------------------------------------------------
    def solve(self) -> ElasticFields:
        """Assemble and solve; raises :class:`SolverError` if the solver fails.

        The returned displacement is a copy: a later solve does not change it.
        """
        problem = self._solver()
        t0 = time.perf_counter()
        try:
            problem.solve()
        except PETSc.Error as exc:
            raise SolverError(f"elasticity: linear solver failed ({exc})") from exc
        seconds = time.perf_counter() - t0
        reason = problem.solver.getConvergedReason()
        iterations = problem.solver.getIterationNumber()
        u = problem.u
        finite = self.mesh.comm.allreduce(bool(np.all(np.isfinite(u.x.array))), op=MPI.LAND)
        if reason < 0 or not finite:
            raise SolverError(
                f"elasticity: linear solver did not converge (PETSc reason {reason}, {iterations} iterations"
                f"{'' if finite else ', non-finite displacement'}); "
                "check that the constraints remove rigid-body motion"
            )
        displacement = fem.Function(self.V, name="displacement")
        displacement.x.array[:] = u.x.array
        E, nu = self.youngs_modulus, self.poissons_ratio
        return ElasticFields(displacement, E, nu, self, seconds, iterations)

    def _solver(self) -> dolfinx.fem.petsc.LinearProblem:
        """The linear problem under the prefix ``dendrite_elasticity_`` (built once)."""
        if self._linear_problem is not None:
            return self._linear_problem
        a, L = self.forms()
        u = fem.Function(self.V, name="displacement")
        problem = dolfinx.fem.petsc.LinearProblem(
            a, L, bcs=self.bcs, u=u, petsc_options_prefix=self.options_prefix
        )
        if self.solver_kind == "lu":
            defaults = DIRECT_SOLVER_OPTIONS
        else:
            defaults = dict(ITERATIVE_SOLVER_OPTIONS, ksp_rtol=self.rtol)
            self._near_nullspace = rigid_body_modes(self.V)
            problem.A.setNearNullSpace(self._near_nullspace)
            # the stiffness matrix is symmetric: GAMG need not symmetrise its graph
            problem.A.setOption(PETSc.Mat.Option.SYMMETRIC, True)
            problem.A.setOption(PETSc.Mat.Option.SYMMETRY_ETERNAL, True)
        self.petsc_options = configure_solver(problem.solver, defaults, self.petsc_overrides)
        self._linear_problem = problem
        return problem

    def _petsc_objects(self):
        problem = self.__dict__.get("_linear_problem")
        objects = [] if problem is None else [problem.solver, problem.A, problem.P_mat, problem.b, problem.x]
        return objects + [self.__dict__.get("_near_nullspace")]

    def close(self) -> None:
        super().close()
        self._linear_problem, self._near_nullspace = None, None

    def force_balance(self, u: fem.Function) -> dict:
        """See :meth:`ElasticFields.force_balance`."""
        v = ufl.TestFunction(self.V)
        residual = ufl.inner(self.stress_of(u), ufl.sym(ufl.grad(v))) * ufl.dx - self._load_form(v)
        r = dolfinx.fem.assemble_vector(fem.form(residual))
        r.scatter_reverse(dolfinx.la.InsertMode.add)
        bs = self.V.dofmap.index_map_bs
        n_owned = self.V.dofmap.index_map.size_local
        constrained = np.zeros(n_owned * bs, dtype=bool)
        for bc in self.bcs:
            dofs = bc.dof_indices()[0]
            constrained[dofs[dofs < n_owned * bs]] = True
        values = r.array[: n_owned * bs].reshape(-1, bs)
        mask = constrained.reshape(-1, bs)
        reaction = np.array([values[mask[:, i], i].sum() for i in range(bs)])
        reaction = self.mesh.comm.allreduce(reaction, op=MPI.SUM)
        def total(form) -> float:
            return assemble_scalar(form, self.mesh.comm)

        def const(value):
            return fem.Constant(self.mesh, PETSc.ScalarType(value))

        applied = np.array([total(self._load_form(ufl.unit_vector(i, self.gdim))) for i in range(self.gdim)])
        # scale: the total magnitude of the loads, so that self-equilibrated loads are measured too
        scale = sum(total(const(abs(p)) * self.ds(name)) for name, p in self.pressures.items())
        scale += sum(total(const(np.linalg.norm(t)) * self.ds(name)) for name, t in self.tractions.items())
        scale = max(scale, np.linalg.norm(applied), np.linalg.norm(reaction), 1e-300)
        return {
            "applied": applied,
            "reaction": reaction,
            "imbalance": float(np.linalg.norm(applied + reaction) / scale),
        }


def _check_numerics(degree: int, solver: str) -> None:
    if degree not in (1, 2):
        raise SettingError("degree", f"must be 1 or 2, got {degree}")
    if solver not in ("auto", "lu", "cg_gamg"):
        raise SettingError("solver", f"must be 'auto', 'lu' or 'cg_gamg', got {solver!r}")


def _elastic_constants(region: str, values) -> tuple[float, float]:
    """(E [Pa], nu [-]) of a region, checked: E > 0, -1 < nu < 0.5."""
    try:
        e, v = (float(values[0]), float(values[1]))
    except (TypeError, ValueError, IndexError):
        expected = "expects (youngs_modulus [Pa], poissons_ratio [-])"
        raise SettingError(f"materials.{region}", expected) from None
    if not e > 0:
        raise SettingError(f"materials.{region}.youngs_modulus", f"must be positive, got {e} Pa")
    if not -1 < v < 0.5:
        raise SettingError(f"materials.{region}.poissons_ratio", f"must lie in (-1, 0.5), got {v}")
    return e, v
