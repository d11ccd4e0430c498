"""Resumable parameter sweeps: one case, a list of values of one key, one JSON per point.

A sweep folder holds ``sweep.json`` (what is swept and a fingerprint of it),
``points/NNNN.json`` (one per finished point, written atomically) and ``results.csv``
(rewritten after every point); at the end ``sweep.png``, the swept case (``case.yaml``,
``case_resolved.json``) and ``report.md``/``report.html`` (one table row per point, in
display units). Rerunning the same sweep into the same folder skips the
points that finished; failed points are tried again. Files are written as hidden
temporary files and renamed into place; the temporary files of a sweep killed while it
wrote (its watcher removes them, and a resume or ``dendrite clean`` if it could not) are
removed when the sweep is resumed. A point that fails (solver or
geometry error) is recorded with its error and the sweep goes on.

Every point's case is validated before anything is meshed. Points that differ only in
the applied load reuse the mesh and the compiled forms (``ConductionProblem.solve(load=)``,
starting from the previous solution); points with the same geometry reuse the mesh.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import gc
import hashlib
import io
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import yaml
from mpi4py import MPI

from solver.analysis.metrics import conduction_metrics
from solver.analysis.registry import flatten, metric_units, metrics
from solver.config.adapter import build_case_mesh, conduction_problem
from solver.config.case import Case, parse_case, with_value
from solver.errors import CaseError, DendriteError, SolverError
from solver.lifecycle import forget_temporary, raise_if_interrupted, register_temporary
from solver.geometry.driver import mesh_key
from solver.analysis.acceptance import acceptance, require_accepted
from solver.io.partials import remove_stale_partials, remove_stale_temporaries, temporary_name
from solver.io.result_folder import software_versions, write_json
from solver.studies.parallel import broadcast_errors, check_groups, group_label, process_groups, share_work

__all__ = ["SweepPoint", "SweepResult", "describe", "parse_values", "run_sweep", "sweep_points", "sweep_table"]

_LOAD_KEYS = {"galvanostatic": "applied_current_density", "potentiostatic": "applied_potential"}


@dataclasses.dataclass
class SweepPoint:
    index: int
    value: Any  # as written by the user ("1 mA/cm^2", 7)
    case: Case


@dataclasses.dataclass
class SweepResult:
    folder: Path
    records: list[dict]  # one per point, in order
    meshes_built: int  # meshes built or read from the cache in this call
    problems_built: int  # conduction problems (form compilations) in this call

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.records if r["status"] != "ok"]

    def table(self):
        """The points as a tidy pandas DataFrame (see :func:`sweep_table`)."""
        return sweep_table(self.records)


def parse_values(text: str) -> list:
    """``"0.5 mA/cm^2, 1 mA/cm^2"`` or ``"1,2,3"`` -> list of YAML scalars."""
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise CaseError("--values", f"expected comma-separated values, got {text!r}")
    try:
        return [yaml.safe_load(t) for t in items]
    except yaml.YAMLError:
        raise CaseError("--values", f"cannot read {text!r}") from None


def describe(record: dict) -> str:
    """One line about a point: its value and the focusing factor, or its error."""
    group = group_label(record.get("process_group"))
    head = f"{group}point {record['index']} {record['parameter']} = {record['value']}"
    if record["status"] != "ok":
        return f"{head}: {record['error']}"
    ff = record["metrics"].get("focusing_factor")
    resumed = " (finished earlier)" if record.get("resumed") else ""
    return f"{head}: focusing factor {ff:.4g}, {record['seconds']:.2f} s{resumed}"


def sweep_points(case: Case, parameter: str | None = None, values: list | None = None) -> tuple[str, list[SweepPoint]]:
    """The validated case of every point: from ``parameter``/``values`` or the case's ``study:``."""
    if parameter is None and values is not None:
        raise CaseError("--values", "give --param with --values")
    if parameter is None:
        study = case.model.study
        if study is None:
            raise CaseError("study", "no sweep given: add a 'study:' section or pass --param and --values")
        parameter, values = study.parameter, list(study.values)
    elif not values:
        raise CaseError("--values", "give at least one value")
    base = {k: v for k, v in case.raw.items() if k != "study"}
    points = []
    for i, value in enumerate(values):
        try:
            points.append(SweepPoint(i, value, parse_case(with_value(base, parameter, value), name=case.name)))
        except CaseError as exc:
            raise CaseError(f"sweep value {i} ({value!r})", str(exc)) from None
    return parameter, points


