"""A fracture case: linear elasticity of a crack geometry under the loads the case names,
and the stress intensity at every crack tip (2D, plane strain) or along every crack front
(3D).

    geometry: {type: surface_crack_3d, crack_depth: 1 um, half_length: 2 um}
    materials: {electrolyte: Li6PS5Cl}
    fracture:
      pressures: {crack_faces: 50 MPa}     # or {top: -50 MPa} for a remote tension
    mechanics: {integration_radius: 0.3 um}

Supports: ``fracture.constraints`` by boundary name, or the statically determinate
supports the generator declares (``supports`` in its metadata: symmetry planes and point
constraints with zero reactions for self-equilibrated loads). K comes from the domain
interaction integral with the crack-face term for the pressure on ``crack_faces``
(:func:`solver.physics.fracture.interaction_integral` in 2D,
:func:`solver.physics.fracture_3d.front_stress_intensity` in 3D).

Writes ``stress_intensity.csv`` (K per tip or front node [Pa m^0.5]), in 3D
``front_stress_intensity.png``, and the displacement field ``displacement.xdmf`` [m] (one
time step holding the mesh and the field, which ParaView, pyvista and meshio read).
"""

from __future__ import annotations

import csv
import dataclasses
import logging

from mpi4py import MPI

from solver.config.adapter import FRACTURE_KEYS, MECHANICS_KEYS, case_keys
from solver.config.case import Case
from solver.errors import CaseError
from solver.geometry.driver import TaggedMesh
from solver.physics.elasticity import ElasticFields, ElasticityProblem

__all__ = ["FractureResult", "solve_fracture", "write_fracture"]

log = logging.getLogger(__name__)
FACES = "crack_faces"


@dataclasses.dataclass
class FractureResult:
    """K at every tip (2D) or front node (3D): rows of SI values, and the largest K_I."""

    rows: list[dict]
    max_stress_intensity: float
    fields: ElasticFields

    def summary(self) -> dict:
        return {"stress_intensity": self.rows, "max_stress_intensity": self.max_stress_intensity,
                "units": {"K": "Pa m^0.5", "position": "m"}}


def _materials(case: Case, tagged: TaggedMesh) -> dict[str, tuple[float, float]]:
    out = {}
    for region in tagged.regions:
        if region not in case.materials:
            raise CaseError("materials", f"region {region!r} of the geometry has no material")
        mat = case.materials[region]
        out[region] = (mat.get("youngs_modulus", f"materials.{region}.youngs_modulus"),
                       mat.get("poissons_ratio", f"materials.{region}.poissons_ratio"))
    return out


def _supports(case: Case, tagged: TaggedMesh):
    declared = tagged.metadata.get("supports") or {}
    section = case.model.fracture
    if section.constraints is not None:
        return dict(section.constraints), []
    if not declared:
        raise CaseError("fracture.constraints", f"geometry {case.model.geometry.type} declares no supports: give "
                        "the constraints by boundary name (fixed, roller, symmetry)")
    points = [(tuple(p), tuple(c)) for p, c in declared.get("point_constraints", [])]
    return dict(declared.get("constraints", {})), points


def _tips_2d(case: Case, fields: ElasticFields, tagged: TaggedMesh, pressure: float) -> list[dict]:
    from solver.physics.fracture import crack_tips, interaction_integral

    rows = []
    faces = FACES if FACES in tagged.boundaries else None
    for k, tip in enumerate(crack_tips(tagged)):
        with case_keys(FRACTURE_KEYS, "fracture"):
            k_tip = interaction_integral(fields, tip, radius=case.model.mechanics.integration_radius, crack_faces=faces)
        rows.append({"tip": k, "x_m": tip.tip[0], "y_m": tip.tip[1], "K_I_Pa_m05": k_tip.K_I,
                     "K_II_Pa_m05": k_tip.K_II, "J_J_m2": k_tip.J})
    return rows


