"""Scalar results of a cycling run (stage ``cycling`` of the metric registry).

The context is any object with ``rows`` (the time series, one mapping per step, columns of
:data:`solver.studies.cycle_outputs.COLUMNS`, SI) and ``summary`` (the run summary, e.g.
:class:`solver.studies.cycle.CycleResult`). A run that did not short has time to short
and short current density ``inf`` (not reached within the simulated time); the highest
current density reached is then a lower bound of the CCD in a step protocol.
"""

from __future__ import annotations

import math

__all__ = ["crack_length", "final", "over_rows", "short_current_density", "time_to_short", "when_present"]


def time_to_short(context) -> float:
    """Time [s] at which a filament or crack spans the electrolyte (inf: no short)."""
    t = context.summary.get("time_to_short_s")
    return math.inf if t is None else float(t)


def short_current_density(context) -> float:
    """|applied current density| [A/m^2] of the segment in which the cell shorts (inf: no short)."""
    i = context.summary.get("short_current_density_A_m2")
    return math.inf if i is None else float(i)


def over_rows(column: str, reduce=max, transform=abs):
    """``reduce`` of ``transform(row[column])`` over the time series (None without rows)."""
    def compute(context):
        values = [transform(float(r[column])) for r in context.rows]
        return float(reduce(values)) if values else None

    return compute


def final(column: str):
    """The value of ``column`` in the last step (None without rows)."""
    def compute(context):
        return float(context.rows[-1][column]) if context.rows else None

    return compute


def when_present(column: str, reduce=max):
    """``reduce`` of ``row[column]`` over the time series; None when the run has no such column
    (e.g. the meshed-flaw columns of a run without ``cycling.flaws``)."""
    def compute(context):
        values = [float(r[column]) for r in context.rows if r.get(column) not in (None, "")]
        return float(reduce(values)) if values else None

    return compute


def crack_length(context) -> float | None:
    """Longest crack [m] at the end of the run (None without meshed flaws)."""
    value = context.summary.get("crack_length_m")
    return None if value is None else float(value)
