"""Can this case be meshed and solved on this machine? Checked before Gmsh starts.

The generators' own parameter models refuse impossible shapes (a flaw wider than the
cell, overlapping flaws, roughness through the counter electrode). This module adds the
checks that are about *size*: what the parameters imply for the mesh even when no
``mesh:`` section is given, so that a typo (``correlation_length: 1 nm`` in a 10 um box)
is an error in a second instead of a machine out of memory an hour later.

Estimate. Every generator refines its mesh on the smallest feature it draws (a tip
radius, a correlation length, a layer thickness), with an element size between that
feature / 20 and / 6. Without knowing the generator, take the most refined case: the
interface size ``h = feature / 20`` (or ``mesh.interface_size`` when given), the
feature being the smallest positive length anywhere in the geometry parameters (nested
ones included). The box has extent ``E`` (its largest length) and dimension ``d``. A
mesh graded from ``h`` at the interface to ``E / 15`` far from it has about

    N ~ (E / h)^(d - 1) * log2(E / (15 h)) * c_d  +  (15)^d        cells,

(the interface layer with ``c_2 = 4``, ``c_3 = 8`` cells per interface element and
grading level, generous choices). This over-estimates on purpose (a real generator
coarsens away from the smallest feature, and most use feature / 6 to / 10); the shipped
cases estimate 1e3..3e5 cells, far below the limits.

Limits: ``MAX_CELLS`` cells, and a memory estimate of ``BYTES_PER_CELL[d]`` times the
cell count below ``MEMORY_FRACTION`` of this machine's physical memory. The bytes per
cell are order-of-magnitude estimates, not measurements: a P1 matrix has ~7 (2D) or ~15
(3D) nonzeros per row at 12 B each, with 0.5 (2D) or 0.2 (3D) DOFs per cell; the GAMG
hierarchy or an LU factor multiplies that several times; the mesh, its connectivity and
the fields add a few hundred bytes per cell.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from pydantic import BaseModel

from solver.config.units import SIUnit
from solver.errors import CaseError

__all__ = ["check_feasible", "check_size", "estimate_cells", "MAX_CELLS", "MAX_FLAWS", "BYTES_PER_DOF"]

MAX_CELLS = 5e7
MAX_FLAWS = 20  # each flaw costs one elasticity solve for the influence matrix, and tips must be resolved
FLAW_GAP = 0.5  # mouths at least half a mouth width apart: the mesh between two flaws needs a few cells
BYTES_PER_CELL = {2: 600, 3: 2500}
BYTES_PER_DOF = 3000  # structured and voxel meshes: the end-to-end budget per degree of freedom (3D)
MEMORY_FRACTION = 0.5
_REFINEMENT = 20  # finest element size of a generator: smallest feature / 20
_LAYER_CELLS = {2: 4, 3: 8}
# lengths that place or shape something without being drawn at their own scale
_NOT_FEATURES = {"position", "x", "y", "amplitude", "rms_height", "max_height", "phase"}


def _lengths(model: BaseModel, prefix: str) -> Iterator[tuple[str, float]]:
    """(dotted key, value [m]) of every length field of ``model``, nested models and lists included."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}.{name}"
        if any(isinstance(m, SIUnit) and m.unit == "m" for m in field.metadata) and isinstance(value, float):
            yield key, value
        elif isinstance(value, BaseModel):
            yield from _lengths(value, key)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _lengths(item, f"{key}.{i}")


def _dimension(geometry: BaseModel) -> int:
    return 3 if "depth" in type(geometry).model_fields else 2


