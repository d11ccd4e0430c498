"""What the run and comparison reports show, read from a result folder (no DOLFINx needed).

:func:`run_context` gathers, from ``summary.json``, ``case.yaml`` and ``case_resolved.json``,
the verdict (acceptance checks, dendrite risk, current distribution), every metric the
registry marks ``report`` in its display unit (values at round-off shown as 0, see
:func:`solver.analysis.registry.round_off_level`), the mesh and solver, the inputs (the
case as given, operating conditions, material values with their sources), the works cited
(``references.bib``) and the software versions. :mod:`solver.io.documents` renders it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from solver.analysis.registry import format_value, metric, metrics
from solver.io.focusing_text import focusing_lines
from solver.io.risk_text import population_lines

__all__ = ["PICTURE_TITLES", "comparison_context", "material_rows", "pictures", "run_context", "software_rows"]

#: titles of the pictures a run writes, by file name (other PNGs get their file name)
PICTURE_TITLES = {
    "current_density.png": "Ionic current density in the electrolyte",
    "interface_current.png": "Current density and overpotential along the anode interface",
    "risk_sweep.png": "Worst risk ratio over the CCD search",
    "current_density_side_by_side.png": "Current density of every design, one colour scale",
    "ccd_sweeps.png": "CCD searches of every design",
    "voltage.png": "Cell voltage, contact fraction and peak local current density against time",
    "cycling_side_by_side.png": "Cell voltage and contact fraction of every design",
    "sweep.png": "Main metrics against the swept value",
    "front_stress_intensity.png": "Stress intensity along the crack front",
}

#: display unit of material properties by SI unit (pint syntax)
_MATERIAL_UNITS = {"S/m": "mS/cm", "A/m^2": "mA/cm^2", "Pa": "GPa", "Pa*m^0.5": "MPa*m^0.5", "m": "um",
                   "m^3/mol": "cm^3/mol"}


def pictures(folder: Path) -> list[dict]:
    """The PNG files of ``folder`` (top level, sorted), each with a title."""
    return [{"file": p.name, "title": PICTURE_TITLES.get(p.name, p.stem.replace("_", " "))}
            for p in sorted(Path(folder).glob("*.png"))]


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def run_context(folder: str | Path) -> dict:
    """Everything the run report shows, from the files of a result folder."""
    folder = Path(folder)
    summary = _read_json(folder / "summary.json")
    resolved = _read_json(folder / "case_resolved.json")
    gdim = int(summary.get("dimension") or 3)
    case_file = folder / "case.yaml"
    from solver.io.study_reports import fracture_tables, fracture_verdict

    return {
        "case": summary["case"],
        "description": summary.get("description", ""),
        "verdict": verdict(summary, gdim) + fracture_verdict(summary, resolved),
        "tables": fracture_tables(summary),
        "metrics": metric_rows(summary.get("metrics", {}), gdim),
        "findings": [" ".join(line.split()) for line in _findings(summary)],
        "notes": summary.get("notes", []),
        "pictures": pictures(folder),
        "mesh": mesh_rows(summary),
        "case_yaml": case_file.read_text() if case_file.is_file() else "",
        "conditions": condition_rows(resolved),
        "materials": material_rows(resolved),
        "references": summary.get("references", []),
        "versions": software_rows(summary),
        "files": sorted({p.name for p in folder.iterdir() if p.is_file()} | {"report.html", "report.md"}),
        "field_files": [name for name in ("fields.vtu", "fields.xdmf", "fields.bp") if (folder / name).exists()],
    }


def _findings(summary: dict) -> list[str]:
    """The report's text lines on flaw populations, interior focusing and void edges (the
    current-distribution regime is in the verdict)."""
    lines = population_lines(summary["risk"]) if summary.get("risk") else []
    return lines + focusing_lines({k: v for k, v in summary.get("metrics", {}).items() if k != "polarisation_regime"})


def _shown(name: str, m: dict, gdim: int, digits: int = 4) -> str:
    item = metric(name)
    return format_value(item, m[name], gdim, digits, among=m) if item and name in m else "-"


def verdict(summary: dict, gdim: int) -> list[str]:
    """Plain-language sentences (Markdown): is the solution accepted, what is the risk, how
    strongly does the current focus."""
    m = summary.get("metrics", {})
    lines = [_acceptance(summary.get("acceptance"))]
    if summary.get("risk"):
        lines.append(_risk(summary["risk"], m, gdim))
    if "focusing_factor" in m:
        lines.append(f"Current focusing: max/mean {_shown('focusing_factor', m, gdim, 3)}, p99/mean "
                     f"{_shown('focusing_factor_percentile', m, gdim, 3)}; worst local current density "
                     f"{_shown('max_interface_current_density', m, gdim)} at {_shown('hot_spot', m, gdim, 3)} "
                     f"(applied {_shown('applied_current_density_projected', m, gdim)}).")
    regime = m.get("polarisation_regime")
    if regime:
        lines.append(f"Current distribution: **{regime['regime']} regime** ({regime['explanation']}).")
    return [line for line in lines if line]


def _acceptance(checks: dict | None) -> str:
    if not checks:
        return ""
    if checks.get("passed"):
        return (f"The solution passed its checks (charge balance error {checks['charge_balance_error']:.2g}, "
                f"tolerance {checks['charge_balance_tolerance']:.2g}).")
    return "**The solution failed its checks**: " + "; ".join(map(str, checks.get("failures", []))) + "."


def _risk(risk: dict, m: dict, gdim: int) -> str:
    criterion = risk.get("criterion", "")
    ratio = risk.get("worst_ratio")
    text = f"Dendrite risk ({criterion}): "
    if ratio is not None:
        where = f"flaw {risk['worst_flaw']}" if risk.get("flaws") else "the interface"
        state = "**critical**" if ratio >= 1 else "below the criterion"
        text += f"worst risk ratio {ratio:.3g} at {where} at the applied current ({state}; 1 = critical). "
    ccd = risk.get("ccd")
    if ccd is not None and math.isfinite(ccd):
        text += f"Predicted CCD {_shown('critical_current_density', m, gdim)}."
    elif risk.get("ccd_note"):
        text += f"CCD: {risk['ccd_note']}."
    return text.strip()


def metric_rows(m: dict, gdim: int) -> list[dict]:
    """One row per metric the registry marks ``report``: label, value and unit shown, description."""
    rows = []
    for item in metrics():
        if item.report and item.name in m and metric(item.name) is item:
            rows.append({"label": item.title, "value": format_value(item, m[item.name], gdim, among=m, with_unit=False),
                         "unit": item.shown_unit(gdim) or "-", "description": item.description})
    return rows


def mesh_rows(summary: dict) -> list[tuple[str, str]]:
    """Mesh, solver and timing numbers, each with its unit."""
    mesh, solver, timings = summary.get("mesh", {}), summary.get("solver", {}), summary.get("timings", {})
    rows = [("cells", f"{mesh.get('cells', '-')} ({mesh.get('cell_type', '')})"),
            ("vertices", mesh.get("vertices", "-"))]
    if "h_min_m" in mesh:
        rows += [("smallest / largest cell size", f"{mesh['h_min_m'] * 1e9:.3g} / {mesh['h_max_m'] * 1e9:.3g} nm"),
                 ("worst cell quality", _number(mesh.get("quality_min"), ".3g"))]
    if solver:
        rows += [("degrees of freedom", f"{solver.get('dofs')} (P{solver.get('degree')})"),
                 ("linear solver", solver.get("linear_solver", "-")),
                 ("Newton iterations", solver.get("newton_iterations", "-")),
                 ("final residual", _number(solver.get("final_residual"), ".2g"))]
    rows += [("MPI ranks", summary.get("mpi_ranks", "-"))]
    rows += [(f"time: {k.removesuffix('_s')}", f"{v:.2f} s") for k, v in timings.items()]
    return [(k, str(v)) for k, v in rows]


def _number(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) else "-"


def condition_rows(resolved: dict) -> list[tuple[str, str, str, str]]:
    """Operating conditions of the case: name, value, unit and source (the exchange current
    density's, from the material library or the case)."""
    ec = (resolved.get("case") or {}).get("electrochemistry") or {}
    if not ec:
        return []
    rows = [("mode", ec.get("mode", "-"), "", "case"), ("direction", ec.get("direction", "-"), "", "case")]
    for key, label, unit, scale, offset in (("applied_current_density", "applied current density", "mA/cm^2", 0.1, 0),
                                            ("applied_potential", "applied potential", "mV", 1e3, 0),
                                            ("temperature", "temperature", "degC", 1.0, -273.15)):
        if ec.get(key) is not None:
            rows.append((label, f"{ec[key] * scale + offset:.4g}", unit, "case"))
    rows.append(("kinetics law", (ec.get("kinetics") or {}).get("law", "-"), "", "case"))
    i0 = resolved.get("exchange_current_density") or {}
    if i0.get("value") is not None:
        rows.append(("exchange current density", f"{i0['value'] * 0.1:.4g}", "mA/cm^2", i0.get("source", "")))
    return rows


def material_rows(resolved: dict) -> list[dict]:
    """Every material value of the case: region, material, property, value and unit shown, source."""
    from solver.materials.library import PROPERTIES

    rows = []
    for region, mat in (resolved.get("materials") or {}).items():
        for prop, value in (mat.get("values") or {}).items():
            si = PROPERTIES.get(prop, "")
            shown = _MATERIAL_UNITS.get(si, si)
            rows.append({"region": region, "material": mat.get("material", ""), "property": prop.replace("_", " "),
                         "value": f"{_convert(value, si, shown):.4g}" if isinstance(value, (int, float)) else value,
                         "unit": shown.replace("*", " ") or "-",
                         "source": (mat.get("sources") or {}).get(prop, "given in the case")})
    return rows


def _convert(value: float, si: str, shown: str) -> float:
    if si == shown:
        return float(value)
    import pint

    ureg = pint.get_application_registry()
    return float(ureg.Quantity(value, si).to(shown).magnitude)


def software_rows(summary: dict) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in (summary.get("versions") or {}).items()]


