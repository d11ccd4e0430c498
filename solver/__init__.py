"""dendrite: finite-element current focusing and dendrite risk at Li | solid-electrolyte interfaces.

``dolfinx_solver`` (the wheel that ships DOLFINx with its own MPI and PETSc) must be
imported before ``dolfinx``, ``petsc4py`` or ``mpi4py``; importing this package arranges
that: the first import of one of them imports ``dolfinx_solver`` just before. Code that
needs none of them (``dendrite validate``) then loads no MPI or PETSc at all. Where
DOLFINx comes from elsewhere (conda), there is nothing to preload.
"""

import importlib.abc
import sys


class _PreloadBindings(importlib.abc.MetaPathFinder):
    """Imports ``dolfinx_solver`` just before the first import of the MPI/PETSc bindings."""

    bindings = frozenset({"dolfinx", "petsc4py", "slepc4py", "mpi4py"})

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.bindings:
            sys.meta_path.remove(self)
            try:
                import dolfinx_solver  # noqa: F401
            except ImportError:  # conda-forge DOLFINx: nothing to preload
                pass
        return None  # the ordinary finders import the module asked for


if not any(m in sys.modules for m in _PreloadBindings.bindings):
    sys.meta_path.insert(0, _PreloadBindings())
else:  # a binding is loaded already: preload now, as before any further binding import
    try:
        import dolfinx_solver  # noqa: F401
    except ImportError:
        pass

__version__ = "0.1.0"
