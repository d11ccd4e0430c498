"""Geometry benchmark: Gmsh build + mesh time and DOLFINx conversion time.

Cases: a 3D Voronoi electrolyte of >= 200 grains (GB facets), a 3D random rough
interface, a 2D polycrystal of 500 grains with explicit GB layers. Run:

    .venv/bin/python bench/bench_geometry.py            # serial
    .venv/bin/mpiexec -n 2 .venv/bin/python bench/bench_geometry.py

``gmsh_s`` is the generator's drawing plus Gmsh meshing (rank 0); ``convert_s`` is
``dolfinx.io.gmsh.model_to_mesh`` (distribution included); ``total_s`` the wall time.
"""

from __future__ import annotations

import time

import solver  # noqa: F401  (before dolfinx)
from mpi4py import MPI

import meshes
from meshes import MeshSettings
from solver.geometry.driver import build_mesh

CASES = [
    ("polycrystal_3d", dict(width="6 um", depth="6 um", thickness="6 um", mean_grain_size="1 um", seed=1),
     MeshSettings()),
    ("rough_interface_3d", dict(width="20 um", depth="20 um", thickness="10 um",
                                height_map=dict(kind="random", rms_height="0.5 um", correlation_length="3 um",
                                                seed=1)), MeshSettings()),
    ("polycrystal_2d", dict(width="25 um", thickness="20 um", mean_grain_size="1 um", seed=1, gb="explicit",
                            gb_thickness="50 nm"), MeshSettings()),
]


def main() -> None:
    comm = MPI.COMM_WORLD
    rows = []
    for name, params, settings in CASES:
        p = meshes.get(name).parameters(**params)
        t0 = time.perf_counter()
        tm = build_mesh(name, p, settings, comm)
        total = time.perf_counter() - t0
        s = tm.statistics
        grains = tm.metadata.get("grain_count", "-")
        rows.append((name, grains, s["cells"], s["gmsh_seconds"], s["import_seconds"], total, s["quality_min"]))
    if comm.rank == 0:
        print(f"geometry benchmark, {comm.size} MPI rank(s)")
        print(f"{'geometry':<20}{'grains':>8}{'cells':>10}{'gmsh_s':>9}{'convert_s':>11}{'total_s':>9}{'q_min':>8}")
        for name, g, cells, tg, tc, tt, q in rows:
            print(f"{name:<20}{g!s:>8}{cells:>10}{tg:>9.2f}{tc:>11.2f}{tt:>9.2f}{q:>8.3f}")


if __name__ == "__main__":
    main()
