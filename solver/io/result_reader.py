"""Reading a result back: metrics with units, the interface table, the risk sweep, fields.

:class:`ResultView` gives the same tables for a finished run in memory
(:class:`solver.api.Result`) and for a result folder on disk (:class:`ResultFolder`,
``solver.open_result(folder)``): metrics as a pandas Series (SI values, flattened keys
such as ``asr_split.total``; units in :attr:`ResultView.units` and
``Series.attrs["units"]``), the interface table as a DataFrame (one row per facet), the
risk sweep as a DataFrame. A folder also gives its case, the volume fields as a pyvista
grid and :meth:`ResultFolder.verify` (SHA-256 of every file against ``checksums.sha256``).

Nothing here needs DOLFINx: a folder can be read on a laptop without it.
"""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from solver.analysis.registry import flatten, metric
from solver.errors import CaseError

__all__ = ["ResultFolder", "ResultView", "read_xdmf_grid"]

_SWEEP_COLUMNS = ["applied_current_density_A_m2", "worst_ratio", "worst_flaw", "worst_tip_overpotential_V",
                  "worst_pressure_Pa", "worst_stress_intensity_Pa_m05", "failed"]


class ResultView:
    """Tables of a run from its ``summary`` (a ``summary.json`` mapping)."""

    summary: dict

    @property
    def dimension(self) -> int:
        return int(self.summary.get("dimension") or len(self.summary["metrics"].get("hot_spot", (0, 0, 0))))

    @functools.cached_property
    def metrics(self):
        """Scalar metrics (SI), flattened: a pandas Series named by metric, units in ``.attrs["units"]``."""
        import pandas as pd

        values = flatten(self.summary["metrics"])
        series = pd.Series(values, name="value", dtype=float)
        series.attrs["units"] = dict(self.units)
        return series

    @functools.cached_property
    def units(self):
        """SI unit of every entry of :attr:`metrics` (pandas Series of strings; '1': dimensionless)."""
        import pandas as pd

        keys = flatten(self.summary["metrics"])
        return pd.Series({k: _unit(k, self.dimension) for k in keys}, name="unit", dtype=object)

    def metric_table(self):
        """Every scalar metric with SI value and unit, display value and unit, and description."""
        import pandas as pd

        rows = []
        for key, value in self.metrics.items():
            item = metric(key)
            scale = item.scale(self.dimension) if item else 1.0
            rows.append({"metric": key, "value": value, "unit": self.units[key],
                         "display_value": value * scale,
                         "display_unit": (item.shown_unit(self.dimension) if item else "") or "1",
                         "description": item.description if item else ""})
        return pd.DataFrame(rows).set_index("metric")

    @property
    def risk_sweep(self):
        """Points of the CCD search (DataFrame, SI columns; empty without a risk analysis)."""
        import pandas as pd

        rows = []
        for p in (self.summary.get("risk") or {}).get("sweep", []):
            worst = next((f for f in p["flaws"] if f["index"] == p["worst_flaw"]), {})
            rows.append([p["applied_current_density"], p["worst_ratio"], p["worst_flaw"],
                         worst.get("overpotential"), worst.get("pressure"), worst.get("stress_intensity"),
                         p.get("failed")])
        table = pd.DataFrame(rows, columns=_SWEEP_COLUMNS)
        return table.sort_values("applied_current_density_A_m2", ignore_index=True)

    def plot(self, what: str = "interface", ax=None):
        """Quick matplotlib plot: ``interface`` (current density along the interface) or
        ``risk_sweep`` (worst risk ratio against the applied current density). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        item = metric("max_interface_current_density")
        scale, unit = item.scale(), item.shown_unit()
        if what == "interface":
            table = self.interface
            x = table.columns[0]
            ax.plot(table[x] * 1e6, table["interface_current_density_A_m2"] * scale, ".", ms=3)
            ax.set_xlabel(f"{x[0]} [um]")
            ax.set_ylabel(f"interface current density [{unit}]")
        elif what == "risk_sweep":
            table = self.risk_sweep
            ax.plot(table["applied_current_density_A_m2"] * scale, table["worst_ratio"], "o-", ms=3)
            ax.axhline(1.0, color="k", lw=0.8, ls="--")
            ax.set_xscale("log")
            ax.set_xlabel(f"applied current density [{unit}]")
            ax.set_ylabel("worst risk ratio (1 = critical)")
        else:
            raise CaseError("plot", f"unknown plot {what!r}; allowed: interface, risk_sweep")
        ax.grid(alpha=0.3)
        return ax


def _unit(key: str, dimension: int) -> str:
    item = metric(key)
    return (item.si_unit(dimension) if item else "") or "1"


class ResultFolder(ResultView):
    """A result folder written by a run (``solver.open_result(folder)``)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        path = self.folder / "summary.json"
        if not path.is_file():
            raise CaseError(str(folder), "not a result folder (no summary.json)")
        self.summary = json.loads(path.read_text())

    def __repr__(self) -> str:
        return f"ResultFolder({str(self.folder)!r}, case={self.summary['case']!r})"

    @functools.cached_property
    def case(self):
        """The case as it was run (validated again from ``case.yaml``)."""
        import yaml

        from solver.config.case import parse_case

        text = (self.folder / "case.yaml").read_text()
        case = parse_case(yaml.safe_load(text), name=self.summary["case"])
        case.source_text = text
        return case

    @functools.cached_property
    def interface(self):
        """``interface.csv``: one row per interface facet (SI, units in the column names)."""
        import pandas as pd

        path = self.folder / "interface.csv"
        if not path.is_file():
            raise CaseError("outputs.write", f"{self.folder} has no interface.csv (the run left out 'interface_table')")
        return pd.read_csv(path)

    @property
    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())

    def verify(self) -> list[str]:
        """Files that differ from ``checksums.sha256``, are missing or unlisted (empty: intact)."""
        from solver.io.result_folder import verify_checksums

        return verify_checksums(self.folder)

    def fields(self):
        """The volume fields as a pyvista UnstructuredGrid (point and cell data): ``fields.vtu``,
        or ``fields.xdmf`` where the run wrote no VTU."""
        vtu, xdmf = self.folder / "fields.vtu", self.folder / "fields.xdmf"
        if vtu.is_file():
            import pyvista

            return pyvista.read(vtu)
        if not xdmf.is_file():
            raise CaseError("outputs.write", f"{self.folder} has no fields.vtu or fields.xdmf "
                            "(the run left out 'fields_vtu' and 'fields_xdmf')")
        return read_xdmf_grid(xdmf)


