"""What a cycling run writes, and how a killed run resumes.

The folder holds ``cycle.csv`` (one row per time step, units in the column names),
``summary.json``, ``voltage.png`` (cell voltage, contact fraction and peak local current
vs time), ``fields*.xdmf`` (potential [V] and contact fraction [-]: one time series whose every
step holds the mesh and both fields, for ParaView, pyvista and meshio) and ``case.yaml`` and ``case_resolved.json`` (the case, its values and sources), ``report.md`` and
``report.html`` (:mod:`solver.io.study_reports`), ``checkpoint.npz`` (interface state + counters, written every
``cycling.checkpoint_every`` steps). Files are written on rank 0; the checkpoint gathers the
element arrays by element midpoint, so a run may resume on another number of processes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import yaml
from mpi4py import MPI

from solver.errors import CaseError
from solver.io.result_folder import write_json

__all__ = ["COLUMNS", "CycleWriter", "Progress"]

COLUMNS = ["time_s", "time_step_s", "applied_current_density_A_m2", "cell_voltage_V", "contact_fraction",
           "min_contact_fraction", "counter_contact_fraction", "peak_local_current_density_A_m2",
           "worst_risk_ratio", "max_filament_length_m", "charge_passed_C", "li_moved_C", "newton_iterations",
           "segment", "worst_stress_intensity_ratio", "crack_length_m", "worst_flaw_fill", "worst_flaw_pressure_Pa"]


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS)
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


class CycleWriter:
    """Writes the folder as the run goes; :meth:`resume` restores a checkpoint."""

    def __init__(self, folder: Path, runner, fingerprint: str, comm: MPI.Comm):
        self.folder, self.comm, self.fingerprint = Path(folder), comm, fingerprint
        self.rank0 = comm.rank == 0
        self.rows: list[dict] = []
        self.every = runner.cyc.checkpoint_every
        self.fields_every = runner.cyc.fields_every
        self.want_fields = runner.case.model.outputs.fields
        self.xdmf = None
        if self.rank0:
            self.folder.mkdir(parents=True, exist_ok=True)
        comm.barrier()

    # -- checkpoint -----------------------------------------------------------------------
    def resume(self, runner) -> list[dict]:
        path = self.folder / "checkpoint.npz"
        meta = None
        if self.rank0 and path.exists():
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: data[k] for k in data.files if k != "meta"}
            if meta.get("fingerprint") != self.fingerprint:
                meta = {"error": f"{self.folder} holds a checkpoint of another case; use another --out"}
            else:
                meta["arrays"] = arrays
        meta = self.comm.bcast(meta, root=0)
        if meta is None:
            return []
        if "error" in meta:
            raise CaseError("--out", meta["error"])
        runner.resume_geometry(meta["scalars"])
        try:
            arrays = runner.elements.scatter(meta["arrays"])
        except ValueError as exc:
            raise CaseError("--out", f"{self.folder}: {exc}") from None
        runner.state.restore(arrays, meta["scalars"])
        self.rows = meta["rows"]
        return list(self.rows)

    def _checkpoint(self, runner) -> None:
        gathered = runner.elements.gather(runner.state.arrays())
        if not self.rank0:
            return
        meta = {"fingerprint": self.fingerprint, "scalars": runner.state.scalars(), "rows": self.rows}

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta)), **gathered)

        _atomic(self.folder / "checkpoint.npz", write)
        _atomic(self.folder / "cycle.csv", lambda tmp: tmp.write_text(_csv_text(self.rows)))

    # -- fields ---------------------------------------------------------------------------
    def _fields(self, runner, time_s: float) -> None:
        import dolfinx.io

        if self.xdmf is not None and self._mesh_version != runner.mesh_version:  # a crack extended: new file
            self._close_fields()
        if self.xdmf is None:
            self._mesh_version = runner.mesh_version
            k = 0
            while (self.folder / f"fields{'' if k == 0 else f'_part{k}'}.xdmf").exists() and k < 1000:
                k += 1
            self.comm.barrier()
            name = self.folder / f"fields{'' if k == 0 else f'_part{k}'}.xdmf"
            self.xdmf_path = name
            self.xdmf = dolfinx.io.XDMFFile(self.comm, str(name), "w")
            self.xdmf.write_mesh(runner.problem.tagged.mesh)
            potential = runner.problem.unknown
            if potential.function_space.element.basix_element.degree != 1:  # XDMF: mesh-degree data
                from dolfinx import fem

                self._p1 = fem.Function(fem.functionspace(potential.function_space.mesh, ("Lagrange", 1)),
                                        name="potential_V")
            else:
                self._p1 = None
        potential = runner.problem.unknown
        if self._p1 is not None:
            self._p1.interpolate(potential)
            potential = self._p1
        self.xdmf.write_function(potential, time_s)
        self.xdmf.write_function(runner.contact, time_s)

    def _close_fields(self) -> None:
        """Close the open fields file (collective) and rewrite it on rank 0 as one time series
        whose every step holds the mesh and all fields (pyvista and meshio read it)."""
        if self.xdmf is None:
            return
        self.xdmf.close()  # collective: the file is complete after it
        self.xdmf = None
        if self.rank0:
            from solver.io.exports import merge_time_series

            merge_time_series(self.xdmf_path)

    def step(self, runner, row: dict, solved: dict) -> None:
        self.rows.append(row)
        n = runner.state.step
        if self.want_fields and (n % self.fields_every == 1 or self.fields_every == 1):
            self._fields(runner, row["time_s"])
        if n % self.every == 0:
            self._checkpoint(runner)

    def finish(self, runner, rows: list[dict], summary: dict) -> None:
        self._checkpoint(runner)
        self._close_fields()
        if not self.rank0:
            return
        case = runner.case
        summary.setdefault("dimension", runner.problem.tagged.gdim)
        (self.folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (self.folder / "case.yaml").write_text(getattr(case, "source_text", None) or yaml.safe_dump(case.raw))
        write_json(self.folder / "case_resolved.json", case.resolved())
        if case.model.outputs.png and rows:
            plot(rows, summary, self.folder / "voltage.png", case.name)
        if "report_html" in case.model.outputs.selected():
            from solver.io.study_reports import write_cycling_report

            write_cycling_report(self.folder)


def plot(rows: list[dict], summary: dict, path: Path, case: str = "cycling") -> None:
    """Voltage, contact fraction and peak local current vs time (hours)."""
    from solver.io.pictures.plots import voltage_time

    voltage_time(rows, path, case=case, short_s=summary.get("time_to_short_s"))


class Progress:
    """A progress bar over simulated time with the estimated wall time left (rank 0)."""

    def __init__(self, comm: MPI.Comm, quiet: bool):
        self.bar = None
        if comm.rank == 0 and not quiet:
            from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            from rich.console import Console

            console = Console(stderr=True)
            self.bar = RichProgress(TextColumn("cycling"), BarColumn(), TextColumn("{task.percentage:>5.1f} %"),
                                    TextColumn("{task.fields[simulated]}"), TimeRemainingColumn(), console=console)
            self.bar.start()
            self.task = self.bar.add_task("cycle", total=1.0, simulated="")

    def update(self, time_s: float, end_s: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=time_s / end_s, simulated=f"t = {time_s / 3600:.3g} h")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
