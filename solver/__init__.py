"""dendrite: finite-element current focusing and dendrite risk at Li | solid-electrolyte interfaces.

``dolfinx_solver`` (the wheel that ships DOLFINx with its own MPI and PETSc) must be
imported before ``dolfinx`` or ``petsc4py``; importing this package does that. Where
DOLFINx comes from elsewhere (conda), the import is skipped.
"""

try:  # must precede any dolfinx/petsc4py import
    import dolfinx_solver  # noqa: F401
except ImportError:  # conda-forge DOLFINx: nothing to preload
    pass

__version__ = "0.1.0"
