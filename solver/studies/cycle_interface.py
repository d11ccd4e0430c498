"""The interface of a conduction problem seen element by element, for the cycling runner.

An interface element is an electrolyte cell with a facet on the anode interface. Its
state (contact, voids, Li thickness, filament) lives in arrays over the elements owned by
this process; the contact fraction is also a DG0 ``Function`` that the contact-weighted
kinetics reads (solver.physics.interface_evolution.ContactKinetics).

Per-element integrals use the quadrature of the weak form, so the element currents sum
to the applied current to solver tolerance (charge conservation of the discrete problem).
"""

from __future__ import annotations

import dolfinx.fem.petsc
import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI
from petsc4py import PETSc

from solver.physics.fem_tools import integrate

__all__ = ["InterfaceElements"]


class InterfaceElements:
    """Element areas, midpoints and the compiled per-element forms of a conduction problem."""

    def __init__(self, problem, contact: fem.Function):
        t = problem.tagged
        msh = t.mesh
        self.comm = msh.comm
        self.contact = contact
        self.Q = contact.function_space
        q = ufl.TestFunction(self.Q)
        ds = ufl.Measure("ds", domain=msh, subdomain_data=t.facet_tags)
        ds_anode = ds(t.boundary_tag(problem.settings.anode_interface))
        ds_counter = ds(t.boundary_tag(problem.settings.counter_electrode))
        phi = problem.unknown
        eta = -phi - problem.settings.reference_potential()
        kinetics = problem.settings.kinetics
        self._current = fem.form(-kinetics.current_density(eta, exp=ufl.exp) * q * ds_anode)  # into the anode
        self._eta = fem.form(eta * q * ds_anode)
        n_owned = self.Q.dofmap.index_map.size_local
        area = self._assemble(fem.form(q * ds_anode))[:n_owned]
        self.index = np.flatnonzero(area > 0).astype(np.int32)  # owned DG0 dofs = cells on the interface
        self.area = area[self.index]  # m^2 (m in 2D)
        x = fem.Function(fem.functionspace(msh, ("DG", 0, (msh.geometry.dim,))))
        x.interpolate(lambda p: p[: msh.geometry.dim])
        self.midpoints = x.x.array.reshape(-1, msh.geometry.dim)[self.index]  # cell midpoints [m]
        self._counter_phi = fem.form(phi * ds_counter)
        self.counter_area = integrate(1.0, ds_counter)
        self.interface_area = self._sum(float(self.area.sum()))
        volume = integrate(1.0, ufl.dx(domain=msh))
        self.thickness = volume / self.counter_area  # mean electrolyte thickness [m]
        self.count = int(self.comm.allreduce(self.index.size, MPI.SUM))

    def _sum(self, value: float) -> float:
        return float(self.comm.allreduce(value, MPI.SUM))

    def _assemble(self, form) -> np.ndarray:
        vec = dolfinx.fem.petsc.assemble_vector(form)
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        out = vec.array_r.copy()
        vec.destroy()
        return out

    def set_contact(self, values: np.ndarray) -> None:
        self.contact.x.array[:] = 0.0
        self.contact.x.array[self.index] = values
        self.contact.x.scatter_forward()

    def current_density(self) -> np.ndarray:
        """Mean current density into the anode over each element's interface [A/m^2 nominal]."""
        return self._assemble(self._current)[self.index] / self.area

    def overpotential(self) -> np.ndarray:
        """Mean overpotential over each element's interface [V]."""
        return self._assemble(self._eta)[self.index] / self.area

    def counter_potential(self) -> float:
        """Mean electrolyte potential on the counter electrode [V]."""
        return self._sum(fem.assemble_scalar(self._counter_phi)) / self.counter_area

    def total(self, density: np.ndarray) -> float:
        """Integral over the interface of an element-wise density (MPI sum)."""
        return self._sum(float(np.dot(density, self.area)))

    def maximum(self, values: np.ndarray, initial: float = -np.inf) -> float:
        return float(self.comm.allreduce(float(values.max()) if values.size else initial, MPI.MAX))

    def minimum(self, values: np.ndarray, initial: float = np.inf) -> float:
        return float(self.comm.allreduce(float(values.min()) if values.size else initial, MPI.MIN))

    def gather(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        """Arrays of all processes on rank 0, with the element midpoints as ``midpoints``."""
        local = dict(arrays, midpoints=self.midpoints)
        parts = self.comm.gather(local, root=0)
        if self.comm.rank != 0:
            return None
        return {k: np.concatenate([p[k] for p in parts]) for k in local}

    def scatter(self, gathered: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        """The local part of arrays written by :meth:`gather` (any process count), matched by midpoint."""
        gathered = self.comm.bcast(gathered, root=0)
        scale = max(float(np.ptp(gathered["midpoints"], axis=0).max()), 1e-300)
        keys = {tuple(k): i for i, k in enumerate(np.round(gathered["midpoints"] / (scale * 1e-9)).astype(np.int64))}
        mine = np.round(self.midpoints / (scale * 1e-9)).astype(np.int64)
        try:
            rows = np.array([keys[tuple(k)] for k in mine], dtype=np.int64)
        except KeyError:
            raise ValueError("the checkpoint belongs to another mesh") from None
        return {k: v[rows] for k, v in gathered.items() if k != "midpoints"}
