"""Field writers: XDMF (P1) and VTX/ADIOS2 (exact) for ParaView, VTU + CSV for the interface.

Field names carry their units, because ParaView shows names, not metadata:
``potential_V`` [V], ``current_density_A_m2`` [A/m^2] (vector, cell-wise),
``current_density_magnitude_A_m2``, ``ionic_conductivity_S_m`` [S/m], ``region`` (cell
tags), and on the interface ``interface_current_density_A_m2`` (into the anode, positive
for plating) and ``overpotential_V``. ParaView 5.11 reads the XDMF (HDF5 beside it), where
the potential is interpolated to P1 on the mesh nodes. The VTX files (ADIOS2 BP4,
ParaView >= 5.12) keep the potential in its own element (P2, or DG with a lumped
grain-boundary model) exactly: ``fields.bp`` holds the potential, ``cell_fields.bp`` the
cell-wise (DG0) fields. A run with electrons in the electrolyte adds the fields of
:mod:`solver.io.electronic_fields` (``electronic_potential_V``,
``li_formation_overpotential_V``, ...) to both files.
"""

from __future__ import annotations

from pathlib import Path

import dolfinx
import numpy as np
import ufl
from dolfinx import fem

from solver.physics.conduction import ConductionFields

__all__ = ["FIELD_UNITS", "interface_table", "write_fields", "write_fields_vtx", "write_interface"]

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


def write_fields(folder: Path, fields: ConductionFields, extra=None) -> Path:
    """Write mesh, region tags and fields to ``folder/fields.xdmf`` (collective).

    ``extra``: more fields on the same mesh (an object with ``point`` and ``cell`` lists of
    named functions, e.g. :class:`solver.io.electronic_fields.ElectronicFieldSet`); point
    fields are stored as P1 on the mesh nodes like the potential."""
    msh = fields.tagged.mesh
    path = Path(folder) / "fields.xdmf"
    P1 = fem.functionspace(msh, ("Lagrange", 1))
    phi = fields.potential
    element = phi.function_space.element.basix_element
    if element.degree != 1 or element.discontinuous:  # XDMF stores continuous P1 on the mesh nodes
        phi1 = fem.Function(P1, name="potential_V")
        phi1.interpolate(phi)
        phi = phi1
    phi.name = "potential_V"
    i_vec, i_mag = cell_current_density(fields)
    sigma = fields.conductivity
    sigma.name = "ionic_conductivity_S_m"
    tags = fields.tagged.cell_tags
    tags.name = "region"
    more = [] if extra is None else [_as_p1(f, P1) for f in extra.point] + list(extra.cell)
    with dolfinx.io.XDMFFile(msh.comm, path, "w") as xdmf:
        xdmf.write_mesh(msh)
        xdmf.write_meshtags(tags, msh.geometry)
        for f in (phi, i_vec, i_mag, sigma, *more):
            xdmf.write_function(f)
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
    i_vec, i_mag = cell_current_density(fields)
    sigma = fields.conductivity
    sigma.name = "ionic_conductivity_S_m"
    region = fem.Function(i_mag.function_space, name="region")
    tags = fields.tagged.cell_tags
    region.x.array[tags.indices] = tags.values
    region.x.scatter_forward()
    paths = [Path(folder) / "fields.bp", Path(folder) / "cell_fields.bp"]
    point, cell = (extra.point, extra.cell) if extra is not None else ([], [])
    for path, functions in zip(paths, ([phi, *point], [i_vec, i_mag, sigma, region, *cell])):
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
