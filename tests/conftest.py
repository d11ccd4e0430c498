"""Shared fixtures: small structured meshes with named regions/boundaries, and checks.

``make_tagged_box`` builds a 2D/3D box of piecewise-uniform spacing (so layer and grain
boundaries fall on mesh lines) and names its regions and boundaries by predicates;
``assert_charge_balance`` is the charge-conservation check every solve in the tests runs.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import dolfinx
from solver.geometry.driver import TaggedMesh


def _axis_map(s: np.ndarray, breaks, cells) -> np.ndarray:
    """Map the uniform coordinate s in [0, 1] to the piecewise-uniform one."""
    knots = np.concatenate([[0], np.cumsum(cells)]) / np.sum(cells)
    return np.interp(s, knots, breaks)


def make_tagged_box(
    breaks: list[list[float]],
    cells: list[list[int]],
    regions: dict[str, callable] | None = None,
    boundaries: dict[str, callable] | None = None,
    interior: dict[str, callable] | None = None,
    comm: MPI.Comm = MPI.COMM_WORLD,
    metadata: dict | None = None,
) -> TaggedMesh:
    """A box [breaks[a][0], breaks[a][-1]] per axis with cells[a][j] cells in segment j.

    regions: name -> predicate on cell midpoints x (shape (3, n)); the first match wins,
    unmatched cells go to the first region. boundaries: name -> predicate on exterior
    facet midpoints; interior: name -> predicate on interior facet midpoints (e.g. grain
    boundaries). Triangles / tetrahedra.
    """
    gdim = len(breaks)
    n = [int(np.sum(c)) for c in cells]
    if gdim == 2:
        msh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [1.0, 1.0]], n)
    else:
        msh = dolfinx.mesh.create_box(comm, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], n)
    x = msh.geometry.x
    for a in range(gdim):
        x[:, a] = _axis_map(x[:, a], breaks[a], cells[a])
    tdim = gdim
    fdim = tdim - 1
    msh.topology.create_connectivity(fdim, tdim)
    regions = regions or {"electrolyte": lambda x: np.ones(x.shape[1], bool)}
    n_cells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    all_cells = np.arange(n_cells, dtype=np.int32)
    mid = dolfinx.mesh.compute_midpoints(msh, tdim, all_cells).T
    values = np.zeros(n_cells, dtype=np.int32)
    for tag, pred in reversed(list(enumerate(regions.values(), start=1))):
        values[np.asarray(pred(mid), bool)] = tag
    values[values == 0] = 1
    cell_tags = dolfinx.mesh.meshtags(msh, tdim, all_cells, values)

    exterior = dolfinx.mesh.exterior_facet_indices(msh.topology)
    n_facets = msh.topology.index_map(fdim).size_local + msh.topology.index_map(fdim).num_ghosts
    facets = np.arange(n_facets, dtype=np.int32)
    fmid = dolfinx.mesh.compute_midpoints(msh, fdim, facets).T
    is_exterior = np.zeros(n_facets, bool)
    is_exterior[exterior] = True
    f2c = msh.topology.connectivity(fdim, tdim)
    is_interior = np.diff(f2c.offsets) == 2
    tags = np.zeros(n_facets, dtype=np.int32)
    names = {}
    for k, (name, pred) in enumerate(list((boundaries or {}).items()) + list((interior or {}).items()), start=1):
        where = is_exterior if name in (boundaries or {}) else is_interior
        hit = where & np.asarray(pred(fmid), bool) & (tags == 0)
        tags[hit] = k
        names[name] = k
    marked = np.flatnonzero(tags).astype(np.int32)
    facet_tags = dolfinx.mesh.meshtags(msh, fdim, marked, tags[marked])
    return TaggedMesh(
        msh,
        cell_tags,
        facet_tags,
        {name: k for k, name in enumerate(regions, start=1)},
        names,
        dict(metadata or {}),
        {},
    )


def slab(layers: list[tuple[str, float, int]], width: float, nx: int = 2, comm=MPI.COMM_WORLD, gdim: int = 2):
    """A flat cell stacked along the last axis: layers (name, thickness [m], cells) from the anode up.

    Boundaries: ``anode_interface`` (bottom), ``counter_electrode`` (top), ``sides``.
    """
    tops = np.cumsum([t for _, t, _ in layers])
    bottoms = tops - np.array([t for _, t, _ in layers])
    last = gdim - 1
    tol = 1e-9 * tops[-1]

    def in_layer(k):
        return lambda x: (x[last] > bottoms[k]) & (x[last] < tops[k])

    lateral = [[0.0, width], [nx]]
    breaks = [lateral[0]] * (gdim - 1) + [np.concatenate([[0], tops]).tolist()]
    cells = [lateral[1]] * (gdim - 1) + [[c for _, _, c in layers]]
    return make_tagged_box(
        breaks,
        cells,
        regions={name: in_layer(k) for k, (name, _, _) in enumerate(layers)},
        boundaries={
            "anode_interface": lambda x: np.abs(x[last]) < tol,
            "counter_electrode": lambda x: np.abs(x[last] - tops[-1]) < tol,
            "sides": lambda x: np.ones(x.shape[1], bool),
        },
        comm=comm,
    )


def lumped_grains(m: int, comm=MPI.COMM_WORLD) -> TaggedMesh:
    """2 x 2 square grains of side 1 (m cells per grain side), GB facets on x = 1 and y = 1."""

    def on_gb(x):
        return np.isclose(x[0], 1.0) | np.isclose(x[1], 1.0)

    return make_tagged_box([[0.0, 1.0, 2.0]] * 2, [[m, m]] * 2, interior={"grain_boundary_facets": on_gb}, comm=comm)


def assert_charge_balance(metrics: dict, tol: float = 1e-8) -> None:
    """Integrated interface current equals the applied current (relative ``tol``)."""
    assert metrics["charge_balance_error"] < tol, f"charge balance error {metrics['charge_balance_error']:.3e}"


@pytest.fixture
def flat_slab():
    """The :func:`slab` factory (helpers are also importable: ``from tests.conftest import slab``)."""
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
