"""PETSc options and the lifetime of the PETSc objects of a problem.

Every problem has a stable options prefix (``dendrite_conduction_``,
``dendrite_elasticity_``), so that its solver can be tuned without editing code, from
three places; a later one wins:

1. the tuned defaults of the problem (measured in bench/solver_options.md);
2. ``overrides`` given by the caller (``solver.petsc_options`` of a case);
3. PETSc's options database: ``PETSC_OPTIONS="-dendrite_conduction_ksp_rtol 1e-9"``, or
   the command line of a script that calls ``petsc4py.init(sys.argv)`` first.

The options are written into the database only for the duration of ``setFromOptions``
and removed afterwards, so they do not leak into other solvers (PETSc would warn about
unused options at exit); options that were in the database before are left untouched.

PETSc objects are destroyed collectively: :class:`PetscResources` gives the problems
``close()`` and ``with`` support, so that destruction happens at the same point on every
rank rather than whenever each rank's garbage collector runs. See docs/petsc_options.md.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from petsc4py import PETSc

from solver.errors import SettingError

__all__ = ["CONDUCTION_PREFIX", "ELASTICITY_PREFIX", "configure_solver", "user_has_option", "PetscResources"]

CONDUCTION_PREFIX = "dendrite_conduction_"
ELASTICITY_PREFIX = "dendrite_elasticity_"


def _option_name(name: str) -> str:
    """An option name without its leading dash(es); ``SettingError`` when it is not one."""
    bare = str(name).lstrip("-")
    if not bare or not all(c.isalnum() or c == "_" for c in bare):
        raise SettingError("petsc_options", f"{name!r} is not a PETSc option name (letters, digits, '_')")
    return bare


def configure_solver(solver, defaults: Mapping, overrides: Mapping | None = None) -> dict:
    """Apply ``defaults`` updated by ``overrides`` to a KSP or SNES under its prefix.

    Options already in PETSc's database (command line, ``PETSC_OPTIONS``) win over both.
    Returns the options as applied, without prefix (database values as strings).
    """
    prefix = solver.getOptionsPrefix() or ""
    merged = {**dict(defaults), **{_option_name(k): v for k, v in (overrides or {}).items()}}
    database = PETSc.Options()
    ours = [name for name in merged if not database.hasName(prefix + name)]
    applied = {name: merged[name] for name in ours}
    applied.update({name: database.getString(prefix + name) for name in merged if name not in ours})
    for name in ours:
        database[prefix + name] = merged[name]
    try:
        solver.setFromOptions()
    finally:
        for name in ours:
            database.delValue(prefix + name)
    return applied


def user_has_option(prefix: str, name: str, overrides: Mapping | None) -> bool:
    """True when the user chose option ``name`` (in ``overrides`` or in the database)."""
    given = {_option_name(k) for k in (overrides or {})}
    return name in given or PETSc.Options().hasName(prefix + name)


class PetscResources:
    """``close()`` and context-manager support for an object owning PETSc objects.

    Subclasses list what they own in :meth:`_petsc_objects`. ``close()`` is collective
    under MPI (every rank must call it); it is idempotent, and PETSc objects destroyed
    here are null handles when DOLFINx's own finalisers run later.
    """

    closed = False

    def _petsc_objects(self) -> Iterable:
        return ()

    def close(self) -> None:
        """Destroy the PETSc objects (collective)."""
        for obj in self._petsc_objects():
            if obj is not None:
                obj.destroy()
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