_VTK_CELLS = {"Triangle": 5, "Quadrilateral": 9, "Tetrahedron": 10, "Hexahedron": 12}


def read_xdmf_grid(path: Path):
    """A DOLFINx XDMF file (linear cells, one time step) as a pyvista UnstructuredGrid.

    Reads the HDF5 data with h5py, the layout DOLFINx writes (a mesh grid, one grid per
    function, mesh tags mapped onto the mesh cells by their vertices) as well as the one
    time series of :func:`solver.io.exports.write_fields`.
    """
    import os

    import h5py

    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")  # headless: no X server
    import pyvista
    root = ET.parse(path).getroot()
    grids = [g for g in root.iter("Grid") if g.get("GridType") == "Uniform"]
    mesh = next(g for g in grids if g.find("Topology/DataItem") is not None)
    topology_el = mesh.find("Topology")
    kind = topology_el.get("TopologyType")
    if kind not in _VTK_CELLS:
        raise CaseError(str(path), f"cells of type {kind} are not supported by this reader; open it in ParaView")
    with h5py.File(path.with_suffix(".h5"), "r") as h5:
        def data(item):
            return np.asarray(h5[item.text.strip().split(":", 1)[1]])

        topology = data(topology_el.find("DataItem")).astype(np.int64)
        x = data(mesh.find("Geometry").find("DataItem"))
        points = np.zeros((x.shape[0], 3))
        points[:, : x.shape[1]] = x
        cells = np.hstack([np.full((topology.shape[0], 1), topology.shape[1]), topology]).ravel()
        grid = pyvista.UnstructuredGrid(cells, np.full(topology.shape[0], _VTK_CELLS[kind], np.uint8), points)
        index = {tuple(sorted(c)): k for k, c in enumerate(topology)}
        for g in grids:
            for attribute in g.findall("Attribute"):
                values = data(attribute.find("DataItem"))
                if g is not mesh and g.find("Topology/DataItem") is not None:  # mesh tags: cells by their vertices
                    tagged = data(g.find("Topology").find("DataItem")).astype(np.int64)
                    full = np.full(topology.shape[0], -1.0)
                    full[[index[tuple(sorted(c))] for c in tagged]] = values.ravel()
                    values = full
                elif values.ndim == 2 and values.shape[1] == 1:
                    values = values.ravel()
                target = grid.point_data if attribute.get("Center") == "Node" else grid.cell_data
                target[attribute.get("Name")] = values
    return grid
