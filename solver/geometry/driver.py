"""The mesh driver: Gmsh lifecycle, rank-0 build, conversion to DOLFINx, cache by parameters.

:func:`build_mesh` is the only place that starts and stops Gmsh. The geometry is built
and meshed on rank 0, converted with :func:`dolfinx.io.gmsh.model_to_mesh` (which
distributes it), and returned as a :class:`TaggedMesh` whose regions and boundaries are
known by name. A built mesh is saved as a folder (``mesh.msh`` + ``geometry.json`` with
generator name, parameters, mesh settings and metadata) that :func:`load_mesh` reads back;
the cache keys that folder by a hash of everything that determines the mesh, the
generator's source code included (an edited builder is built again). A drawn model whose
regions or boundaries differ from the generator's declaration is a :class:`GeometryError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from mpi4py import MPI

import dolfinx
import dolfinx.io.gmsh
import gmsh

import meshes
from meshes import GeometryParameters, MeshSettings
from solver.lifecycle import forget_temporary, register_temporary
from solver.errors import GeometryError
from solver.studies.parallel import broadcast_errors

__all__ = ["TaggedMesh", "build_mesh", "load_mesh", "mesh_key"]


@dataclasses.dataclass
class TaggedMesh:
    """A DOLFINx mesh with cell and facet tags known by name.

    Attributes:
        mesh: the distributed mesh.
        cell_tags, facet_tags: DOLFINx MeshTags (facet_tags may be empty).
        regions: region name -> cell tag value.
        boundaries: boundary name -> facet tag value.
        metadata: generator metadata (JSON-serialisable), plus ``geometry`` and ``parameters``.
        statistics: mesh statistics (global counts, sizes, quality, timings).
    """

    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    regions: dict[str, int]
    boundaries: dict[str, int]
    metadata: dict
    statistics: dict

    @property
    def gdim(self) -> int:
        return self.mesh.geometry.dim

    def region_tag(self, name: str) -> int:
        try:
            return self.regions[name]
        except KeyError:
            raise GeometryError(f"the mesh has no region {name!r}; it has {sorted(self.regions)}") from None

    def boundary_tag(self, name: str) -> int:
        try:
            return self.boundaries[name]
        except KeyError:
            raise GeometryError(f"the mesh has no boundary {name!r}; it has {sorted(self.boundaries)}") from None

    def cells(self, name: str) -> np.ndarray:
        """Local indices of the cells of region ``name``."""
        return self.cell_tags.find(self.region_tag(name))

    def facets(self, name: str) -> np.ndarray:
        """Local indices of the facets of boundary ``name``."""
        return self.facet_tags.find(self.boundary_tag(name))


def mesh_key(geometry: str, parameters: GeometryParameters, settings: MeshSettings) -> str:
    """A hash of everything that determines the mesh (generator and its source, parameters,
    settings, Gmsh)."""
    blob = json.dumps(
        {
            "geometry": geometry,
            "source": meshes.get(geometry).source_digest(),
            "parameters": parameters.model_dump(mode="json"),
            "mesh": settings.model_dump(mode="json"),
            "gmsh": gmsh.__version__,
            "format": 1,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _generate(geometry: str, parameters: GeometryParameters, settings: MeshSettings, folder: Path) -> None:
    """Build and mesh into the current Gmsh model (rank 0); write mesh.msh + geometry.json."""
    generator = meshes.get(geometry)
    gmsh.model.add(geometry)
    # Sizes come from the generator's fields only.
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    t0 = time.perf_counter()
    metadata = dict(generator.build(gmsh.model, parameters, settings) or {})
    dim = gmsh.model.getDimension()
    declaration = generator.declare(parameters)
    if declaration is not None:
        _check_declaration(geometry, declaration, dim)
    if settings.algorithm is not None:
        gmsh.option.setNumber("Mesh.Algorithm" if dim == 2 else "Mesh.Algorithm3D", settings.algorithm)
    gmsh.model.mesh.generate(dim)
    if settings.geometry_order > 1:
        gmsh.model.mesh.setOrder(settings.geometry_order)
    metadata["gdim"] = int(metadata.get("gdim", dim))
    metadata["gmsh_seconds"] = time.perf_counter() - t0
    gmsh.option.setNumber("Mesh.Binary", 1)
    gmsh.write(str(folder / "mesh.msh"))
    info = {
        "geometry": geometry,
        "parameters": parameters.model_dump(mode="json"),
        "mesh": settings.model_dump(mode="json"),
        "metadata": metadata,
    }
    (folder / "geometry.json").write_text(json.dumps(info, indent=1))


def _check_declaration(geometry: str, declaration: meshes.GeometryDeclaration, dim: int) -> None:
    """The physical groups drawn into the current Gmsh model match what the generator declared."""
    names = {d: set() for d in (dim, dim - 1)}
    for d, tag in gmsh.model.getPhysicalGroups():
        if d in names:
            names[d].add(gmsh.model.getPhysicalName(d, tag))
    problem = declaration.mismatch(dim, names[dim], names[dim - 1])
    if problem:
        raise GeometryError(f"geometry {geometry!r} does not draw what it declares: {problem}")


def build_mesh(
    geometry: str,
    parameters: GeometryParameters,
    settings: MeshSettings,
    comm: MPI.Comm = MPI.COMM_WORLD,
    cache_dir: Path | None = None,
    verbose: bool = False,
) -> TaggedMesh:
    """Build (or fetch from ``cache_dir``) the mesh of a registered geometry.

    Gmsh runs on rank 0 only; errors there are raised on every rank. A described generator
    (``kind`` other than ``"gmsh"``) is built by DOLFINx on every rank, uncached.
    """
    if meshes.get(geometry).kind != "gmsh":
        from solver.geometry.described import build_described

        return build_described(geometry, parameters, settings, comm)
    key = mesh_key(geometry, parameters, settings)
    cached = Path(cache_dir) / key if cache_dir is not None else None
    hit = cached is not None and (cached / "geometry.json").exists()
    if hit:
        tagged = load_mesh(cached, comm, verbose)
    else:
        tagged = _convert(comm, verbose, lambda folder: _generate(geometry, parameters, settings, folder), cached)
    tagged.statistics["cache_hit"] = bool(hit)
    tagged.statistics["cache_key"] = key
    return tagged


def load_mesh(folder: Path, comm: MPI.Comm = MPI.COMM_WORLD, verbose: bool = False) -> TaggedMesh:
    """Read a mesh folder written by :func:`build_mesh` (``mesh.msh`` + ``geometry.json``)."""
    folder = Path(folder)

    def read(_tmp):
        gmsh.merge(str(folder / "mesh.msh"))
        return json.loads((folder / "geometry.json").read_text())

    return _convert(comm, verbose, read, None)


def _convert(comm: MPI.Comm, verbose: bool, fill_model, keep: Path | None) -> TaggedMesh:
    """Run ``fill_model(folder)`` on rank 0 inside a Gmsh session, then convert collectively.

    ``fill_model`` writes into a fresh temporary folder; if ``keep`` is given the folder is
    renamed to it (atomically) so that the mesh is cached, otherwise it is removed.
    """
    info = None
    with broadcast_errors(comm):
        if comm.rank == 0:
            parent = keep.parent if keep is not None else None
            if parent is not None:
                parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".mesh-", dir=parent))
            register_temporary(tmp)  # removed if the process is interrupted under MPI
            gmsh.initialize(interruptible=False)
            gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
            try:
                info = fill_model(tmp)
                if info is None:
                    info = json.loads((tmp / "geometry.json").read_text())
            except Exception as exc:  # Gmsh raises bare Exception carrying its log message
                gmsh.finalize()
                shutil.rmtree(tmp, ignore_errors=True)
                if isinstance(exc, GeometryError):
                    raise
                raise GeometryError(f"Gmsh could not build the geometry: {exc}") from exc
    info = comm.bcast(info, root=0)
    gdim = int(info["metadata"]["gdim"])
    t0 = time.perf_counter()
    try:
        with broadcast_errors(comm):
            # Ghost cells across shared facets: interior-facet integrals (the zero-thickness
            # grain-boundary model, dS terms) need both cells of every facet on its owner.
            partitioner = dolfinx.mesh.create_cell_partitioner(dolfinx.mesh.GhostMode.shared_facet, 2)
            data = dolfinx.io.gmsh.model_to_mesh(gmsh.model if comm.rank == 0 else None, comm, 0, gdim=gdim,
                                                 partitioner=partitioner)
    finally:
        if comm.rank == 0:
            gmsh.finalize()
            if keep is not None:
                try:
                    os.replace(tmp, keep)
                except OSError:  # another process cached the same mesh first
                    shutil.rmtree(tmp, ignore_errors=True)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
            forget_temporary(tmp)
    import_seconds = time.perf_counter() - t0
    msh = data.mesh
    tdim = msh.topology.dim
    regions = {n: int(g.tag) for n, g in data.physical_groups.items() if g.dim == tdim}
    boundaries = {n: int(g.tag) for n, g in data.physical_groups.items() if g.dim == tdim - 1}
    facet_tags = data.facet_tags
    if facet_tags is None:
        facet_tags = dolfinx.mesh.meshtags(msh, tdim - 1, np.empty(0, np.int32), np.empty(0, np.int32))
    msh.topology.create_connectivity(tdim - 1, tdim)
    metadata = dict(info["metadata"])
    metadata.update(geometry=info["geometry"], parameters=info["parameters"], mesh_settings=info["mesh"])
    stats = mesh_statistics(msh)
    stats["gmsh_seconds"] = metadata.get("gmsh_seconds")
    stats["import_seconds"] = import_seconds
    return TaggedMesh(msh, data.cell_tags, facet_tags, regions, boundaries, metadata, stats)


def mesh_statistics(msh: dolfinx.mesh.Mesh, chunk: int = 100_000) -> dict:
    """Global cell/vertex counts, min/max cell size h [m] and minimum radius ratio quality [-].

    Cells are processed ``chunk`` at a time: the per-cell vertex-coordinate temporaries
    (~200 bytes a tetrahedron) would otherwise set the peak memory of a large run.
    """
    tdim = msh.topology.dim
    comm = msh.comm
    n_local = msh.topology.index_map(tdim).size_local
    h_min, h_max, q_min = np.inf, 0.0, 1.0
    for start in range(0, n_local, chunk):
        cells = np.arange(start, min(start + chunk, n_local), dtype=np.int32)
        h = msh.h(tdim, cells)
        h_min, h_max = min(h_min, float(h.min())), max(h_max, float(h.max()))
        quality = _radius_ratio(msh, cells)
        if quality.size:
            q_min = min(q_min, float(quality.min()))
    return {
        "cells": comm.allreduce(n_local, MPI.SUM),
        "vertices": msh.topology.index_map(0).size_global,
        "cell_type": msh.topology.cell_type.name,
        "h_min_m": comm.allreduce(h_min, MPI.MIN),
        "h_max_m": comm.allreduce(h_max, MPI.MAX),
        "quality_min": comm.allreduce(q_min, MPI.MIN),
        "mpi_ranks": comm.size,
    }


def _radius_ratio(msh: dolfinx.mesh.Mesh, cells: np.ndarray) -> np.ndarray:
    """Normalised inradius/circumradius ratio of simplices (1 = equilateral)."""
    if cells.size == 0 or msh.topology.cell_type.name not in ("triangle", "tetrahedron"):
        return np.ones(0)
    x = msh.geometry.x
    dofs = msh.geometry.dofmaps[0][cells][:, : msh.topology.dim + 1]
    p = x[dofs]
    if msh.topology.dim == 2:
        a = np.linalg.norm(p[:, 1] - p[:, 2], axis=1)
        b = np.linalg.norm(p[:, 0] - p[:, 2], axis=1)
        c = np.linalg.norm(p[:, 0] - p[:, 1], axis=1)
        s = 0.5 * (a + b + c)
        area = np.sqrt(np.maximum(s * (s - a) * (s - b) * (s - c), 0))
        r_in = area / s
        r_out = a * b * c / (4 * area + 1e-300)
        return 2 * r_in / r_out
    e = [p[:, j] - p[:, 0] for j in (1, 2, 3)]
    vol = np.abs(np.einsum("ij,ij->i", e[0], np.cross(e[1], e[2]))) / 6
    faces = [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
    area = sum(0.5 * np.linalg.norm(np.cross(p[:, j] - p[:, i], p[:, k] - p[:, i]), axis=1) for i, j, k in faces)
    r_in = 3 * vol / area
    # circumradius from the Cayley-Menger-free formula |a|^2 (b x c) + ... / (12 V)
    a, b, c = e
    num = np.linalg.norm(
        (a * a).sum(1)[:, None] * np.cross(b, c) + (b * b).sum(1)[:, None] * np.cross(c, a) + (c * c).sum(1)[:, None] * np.cross(a, b),
        axis=1,
    )
    r_out = num / (12 * vol + 1e-300)
    return 3 * r_in / r_out


def restrict(tagged: TaggedMesh, region_names: list[str]) -> TaggedMesh:
    """The sub-mesh made of the named regions, with cell and facet tags carried over.

    Facets between a kept and a dropped region (e.g. Li | interphase) become exterior
    facets of the sub-mesh and keep their boundary names.
    """
    if set(region_names) >= set(tagged.regions):
        return tagged
    msh = tagged.mesh
    tdim = msh.topology.dim
    cells = np.sort(np.concatenate([tagged.cells(n) for n in region_names])).astype(np.int32)
    sub, cell_map, vertex_map, _ = dolfinx.mesh.create_submesh(msh, tdim, cells)
    msh.topology.create_connectivity(tdim - 1, tdim)
    cell_tags = dolfinx.mesh.transfer_meshtags_to_submesh(tagged.cell_tags, sub, vertex_map, cell_map)
    facet_tags = dolfinx.mesh.transfer_meshtags_to_submesh(tagged.facet_tags, sub, vertex_map, cell_map)
    sub.topology.create_connectivity(tdim - 1, tdim)
    regions = {n: t for n, t in tagged.regions.items() if n in region_names}
    stats = dict(tagged.statistics, **{k: v for k, v in mesh_statistics(sub).items() if k != "mpi_ranks"})
    return TaggedMesh(sub, cell_tags, facet_tags, regions, dict(tagged.boundaries), dict(tagged.metadata), stats)