def comparison_context(folder: str | Path, comparison_markdown: str, cases: list[str]) -> dict:
    """Everything the comparison report shows: the comparison text itself, then, per design
    (its first realisation, ``runs/CASE-0``), the operating conditions and material values
    with their sources; the works cited by any design; links to every run's report."""
    folder = Path(folder)
    designs, cited = [], {}
    versions: list = []
    for name in cases:
        run = folder / "runs" / f"{name}-0"
        resolved = _read_json(run / "case_resolved.json")
        summary = _read_json(run / "summary.json")
        designs.append({"case": name, "conditions": condition_rows(resolved), "materials": material_rows(resolved)})
        for ref in summary.get("references", []):
            entry = cited.setdefault(ref["key"], {**ref, "used_for": []})
            entry["used_for"] += [u for u in ref["used_for"] if u not in entry["used_for"]]
        versions = versions or software_rows(summary)
    runs = sorted(p.parent.relative_to(folder).as_posix() for p in folder.glob("runs/*/summary.json"))
    title = comparison_markdown.splitlines()[0].lstrip("# ").strip() if comparison_markdown else folder.name
    return {"title": title, "comparison": comparison_markdown.strip(), "designs": designs,
            "references": [cited[k] for k in sorted(cited)], "runs": runs,
            "run_reports": {r: (folder / r / "report.html").is_file() for r in runs}, "versions": versions}
