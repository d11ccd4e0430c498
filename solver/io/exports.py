"""Field writers: XDMF and VTU (P1), VTX/ADIOS2 (exact) for ParaView, VTU + CSV for the interface.

Field names carry their units, because ParaView shows names, not metadata:
``potential_V`` [V], ``current_density_A_m2`` [A/m^2] (vector, cell-wise),
``current_density_magnitude_A_m2``, ``ionic_conductivity_S_m`` [S/m], ``region`` (cell
tags), and on the interface ``interface_current_density_A_m2`` (into the anode, positive
for plating) and ``overpotential_V``. ParaView 5.11 reads the XDMF (HDF5 beside it), where
the potential is interpolated to P1 on the mesh nodes; ``fields.vtu`` holds the same in
one file that ``pyvista.read`` and ``meshio.read`` open directly. The VTX files (ADIOS2 BP4,
ParaView >= 5.12) keep the potential in its own element (P2, or DG with a lumped
grain-boundary model) exactly: ``fields.bp`` holds the potential, ``cell_fields.bp`` the
cell-wise (DG0) fields. A run with electrons in the electrolyte adds the fields of
:mod:`solver.io.electronic_fields` (``electronic_potential_V``,
``li_formation_overpotential_V``, ...) to both files.
"""

from __future__ import annotations

from pathlib import Path

import dolfinx
import dolfinx.plot
import numpy as np
import ufl
from dolfinx import fem

from solver.physics.conduction import ConductionFields

__all__ = ["FIELD_UNITS", "cell_fields", "interface_table", "merge_time_series", "potential_p1", "write_fields", "write_fields_vtu",
           "write_fields_vtx", "write_interface"]

FIELD_UNITS = {
    "potential_V": "V (electrolyte potential vs the Li anode)",
    "current_density_A_m2": "A/m^2 (ionic current density vector, cell average)",
    "current_density_magnitude_A_m2": "A/m^2",
    "ionic_conductivity_S_m": "S/m",
    "region": "cell tag; names in summary.json mesh.regions",
    "interface_current_density_A_m2": "A/m^2 (normal, electrolyte -> anode; > 0 plating)",
    "overpotential_V": "V (eta = phi_s - phi_e - U_ref)",
}


def cell_current_density(fields: ConductionFields) -> tuple[fem.Function, fem.Function]:
    """Cell-average current density vector and its magnitude (DG0) [A/m^2]."""
    msh = fields.tagged.mesh
    gdim = msh.geometry.dim
    W = fem.functionspace(msh, ("DG", 0, (gdim,)))
    Q = fem.functionspace(msh, ("DG", 0))
    i_vec = fem.Function(W, name="current_density_A_m2")
    i_mag = fem.Function(Q, name="current_density_magnitude_A_m2")
    i = fields.current_density
    i_vec.interpolate(fem.Expression(i, W.element.interpolation_points))
    i_mag.interpolate(fem.Expression(ufl.sqrt(ufl.inner(i, i)), Q.element.interpolation_points))
    return i_vec, i_mag


def potential_p1(fields: ConductionFields) -> fem.Function:
    """The potential as continuous P1 (interpolated unless it already is), named ``potential_V`` [V]."""
    phi = fields.potential
    element = phi.function_space.element.basix_element
    if element.degree != 1 or element.discontinuous:  # files store continuous P1 on the mesh nodes
        phi1 = fem.Function(fem.functionspace(fields.tagged.mesh, ("Lagrange", 1)), name="potential_V")
        phi1.interpolate(phi)
        phi = phi1
    phi.name = "potential_V"
    return phi


def cell_fields(fields: ConductionFields) -> list[fem.Function]:
    """The cell-wise (DG0) fields: current density vector and magnitude [A/m^2], ionic
    conductivity [S/m] and the region tag of every cell."""
    i_vec, i_mag = cell_current_density(fields)
    sigma = fields.conductivity
    sigma.name = "ionic_conductivity_S_m"
    region = fem.Function(i_mag.function_space, name="region")
    tags = fields.tagged.cell_tags
    region.x.array[tags.indices] = tags.values
    region.x.scatter_forward()
    return [i_vec, i_mag, sigma, region]


