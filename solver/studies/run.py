"""One run of a case: case -> geometry -> mesh -> problem -> fields -> metrics -> report.

Everything the CLI's ``dendrite run`` does is reachable from Python:

    from solver.config.case import load_case
    from solver.studies.run import run_case
    result = run_case(load_case("cases/default.yaml"))
    print(result.folder, result.summary["metrics"]["focusing_factor"])
"""

from __future__ import annotations

import dataclasses
import gc
import math
import time
from pathlib import Path

import yaml
from mpi4py import MPI

from solver.config.case import Case
from solver.errors import CaseError, SolverError
from solver.physics.conduction import ConductionFields
from solver.analysis.homogenisation import effective_conductivity
from solver.studies.flaw_risk import write_sweep
from solver.config.adapter import build_case_mesh, case_conductivities, conduction_problem
from solver.analysis.acceptance import acceptance, require_accepted
from solver.analysis.metrics import conduction_metrics
from solver.analysis.risk import ccd_bracket
from solver.io.progress import Stages, console
from solver.io.report import gather_grid, plot_cell_field, plot_interface, summary_text
from solver.io.result_folder import run_folder, software_versions, write_json
from solver.io.exports import FIELD_UNITS, cell_current_density, write_fields, write_interface

__all__ = ["RunResult", "run_case", "METRIC_UNITS"]

METRIC_UNITS = {
    "interface_area": "m^2 (m per unit depth in 2D)",
    "counter_area": "m^2 (m per unit depth in 2D)",
    "applied_current": "A (A/m per unit depth in 2D)",
    "interface_current": "A (A/m per unit depth in 2D)",
    "applied_current_density_projected": "A/m^2",
    "mean_interface_current_density": "A/m^2",
    "max_interface_current_density": "A/m^2",
    "min_interface_current_density": "A/m^2",
    "p_interface_current_density": "A/m^2 (the percentile given by 'percentile')",
    "focusing_factor": "-",
    "focusing_factor_percentile": "-",
    "charge_balance_error": "- (relative)",
    "hot_spot": "m",
    "mean_overpotential": "V",
    "max_abs_overpotential": "V",
    "min_overpotential": "V",
    "max_overpotential": "V",
    "counter_potential": "V (mean electrolyte potential on the counter boundary vs the anode)",
    "charge_transfer_resistance": "ohm m^2",
    "polarisation_length": "m (sigma * (R_ct + R_f) per region)",
    "effective_conductivity": "S/m (anode -> counter direction, homogenised over the meshed microstructure)",
    "polarisation_length_ratio": "- (anode-side polarisation length / interface_length_scale_m)",
    "cell_voltage": "V (counter electrode vs anode, with the counter kinetics when given)",
    "film_resistance": "ohm m^2",
    "asr_split": "ohm m^2 (area-specific resistance of each loss; 'total' is their sum)",
    "hot_spots": "m (position), A/m^2 (current_density): top local maxima of the interface current",
    "overpotential_std": "V",
    "overpotential_percentiles": "V (area-weighted percentiles, keyed by percent)",
}


@dataclasses.dataclass
class RunResult:
    folder: Path
    summary: dict
    fields: ConductionFields


