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

from solver.config.adapter import FRACTURE_KEYS, MECHANICS_KEYS, case_keys
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
    flaw axis; a flaw whose Li-filled cavity begins before the mouth (``cavity_offset`` c:
    the breach of an interphase layer) takes -c <= s <= depth.
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
        start = -(1 + 1e-6) * flaw["cavity_offset"] if flaw.get("cavity_offset") else 1e-6 * flaw["depth"]
        inside = (s > start) & (s <= flaw["depth"] * (1 + 1e-6)) & (lateral <= half * (1 + 1e-6))
        sub[inside] = next_tag
        boundaries[f"flaw_{k}_faces"] = next_tag
        next_tag += 1
    values[on_boundary] = sub
    order = np.argsort(indices)
    new_tags = dolfinx.mesh.meshtags(msh, fdim, indices[order], values[order])
    return dataclasses.replace(tagged, facet_tags=new_tags, boundaries=boundaries)


def table_toughness(spec) -> float | None:
    """K_IC [Pa m^0.5] of ``risk.fracture_toughness_table`` at its grain size (None without one)."""
    if spec is None:
        return None
    from solver.analysis.toughness import grain_size_table, make_toughness_law

    try:
        sizes, values, _ = grain_size_table(spec.table)
    except KeyError as exc:
        raise CaseError("risk.fracture_toughness_table.table", str(exc).strip("'\"")) from None
    return make_toughness_law("table", grain_sizes=sizes, fracture_toughness=values)(spec.grain_size)