def write_fields(folder: Path, fields: ConductionFields, extra=None) -> Path:
    """Write mesh and fields to ``folder/fields.xdmf`` + ``fields.h5`` (collective).

    DOLFINx writes every function as its own time series, each including the mesh by an
    XPointer; VTK's XDMF reader (pyvista) crashes on those and meshio reads none of them.
    The XML is therefore rewritten (rank 0; the HDF5 data stay as written) into one time
    series of one step that holds the mesh and every field, which ParaView, pyvista
    (``pyvista.read``) and meshio (``meshio.xdmf.TimeSeriesReader``) all read.
    """
    msh = fields.tagged.mesh
    path = Path(folder) / "fields.xdmf"
    functions = [potential_p1(fields), *cell_fields(fields)]
    if extra is not None:
        P1 = fem.functionspace(msh, ("Lagrange", 1))
        functions += [_as_p1(f, P1) for f in extra.point] + list(extra.cell)
    with dolfinx.io.XDMFFile(msh.comm, path, "w") as xdmf:
        xdmf.write_mesh(msh)
        for f in functions:
            xdmf.write_function(f)
    if msh.comm.rank == 0:  # the file is complete here: closing it was collective
        _one_time_series(path)
    return path


def _one_time_series(path: Path) -> None:
    """Rewrite a DOLFINx XDMF file as one time series (see :func:`merge_time_series`)."""
    merge_time_series(path)


def merge_time_series(path: Path) -> int:
    """Rewrite a DOLFINx XDMF file (a mesh grid plus one time series per function, each
    step pointing at the mesh by an XPointer) as one temporal collection whose steps each
    hold the mesh and every attribute written at that time, in time order; return the
    number of steps. Call it on rank 0 after the (collective) close; the HDF5 data stay
    as written. ParaView, pyvista (``pyvista.read``, ``pyvista.XdmfReader`` time steps)
    and meshio (``meshio.xdmf.TimeSeriesReader``) read the result."""
    import copy
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    domain = root.find("Domain")
    grids = domain.findall("Grid")
    mesh = next(g for g in grids if g.get("GridType") == "Uniform")
    by_time: dict[str, list] = {}
    for grid in grids:
        for step in grid.iter("Grid"):
            time = step.find("Time")
            if time is not None:
                by_time.setdefault(time.get("Value"), []).extend(step.findall("Attribute"))
        domain.remove(grid)
    collection = ET.SubElement(domain, "Grid", Name="fields", GridType="Collection", CollectionType="Temporal")
    for value in sorted(by_time or {"0": []}, key=float):
        step = ET.SubElement(collection, "Grid", Name="fields", GridType="Uniform")
        step.append(copy.deepcopy(mesh.find("Topology")))
        step.append(copy.deepcopy(mesh.find("Geometry")))
        ET.SubElement(step, "Time", Value=value)
        step.extend(by_time.get(value, []))
        _declare_precision(step, path.with_suffix(".h5"))
    ET.indent(root)
    path.write_text('<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
    return len(collection)


def _declare_precision(grid, h5_path: Path) -> None:
    """State each HDF5 data item's number type and byte size (DOLFINx leaves them out, and
    VTK then reads float64 data as float32)."""
    import h5py

    kinds = {"f": "Float", "i": "Int", "u": "UInt"}
    with h5py.File(h5_path, "r") as h5:
        for item in grid.iter("DataItem"):
            dtype = h5[item.text.strip().split(":", 1)[1]].dtype
            if item.get("DataType") is None:
                item.set("NumberType", kinds.get(dtype.kind, "Float"))
            item.set("Precision", str(dtype.itemsize))


_MESHIO_CELLS = {5: "triangle", 9: "quad", 10: "tetra", 12: "hexahedron"}


def write_fields_vtu(folder: Path, fields: ConductionFields, extra=None) -> Path | None:
    """Write mesh and fields to ``folder/fields.vtu`` (VTK XML, one file; collective, rank 0 writes).

    The potential is P1 on the mesh vertices (point data ``potential_V``), the cell fields
    as :func:`cell_fields`. Every rank sends its owned cells (vertices in global numbering)
    and owned vertices to rank 0, which writes one conforming mesh. Opens with
    ``pyvista.read``, ``meshio.read`` and ParaView. ``extra`` as in :func:`write_fields`.
    Returns the path on rank 0, else None.
    """
    import meshio

    phi = potential_p1(fields)
    cells = cell_fields(fields)
    V = phi.function_space
    points_extra = [] if extra is None else [_as_p1(f, V) for f in extra.point]
    cells += [] if extra is None else list(extra.cell)
    msh = V.mesh
    n_cells = msh.topology.index_map(msh.topology.dim).size_local
    topology, cell_types, x = dolfinx.plot.vtk_mesh(V, np.arange(n_cells, dtype=np.int32))
    imap = V.dofmap.index_map
    to_global = imap.local_to_global(np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32))
    n_owned = imap.size_local
    local = (to_global[topology.reshape(n_cells, -1)[:, 1:]], cell_types,
             to_global[:n_owned], x[:n_owned],
             {f.name: f.x.array[:n_owned].copy() for f in [phi, *points_extra]},
             {f.name: f.x.array.reshape(-1, f.function_space.value_size)[:n_cells].copy() for f in cells})
    gathered = msh.comm.gather(local, root=0)
    if msh.comm.rank != 0:
        return None
    points = np.zeros((imap.size_global, 3))
    point_data = {name: np.zeros(imap.size_global) for name in gathered[0][4]}
    for _, _, vertices, coordinates, values, _ in gathered:
        points[vertices] = coordinates
        for name, value in values.items():
            point_data[name][vertices] = value
    connectivity = np.vstack([g[0] for g in gathered])
    kind = _MESHIO_CELLS[int(gathered[0][1][0])]
    cell_data = {}
    for name in gathered[0][5]:
        values = np.vstack([g[5][name] for g in gathered])
        if values.shape[1] > 1:  # vectors with three components (ParaView glyphs, pyvista vectors)
            values = np.hstack([values, np.zeros((len(values), 3 - values.shape[1]))])
        cell_data[name] = [values if values.shape[1] > 1 else values.ravel()]
    path = Path(folder) / "fields.vtu"
    meshio.Mesh(points, [(kind, connectivity)], point_data=point_data,
                cell_data=cell_data).write(path)
    return path


