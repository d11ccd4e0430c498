"""Benchmark meshes built directly with DOLFINx (no Gmsh): polycrystal-like boxes.

``polycrystal_box`` makes a unit cube of tetrahedra (``create_box``, generated, partitioned
and distributed by DOLFINx) and tags every cell as grain interior or grain-boundary (GB)
phase by the distance of its midpoint to the Voronoi facets of seeded random points: a
cell whose midpoint lies within ``gb_width / 2`` of the bisector plane between its two
nearest seeds is GB. The GB phase is thus a thin shell around each Voronoi cell. The
seeds, the tagging and the optional rough map are deterministic, so a mesh is the same
on any number of ranks (only its partition differs).

Optionally the bottom face is made rough by mapping z -> z + h(x, y) (1 - z) with a smooth
random periodic height map h (sum of a few Fourier modes), applied after the facets are
tagged (the tags are topological).

Regions: ``grains`` (1), ``grain_boundaries`` (2). Boundaries: ``anode_interface`` (z=0,
1), ``counter_electrode`` (z=1, 2), ``sides`` (3).
"""

from __future__ import annotations

import time

import numpy as np
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import dolfinx
import dolfinx.mesh
from scipy.spatial import cKDTree

from solver.geometry.driver import TaggedMesh, mesh_statistics

REGIONS = {"grains": 1, "grain_boundaries": 2}
BOUNDARIES = {"anode_interface": 1, "counter_electrode": 2, "sides": 3}


def cells_per_side(dofs: float, block_size: int = 1) -> int:
    """n such that a P1 box of n^3 cells has about ``dofs`` DOFs ((n+1)^3 * block_size)."""
    return max(2, int(round((float(dofs) / block_size) ** (1 / 3))) - 1)


def height_map(x: np.ndarray, y: np.ndarray, amplitude: float, seed: int, modes: int = 4) -> np.ndarray:
    """Smooth random periodic height map with RMS ~ amplitude."""
    rng = np.random.default_rng(seed)
    h = np.zeros_like(x)
    for _ in range(modes):
        kx, ky = rng.integers(1, 4, size=2)
        phase = rng.uniform(0, 2 * np.pi)
        a = rng.standard_normal()
        h += a * np.cos(2 * np.pi * (kx * x + ky * y) + phase)
    return amplitude * h / np.sqrt(0.5 * modes)


def grain_seeds(grains: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(grains, 3))


def gb_mask(points: np.ndarray, seeds: np.ndarray, gb_width: float) -> np.ndarray:
    """True where a point is within gb_width/2 of the Voronoi facet of its two nearest seeds."""
    tree = cKDTree(seeds)
    _, idx = tree.query(points, k=2)
    s1, s2 = seeds[idx[:, 0]], seeds[idx[:, 1]]
    d = (np.sum((points - s2) ** 2, axis=1) - np.sum((points - s1) ** 2, axis=1)) / (
        2 * np.linalg.norm(s2 - s1, axis=1)
    )
    return d < 0.5 * gb_width


def polycrystal_box(
    n: int,
    comm: MPI.Comm = MPI.COMM_WORLD,
    grains: int = 27,
    gb_width: float = 0.04,
    seed: int = 7,
    rough_amplitude: float = 0.0,
    rough_seed: int = 11,
) -> TaggedMesh:
    """Unit cube, n^3 x 6 tetrahedra, tagged polycrystal (see module docstring)."""
    t0 = time.perf_counter()
    msh = dolfinx.mesh.create_box(
        comm, [np.zeros(3), np.ones(3)], [n, n, n], dolfinx.mesh.CellType.tetrahedron
    )
    t_create = time.perf_counter() - t0
    t0 = time.perf_counter()
    tdim = msh.topology.dim
    fdim = tdim - 1
    msh.topology.create_connectivity(fdim, tdim)
    eps = 1e-10
    markers = [
        (BOUNDARIES["anode_interface"], lambda x: np.isclose(x[2], 0.0, atol=eps)),
        (BOUNDARIES["counter_electrode"], lambda x: np.isclose(x[2], 1.0, atol=eps)),
        (
            BOUNDARIES["sides"],
            lambda x: np.isclose(x[0], 0.0, atol=eps)
            | np.isclose(x[0], 1.0, atol=eps)
            | np.isclose(x[1], 0.0, atol=eps)
            | np.isclose(x[1], 1.0, atol=eps),
        ),
    ]
    fidx, fval = [], []
    for tag, marker in markers:
        f = dolfinx.mesh.locate_entities_boundary(msh, fdim, marker)
        fidx.append(f)
        fval.append(np.full(f.size, tag, dtype=np.int32))
    fidx = np.concatenate(fidx)
    fval = np.concatenate(fval)
    fidx, first = np.unique(fidx, return_index=True)  # edges of the box: first marker wins
    facet_tags = dolfinx.mesh.meshtags(msh, fdim, fidx.astype(np.int32), fval[first])

    if rough_amplitude:
        x = msh.geometry.x
        x[:, 2] += height_map(x[:, 0], x[:, 1], rough_amplitude, rough_seed) * (1.0 - x[:, 2])

    cmap = msh.topology.index_map(tdim)
    ncells = cmap.size_local + cmap.num_ghosts
    cells = np.arange(ncells, dtype=np.int32)
    seeds = grain_seeds(grains, seed)
    gb = np.empty(ncells, dtype=bool)
    chunk = 200_000  # bounded temporaries: the tagging must not set the benchmark's peak memory
    for start in range(0, ncells, chunk):
        part = cells[start : start + chunk]
        gb[start : start + chunk] = gb_mask(dolfinx.mesh.compute_midpoints(msh, tdim, part), seeds, gb_width)
    values = np.where(gb, REGIONS["grain_boundaries"], REGIONS["grains"]).astype(np.int32)
    cell_tags = dolfinx.mesh.meshtags(msh, tdim, cells, values)
    t_tag = time.perf_counter() - t0
    stats = mesh_statistics(msh)
    n_gb = comm.allreduce(int(gb[: cmap.size_local].sum()), MPI.SUM)
    stats.update(
        create_box_seconds=comm.allreduce(t_create, MPI.MAX),
        tag_seconds=comm.allreduce(t_tag, MPI.MAX),
        gb_cell_fraction=n_gb / stats["cells"],
    )
    metadata = dict(
        geometry="bench_polycrystal_box",
        n=n,
        grains=grains,
        gb_width=gb_width,
        seed=seed,
        rough_amplitude=rough_amplitude,
        gdim=3,
    )
    return TaggedMesh(msh, cell_tags, facet_tags, dict(REGIONS), dict(BOUNDARIES), metadata, stats)


def serial_arrays(tagged: TaggedMesh, sigma: dict[str, float]) -> dict:
    """Vertices, tetrahedra, per-cell conductivity and boundary facets of a serial mesh (for peers)."""
    msh = tagged.mesh
    assert msh.comm.size == 1, "serial_arrays needs a serial mesh"
    tdim = msh.topology.dim
    x = msh.geometry.x[:, : msh.geometry.dim].copy()
    cells = msh.geometry.dofmap.copy()
    s = np.zeros(cells.shape[0])
    for name, value in sigma.items():
        s[tagged.cells(name)] = value
    geom = {}
    for name in ("anode_interface", "counter_electrode"):
        geom[name] = dolfinx.mesh.entities_to_geometry(msh, tdim - 1, tagged.facets(name))
    return dict(points=x, cells=cells, sigma=s, anode=geom["anode_interface"], counter=geom["counter_electrode"])
