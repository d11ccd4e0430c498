"""The reports of a cycling run, a parameter sweep and a fracture case (``report.md`` and a
self-contained ``report.html``), in the layout and style of the run report.

Each is built from the files of its result folder (no DOLFINx needed): the verdict in plain
sentences, tables whose values are in the display units of the metric registry
(:mod:`solver.analysis.registry`), the pictures of the folder (embedded in the HTML), the
inputs (the case as given, operating conditions and material values with their sources, the
works cited) and the software versions. :func:`solver.io.documents.write_study_report`
renders them through ``templates/study_report.md.j2``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from types import SimpleNamespace

from solver.analysis.registry import compute_stage, format_value, metric
from solver.io.report_context import _read_json, condition_rows, material_rows, pictures, software_rows

__all__ = ["cycling_context", "fracture_tables", "fracture_verdict", "sweep_context", "write_cycling_report",
           "write_sweep_report"]

_RIGHT = "r"


def _table(title: str, headers: list[str], rows: list[list], align: str | None = None, text: str = "") -> dict:
    """A report table: ``align`` has one letter per column (l, r); the first column is left."""
    align = align or "l" + _RIGHT * (len(headers) - 1)
    return {"title": title, "headers": headers, "rows": [[str(v) for v in row] for row in rows],
            "align": list(align), "text": text}


def _inputs(folder: Path) -> dict:
    """The inputs of the result folder: its ``case.yaml`` and ``case_resolved.json``."""
    resolved = _read_json(folder / "case_resolved.json")
    case_file = folder / "case.yaml"
    return {"conditions": condition_rows(resolved), "materials": material_rows(resolved),
            "case_yaml": case_file.read_text() if case_file.is_file() else ""}


def _files(folder: Path) -> list[str]:
    return sorted({p.name for p in folder.iterdir() if p.is_file()} | {"report.html", "report.md"})


def _metric_rows(values: dict, gdim: int, replace: dict | None = None) -> list[list[str]]:
    """quantity, value, unit, meaning of every registered metric in ``values`` (display units)."""
    rows = []
    for name, value in values.items():
        item = metric(name)
        if item is None or not item.report or value is None:
            continue
        shown = format_value(item, value, gdim, among=values, with_unit=False)
        if isinstance(value, float) and math.isinf(value) and replace:
            shown = replace.get(name, shown)
        rows.append([item.title, shown, item.shown_unit(gdim) or "-", item.description])
    return rows


# ----------------------------------------------------------------------------------- cycling
def _cycling_verdict(s: dict, m: dict) -> list[str]:
    hours = s.get("simulated_time_s", 0.0) / 3600.0
    i_crit = s.get("critical_stripping_current_density_A_m2")
    lines = []
    if s.get("time_to_short_s") is not None:
        lines.append(f"**The cell shorts** after {s['time_to_short_s'] / 3600:.4g} h, in the half cycle "
                     f"{s.get('short_segment')} at {abs(s.get('short_current_density_A_m2') or 0) * 0.1:.4g} mA/cm^2.")
    else:
        lines.append(f"No short within the {hours:.4g} h simulated ({s.get('stop_reason', '')}); the highest "
                     f"current density applied, {_mA(m.get('highest_current_density'))} mA/cm^2, is a lower "
                     "bound of the critical current density.")
    if i_crit is not None and m.get("highest_current_density") is not None:
        above = m["highest_current_density"] > i_crit
        lines.append(f"Li supply: stripping above {i_crit * 0.1:.4g} mA/cm^2 (at the stack pressure "
                     f"{s.get('stack_pressure_Pa', 0) * 1e-6:.3g} MPa) opens voids; the run "
                     f"{'exceeds' if above else 'stays below'} it.")
    if m.get("lowest_contact_fraction") is not None:
        lines.append(f"Anode contact: final mean {m.get('final_contact_fraction', float('nan')):.3g}, lowest local "
                     f"{m['lowest_contact_fraction']:.3g} (1 = full contact); worst risk ratio over the run "
                     f"{m.get('cycling_worst_risk_ratio', float('nan')):.3g} (1 = a filament starts).")
    return lines


def _mA(value) -> str:
    return "-" if value is None else f"{value * 0.1:.4g}"


def _segments(rows: list[dict]) -> list[list[str]]:
    """One line per protocol segment: its rows' time span, current, voltage range, contact."""
    out, start = [], 0
    for k in range(1, len(rows) + 1):
        if k == len(rows) or rows[k]["segment"] != rows[start]["segment"]:
            part = rows[start:k]
            volts = [float(r["cell_voltage_V"]) * 1e3 for r in part]
            currents = [float(r["applied_current_density_A_m2"]) * 0.1 for r in part]
            end = float(part[-1]["time_s"]) + float(part[-1]["time_step_s"])
            out.append([part[0]["segment"], f"{float(part[0]['time_s']) / 3600:.4g}", f"{end / 3600:.4g}", len(part),
                        f"{min(currents):.4g} .. {max(currents):.4g}", f"{min(volts):.4g} .. {max(volts):.4g}",
                        f"{float(part[-1]['contact_fraction']):.4g}"])
            start = k
    return out