def _fronts_3d(case: Case, fields: ElasticFields, tagged: TaggedMesh, pressure: float) -> list[dict]:
    from solver.physics.fracture_3d import crack_fronts, front_stress_intensity
    from solver.studies.flaw_risk_3d import default_radius

    rows = []
    for j, (front, entry) in enumerate(zip(crack_fronts(tagged.metadata), tagged.metadata["crack_fronts"])):
        radius = case.model.mechanics.integration_radius or default_radius(tagged, entry)
        with case_keys(FRACTURE_KEYS, "fracture"):
            result = front_stress_intensity(fields, front, radius, pressure=pressure,
                                            segments=case.model.fracture.segments)
        rows += [dict(front=j, **r) for r in result.records()]
    return rows


def solve_fracture(case: Case, tagged: TaggedMesh) -> FractureResult:
    """The elastic solve of a fracture case and K at every tip or front node."""
    section = case.model.fracture
    if not (tagged.metadata.get("crack_tips") or tagged.metadata.get("crack_fronts")):
        raise CaseError("geometry.type", f"{case.model.geometry.type} has no crack tips or fronts; crack "
                        "geometries: edge_crack_plate, centre_crack_plate, edge_crack_3d, surface_crack_3d, "
                        "embedded_crack_3d")
    unknown = sorted(set(section.pressures) - set(tagged.boundaries))
    if unknown:
        raise CaseError(f"fracture.pressures.{unknown[0]}", f"no such boundary; the geometry has "
                        f"{', '.join(sorted(tagged.boundaries))}")
    constraints, points = _supports(case, tagged)
    with case_keys(MECHANICS_KEYS, "mechanics"), ElasticityProblem(
        tagged, _materials(case, tagged), pressures=dict(section.pressures), constraints=constraints,
        point_constraints=points, degree=case.model.mechanics.element_degree,
    ) as problem:
        fields = problem.solve()
    pressure = float(section.pressures.get(FACES, 0.0))
    rows = (_fronts_3d if tagged.gdim == 3 else _tips_2d)(case, fields, tagged, pressure)
    return FractureResult(rows, max(r["K_I_Pa_m05"] for r in rows), fields)


def write_fracture(folder, result: FractureResult, case_name: str, comm: MPI.Comm) -> None:
    """``stress_intensity.csv``, ``displacement.xdmf`` and, in 3D, ``front_stress_intensity.png``."""
    from dolfinx import fem, io

    u = result.fields.displacement
    msh = u.function_space.mesh
    P1 = fem.functionspace(msh, ("Lagrange", 1, (msh.geometry.dim,)))
    u1 = fem.Function(P1, name="displacement_m")
    u1.interpolate(u)
    with io.XDMFFile(comm, str(folder / "displacement.xdmf"), "w") as xdmf:
        xdmf.write_mesh(msh)
        xdmf.write_function(u1)
    if comm.rank != 0:
        return
    from solver.io.exports import merge_time_series

    merge_time_series(folder / "displacement.xdmf")  # one grid with the field: pyvista and meshio read it
    with open(folder / "stress_intensity.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(result.rows[0]))
        w.writeheader()
        w.writerows(result.rows)
    if "front" in result.rows[0]:
        _plot_fronts(folder / "front_stress_intensity.png", result.rows, case_name)


def _plot_fronts(path, rows: list[dict], case_name: str) -> None:
    from solver.io.pictures.plots import front_profile

    name = next(k for k in rows[0] if k not in ("front", "arc_length_m", "x_m", "y_m", "z_m") and not k.startswith("K_"))
    fronts = []
    for j in sorted({r["front"] for r in rows}):
        mine = [r for r in rows if r["front"] == j]
        x = [r[name] for r in mine]
        fronts.append({"label": f"front {j}: K$_I$", "parameter": x, "K": [r["K_I_Pa_m05"] for r in mine]})
        if "K_II_Pa_m05" in mine[0]:
            fronts.append({"label": "K$_{II}$", "parameter": x, "K": [r["K_II_Pa_m05"] for r in mine], "style": "s--"})
            fronts.append({"label": "K$_{III}$", "parameter": x, "K": [r["K_III_Pa_m05"] for r in mine],
                           "style": "^:"})
    front_profile(fronts, path, case=case_name, parameter=name, title="stress intensity along the crack front")