def _fingerprint(case: Case, parameter: str, values: list) -> str:
    text = getattr(case, "source_text", None) or json.dumps(case.raw, sort_keys=True, default=str)
    blob = json.dumps({"case": text, "parameter": parameter, "values": [str(v) for v in values]})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _temporary(path: Path):
    """The hidden temporary file that becomes ``path`` when the block ends without error
    (removed otherwise; watched meanwhile, so that a killed process leaves none)."""
    tmp = path.with_name(temporary_name(path.name))
    register_temporary(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        forget_temporary(tmp)


def _write_atomic(path: Path, text: str) -> None:
    with _temporary(path) as tmp:
        tmp.write_text(text)


def _scalar_columns(records: list[dict]) -> list[str]:
    """Top-level scalar metrics of the records, in registry order (then unregistered ones)."""
    present = {k for r in records for k, v in r.get("metrics", {}).items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    names = [m.name for m in metrics() if m.name in present]
    return names + sorted(present - set(names))


def sweep_table(records: list[dict]):
    """Tidy table of a sweep (pandas DataFrame): one row per point, the swept value, the
    status, every scalar metric (SI; units in ``DataFrame.attrs["units"]``)."""
    import pandas as pd

    columns = _scalar_columns(records)
    spot = next((r["metrics"]["hot_spot"] for r in records if r.get("metrics", {}).get("hot_spot")), (0, 0, 0))
    rows = [{"index": r["index"], "parameter": r["parameter"], "value": r["value"], "status": r["status"],
             **{k: r.get("metrics", {}).get(k) for k in columns}, "error": r.get("error")} for r in records]
    table = pd.DataFrame(rows, columns=["index", "parameter", "value", "status", *columns, "error"])
    table.attrs["units"] = metric_units(columns, gdim=len(spot))
    return table


def _csv(records: list[dict]) -> str:
    scalar = _scalar_columns(records)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["index", "parameter", "value", "status", *scalar, "newton_iterations", "seconds", "error"])
    for r in records:
        m = r.get("metrics", {})
        writer.writerow([r["index"], r["parameter"], r["value"], r["status"], *(m.get(k, "") for k in scalar),
                         r.get("solver", {}).get("newton_iterations", ""), f"{r['seconds']:.3f}", r.get("error", "")])
    return out.getvalue()


def _open_folder(folder: Path, fingerprint: str, header: dict) -> dict[int, dict]:
    """Create or reopen a sweep folder (rank 0); the finished records by index."""
    meta = folder / "sweep.json"
    if meta.exists():
        old = json.loads(meta.read_text())
        if old.get("fingerprint") != fingerprint:
            raise CaseError("--out", f"{folder} holds a different sweep (case, parameter or values changed); "
                            "choose another folder")
    else:
        if folder.exists() and any(folder.iterdir()):
            raise CaseError("--out", f"{folder} exists and is not a sweep folder")
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(meta, json.dumps(dict(header, fingerprint=fingerprint), indent=2) + "\n")
    (folder / "points").mkdir(exist_ok=True)
    for place in (folder, folder / "points"):  # of a sweep killed while it wrote a file
        remove_stale_temporaries(place)
    done = {}
    for f in sorted((folder / "points").glob("[0-9]*.json")):
        record = json.loads(f.read_text())
        if record.get("status") == "ok":
            done[record["index"]] = record
    return done


def _reusable(problem_case: Case | None, case: Case) -> bool:
    """True when ``case`` differs from ``problem_case`` only in the applied load."""
    if problem_case is None:
        return False
    a, b = problem_case.model.model_dump(), case.model.model_dump()
    for dump in (a, b):
        for key in _LOAD_KEYS.values():
            dump["electrochemistry"].pop(key)
        dump.pop("study", None)
    return a == b


def _hold_problem(state: dict, problem=None, case: Case | None = None) -> None:
    """Close the problem held in ``state`` (collective over the group) and hold ``problem``."""
    if state.get("problem") is not None:
        state["problem"].close()
    state.update(problem=problem, problem_case=case)


def _solve_point(point: SweepPoint, state: dict, comm: MPI.Comm) -> dict:
    case = point.case
    key = mesh_key(case.model.geometry.type, case.geometry, case.model.mesh)
    if state.get("mesh_key") != key:
        _hold_problem(state)
        state.update(mesh_key=key, tagged=build_case_mesh(case, comm))
        state["meshes_built"] += 1
    if not _reusable(state.get("problem_case"), case):
        _hold_problem(state)
        _hold_problem(state, conduction_problem(case, state["tagged"]), case)
        state["problems_built"] += 1
    ec = case.electrochemistry
    load = ec.sign * getattr(ec, _LOAD_KEYS[ec.mode])
    try:
        fields = state["problem"].solve(load=load)
    except DendriteError:
        _hold_problem(state)  # do not start the next point from a failed state
        raise
    metrics, _, _ = conduction_metrics(fields, case.model.outputs.percentile)
    bad = [k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise SolverError(f"non-finite {', '.join(bad)} at {point.value!r}: check the mesh and material values")
    if case.model.electronic is not None:  # the mixed conductor: leakage, Li formation (scalars as columns)
        from solver.studies.electronic import electronic_summary

        extra = electronic_summary(case, state["tagged"])
        # scalars and nested scalars (conservation_error.electronic, electronic_conductivity.grains)
        metrics.update(flatten({k: v for k, v in extra.items() if k != "units"}, "electronic."))
    require_accepted(acceptance(metrics, fields.solver_info, case.model.solver.charge_balance_tolerance),
                     f"the solution at {point.value!r}")
    return {"metrics": metrics, "solver": fields.solver_info, "mesh": dict(state["tagged"].statistics)}


def _table_row(record: dict) -> dict:
    """What the results table needs of a record: its scalar metrics, not the profiles,
    hot spots and nested sections (a long sweep keeps one row per point, not one record)."""
    row = {k: record[k] for k in ("index", "parameter", "value", "status", "seconds", "error") if k in record}
    row["metrics"] = {k: v for k, v in record.get("metrics", {}).items()
                      if isinstance(v, (int, float)) and not isinstance(v, bool)}
    row["solver"] = {k: v for k, v in record.get("solver", {}).items() if k == "newton_iterations"}
    return row


def _finished_on_disk(folder: Path, cache: dict) -> list[dict]:
    """The table row of every point file, in index order; ``cache`` keeps the rows by
    modification time, so a long sweep reads each file once per change, not per point."""
    rows = []
    for f in sorted((folder / "points").glob("[0-9]*.json")):
        stamp = f.stat().st_mtime_ns
        if cache.get(f.name, (None,))[0] != stamp:
            cache[f.name] = (stamp, _table_row(json.loads(f.read_text())))
        rows.append(cache[f.name][1])
    return rows


def _read_records(folder: Path, indices: list[int], resumed: set[int]) -> list[dict]:
    """The records of the points ``indices`` from their files (rank 0), in index order."""
    records = []
    for index in sorted(indices):
        record = json.loads((folder / "points" / f"{index:04d}.json").read_text())
        records.append(dict(record, resumed=True) if index in resumed else record)
    return records


def _write_final(folder: Path, records: list[dict], case: Case, parameter: str, versions: dict) -> None:
    """The final table (in point order), ``sweep.png`` and the report (rank 0)."""
    _write_atomic(folder / "results.csv", _csv(records))
    if case.model.outputs.png:
        from solver.io.pictures.plots import sweep_plot

        sweep_plot(records, folder / "sweep.png", case=case.name, parameter=parameter)
    if "report_html" in case.model.outputs.selected():
        from solver.io.study_reports import write_sweep_report

        write_sweep_report(folder, records, case, parameter, versions)


def run_sweep(case: Case, parameter: str | None = None, values: list | None = None,
              out: str | Path | None = None, comm: MPI.Comm = MPI.COMM_WORLD, progress=None,
              groups: int = 1) -> SweepResult:
    """Run (or resume) a sweep; ``progress(record)`` is called on a group's rank 0 after each point.

    ``groups`` > 1 splits ``comm`` into that many process groups (sub-communicators,
    :func:`solver.studies.parallel.process_groups`) that solve consecutive blocks of the unfinished
    points side by side: 4 ranks as 4 groups run 4 points at a time in serial, as 2 groups
    2 points at a time on 2 ranks each. Within a block the mesh and forms are reused as
    in one group. Each group's rank 0 writes the point files of its block.
    """
    check_groups(comm, groups)
    parameter, points = sweep_points(case, parameter, values)
    folder = Path(out) if out else Path(case.model.outputs.directory) / f"sweep-{case.name}"
    fingerprint = _fingerprint(case, parameter, [p.value for p in points])
    header = {"case": case.name, "parameter": parameter, "values": [str(p.value) for p in points],
              "versions": software_versions(comm), "mpi_ranks": comm.size, "process_groups": groups}
    done = None
    with broadcast_errors(comm):
        if comm.rank == 0:
            remove_stale_partials(case.model.outputs.directory)  # of runs killed before they could clean up
            done = _open_folder(folder, fingerprint, header)
    done = comm.bcast(done, root=0)
    resumed = [dict(done[p.index], resumed=True) for p in points if p.index in done]
    if comm.rank == 0 and progress:
        for record in resumed:
            progress(record)
    state = {"meshes_built": 0, "problems_built": 0}
    on_disk = {}  # the finished points' table rows; their records are read back at the end
    with broadcast_errors(comm), process_groups(comm, groups) as group:
        block = share_work([p for p in points if p.index not in done], group.count)[group.index]
        for point in block:
            t0 = time.perf_counter()
            record = {"index": point.index, "parameter": parameter, "value": str(point.value),
                      "process_group": group.info}
            try:
                record.update(status="ok", **_solve_point(point, state, group.comm))
            except DendriteError as exc:
                raise_if_interrupted()  # Ctrl-C inside a solver callback surfaces as a solver failure
                record.update(status="failed", error=f"{type(exc).__name__}: {exc}", exit_code=exc.exit_code)
            record["seconds"] = time.perf_counter() - t0
            with broadcast_errors(group.comm):  # a full disk on rank 0 must not leave the others waiting
                if group.leader:
                    with _temporary(folder / "points" / f"{point.index:04d}.json") as tmp:
                        write_json(tmp, record)
                    # several groups may write here: the table is made from the finished files
                    _write_atomic(folder / "results.csv", _csv(_finished_on_disk(folder, on_disk)))
                    if progress:
                        progress(record)
            gc.collect()  # every rank of the group, between points (the collector is off under MPI)
        _hold_problem(state)
        counts = (state["meshes_built"], state["problems_built"])
        mine = counts if group.leader else None
    # outside the error block: a collective there would pair with another group's error report
    leaders = comm.allgather(mine)
    records = None
    with broadcast_errors(comm):
        if comm.rank == 0:
            records = _read_records(folder, [p.index for p in points], set(done))
            _write_final(folder, records, case, parameter, header["versions"])
    records = comm.bcast(records, root=0)
    meshes, problems = (sum(c) for c in zip(*filter(None, leaders)))
    return SweepResult(folder, records, meshes, problems)