def _cycle_rows(folder: Path) -> list[dict]:
    path = folder / "cycle.csv"
    return list(csv.DictReader(path.open())) if path.is_file() else []


def cycling_context(folder: str | Path) -> dict:
    """What the report of a cycling run folder shows (``summary.json``, ``cycle.csv``, case)."""
    folder = Path(folder)
    summary = _read_json(folder / "summary.json")
    rows = _cycle_rows(folder)
    values = compute_stage("cycling", SimpleNamespace(rows=rows, summary=summary))
    gdim = int(summary.get("dimension") or 2)
    no_short = {"time_to_short": "no short", "short_current_density": "no short"}
    run = [["time steps", summary.get("time_steps", "-"), "-"],
           ["simulated time", f"{summary.get('simulated_time_s', 0) / 3600:.4g}", "h"],
           ["stop reason", summary.get("stop_reason", "-"), "-"],
           ["stack pressure", f"{summary.get('stack_pressure_Pa', 0) * 1e-6:.4g}", "MPa"],
           ["critical stripping current density", _mA(summary.get("critical_stripping_current_density_A_m2")),
            "mA/cm^2"],
           ["electrolyte thickness", f"{summary.get('electrolyte_thickness_m', 0) * 1e6:.4g}", "um"],
           ["interface elements", summary.get("interface_elements", "-"), "-"],
           ["degrees of freedom", summary.get("dofs", "-"), "-"],
           ["solve time", f"{summary.get('solve_seconds', 0):.3g}", "s"],
           ["MPI ranks", summary.get("mpi_ranks", "-"), "-"]]
    case = summary.get("case", folder.name)
    return {
        "title": f"{case}: cycling run report",
        "intro": (f"Cycling run of the case `{case}`{': ' + summary['description'] if summary.get('description') else ''}."
                  " Values are in the units of each table; `cycle.csv` holds every time step in SI units "
                  "(units in the column names), `fields.xdmf` the potential and contact fraction as a time series."),
        "verdict": _cycling_verdict(summary, values),
        "tables": [_table("Results", ["quantity", "value", "unit", "meaning"], _metric_rows(values, gdim, no_short),
                          "lrll"),
                   _table("Protocol segments", ["segment", "start [h]", "end [h]", "steps",
                                                "current density [mA/cm^2]", "cell voltage [mV]",
                                                "final contact fraction"], _segments(rows)),
                   _table("Run", ["item", "value", "unit"], run, "lrl")],
        "pictures": pictures(folder), **_inputs(folder),
        "references": summary.get("references", []), "versions": software_rows(summary), "files": _files(folder),
    }


def write_cycling_report(folder: str | Path) -> list[Path]:
    """``report.md`` and ``report.html`` of a cycling run folder (rank 0, after its files)."""
    from solver.io.documents import write_study_report

    context = cycling_context(folder)
    return write_study_report(folder, context, context["title"])


# ------------------------------------------------------------------------------------- sweep
def _sweep_columns(records: list[dict]) -> list[str]:
    from solver.io.pictures.plots import _SWEEP_METRICS

    ok = [r for r in records if r.get("status") == "ok"]
    extra = ("cell_voltage", "asr", "critical_current_density")
    names = dict.fromkeys(n for n in (*_SWEEP_METRICS, *extra) if metric(n) is not None)
    return [n for n in names if any(isinstance(r.get("metrics", {}).get(n), (int, float)) for r in ok)]


def _sweep_rows(records: list[dict], columns: list[str], gdim: int) -> list[list[str]]:
    rows = []
    for r in records:
        m = r.get("metrics", {})
        cells = [format_value(metric(n), m[n], gdim, among=m, with_unit=False) if n in m else "-" for n in columns]
        rows.append([r["value"], r["status"], *cells])
    return rows


