"""What a run writes: output objects picked by name from a registry (``outputs.write``).

An output has a ``name``, a one-line ``description`` and a ``write(folder, context)``
method that every rank calls with the same :class:`OutputContext` (so it may use MPI
collectives); it writes files on rank 0 only, except through DOLFINx's collective writers.
The package's outputs:

- ``fields_xdmf``: ``fields.xdmf`` + ``fields.h5`` (potential as P1, cell fields; ParaView 5.11);
- ``fields_vtu``: ``fields.vtu``, the same fields in one VTK file (``pyvista.read``, ``meshio.read``);
- ``fields_vtx``: ``fields.bp`` + ``cell_fields.bp`` (ADIOS2; the potential in its own
  element, P2 or DG, exactly; ParaView >= 5.12);
- ``interface_table``: ``interface.csv`` and ``interface.vtu`` (interface samples);
- ``pictures``: ``current_density.png`` (2D map or 3D view) and ``interface_current.png``
  (profile or histograms), drawn by :mod:`solver.io.pictures`;
- ``risk_sweep``: ``risk_sweep.csv`` and ``risk_sweep.png`` (CCD search, when run);
- ``report_html``: ``report.html`` (self-contained, pictures embedded) and ``report.md``.

An output whose ``after_summary`` attribute is true is written after every other output and
after ``summary.json``, so it can read them (the reports embed the pictures the run wrote).

A plugin adds one with :func:`register_output`; the case then selects it by name. This
module imports nothing heavy, so the case schema can check names without DOLFINx.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Protocol

__all__ = ["DEFAULT_OUTPUTS", "Output", "OutputContext", "get_output", "output_names", "register_output",
           "unregister_output"]

DEFAULT_OUTPUTS = ("fields_xdmf", "fields_vtu", "interface_table", "pictures", "risk_sweep", "report_html")


@dataclasses.dataclass
class OutputContext:
    """What outputs may write: the case name, the solved state, the interface samples
    (every rank), the risk analysis (or None), the communicator, and more fields for the
    field files (or None; e.g. solver.io.electronic_fields.ElectronicFieldSet)."""

    case_name: str
    fields: Any  # solver.physics.conduction.ConductionFields
    samples: dict
    risk: dict | None
    comm: Any
    extra_fields: Any = None


class Output(Protocol):
    name: str
    description: str

    def write(self, folder: Path, context: OutputContext) -> None: ...


_OUTPUTS: dict[str, Output] = {}


def register_output(output: Output, replace: bool = False) -> Output:
    """Make ``output`` selectable under ``outputs.write`` by its name."""
    if output.name in _OUTPUTS and not replace:
        raise ValueError(f"an output named {output.name!r} is already registered")
    _OUTPUTS[output.name] = output
    return output


def unregister_output(name: str) -> None:
    _OUTPUTS.pop(name, None)


def output_names() -> list[str]:
    return list(_OUTPUTS)


def get_output(name: str) -> Output:
    return _OUTPUTS[name]


class FieldsXdmf:
    name = "fields_xdmf"
    description = "fields.xdmf/.h5: potential (P1), current density, conductivity, regions (ParaView 5.11)"

    def write(self, folder: Path, context: OutputContext) -> None:
        from solver.io.exports import write_fields

        write_fields(folder, context.fields, context.extra_fields)


class FieldsVtx:
    name = "fields_vtx"
    description = "fields.bp, cell_fields.bp (ADIOS2 VTX): the potential in its own element, exact (ParaView >= 5.12)"

    def write(self, folder: Path, context: OutputContext) -> None:
        from solver.io.exports import write_fields_vtx

        write_fields_vtx(folder, context.fields, context.extra_fields)


class FieldsVtu:
    name = "fields_vtu"
    description = "fields.vtu: potential (P1), current density, conductivity, regions in one VTK file (pyvista, meshio)"

    def write(self, folder: Path, context: OutputContext) -> None:
        from solver.io.exports import write_fields_vtu

        write_fields_vtu(folder, context.fields, context.extra_fields)


class InterfaceTable:
    name = "interface_table"
    description = "interface.csv and interface.vtu: current density and overpotential on the anode interface"

    def write(self, folder: Path, context: OutputContext) -> None:
        from solver.io.exports import write_interface

        if context.comm.rank == 0:
            write_interface(folder, context.samples)


class Pictures:
    name = "pictures"
    description = "current_density.png and interface_current.png"

    def write(self, folder: Path, context: OutputContext) -> None:
        from solver.io.pictures.run_pictures import write_run_pictures

        write_run_pictures(folder, context)


class RiskSweep:
    name = "risk_sweep"
    description = "risk_sweep.csv and risk_sweep.png: worst risk ratio over the CCD search"

    def write(self, folder: Path, context: OutputContext) -> None:
        risk = context.risk
        if context.comm.rank == 0 and risk and risk.get("sweep_points"):
            from solver.studies.flaw_risk import write_sweep

            write_sweep(Path(folder), risk["sweep_points"], risk["criterion"], context.case_name, risk.get("ccd"))


class ReportHtml:
    name = "report_html"
    description = "report.html (self-contained: pictures embedded) and report.md: tables with units, verdict, inputs"
    after_summary = True

    def write(self, folder: Path, context: OutputContext) -> None:
        if context.comm.rank == 0:
            from solver.io.documents import write_run_report

            write_run_report(folder)


for _output in (FieldsXdmf(), FieldsVtx(), FieldsVtu(), InterfaceTable(), Pictures(), RiskSweep(), ReportHtml()):
    register_output(_output)
