"""dendrite: finite-element current focusing and dendrite risk at Li | solid-electrolyte interfaces.

The Python API (:mod:`solver.api`): ``solver.load_case``, ``solver.run``,
``solver.open_result``; ``solver.register_metric`` and ``solver.register_output`` extend
the metric and output registries. They are imported on first use, so ``import solver``
stays light (no DOLFINx).

``dolfinx_solver`` (the wheel that ships DOLFINx with its own MPI and PETSc) must be
imported before ``dolfinx`` or ``petsc4py``; importing this package arranges that: the
first import of either imports ``dolfinx_solver`` just before (it loads ``mpi4py.MPI``
first, as that wheel needs). Code that needs neither (``dendrite validate``) then loads no
MPI or PETSc at all. Where DOLFINx comes from elsewhere (conda), there is nothing to preload.
"""

import importlib
import importlib.metadata
import importlib.abc
import sys


class _PreloadBindings(importlib.abc.MetaPathFinder):
    """Imports ``dolfinx_solver`` just before the first import of DOLFINx or PETSc."""

    bindings = frozenset({"dolfinx", "petsc4py", "slepc4py"})
    done = False

    def find_spec(self, name, path=None, target=None):
        if not self.done and name.partition(".")[0] in self.bindings:
            self.done = True  # (not removed from sys.meta_path: the import system is iterating it)
            try:
                import dolfinx_solver  # noqa: F401
            except ImportError:  # conda-forge DOLFINx: nothing to preload
                pass
        return None  # the ordinary finders import the module asked for


if any(m in sys.modules for m in _PreloadBindings.bindings):  # too late for a hook: preload now
    try:
        import dolfinx_solver  # noqa: F401
    except ImportError:
        pass
else:
    sys.meta_path.insert(0, _PreloadBindings())

try:
    __version__ = importlib.metadata.version("dendrite")
except importlib.metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

_API = {
    "load_case": "solver.api",
    "run": "solver.api",
    "open_result": "solver.api",
    "Result": "solver.api",
    "register_metric": "solver.analysis.registry",
    "Metric": "solver.analysis.registry",
    "register_output": "solver.io.outputs",
}

__all__ = ["Metric", "Result", "__version__", "load_case", "open_result", "register_metric", "register_output", "run"]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'solver' has no attribute {name!r}")
