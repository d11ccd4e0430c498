"""The coupled chain of :mod:`solver.analysis.risk` on a case: conduction -> tip overpotential ->
Porz pressure -> K_I by superposition -> criterion -> CCD.

Mechanics (2D plane strain, electrolyte regions only): the counter electrode is a roller
(u . n = 0); the lateral sides are symmetry planes (``mechanics.lateral: symmetry``, a
periodic row of flaws in a laterally confined cell: the wedge force p a of a flaw is
reacted there, which lowers K_I by a few per cent when a / L is not small) or free
(``lateral: free``, an isolated flaw); the Li side is free except for the loads. Each
flaw's faces are given their own boundary name (``flaw_<k>_faces``) so that a unit
pressure can be put on one flaw at a time; the influence matrix G_jk [m^0.5] (K_I at tip
j per pascal in flaw k) is computed once, by the interaction integral with its crack-face
term (:func:`solver.physics.fracture.interaction_integral`). The stack pressure (on the counter,
the Li side and inside every flaw) is one more load case.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
from mpi4py import MPI

import dolfinx

from solver.config.case import Case
from solver.physics.conduction import ConductionProblem
from solver.errors import CaseError, SolverError
from solver.lifecycle import raise_if_interrupted
from solver.geometry.driver import TaggedMesh
from solver.analysis.acceptance import acceptance
from solver.analysis.metrics import conduction_metrics
from solver.analysis.risk import FlawState, SweepPoint, critical_current_density, make_criterion, porz_pressure, tip_samples

__all__ = ["FlawRiskAnalysis", "write_sweep"]


def _split_flaw_faces(tagged: TaggedMesh, flaws: list[dict], boundary: str) -> TaggedMesh:
    """A copy of ``tagged`` whose ``boundary`` facets inside flaw k are tagged ``flaw_<k>_faces``.

    A facet belongs to flaw k when its midpoint lies beyond the flaw mouth along the flaw
    direction (0 < s <= depth) and within the flaw's half-width (plus its tip radius) of the
    flaw axis.
    """
    msh = tagged.mesh
    fdim = msh.topology.dim - 1
    tags = tagged.facet_tags
    indices, values = tags.indices.copy(), tags.values.copy()
    on_boundary = values == tagged.boundary_tag(boundary)
    mid = dolfinx.mesh.compute_midpoints(msh, fdim, indices[on_boundary])[:, : msh.geometry.dim]
    boundaries = dict(tagged.boundaries)
    next_tag = max(list(boundaries.values()) + [0]) + 1
    sub = values[on_boundary]
    for k, flaw in enumerate(flaws):
        mouth, d = np.asarray(flaw["mouth"][:2]), np.asarray(flaw["direction"][:2])
        rel = mid[:, :2] - mouth
        s = rel @ d
        lateral = np.abs(rel @ np.array([-d[1], d[0]]))
        half = 0.5 * flaw.get("width", flaw["depth"]) + flaw.get("tip_radius", 0.0)
        inside = (s > 1e-6 * flaw["depth"]) & (s <= flaw["depth"] * (1 + 1e-6)) & (lateral <= half * (1 + 1e-6))
        sub[inside] = next_tag
        boundaries[f"flaw_{k}_faces"] = next_tag
        next_tag += 1
    values[on_boundary] = sub
    order = np.argsort(indices)
    new_tags = dolfinx.mesh.meshtags(msh, fdim, indices[order], values[order])
    return dataclasses.replace(tagged, facet_tags=new_tags, boundaries=boundaries)


class FlawRiskAnalysis:
    """Risk of every flaw of a case as a function of the applied current density.

    Args:
        case: the validated case (its ``risk`` and ``mechanics`` sections are used).
        problem: the case's conduction problem (reused for every current: no recompilation).
    """

    def __init__(self, case: Case, problem: ConductionProblem):
        settings = case.model.risk
        self.case, self.problem, self.settings = case, problem, settings
        self.sign = case.electrochemistry.sign
        tagged = problem.tagged
        self.flaws = list(tagged.metadata.get("flaws") or [])
        if settings.criterion == "fracture_toughness":
            threshold = settings.fracture_toughness or self._material_value("fracture_toughness")
        else:  # the schema requires the named threshold for the other criteria
            threshold = getattr(settings, settings.criterion, None)
        self.criterion = make_criterion(settings.criterion, threshold)
        self.threshold = threshold
        self.influence = np.zeros((len(self.flaws), len(self.flaws)))
        self.force_imbalance = 0.0  # worst relative force imbalance of the elastic solves [-]
        self.stack = np.zeros(len(self.flaws))
        if self.flaws:
            self.tip_radius = [max(f.get("tip_radius", 0.0), tagged.statistics["h_min_m"]) * 2 for f in self.flaws]
        if self.flaws and self.criterion.needs_mechanics:
            if tagged.gdim != 2:
                raise CaseError("risk.criterion", "K_I is computed in 2D only; use critical_overpotential in 3D")
            self._mechanics(tagged, case)

    def _material_value(self, prop: str) -> float:
        for region in ("electrolyte", "grains", *self.case.materials):
            mat = self.case.materials.get(region)
            if mat is not None and prop in mat.values:
                return mat.values[prop]
        raise CaseError(f"risk.{prop}", "required: no electrolyte material of the case provides it")

    def _mechanics(self, tagged: TaggedMesh, case: Case) -> None:
        from solver.physics.elasticity import ElasticityProblem
        from solver.physics.fracture import CrackTip, interaction_integral

        boundary = case.electrochemistry.anode_interface
        mech = _split_flaw_faces(tagged, self.flaws, boundary)
        materials = {}
        for region in mech.regions:
            mat = case.materials[region]
            materials[region] = (mat.get("youngs_modulus", f"materials.{region}.youngs_modulus"),
                                 mat.get("poissons_ratio", f"materials.{region}.poissons_ratio"))
        constraints = {case.electrochemistry.counter_electrode: "roller"}
        point_constraints = []
        if "sides" in mech.boundaries and case.model.mechanics.lateral == "symmetry":
            constraints["sides"] = "roller"
        else:  # free sides: hold one top corner in x against rigid sliding
            x = mech.mesh.geometry.x
            comm = mech.mesh.comm
            corner = (comm.allreduce(float(x[:, 0].min()) if x.size else np.inf, MPI.MIN),
                      comm.allreduce(float(x[:, 1].max()) if x.size else -np.inf, MPI.MAX))
            point_constraints.append((corner, (0.0, None)))
        tips = [CrackTip.from_metadata(f) for f in self.flaws]
        faces = [f"flaw_{k}_faces" for k in range(len(self.flaws))]
        degree = case.model.mechanics.element_degree

        def k_values(pressures):
            fields = ElasticityProblem(mech, materials, pressures=pressures, constraints=constraints,
                                       point_constraints=point_constraints, degree=degree).solve()
            self.force_imbalance = max(self.force_imbalance, fields.force_balance()["imbalance"])
            return np.array([interaction_integral(fields, tip, crack_faces=[faces[j]]).K_I for j, tip in enumerate(tips)])

        for k in range(len(self.flaws)):
            self.influence[:, k] = k_values({faces[k]: 1.0})
        p_stack = case.model.mechanics.stack_pressure
        if p_stack > 0:
            loads = {name: p_stack for name in faces}
            loads[boundary] = p_stack
            loads[case.electrochemistry.counter_electrode] = p_stack
            self.stack = k_values(loads)

    def evaluate(self, applied_current_density: float) -> SweepPoint:
        """Solve at ``applied_current_density`` [A/m^2, magnitude] and rate every flaw."""
        try:
            fields = self.problem.solve(load=self.sign * applied_current_density)
        except SolverError as exc:
            raise_if_interrupted()  # a Ctrl-C is not a failed solve
            return SweepPoint(applied_current_density, float("nan"), None, [], failed=str(exc))
        metrics, _, samples = conduction_metrics(fields)
        checks = acceptance(metrics, fields.solver_info, self.case.model.solver.charge_balance_tolerance)
        if not checks["passed"]:
            return SweepPoint(applied_current_density, float("nan"), None, [], failed="; ".join(checks["failures"]))
        states = []
        if fields.tagged.mesh.comm.rank == 0:
            if self.flaws:
                values = [tip_samples(samples, [f["tip"]], r)[0] for f, r in zip(self.flaws, self.tip_radius)]
                for k, (f, (eta, cur)) in enumerate(zip(self.flaws, values)):
                    states.append(FlawState(k, list(f["tip"]), eta, cur))
            else:  # no flaw: the interface as a whole (no stress concentrator: K_I = 0)
                states.append(FlawState(-1, metrics["hot_spot"], metrics["max_abs_overpotential"],
                                        metrics["max_interface_current_density"]))
        states = fields.tagged.mesh.comm.bcast(states, root=0)
        s = self.settings
        pressures = np.array([porz_pressure(st.overpotential, s.molar_volume, s.pressure_cap) for st in states])
        k_i = self.influence @ pressures[: len(self.flaws)] + self.stack if self.flaws else np.zeros(1)
        for st, p, k in zip(states, pressures, k_i):
            st.pressure, st.stress_intensity = float(p), float(k)
            st.ratio = self.criterion.ratio(st)
        worst = max(states, key=lambda st: st.ratio)
        return SweepPoint(applied_current_density, worst.ratio, worst.index, states)

    def critical_current_density(self, progress=None) -> tuple[float | None, list[SweepPoint]]:
        """CCD [A/m^2] by bracketing and bisection (None if not reached below ccd_maximum)."""
        s = self.settings
        if self.criterion.needs_mechanics and not self.flaws:
            return None, []  # no flaw, no stress intensity: no fracture-driven CCD
        return critical_current_density(self.evaluate, s.ccd_start, s.ccd_maximum, s.ccd_rtol, progress)


def point_record(point: SweepPoint) -> dict:
    return {
        "applied_current_density": point.applied_current_density,
        "worst_ratio": point.worst_ratio,
        "worst_flaw": point.worst_flaw,
        "failed": point.failed,
        "flaws": [dataclasses.asdict(st) for st in point.flaws],
    }


def write_sweep(folder: Path, points: list[SweepPoint], criterion: str) -> None:
    """``risk_sweep.csv`` and ``risk_sweep.png`` (rank 0)."""
    points = sorted(points, key=lambda p: p.applied_current_density)
    with open(folder / "risk_sweep.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["applied_current_density_A_m2", "worst_ratio", "worst_flaw", "worst_tip_overpotential_V",
                    "worst_pressure_Pa", "worst_stress_intensity_Pa_m05", "failed"])
        for p in points:
            worst = next((st for st in p.flaws if st.index == p.worst_flaw), None)
            w.writerow([p.applied_current_density, p.worst_ratio, p.worst_flaw,
                        worst.overpotential if worst else "", worst.pressure if worst else "",
                        worst.stress_intensity if worst else "", p.failed or ""])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [p for p in points if p.failed is None]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot([p.applied_current_density * 0.1 for p in ok], [p.worst_ratio for p in ok], "o-", ms=4)
    ax.axhline(1.0, color="k", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("applied current density [mA/cm$^2$]")
    ax.set_ylabel(f"worst ratio ({criterion})")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(folder / "risk_sweep.png", dpi=130)
    plt.close(fig)