def li_flow_limit(case: Case):
    """The :class:`~solver.physics.li_flow.LiFlowLimit` of ``risk.li_flow`` (None without it);
    parameters the case leaves out come from the library's Li (with their sources)."""
    from solver.materials.library import library
    from solver.physics.li_flow import LiFlowLimit

    spec = case.model.risk.li_flow
    if spec is None:
        return None
    li = library()["Li"]
    return LiFlowLimit(
        reference_stress=spec.reference_stress or li.get("yield_strength", "risk.li_flow.reference_stress"),
        reference_strain_rate=spec.reference_strain_rate,
        stress_exponent=spec.stress_exponent or li.get("creep_stress_exponent", "risk.li_flow.stress_exponent"),
        activation_energy=spec.activation_energy or li.get("creep_activation_energy", "risk.li_flow.activation_energy"),
        temperature=case.electrochemistry.temperature,
        reference_temperature=spec.reference_temperature,
        molar_volume=case.model.risk.molar_volume,
    )


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
            threshold = settings.fracture_toughness or table_toughness(settings.fracture_toughness_table) \
                or self._material_value("fracture_toughness")
        else:  # the schema requires the named threshold for the other criteria
            threshold = getattr(settings, settings.criterion, None)
        self.criterion = make_criterion(settings.criterion, threshold)
        self.li_flow = li_flow_limit(case)
        self.threshold = threshold
        self.influence = np.zeros((len(self.flaws), len(self.flaws)))
        self.force_imbalance = 0.0  # worst relative force imbalance of the elastic solves [-]
        self.stack = np.zeros(len(self.flaws))
        self.influence_without_anode = None  # G of the electrolyte alone when the anode side is meshed
        self.influence_li_yielded = None  # G with the Li region carrying no stress (fully yielded bound)
        if self.flaws:
            self.tip_radius = [max(f.get("tip_radius", 0.0), tagged.statistics["h_min_m"]) * 2 for f in self.flaws]
        self.fronts = None  # 3D: K_I along crack fronts (solver.studies.flaw_risk_3d)
        if self.flaws and self.criterion.needs_mechanics:
            if tagged.gdim == 3:
                self._front_mechanics(tagged, case)
            else:
                self._mechanics(tagged, case)

    def _material_value(self, prop: str) -> float:
        for region in ("electrolyte", "grains", *self.case.materials):
            mat = self.case.materials.get(region)
            if mat is not None and prop in mat.values:
                return mat.values[prop]
        raise CaseError(f"risk.{prop}", "required: no electrolyte material of the case provides it")

    def _mechanics(self, tagged: TaggedMesh, case: Case) -> None:
        """Influence matrix and stack K_I (2D); with a meshed anode side also the influence of
        the electrolyte alone (``influence_without_anode``, for the mechanism table) and, when
        Li is meshed, with the Li region removed (``influence_li_yielded``): Li yields near
        0.8 MPa, far below Porz pressures, so fully yielded Li that restrains nothing bounds
        the anode's restraint from below, elastic Li from above."""
        from solver.studies.anode_mechanics import mechanics_mesh

        mech = mechanics_mesh(case, tagged)
        self.influence, self.stack = self._influence_on(mech, case)
        if tagged.metadata.get("anode_layers") is not None and case.model.mechanics.anode_regions:
            from solver.geometry.driver import restrict

            alone = restrict(tagged, [r for r in tagged.regions if r != "interphase"])
            self.influence_without_anode = self._influence_on(alone, case, stack=False)[0]
            if "li_metal" in mech.regions:
                yielded = restrict(mech, [r for r in mech.regions if r != "li_metal"])
                self.influence_li_yielded = self._influence_on(yielded, case, stack=False)[0]

    def anode_shielding(self, flaw: int = 0, li: str = "elastic") -> float:
        """K_I of ``flaw`` under the bonded anode side over K_I in the electrolyte alone [-]
        (G_kk / G_kk of the electrolyte alone) with elastic Li, or with ``li="yielded"`` the
        fully yielded bound (the Li region removed; the elastic value when no Li is meshed);
        1 when the anode side is not in the mechanics."""
        if self.influence_without_anode is None or not self.influence_without_anode[flaw, flaw]:
            return 1.0
        influence = self.influence
        if li == "yielded" and self.influence_li_yielded is not None:
            influence = self.influence_li_yielded
        return float(influence[flaw, flaw] / self.influence_without_anode[flaw, flaw])

    def _influence_on(self, mesh: TaggedMesh, case: Case, stack: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(G [m^0.5], K_I of the stack pressure [Pa m^0.5]) of the flaws on the mechanics mesh."""
        from solver.physics.elasticity import ElasticityProblem
        from solver.physics.fracture import CrackTip, interaction_integral
        from solver.studies.anode_mechanics import region_elastic_constants

        boundary = case.electrochemistry.anode_interface
        mech = _split_flaw_faces(mesh, self.flaws, boundary)
        materials = region_elastic_constants(case, mech)
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
            with case_keys(MECHANICS_KEYS, "mechanics"), ElasticityProblem(
                mech, materials, pressures=pressures, constraints=constraints,
                point_constraints=point_constraints, degree=degree,
            ) as problem:
                fields = problem.solve()
            self.force_imbalance = max(self.force_imbalance, fields.force_balance()["imbalance"])
            with case_keys(FRACTURE_KEYS, "risk"):
                return np.array([interaction_integral(fields, tip, radius=case.model.mechanics.integration_radius,
                                                      crack_faces=[faces[j]]).K_I for j, tip in enumerate(tips)])

        influence = np.column_stack([k_values({faces[k]: 1.0}) for k in range(len(self.flaws))])
        p_stack = case.model.mechanics.stack_pressure
        if not (stack and p_stack > 0):
            return influence, np.zeros(len(self.flaws))
        loads = {name: p_stack for name in faces}
        loads[boundary] = p_stack
        loads[case.electrochemistry.counter_electrode] = p_stack
        return influence, k_values(loads)

    def _front_mechanics(self, tagged: TaggedMesh, case: Case) -> None:
        """3D: the influence of every flaw's pressure on K_I along every crack front."""
        from solver.physics.elasticity import ElasticityProblem
        from solver.studies import flaw_risk_3d

        missing = [k for k, f in enumerate(self.flaws) if "crack_front" not in f or "face_region" not in f]
        if missing:
            raise CaseError("risk.criterion", f"fracture_toughness in 3D needs flaws with a crack front; "
                            f"flaws {missing} of geometry {case.model.geometry.type} declare none "
                            "(use a crack geometry such as surface_crack_3d with li_filled: true)")
        ec, mech_settings = case.electrochemistry, case.model.mechanics
        mech = flaw_risk_3d.split_crack_faces(tagged, self.flaws, ec.anode_interface)
        materials = {r: (case.materials[r].get("youngs_modulus", f"materials.{r}.youngs_modulus"),
                         case.materials[r].get("poissons_ratio", f"materials.{r}.poissons_ratio")) for r in mech.regions}
        constraints = {ec.counter_electrode: "roller"}
        constraints.update({name: "symmetry" for name in tagged.metadata.get("mirror_planes", [])})
        if mech_settings.lateral == "symmetry":
            constraints.update({name: "roller" for name in tagged.metadata.get("lateral_sides", ["sides"])
                                if name in mech.boundaries})

        def solve(pressures):
            with case_keys(MECHANICS_KEYS, "mechanics"), ElasticityProblem(
                mech, materials, pressures=pressures, constraints=constraints, degree=mech_settings.element_degree,
            ) as problem:
                fields = problem.solve()
            self.force_imbalance = max(self.force_imbalance, fields.force_balance()["imbalance"])
            return fields

        radius = [mech_settings.integration_radius or flaw_risk_3d.default_radius(tagged, f["crack_front"])
                  for f in self.flaws]
        p_stack = mech_settings.stack_pressure
        stack = None
        if p_stack > 0:
            stack = {f"flaw_{k}_faces": p_stack for k in range(len(self.flaws))}
            stack.update({ec.anode_interface: p_stack, ec.counter_electrode: p_stack})
        with case_keys(FRACTURE_KEYS, "risk"):
            self.fronts = flaw_risk_3d.front_influence(solve, self.flaws, radius, stack, tagged=mech)
        self.influence = self.fronts.matrix()
        self.stack = np.array([float(np.nanmax(s)) for s in self.fronts.stack])

    def _tip_values(self, samples: dict) -> list[tuple[float, float, list[float]]]:
        """(overpotential [V], current density [A/m^2], where) at every flaw tip or front."""
        from solver.studies.flaw_risk_3d import front_overpotential

        if self.fronts is not None:
            distance = 2 * (self.problem.tagged.metadata.get("front_size_m") or self.tip_radius[0])
            return [front_overpotential(samples, front, distance) for front in self.fronts.fronts]
        values = [tip_samples(samples, [f["tip"]], r)[0] for f, r in zip(self.flaws, self.tip_radius)]
        return [(eta, cur, list(f["tip"])) for f, (eta, cur) in zip(self.flaws, values)]

    def _stress_intensity(self, states: list[FlawState], pressures: np.ndarray) -> np.ndarray:
        """K_I of every flaw [Pa m^0.5]: at its tip (2D), or the largest along its front (3D,
        where ``tip`` is moved to the point of the largest value)."""
        if self.fronts is None:
            return self.influence @ pressures[: len(self.flaws)] + self.stack if self.flaws else np.zeros(1)
        along = self.fronts.stress_intensity(pressures)
        for st, k_s, front in zip(states, along, self.fronts.influence):
            nodes = front[0]
            st.tip = nodes.points[int(np.nanargmax(k_s))].tolist()
            st.front = {"parameter_name": nodes.parameter_name, "parameter": nodes.parameter.tolist(),
                        "points": nodes.points.tolist(), "K_I": k_s.tolist()}
        return np.array([float(np.nanmax(k_s)) for k_s in along])

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
                for k, (eta, cur, where) in enumerate(self._tip_values(samples)):
                    states.append(FlawState(k, where, eta, cur))
            else:  # no flaw: the interface as a whole (no stress concentrator: K_I = 0)
                states.append(FlawState(-1, metrics["hot_spot"], metrics["max_abs_overpotential"],
                                        metrics["max_interface_current_density"]))
        states = fields.tagged.mesh.comm.bcast(states, root=0)
        s = self.settings
        pressures = np.array([porz_pressure(st.overpotential, s.molar_volume, s.pressure_cap) for st in states])
        if self.li_flow is not None and self.flaws:  # Li creeps out of the flaw before it reaches F|eta|/V_m
            flow = [self.li_flow.pressure(st.current_density, f["depth"], f.get("width", f["depth"]))
                    for st, f in zip(states, self.flaws)]
            pressures = np.minimum(pressures, flow)
        k_i = self._stress_intensity(states, pressures)
        for st, p, k in zip(states, pressures, k_i):
            st.pressure, st.stress_intensity = float(p), float(k)
            st.ratio = self.criterion.ratio(st)
        worst = max(states, key=lambda st: st.ratio)
        return SweepPoint(applied_current_density, worst.ratio, worst.index, states)

    def population_ccd(self, point: SweepPoint | None) -> dict | None:
        """Weakest-link CCD distribution [A/m^2] of ``risk.flaw_population`` (None without one).

        Every flaw of the population is an edge flaw whose tip carries the focusing factor
        f_tip = |i_tip| / i_applied of the worst meshed flaw at ``point`` (taken as
        independent of the depth: an approximation), the case's kinetics and K_IC, and the
        Porz pressure, limited by the flow of Li out of each flaw with ``risk.li_flow``. With
        the anode side in the mechanics, each flaw's K_I carries the shielding of the worst
        meshed flaw (:meth:`anode_shielding`, also taken as independent of the depth), and
        ``li_yielded_bound`` gives the median with fully yielded Li (same cells).
        """
        from solver.analysis.flaw_population import FractureLimitedFlaw, ccd_distribution, make_population, sample_ccd

        spec = self.settings.flaw_population
        if spec is None:
            return None
        if self.settings.criterion != "fracture_toughness":
            raise CaseError("risk.flaw_population", "needs criterion: fracture_toughness (a flaw fails when K_I = K_IC)")
        focusing, shielding = 1.0, 1.0
        if point is not None and point.flaws and self.flaws:
            worst = max(point.flaws, key=lambda st: st.ratio)
            focusing = abs(worst.current_density) / point.applied_current_density
            shielding = self.anode_shielding(worst.index)
        kinetics = self.problem.settings.kinetics

        def cell_ccds(shield: float) -> np.ndarray:
            flaw = FractureLimitedFlaw(self.threshold, kinetics.current_density, self.settings.molar_volume,
                                       focusing, li_flow=self.li_flow, opening_ratio=spec.opening_ratio,
                                       anode_shielding=shield)
            return sample_ccd(population, flaw, spec.electrode_area, spec.realisations,
                              np.random.default_rng(spec.seed))

        population = make_population(spec.kind, **spec.parameters())
        out = ccd_distribution(cell_ccds(shielding))
        if self.influence_li_yielded is not None and point is not None and point.flaws and self.flaws:
            yielded = self.anode_shielding(worst.index, li="yielded")
            out["li_yielded_bound"] = {"anode_shielding": yielded, "median": ccd_distribution(cell_ccds(yielded))["median"]}
        out.update(kind=spec.kind, tip_focusing=focusing, anode_shielding=shielding,
                   flaws_per_cell=population.density * spec.electrode_area, electrode_area=spec.electrode_area,
                   units="A/m^2 (CCDs), m^2 (area), - (focusing, shielding)")
        return out

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


def write_sweep(folder: Path, points: list[SweepPoint], criterion: str, case: str = "", ccd: float | None = None,
                measured_ccd: float | None = None, measured_source: str = "") -> None:
    """``risk_sweep.csv`` and ``risk_sweep.png`` (rank 0); the plot shows the predicted CCD
    and, when given, the measured one [A/m^2]."""
    from solver.io.pictures.plots import risk_sweep

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
    ok = [p for p in points if p.failed is None]
    critical = next((p for p in ok if p.worst_ratio >= 1.0 and any(st.front for st in p.flaws)), None)
    if critical is not None:
        from solver.studies.flaw_risk_3d import write_front_profile

        write_front_profile(folder, critical, criterion, case)
    risk_sweep([{"applied_current_density": p.applied_current_density, "worst_ratio": p.worst_ratio} for p in ok],
               folder / "risk_sweep.png", case=case, criterion=criterion, ccd=ccd, measured_ccd=measured_ccd,
               measured_source=measured_source)
