"""Meshing time of a 3D rough interface: the structured DOLFINx mesh against Gmsh, in one run.

The same cell (10 um cube of Li6PS5Cl-like electrolyte on a random rough anode, RMS 0.3 um,
correlation length 2.5 um, seed 3) is meshed

* by ``rough_interface_3d`` (OpenCASCADE B-spline surface, Gmsh 3D mesh on rank 0, then
  ``model_to_mesh``) at about ``--gmsh-dofs`` P1 unknowns, and
* by ``rough_interface_3d_structured`` (``create_box`` on every rank, vertices mapped onto
  the height map) at about each of ``--dofs``,

and every mesh is timed from the parameters to the distributed, tagged mesh (the driver's
``build_mesh``, mesh statistics included; no cache): wall time and CPU time of the process
(MPI max; on a loaded machine the CPU time is the steadier number, Gmsh runs one thread).
Both meshes are P1 (DOFs = vertices). The size factors come from the target DOF counts
before any timing: the structured count is exact; the Gmsh count is fitted as a power of
the size factor through two coarse calibration meshes, whose times are not counted.
Ratios are taken within this run.

    .venv/bin/python bench/mesh_scaling.py [--dofs 1e5 1e6] [--gmsh-dofs 1e5] [--out FILE.json]
    .venv/bin/mpiexec -n 2 .venv/bin/python bench/mesh_scaling.py --gmsh-dofs 0
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import solver  # noqa: F401  (before dolfinx)
from mpi4py import MPI

import meshes
from meshes import MeshSettings
from solver.geometry.driver import build_mesh

HEIGHT_MAP = {"kind": "random", "rms_height": "0.3 um", "correlation_length": "2.5 um", "seed": 3}
BOX = {"width": "10 um", "depth": "10 um", "thickness": "10 um"}
STRUCTURED, GMSH = "rough_interface_3d_structured", "rough_interface_3d"


def structured_factor(dofs: float) -> float:
    """The size factor whose structured mesh has about ``dofs`` vertices (bisection, exact counts)."""
    p = meshes.get(STRUCTURED).parameters.model_validate({**BOX, "height_map": HEIGHT_MAP})
    lo, hi = 0.01, 4.0
    for _ in range(40):
        mid = (lo * hi) ** 0.5
        if p.estimated_size(MeshSettings(size_factor=mid))[1] > dofs:
            lo = mid
        else:
            hi = mid
    return hi


def timed(name: str, factor: float, comm) -> dict:
    p = meshes.get(name).parameters.model_validate({**BOX, "height_map": HEIGHT_MAP})
    comm.barrier()
    t0, c0 = time.perf_counter(), time.process_time()
    tm = build_mesh(name, p, MeshSettings(size_factor=factor), comm)
    cpu = comm.allreduce(time.process_time() - c0, MPI.MAX)
    comm.barrier()
    seconds = time.perf_counter() - t0
    stats = tm.statistics
    return {"generator": name, "size_factor": round(factor, 4), "dofs": int(stats["vertices"]), "cells": stats["cells"],
            "ranks": comm.size, "mesh_s": seconds, "mesh_cpu_s": cpu, "gmsh_s": stats.get("gmsh_seconds"),
            "import_s": stats.get("import_seconds"), "build_s": stats.get("build_seconds"),
            "quality_min": stats["quality_min"]}


def gmsh_factor(dofs: float, comm) -> float:
    """Size factor of the Gmsh mesh with about ``dofs`` vertices: DOFs = a f^b through two coarse meshes."""
    f1, f2 = 1.0, 0.7
    n1, n2 = (timed(GMSH, f, comm)["dofs"] for f in (f1, f2))
    b = math.log(n2 / n1) / math.log(f2 / f1)
    return f1 * (dofs / n1) ** (1 / b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dofs", type=float, nargs="+", default=[1e5, 1e6])
    ap.add_argument("--gmsh-dofs", type=float, default=1e5, help="0: no Gmsh mesh")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    rows = []
    timed(STRUCTURED, structured_factor(1e4), comm)  # warm-up: imports, first create_box
    for dofs in args.dofs:
        rows.append(dict(timed(STRUCTURED, structured_factor(dofs), comm), target_dofs=dofs))
    if args.gmsh_dofs:
        rows.append(dict(timed(GMSH, gmsh_factor(args.gmsh_dofs, comm), comm), target_dofs=args.gmsh_dofs))
    if comm.rank != 0:
        return
    for r in rows:
        print(f"{r['generator']:32s} {r['ranks']} rank(s)  {r['dofs']:>9d} DOFs {r['cells']:>9d} cells  "
              f"wall {r['mesh_s']:7.2f} s  cpu {r['mesh_cpu_s']:7.2f} s  ({1e6 * r['mesh_cpu_s'] / r['dofs']:.1f} "
              "us cpu/DOF)")
    gm = [r for r in rows if r["generator"] == GMSH]
    st = [r for r in rows if r["generator"] == STRUCTURED]
    summary = {}
    if gm and st:
        near = min(st, key=lambda r: abs(math.log(r["dofs"] / gm[0]["dofs"])))
        for t in ("mesh_s", "mesh_cpu_s"):
            summary[f"gmsh_over_structured_{t}"] = gm[0][t] / near[t]
            summary[f"gmsh_over_largest_structured_{t}"] = gm[0][t] / st[-1][t]
        print(f"Gmsh {gm[0]['dofs']:.3g} DOFs / structured {near['dofs']:.3g} DOFs: wall "
              f"{summary['gmsh_over_structured_mesh_s']:.1f}x, cpu {summary['gmsh_over_structured_mesh_cpu_s']:.1f}x; "
              f"Gmsh {gm[0]['dofs']:.3g} / structured {st[-1]['dofs']:.3g} DOFs: wall "
              f"{summary['gmsh_over_largest_structured_mesh_s']:.2f}x, cpu "
              f"{summary['gmsh_over_largest_structured_mesh_cpu_s']:.2f}x")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
