"""The human-readable report of a run (plain text): every metric the registry marks for
the report, in its display unit. Pictures are drawn by :mod:`solver.io.pictures`.
"""

from __future__ import annotations

from solver.io.focusing_text import focusing_lines
from solver.io.risk_text import population_lines

__all__ = ["fracture_text", "summary_text"]


def summary_text(summary: dict) -> str:
    """A short plain-text report: every metric the registry marks ``report``, in its display unit."""
    from solver.analysis.registry import format_value, metric, metrics

    if "fracture" in summary:
        return fracture_text(summary)
    m = summary["metrics"]
    mesh = summary["mesh"]
    gdim = summary.get("dimension") or _gdim(m)
    lines = [
        f"case {summary['case']}: {summary.get('description', '')}".rstrip(": "),
        f"  mesh: {mesh['cells']} cells, {summary['solver']['dofs']} DOFs (P{summary['solver']['degree']}), "
        f"h_min {mesh['h_min_m'] * 1e9:.3g} nm",
    ]
    risk = summary.get("risk")
    if risk:
        where = f"flaw {risk['worst_flaw']}" if risk["flaws"] else "the interface as a whole (no flaw)"
        lines.append(f"  dendrite risk ({risk['criterion']}) at {where}" if risk["worst_ratio"] is not None
                     else f"  dendrite risk ({risk['criterion']})")
        if risk.get("ccd") is None and risk.get("ccd_note"):
            lines.append(f"  CCD: {risk['ccd_note']}")
        if (combined := risk.get("combined")) and combined.get("mechanism"):
            lines.append(f"  lowest CCD set by: {combined['mechanism']}")
        if risk["flaws"] and "worst_stress_intensity" not in m:
            lines.append(f"  K_I: not computed (criterion {risk['criterion']} needs no flaw mechanics)")
        lines += population_lines(risk)
    for item in metrics():
        if item.report and item.name in m and metric(item.name) is item:
            lines.append(f"  {item.title:<40} {format_value(item, m[item.name], gdim, among=m)}")
    lines += focusing_lines(m)
    lines += [f"  note: {note}" for note in summary.get("notes", [])]
    lines.append(f"  Newton iterations {summary['solver']['newton_iterations']}, solve "
                 f"{summary['timings']['solve_s']:.2f} s, total {summary['timings'].get('total_s', 0.0):.2f} s")
    return "\n".join(lines)


def _gdim(metrics: dict) -> int:
    """Geometric dimension from the hot-spot coordinates (3 when unknown)."""
    return len(metrics.get("hot_spot", (0, 0, 0)))


def fracture_text(summary: dict) -> str:
    """The plain-text report of a fracture case: K per tip or front node in MPa m^0.5."""
    rows = summary["fracture"]["stress_intensity"]
    lines = [f"case {summary['case']}: {summary.get('description', '')}".rstrip(": "),
             f"  mesh: {summary['mesh']['cells']} cells, h_min {summary['mesh']['h_min_m'] * 1e9:.3g} nm",
             f"  largest K_I {summary['fracture']['max_stress_intensity'] * 1e-6:.4g} MPa m^0.5"]
    for r in rows:
        where = (f"front {r['front']}, {next(k for k in r if k not in _ROW_KEYS)} "
                 f"{r[next(k for k in r if k not in _ROW_KEYS)]:.3g}" if "front" in r else f"tip {r['tip']}")
        ks = ", ".join(f"{name} {r[key] * 1e-6:.4g}" for name, key in
                       (("K_I", "K_I_Pa_m05"), ("K_II", "K_II_Pa_m05"), ("K_III", "K_III_Pa_m05")) if key in r)
        lines.append(f"  {where}: {ks} MPa m^0.5")
    lines.append(f"  total {summary['timings'].get('total_s', 0.0):.2f} s")
    return "\n".join(lines)


_ROW_KEYS = {"front", "tip", "arc_length_m", "x_m", "y_m", "z_m", "K_I_Pa_m05", "K_II_Pa_m05", "K_III_Pa_m05", "J_J_m2"}
