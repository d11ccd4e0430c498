"""The anode side in the flaw mechanics: interphase layer and Li (with its skeleton) as regions.

When a flaw geometry meshes its anode side (``geometry.anode`` of ``flaw_2d``: metadata
``anode_layers``), the elasticity problem runs on the whole mesh, not on the ionic
sub-mesh: the Li9Al4 + LiCl layer bonded to the electrolyte restrains the flaw mouth, and
the Li under it carries the layer. Elastic constants per region come from the case's
materials (each with its source). The Li bulk of a stratified anode holds skeleton
particles (Li9Al4/LiCl, seed 001) at area fraction phi; its stiffness is the Voigt rule of
mixtures (equal strain in the particles and the Li, the upper bound of the composite):

    E_eff = (1 - phi) E_Li + phi E_s,    nu_eff = (1 - phi) nu_Li + phi nu_s

with E_s, nu_s those of the case's ``interphase`` material (the skeleton is made of the
same phases, seed 001). The Reuss bound 1 / E = (1 - phi) / E_Li + phi / E_s is lower
(7.8 -> 8.5 GPa instead of 13.4 GPa at phi = 0.1 with E_s = 64 GPa).

Loads: the flaw pressure acts on every face of the Li-filled cavity (flaw, breach walls and
the Li across the breach); the bottom of the Li is traction-free, so a stack pressure acts
on the counter electrode and inside the flaws only.
"""

from __future__ import annotations

from solver.config.adapter import build_case_mesh
from solver.config.case import Case
from solver.errors import CaseError
from solver.geometry.driver import TaggedMesh

__all__ = ["mechanics_mesh", "region_elastic_constants", "voigt_mixture"]


def voigt_mixture(fraction: float, matrix: tuple[float, float], particles: tuple[float, float]) -> tuple[float, float]:
    """(E [Pa], nu [-]) of a matrix holding particles at area fraction ``fraction`` (Voigt)."""
    if not 0 <= fraction < 1:
        raise CaseError("geometry.anode.skeleton_fraction", f"must lie in [0, 1), got {fraction}")
    return tuple((1 - fraction) * m + fraction * s for m, s in zip(matrix, particles))


def mechanics_mesh(case: Case, ionic: TaggedMesh) -> TaggedMesh:
    """The mesh of the elasticity problem: the whole mesh when the geometry meshes its anode
    side and ``mechanics.anode_regions`` is on, else the electrolyte regions of ``ionic``."""
    from solver.geometry.driver import restrict

    if ionic.metadata.get("anode_layers") is None:
        return ionic
    if not case.model.mechanics.anode_regions:
        return restrict(ionic, [r for r in ionic.regions if r != "interphase"])
    return build_case_mesh(case, ionic.mesh.comm)


def _constants(case: Case, region: str) -> tuple[float, float]:
    if region not in case.materials:
        raise CaseError(f"materials.{region}", "required: the mesh has this region (give its material)")
    mat = case.materials[region]
    return (mat.get("youngs_modulus", f"materials.{region}.youngs_modulus"),
            mat.get("poissons_ratio", f"materials.{region}.poissons_ratio"))


def region_elastic_constants(case: Case, mech: TaggedMesh) -> dict[str, tuple[float, float]]:
    """Region -> (E [Pa], nu [-]) of the elasticity problem; ``li_metal`` with its skeleton."""
    out = {region: _constants(case, region) for region in mech.regions}
    layers = mech.metadata.get("anode_layers") or {}
    fraction = float(layers.get("skeleton_fraction") or 0.0)
    if "li_metal" in out and fraction > 0:
        out["li_metal"] = voigt_mixture(fraction, out["li_metal"], _constants(case, "interphase"))
    return out