def estimate_cells(geometry: BaseModel, mesh) -> tuple[float, str, float]:
    """(estimated cell count, key of the feature that sets the finest size, that size [m])."""
    dim = _dimension(geometry)
    top = [v for k, v in _lengths(geometry, "geometry") if k.count(".") == 1 and v > 0]
    extent = max(top, default=None)
    if extent is None:
        return 0.0, "", 0.0
    features = [(v, k) for k, v in _lengths(geometry, "geometry") if v > 0 and k.rsplit(".", 1)[-1] not in _NOT_FEATURES]
    feature, key = min(features, default=(extent, "geometry"))
    size = feature / _REFINEMENT
    if mesh.interface_size is not None:
        size, key = mesh.interface_size, "mesh.interface_size"
    size = min(mesh.scaled(size), extent)
    ratio = extent / size
    cells = ratio ** (dim - 1) * max(1.0, math.log2(max(ratio / 15, 1.0))) * _LAYER_CELLS[dim] + 15.0**dim
    if mesh.size is not None:
        cells = max(cells, (extent / mesh.scaled(mesh.size)) ** dim)
    return cells, key, size


def _memory_bytes() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a laptop
        return 8e9


def _check_flaws(geometry: BaseModel) -> None:
    flaws = getattr(geometry, "flaws", None)
    if not isinstance(flaws, (list, tuple)) or not flaws:
        return
    if len(flaws) > MAX_FLAWS:
        raise CaseError("geometry.flaws", f"{len(flaws)} flaws; at most {MAX_FLAWS} (each needs its own "
                        "resolved tip and one elasticity solve): model a periodic row with fewer flaws")
    spans = sorted((f.position, f.width, i) for i, f in enumerate(flaws) if hasattr(f, "position"))
    for (x0, w0, i), (x1, w1, j) in zip(spans, spans[1:]):
        gap = (x1 - w1 / 2) - (x0 + w0 / 2)
        if gap < FLAW_GAP * max(w0, w1):
            raise CaseError(f"geometry.flaws.{j}.position", f"flaws {i} and {j} are {gap:.3g} m apart at their "
                            f"mouths; keep at least {FLAW_GAP:g} x the wider mouth ({FLAW_GAP * max(w0, w1):.3g} m)")


def check_size(key: str, cells: float, dofs: float, limit: float | None = None, what: str = "the mesh") -> None:
    """Raise a :class:`CaseError` naming ``key`` if a mesh of ``cells`` cells with at most ``dofs``
    degrees of freedom exceeds ``MAX_CELLS`` or ``BYTES_PER_DOF * dofs`` exceeds ``limit`` [B]
    (default: ``MEMORY_FRACTION`` of this machine's memory)."""
    budget = limit if limit is not None else MEMORY_FRACTION * _memory_bytes()
    memory = dofs * BYTES_PER_DOF
    if cells > MAX_CELLS or memory > budget:
        stated = "geometry.memory_limit" if limit is not None else "half of this machine's memory"
        raise CaseError(key, f"{what}: {cells:.3g} cells, up to {dofs:.3g} unknowns, about {memory / 1e9:.3g} GB "
                        f"(limits: {MAX_CELLS:.0e} cells, {budget / 1e9:.3g} GB = {stated}); coarsen or crop")


def check_feasible(geometry: BaseModel, mesh) -> None:
    """Raise a :class:`CaseError` if the case would need more cells or memory than allowed.

    A geometry that knows its mesh size (``estimated_size(mesh) -> (cells, unknowns)``, the
    structured and voxel meshes) is checked on it, naming its ``size_key``, instead of the
    generic estimate."""
    _check_flaws(geometry)
    if hasattr(geometry, "estimated_size"):
        cells, dofs = geometry.estimated_size(mesh)
        check_size(getattr(geometry, "size_key", "geometry"), cells, dofs, getattr(geometry, "memory_limit", None))
        return
    cells, key, size = estimate_cells(geometry, mesh)
    dim = _dimension(geometry)
    memory = cells * BYTES_PER_CELL[dim]
    budget = MEMORY_FRACTION * _memory_bytes()
    if cells > MAX_CELLS or memory > budget:
        raise CaseError(key or "mesh", f"implies elements of {size:.3g} m in a {dim}D geometry: about {cells:.2g} "
                        f"cells and {memory / 1e9:.3g} GB (limits: {MAX_CELLS:.0e} cells, {budget / 1e9:.3g} GB "
                        "here); use a larger feature or set mesh.interface_size")
