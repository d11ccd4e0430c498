"""One run of a case: case -> geometry -> mesh -> problem -> state -> metrics -> outputs.

Everything the CLI's ``dendrite run`` does is reachable from Python (see also the
notebook-friendly :func:`solver.run`):

    from solver.config.case import load_case
    from solver.studies.run import run_case
    result = run_case(load_case("cases/default.yaml"))
    result.folder, result.summary["metrics"]["focusing_factor"]

Metrics and their units come from the metric registry (:mod:`solver.analysis.registry`),
the files from the outputs the case selects (:mod:`solver.io.outputs`). The library logs
its stages (logger ``solver.studies.run``) and prints nothing.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import math
import time
from pathlib import Path

import yaml
from mpi4py import MPI

from solver.analysis.homogenisation import effective_conductivity
from solver.analysis.metrics import conduction_metrics
from solver.analysis.registry import HomogenisationContext, compute_stage, metric_table, metric_units
from solver.config.adapter import build_case_mesh, case_conductivities, conduction_problem
from solver.config.case import Case
from solver.errors import CaseError, SolverError
from solver.io.exports import FIELD_UNITS
from solver.io.outputs import OutputContext, get_output
from solver.io.progress import Stages, quiet_logs
from solver.io.report import summary_text
from solver.analysis.acceptance import acceptance, require_accepted
from solver.analysis.risk import ccd_bracket
from solver.io.result_folder import run_folder, software_versions, write_json
from solver.materials.library import references_for
from solver.physics.conduction import ConductionFields

__all__ = ["RunResult", "assess_risk", "run_case"]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunResult:
    """A finished run: its folder (None when nothing was written), the summary (as in
    ``summary.json``), the solved state and the interface samples (every rank)."""

    folder: Path | None
    summary: dict
    fields: ConductionFields
    samples: dict | None = None


def run_case(case: Case, out: str | Path | None = None, overwrite: bool = False,
             comm: MPI.Comm = MPI.COMM_WORLD, quiet: bool = False, write: bool = True) -> RunResult:
    """Run a case end to end; with ``write`` its result folder is written (atomically),
    without it nothing is written at all. ``quiet``: the ``solver`` loggers pass errors only."""
    if write and out is not None and not overwrite and Path(out).exists():  # fail before any work
        raise CaseError("--out", f"{out} exists; choose another folder or pass --overwrite")
    with quiet_logs(quiet):
        result = _run(case, out, overwrite, comm, write)
    gc.collect()  # on every rank at the same point (see solver.cli.main)
    return result


def _run(case: Case, out, overwrite: bool, comm: MPI.Comm, write: bool) -> RunResult:
    if case.model.fracture is not None:
        return _run_fracture(case, out, overwrite, comm, write)
    t_start = time.perf_counter()
    timings = {}
    stages = Stages(comm)
    with stages.stage("meshing", timings, "mesh_s"):
        tagged = build_case_mesh(case, comm)
    with stages.stage("compiling forms", timings, "setup_s"):
        problem = conduction_problem(case, tagged)
    with stages.stage(f"solving ({problem.info['dofs']} DOFs)", timings, "solve_s"):
        fields = problem.solve()
    with stages.stage("post-processing", timings, "postprocess_s"):
        wanted = case.model.outputs
        metrics, _, samples = conduction_metrics(fields, wanted.percentile, wanted.lateral_guard_band,
                                                 wanted.edge_averaging_length)
    bad = [k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise SolverError(f"non-finite values in {', '.join(bad)}: the solution is not usable "
                          "(check the conductivities, the mesh and the applied load)")
    checks = acceptance(metrics, fields.solver_info, case.model.solver.charge_balance_tolerance)
    if case.model.solver.on_check_failure == "error":
        require_accepted(checks)
    if case.model.outputs.effective_conductivity:
        with stages.stage("effective conductivity", timings, "homogenisation_s"):
            metrics.update(compute_stage("homogenisation", _homogenisation(case, problem.tagged, tagged.gdim)))
    risk = None
    if case.model.risk is not None:
        with stages.stage("dendrite risk", timings, "risk_s"):
            risk = assess_risk(case, problem, fields, comm)
        metrics.update(compute_stage("risk", risk))
    problem.close()  # collective; fields is a snapshot that does not need it
    electronic, electronic_fields = _electronic(case, fields, risk, stages, timings, metrics)
    if combined := _combined_risk(case, risk, electronic):
        risk["combined"] = combined
        metrics.update(compute_stage("combined_risk", combined))
    summary = _summary(case, tagged, fields, metrics, risk, timings, comm)
    summary["acceptance"] = checks
    if electronic:
        summary["electronic"] = electronic
        summary["field_units"] = _field_units(electronic_fields)
    elif notes := _unmodelled_electrons(case):
        summary["notes"] = notes
        log.info(notes[0])
    folder = None
    if write:
        with stages.stage("writing results", timings, "write_s"):
            folder = _write_folder(case, out, overwrite, comm, summary, OutputContext(
                case.name, fields, samples, risk, comm, electronic_fields), t_start)
        log.info("results: %s", folder)
    else:
        timings["total_s"] = time.perf_counter() - t_start
    return RunResult(folder, summary, fields, samples)


def _run_fracture(case: Case, out, overwrite: bool, comm: MPI.Comm, write: bool) -> RunResult:
    """A mechanics-only crack case: mesh, elasticity, K at every tip or front node."""
    from solver.io.report import fracture_text
    from solver.studies.fracture_run import solve_fracture, write_fracture

    t_start, timings, stages = time.perf_counter(), {}, Stages(comm)
    with stages.stage("meshing", timings, "mesh_s"):
        tagged = build_case_mesh(case, comm)
    with stages.stage("elasticity and stress intensity", timings, "solve_s"):
        result = solve_fracture(case, tagged)
    metrics = compute_stage("fracture", result)
    summary = {
        "case": case.name, "description": case.model.description, "dimension": tagged.gdim,
        "metrics": metrics, "metric_units": metric_units(metrics, tagged.gdim), "fracture": result.summary(),
        "mesh": dict(tagged.statistics, regions=tagged.regions, boundaries=tagged.boundaries),
        "timings": timings, "seeds": _seeds(case.raw.get("geometry", {})), "versions": software_versions(comm),
        "mpi_ranks": comm.size, "references": references_for(case.materials),
    }
    folder = None
    if write:
        with stages.stage("writing results", timings, "write_s"):
            with run_folder(case.name, case.model.outputs.directory, out, overwrite, comm) as building:
                if comm.rank == 0:
                    (building / "case.yaml").write_text(getattr(case, "source_text", None) or yaml.safe_dump(case.raw))
                    write_json(building / "case_resolved.json", case.resolved())
                write_fracture(building, result, case.name, comm)
                timings["total_s"] = time.perf_counter() - t_start
                if comm.rank == 0:
                    write_json(building / "summary.json", summary)
                    (building / "report.txt").write_text(fracture_text(summary) + "\n")
                    if "report_html" in case.model.outputs.selected():
                        from solver.io.documents import write_run_report

                        write_run_report(building)
            folder = building.final
        log.info("results: %s", folder)
    else:
        timings["total_s"] = time.perf_counter() - t_start
    return RunResult(folder, summary, result.fields)


def _electronic(case: Case, fields: ConductionFields, risk: dict | None, stages: Stages, timings: dict,
                metrics: dict):
    """The ``electronic`` summary section and the electron fields (None, None without it);
    its registered metrics (stage ``electronic``) are added to ``metrics``."""
    if case.model.electronic is None:
        return None, None
    from solver.studies.electronic import electronic_run

    with stages.stage("electrons in the electrolyte", timings, "electronic_s"):
        section, fields_e = electronic_run(case, fields.tagged, risk, fields.potential.function_space)
    metrics.update(compute_stage("electronic", section))
    return section, fields_e


def _combined_risk(case: Case, risk: dict | None, electronic: dict | None) -> dict | None:
    from solver.studies.electronic import combine_with_flaw_risk

    return combine_with_flaw_risk(case, risk, electronic)


def _field_units(extra) -> dict:
    if extra is None:
        return FIELD_UNITS
    from solver.io.electronic_fields import ELECTRONIC_FIELD_UNITS

    return {**FIELD_UNITS, **ELECTRONIC_FIELD_UNITS}


def _unmodelled_electrons(case: Case) -> list[str]:
    """A note when the electrolyte conducts electrons but the case has no electronic section."""
    sigma = {region: mat.values["electronic_conductivity"] for region, mat in case.materials.items()
             if mat.role != "electrode" and mat.values.get("electronic_conductivity")}
    if not sigma:
        return []
    listed = ", ".join(f"{region} {value * 1e-2:.2g} S/cm" for region, value in sigma.items())
    return [f"electronic conductivity not modelled ({listed}): ions only; add an electronic section for the "
            "leakage current and Li formation inside the electrolyte (docs/electronic.md)"]


def _homogenisation(case: Case, electrolyte, gdim: int) -> HomogenisationContext:
    conductivity, grain_boundary = case_conductivities(case)
    return HomogenisationContext(lambda: effective_conductivity(
        electrolyte, conductivity, direction=gdim - 1, grain_boundary=grain_boundary))


def _summary(case: Case, tagged, fields: ConductionFields, metrics: dict, risk: dict | None,
             timings: dict, comm: MPI.Comm) -> dict:
    summary = {
        "case": case.name,
        "description": case.model.description,
        "dimension": tagged.gdim,
        "metrics": metrics,
        "metric_units": metric_units(metrics, tagged.gdim),
        "metric_info": metric_table(tagged.gdim),
        "field_units": FIELD_UNITS,
        "mesh": dict(tagged.statistics, regions=tagged.regions, boundaries=tagged.boundaries),
        "solver": fields.solver_info,
        "timings": timings,
        "seeds": _seeds(case.raw.get("geometry", {})),
        "versions": software_versions(comm),
        "mpi_ranks": comm.size,
        "outputs": case.model.outputs.selected(),
        "references": references_for(case.materials),
    }
    if risk:
        summary["risk"] = {k: v for k, v in risk.items() if k != "sweep_points"}
    return summary


def _write_folder(case: Case, out, overwrite: bool, comm: MPI.Comm, summary: dict, context: OutputContext,
                  t_start: float) -> Path:
    """The result folder: the case, every selected output, ``summary.json`` and the report."""
    with run_folder(case.name, case.model.outputs.directory, out, overwrite, comm) as folder:
        if comm.rank == 0:
            (folder / "case.yaml").write_text(getattr(case, "source_text", None) or yaml.safe_dump(case.raw))
            write_json(folder / "case_resolved.json", case.resolved())
        outputs = [get_output(name) for name in case.model.outputs.selected()]
        for output in (o for o in outputs if not getattr(o, "after_summary", False)):
            output.write(folder, context)
        summary["timings"]["total_s"] = time.perf_counter() - t_start
        if comm.rank == 0:
            write_json(folder / "summary.json", summary)
            (folder / "report.txt").write_text(summary_text(summary) + "\n")
        for output in (o for o in outputs if getattr(o, "after_summary", False)):  # they read the files above
            output.write(folder, context)
    return folder.final


def assess_risk(case: Case, problem, fields: ConductionFields, comm: MPI.Comm) -> dict:
    """Flaw risk at the applied current and the CCD search; the solution is restored after.

    Returns the ``risk`` section of the summary (units: A/m^2, V, Pa, Pa m^0.5).
    """
    from solver.studies.flaw_risk import FlawRiskAnalysis, point_record

    analysis = FlawRiskAnalysis(case, problem)
    ec = case.electrochemistry
    applied = ec.applied_current_density if ec.mode == "galvanostatic" else abs(fields.load)
    at_applied = analysis.evaluate(applied) if ec.mode == "galvanostatic" else None

    def progress(point):
        log.info("CCD search: %.4g mA/cm^2 -> worst ratio %.4g (flaw %s)", 0.1 * point.applied_current_density,
                 point.worst_ratio, point.worst_flaw)

    ccd, points = analysis.critical_current_density(progress) if case.model.risk.ccd else (None, [])
    worst = None
    if at_applied is not None and at_applied.flaws:
        worst = max(at_applied.flaws, key=lambda st: st.ratio)
    return {
        "criterion": analysis.criterion.name,
        "threshold": analysis.threshold,
        "flaws": len(analysis.flaws),
        "influence_matrix_m05": analysis.influence.tolist(),
        "influence_without_anode_m05": (None if analysis.influence_without_anode is None
                                        else analysis.influence_without_anode.tolist()),
        "influence_li_yielded_m05": (None if analysis.influence_li_yielded is None
                                     else analysis.influence_li_yielded.tolist()),
        "stack_stress_intensity_Pa_m05": analysis.stack.tolist(),
        "force_imbalance": analysis.force_imbalance,
        "at_applied": point_record(at_applied) if at_applied else None,
        "worst_ratio": worst.ratio if worst else None,
        "worst_flaw": worst.index if worst else None,
        "worst_stress_intensity": worst.stress_intensity if worst else None,
        "ccd": ccd,
        "ccd_note": ("not searched: risk.ccd is false" if not case.model.risk.ccd else
                     "no flaw: no stress concentrator, no fracture-driven CCD" if not analysis.flaws
                     and analysis.criterion.needs_mechanics else
                     None if ccd is not None else _stopped_note(points) or
                     f"criterion not reached below {case.model.risk.ccd_maximum} A/m^2"),
        "ccd_search_stopped": ccd_bracket(points),  # None, or the bracket left by a failed solve [A/m^2]
        "sweep": [point_record(p) for p in points],
        "sweep_points": points,
        "flaw_population": analysis.population_ccd(at_applied),
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
