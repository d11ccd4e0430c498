"""The Python API for notebooks and scripts.

    import solver
    case = solver.load_case("cases/default.yaml")      # or a dict with the same sections
    result = solver.run(case, write=False)               # nothing is written
    result.metrics["focusing_factor"], result.units["focusing_factor"]
    result.interface                                     # DataFrame, one row per facet
    folder = solver.run(case, out="results/mine").folder
    back = solver.open_result(folder)                    # the same tables from disk
    back.verify()                                        # [] when every checksum matches
    back.fields()                                        # pyvista grid of the volume fields

Values are SI; ``units`` (and ``metrics.attrs["units"]``) name the unit of every metric,
``metric_table()`` adds the display unit and the description from the metric registry.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

from solver.io.result_reader import ResultFolder, ResultView

__all__ = ["Result", "load_case", "open_result", "run"]


def load_case(source, name: str | None = None):
    """A validated case from a YAML file path or a mapping (``name`` overrides the case name)."""
    from solver.config.case import Case, parse_case
    from solver.config.case import load_case as _load

    if isinstance(source, Case):
        return source
    if isinstance(source, dict):
        import yaml

        raw = copy.deepcopy(source)
        if name:
            raw["name"] = name
        case = parse_case(raw, name=raw.get("name", "case"))
        case.source_text = yaml.safe_dump(raw, sort_keys=False)
        return case
    case = _load(Path(source))
    if name:
        case.name = name
    return case


class Result(ResultView):
    """A run in memory: ``summary`` (as in summary.json), ``state`` (the solved
    :class:`~solver.physics.conduction.ConductionFields`), ``folder`` (None when not written)."""

    def __init__(self, run_result, case):
        self.case = case
        self.summary = run_result.summary
        self.state = run_result.fields
        self.folder = run_result.folder
        self._samples = run_result.samples

    def __repr__(self) -> str:
        return f"Result(case={self.case.name!r}, folder={str(self.folder) if self.folder else None!r})"

    @functools.cached_property
    def interface(self):
        """One row per interface facet, as in ``interface.csv`` (pandas DataFrame, SI)."""
        import pandas as pd

        from solver.io.exports import interface_table

        columns, rows = interface_table(self._samples)
        return pd.DataFrame(rows, columns=columns)

    def open(self) -> ResultFolder:
        """The written folder, read back (an error when the run was not written)."""
        if self.folder is None:
            from solver.errors import CaseError

            raise CaseError("write", "this run was not written (run it with write=True)")
        return ResultFolder(self.folder)


def run(case, write: bool = True, out: str | Path | None = None, overwrite: bool = False,
        quiet: bool = True, comm=None) -> Result:
    """Run a case (a :class:`~solver.config.case.Case`, a path or a mapping).

    ``write=False`` runs without creating any folder or file; ``out`` names the result
    folder (default ``outputs.directory/NAME-TIMESTAMP``). ``quiet`` (default): the
    library logs errors only while it runs.
    """
    from mpi4py import MPI

    from solver.studies.run import run_case

    case = load_case(case)
    result = run_case(case, out=out, overwrite=overwrite, comm=comm or MPI.COMM_WORLD, quiet=quiet, write=write)
    return Result(result, case)


def open_result(folder: str | Path) -> ResultFolder:
    """A result folder read back: case, metrics, interface table, risk sweep, fields, verify()."""
    return ResultFolder(folder)