def run_case(case: Case, out: str | Path | None = None, overwrite: bool = False,
             comm: MPI.Comm = MPI.COMM_WORLD, quiet: bool = False) -> RunResult:
    """Run a case end to end and write its result folder (atomically)."""
    t_start = time.perf_counter()
    if out is not None and not overwrite and Path(out).exists():  # fail before any work
        raise CaseError("--out", f"{out} exists; choose another folder or pass --overwrite")
    timings = {}
    stages = Stages(comm, quiet=quiet)
    with stages.stage("meshing", timings, "mesh_s"):
        tagged = build_case_mesh(case, comm)
    with stages.stage("compiling forms", timings, "setup_s"):
        problem = conduction_problem(case, tagged)
    with stages.stage(f"solving ({problem.info['dofs']} DOFs)", timings, "solve_s"):
        fields = problem.solve()
    with stages.stage("post-processing", timings, "postprocess_s"):
        metrics, flux, samples = conduction_metrics(fields, case.model.outputs.percentile)
    bad = [k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise SolverError(f"non-finite values in {', '.join(bad)}: the solution is not usable "
                          "(check the conductivities, the mesh and the applied load)")
    checks = acceptance(metrics, fields.solver_info, case.model.solver.charge_balance_tolerance)
    if case.model.solver.on_check_failure == "error":
        require_accepted(checks)
    if case.model.outputs.effective_conductivity:
        with stages.stage("effective conductivity", timings, "homogenisation_s"):
            conductivity, grain_boundary = case_conductivities(case)
            metrics["effective_conductivity"] = effective_conductivity(
                problem.tagged, conductivity, direction=tagged.gdim - 1, grain_boundary=grain_boundary)
    risk = None
    if case.model.risk is not None:
        with stages.stage("dendrite risk", timings, "risk_s"):
            risk = assess_risk(case, problem, fields, comm, stages.show)

    outputs = case.model.outputs
    with stages.stage("writing results", timings, "write_s"):
        with run_folder(case.name, outputs.directory, out, overwrite, comm) as folder:
            if comm.rank == 0:
                (folder / "case.yaml").write_text(getattr(case, "source_text", None) or yaml.safe_dump(case.raw))
                write_json(folder / "case_resolved.json", case.resolved())
            if outputs.fields:
                write_fields(folder, fields)
            i_vec, i_mag = cell_current_density(fields)
            grid = gather_grid(fields.tagged.mesh, {"current_density_magnitude_A_m2": i_mag.x.array}) if outputs.png else None
            if comm.rank == 0:
                write_interface(folder, samples)
                if outputs.png:
                    plot_cell_field(grid, "current_density_magnitude_A_m2", folder / "current_density.png",
                                    "|i| [A/m^2]")
                    plot_interface(samples, folder / "interface_current.png", f"{case.name}: interface")
                    if risk and risk["sweep_points"]:
                        write_sweep(folder, risk["sweep_points"], risk["criterion"])
            timings["total_s"] = time.perf_counter() - t_start
            summary = {
                "case": case.name,
                "description": case.model.description,
                "metrics": metrics,
                "acceptance": checks,
                "metric_units": METRIC_UNITS,
                "field_units": FIELD_UNITS,
                "mesh": dict(tagged.statistics, regions=tagged.regions, boundaries=tagged.boundaries),
                "solver": fields.solver_info,
                "timings": timings,
                "seeds": _seeds(case.raw.get("geometry", {})),
                "versions": software_versions(comm),
                "mpi_ranks": comm.size,
            }
            if risk:
                summary["risk"] = {k: v for k, v in risk.items() if k != "sweep_points"}
            if comm.rank == 0:
                write_json(folder / "summary.json", summary)
                (folder / "report.txt").write_text(summary_text(summary) + "\n")
    stages.done(summary_text(summary) + f"\nresults: {folder.final}")
    gc.collect()  # on every rank at the same point (see solver.cli.main)
    return RunResult(folder.final, summary, fields)


def assess_risk(case: Case, problem, fields: ConductionFields, comm: MPI.Comm, show: bool) -> dict:
    """Flaw risk at the applied current and the CCD search; the solution is restored after.

    Returns the ``risk`` section of the summary (units: A/m^2, V, Pa, Pa m^0.5).
    """
    from solver.studies.flaw_risk import FlawRiskAnalysis, point_record

    saved = fields.potential.x.array.copy()
    analysis = FlawRiskAnalysis(case, problem)
    ec = case.electrochemistry
    applied = ec.applied_current_density if ec.mode == "galvanostatic" else abs(fields.load)
    at_applied = analysis.evaluate(applied) if ec.mode == "galvanostatic" else None

    def progress(point):
        if show:
            console.print(f"  CCD search: {point.applied_current_density * 0.1:.4g} mA/cm^2 -> worst ratio "
                          f"{point.worst_ratio:.4g} (flaw {point.worst_flaw})")

    ccd, points = analysis.critical_current_density(progress) if case.model.risk.ccd else (None, [])
    fields.potential.x.array[:] = saved
    fields.potential.x.scatter_forward()
    worst = None
    if at_applied is not None and at_applied.flaws:
        worst = max(at_applied.flaws, key=lambda st: st.ratio)
    return {
        "criterion": analysis.criterion.name,
        "threshold": analysis.threshold,
        "flaws": len(analysis.flaws),
        "influence_matrix_m05": analysis.influence.tolist(),
        "stack_stress_intensity_Pa_m05": analysis.stack.tolist(),
        "force_imbalance": analysis.force_imbalance,
        "at_applied": point_record(at_applied) if at_applied else None,
        "worst_ratio": worst.ratio if worst else None,
        "worst_flaw": worst.index if worst else None,
        "worst_stress_intensity": worst.stress_intensity if worst else None,
        "ccd": ccd,
        "ccd_note": ("no flaw: no stress concentrator, no fracture-driven CCD" if not analysis.flaws
                     and analysis.criterion.needs_mechanics else
                     None if ccd is not None else _stopped_note(points) or
                     f"criterion not reached below {case.model.risk.ccd_maximum} A/m^2"),
        "ccd_search_stopped": ccd_bracket(points),  # None, or the bracket left by a failed solve [A/m^2]
        "sweep": [point_record(p) for p in points],
        "sweep_points": points,
        "units": {"threshold": "Pa m^0.5 | V | A/m^2 (by criterion)", "ccd": "A/m^2",
                  "pressure": "Pa", "stress_intensity": "Pa m^0.5", "overpotential": "V"},
    }


def _stopped_note(points) -> str | None:
    """The CCD note of a search stopped by a failed solve (None if none failed)."""
    b = ccd_bracket(points)
    if b is None:
        return None
    upper = f" and at most {b['unsafe']:.4g}" if b["unsafe"] is not None else ""
    return (f"search stopped: the solve failed at {b['failed']:.4g} A/m^2; the CCD is above {b['safe']:.4g}"
            f"{upper} A/m^2 (not determined)")


def _seeds(geometry: dict, prefix: str = "geometry") -> dict:
    """Every ``seed`` value in the geometry section, by key path."""
    found = {}
    if isinstance(geometry, dict):
        for k, v in geometry.items():
            if k == "seed":
                found[f"{prefix}.seed"] = v
            elif isinstance(v, dict):
                found.update(_seeds(v, f"{prefix}.{k}"))
    return found