def sweep_context(folder: str | Path, records: list[dict], case: str, parameter: str, summary: dict) -> dict:
    """What the report of a sweep folder shows: one table row per point (display units)."""
    folder = Path(folder)
    gdim = len(next((r["metrics"]["hot_spot"] for r in records if r.get("metrics", {}).get("hot_spot")), (0, 0, 0)))
    columns = _sweep_columns(records)
    headers = [parameter, "status", *(f"{metric(n).title} [{metric(n).shown_unit(gdim) or '-'}]" for n in columns)]
    failed = [r for r in records if r.get("status") != "ok"]
    verdict = [f"{len(records) - len(failed)} of {len(records)} points solved and passed their checks."]
    verdict += [f"Point {r['value']} failed: {r.get('error', '')}" for r in failed]
    for name in columns[:2]:
        item, ok = metric(name), [r for r in records if name in r.get("metrics", {})]
        if ok:
            low, high = min(ok, key=lambda r: r["metrics"][name]), max(ok, key=lambda r: r["metrics"][name])
            verdict.append(f"{item.title}: from {format_value(item, low['metrics'][name], gdim)} at {low['value']} "
                           f"to {format_value(item, high['metrics'][name], gdim)} at {high['value']}.")
    return {
        "title": f"{case}: sweep of {parameter}",
        "intro": (f"Sweep of `{parameter}` for the case `{case}`. `results.csv` holds every scalar metric of every "
                  "point in SI units; `points/` one file per point."),
        "verdict": verdict,
        "tables": [_table("Results", headers, _sweep_rows(records, columns, gdim), "ll" + _RIGHT * len(columns))],
        "pictures": pictures(folder), **_inputs(folder),
        "references": summary.get("references", []), "versions": software_rows(summary), "files": _files(folder),
    }


def write_sweep_report(folder: str | Path, records: list[dict], case, parameter: str, versions: dict) -> list[Path]:
    """``report.md`` and ``report.html`` of a sweep folder (rank 0, after ``results.csv``).
    ``case`` is the swept case: the report shows its inputs and their sources."""
    import yaml

    from solver.io.documents import write_study_report
    from solver.io.result_folder import write_json
    from solver.materials.library import references_for

    folder = Path(folder)
    (folder / "case.yaml").write_text(getattr(case, "source_text", None) or yaml.safe_dump(case.raw))
    write_json(folder / "case_resolved.json", case.resolved())
    summary = {"references": references_for(case.materials), "versions": versions}
    context = sweep_context(folder, records, case.name, parameter, summary)
    return write_study_report(folder, context, context["title"])


# ---------------------------------------------------------------------------------- fracture
_K_KEYS = (("K_I_Pa_m05", "K_I"), ("K_II_Pa_m05", "K_II"), ("K_III_Pa_m05", "K_III"))
_POSITION = ("x_m", "y_m", "z_m")


def fracture_tables(summary: dict) -> list[dict]:
    """The stress intensity at every crack tip or front node, in MPa m^0.5 and um."""
    rows = (summary.get("fracture") or {}).get("stress_intensity") or []
    if not rows:
        return []
    where = [k for k in rows[0] if k in ("tip", "front")]
    position = [k for k in ("arc_length_m", *_POSITION) if k in rows[0]]
    along = [k for k in rows[0] if k not in (*where, *position, "J_J_m2") and not k.startswith("K_")]
    ks = [(key, name) for key, name in _K_KEYS if key in rows[0]]
    headers = [*where, *(f"{k.removesuffix('_m').replace('_', ' ')} [um]" for k in position),
               *(_along_header(k) for k in along), *(f"{name} [MPa m^0.5]" for _, name in ks)]
    table = [[*(r[k] for k in where), *(f"{r[k] * 1e6:.4g}" for k in position), *(f"{r[k]:.4g}" for k in along),
              *(f"{r[key] * 1e-6:.4g}" for key, _ in ks)] for r in rows]
    return [_table("Stress intensity", headers, table, "l" + _RIGHT * (len(headers) - 1),
                   text="At every crack tip (2D, plane strain) or crack front node (3D), from the domain "
                        "interaction integral; positions in um.")]


def _along_header(key: str) -> str:
    """``phi_rad`` -> ``phi [rad]``; a name without a unit suffix is dimensionless."""
    name, _, unit = key.rpartition("_")
    return f"{name.replace('_', ' ')} [{unit}]" if name else f"{key} [-]"


def fracture_verdict(summary: dict, resolved: dict) -> list[str]:
    """The largest K_I against the fracture toughness of the electrolyte when the case gives it."""
    k_max = (summary.get("fracture") or {}).get("max_stress_intensity")
    if k_max is None:
        return []
    toughness = [(region, mat["values"]["fracture_toughness"]) for region, mat in (resolved.get("materials") or {}).items()
                 if (mat.get("values") or {}).get("fracture_toughness")]
    line = f"Largest mode-I stress intensity K_I = {k_max * 1e-6:.4g} MPa m^0.5."
    for region, k_ic in toughness:
        state = "**the crack grows**" if k_max >= k_ic else "below it: the crack does not grow"
        line += f" Fracture toughness of {region}: {k_ic * 1e-6:.3g} MPa m^0.5 ({state}; ratio {k_max / k_ic:.3g})."
    return [line]
