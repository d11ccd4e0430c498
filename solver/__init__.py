"""dendrite: finite-element current focusing and dendrite risk at Li | solid-electrolyte interfaces.

The Python API (:mod:`solver.api`): ``solver.load_case``, ``solver.run``,
``solver.open_result``; ``solver.register_metric`` and ``solver.register_output`` extend
the metric and output registries. They are imported on first use, so ``import solver``
stays light (no DOLFINx).

``dolfinx_solver`` (the wheel that ships DOLFINx with its own MPI and PETSc) must be
imported before ``dolfinx`` or ``petsc4py``; importing this package does that. Where
DOLFINx comes from elsewhere (conda), the import is skipped.
"""

import importlib
import importlib.metadata

try:  # must precede any dolfinx/petsc4py import
    import dolfinx_solver  # noqa: F401
except ImportError:  # conda-forge DOLFINx: nothing to preload
    pass

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