def _as_p1(f: fem.Function, P1: fem.FunctionSpace) -> fem.Function:
    """``f`` itself when it is P1, else its P1 interpolant (same name)."""
    element = f.function_space.element.basix_element
    if element.degree == 1 and not element.discontinuous:
        return f
    out = fem.Function(P1, name=f.name)
    out.interpolate(f)
    return out


def write_fields_vtx(folder: Path, fields: ConductionFields, extra=None) -> list[Path]:
    """Write ``fields.bp`` (potential, native element) and ``cell_fields.bp`` (DG0 fields:
    current density, its magnitude, conductivity, region tag) with ADIOS2 (collective).
    ``extra`` (as in :func:`write_fields`): its point fields, in the potential's element,
    join ``fields.bp``, its cell fields ``cell_fields.bp``."""
    msh = fields.tagged.mesh
    phi = fields.potential
    phi.name = "potential_V"
    paths = [Path(folder) / "fields.bp", Path(folder) / "cell_fields.bp"]
    point, cell = (extra.point, extra.cell) if extra is not None else ([], [])
    for path, functions in zip(paths, ([phi, *point], [*cell_fields(fields), *cell])):
        with dolfinx.io.VTXWriter(msh.comm, path, functions, engine="BP4") as writer:
            writer.write(0.0)
    return paths


def write_interface(folder: Path, samples: dict) -> None:
    """Interface facets as ``interface.vtu`` (ParaView) and ``interface.csv`` (rank 0 only)."""
    import meshio

    pts = samples["points"]  # (n, nv, gdim)
    n, nv, gdim = pts.shape
    points = np.zeros((n * nv, 3))
    points[:, :gdim] = pts.reshape(-1, gdim)
    cells = [("line" if nv == 2 else "triangle", np.arange(n * nv).reshape(n, nv))]
    point_data = {
        "interface_current_density_A_m2": samples["current_density"].ravel(),
        "overpotential_V": samples["overpotential"].ravel(),
    }
    meshio.Mesh(points, cells, point_data=point_data).write(Path(folder) / "interface.vtu")
    columns, table = interface_table(samples)
    np.savetxt(Path(folder) / "interface.csv", table, delimiter=",", header=",".join(columns), comments="")


def interface_table(samples: dict) -> tuple[list[str], np.ndarray]:
    """Column names (with units) and rows of the interface table, one row per facet
    (midpoint [m], area [m^2, m in 2D], facet-mean current density [A/m^2] and
    overpotential [V]), sorted by the midpoint coordinates."""
    pts = samples["points"]
    gdim = pts.shape[2]
    mid = pts.mean(axis=1)
    columns = ["x_m", "y_m", "z_m"][:gdim] + ["facet_area_m" + ("" if gdim == 2 else "2"),
                                             "interface_current_density_A_m2", "overpotential_V"]
    order = np.lexsort(mid.T[::-1])
    table = np.column_stack([mid, samples["area"], samples["current_density"].mean(1), samples["overpotential"].mean(1)])
    return columns, table[order]
