"""Fixtures shared by every test folder (tests/unit, tests/verification, tests/system).

The helpers behind them (``slab``, ``assert_charge_balance``, ``make_tagged_box``, ...) live in
:mod:`tests.support`; test modules import those from there, never from this file.
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from tests.support import assert_charge_balance, slab


@pytest.fixture
def flat_slab():
    """The :func:`slab` factory (the helper itself: ``from tests.support import slab``)."""
    return slab


@pytest.fixture
def charge_balance():
    return assert_charge_balance


# Under MPI, PETSc objects in reference cycles are destroyed by Python's cyclic garbage
# collector, whose timing differs between ranks; their destroy is collective, so a
# collection on one rank alone can deadlock. Collect only at the same point on every rank.
if MPI.COMM_WORLD.size > 1:
    import gc

    gc.disable()

    @pytest.fixture(autouse=True)
    def _collective_garbage_collection():
        yield
        MPI.COMM_WORLD.barrier()
        gc.collect()


def pytest_sessionstart(session):
    """Remove broken entries of the form cache left by killed or failed compilations, as the
    command line does at start (solver.jit_cache), so that one bad entry fails no test."""
    from solver.jit_cache import recover_jit_cache

    recover_jit_cache(MPI.COMM_WORLD)
