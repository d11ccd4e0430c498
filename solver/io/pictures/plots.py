"""Line plots in the package's style: the CCD search (risk ratio against the applied
current, with the measured CCD beside the prediction), K_I along crack fronts, parameter
sweeps, cycling (voltage against time) and the risk sweeps of a comparison.

Every function writes one PNG with its description (:mod:`solver.io.pictures.meta`) and
returns that description.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from solver.io.pictures import style
from solver.io.pictures.meta import save_figure

__all__ = ["front_profile", "risk_sweep", "sweep_plot", "sweeps_compared", "voltage_time"]


def _mark_ccd(ax, ccd_display: float | None, measured_display: float | None, unit: str, source: str = "") -> None:
    if ccd_display is not None and math.isfinite(ccd_display):
        ax.axvline(ccd_display, color=style.OKABE_ITO[0], ls="-.", lw=1.0,
                   label=f"predicted CCD {style.format_number(ccd_display)} {style.tex_unit(unit)}")
    if measured_display:
        ax.axvline(measured_display, color=style.OKABE_ITO[3], ls="-", lw=1.6,
                   label=f"measured CCD {style.format_number(measured_display)} {style.tex_unit(unit)}"
                   + (f" ({source})" if source else ""))


@style.styled
def risk_sweep(points: list[dict], path: Path, *, case: str, criterion: str, ccd: float | None = None,
               measured_ccd: float | None = None, measured_source: str = "") -> dict:
    """Worst risk ratio against the applied current density (log axis) from the CCD search
    (``points``: dicts with ``applied_current_density`` [A/m^2] and ``worst_ratio``), with the
    critical line (ratio 1), the predicted CCD and, when given, the measured CCD."""
    import matplotlib.pyplot as plt

    factor, unit = style.display("applied_current_density")
    pts = sorted((p["applied_current_density"] * factor, p["worst_ratio"]) for p in points
                 if p.get("failed") is None and p.get("worst_ratio") is not None)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    if pts:
        i, r = np.array(pts).T
        ax.plot(i, r, "o-", color=style.OKABE_ITO[0], label="CCD search (solved points)")
    ax.axhline(1.0, color="black", ls="--", lw=0.8, label="critical (ratio 1)")
    _mark_ccd(ax, None if ccd is None else ccd * factor, None if not measured_ccd else measured_ccd * factor, unit,
              measured_source)
    style.log_axis(ax)
    xlabel = style.axis_label("applied_current_density")
    ylabel = f"worst risk ratio ({criterion.replace('_', ' ')}) [-]"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    title = f"{case}: dendrite risk against the applied current"
    ax.set_title(title, loc="left")
    ax.legend(loc="best")
    info = {"title": title, "case": case, "quantity": "worst risk ratio", "unit": "1", "kind": "risk_sweep",
            "axes": {"x": xlabel, "y": ylabel}, "points": len(pts),
            "predicted_ccd": None if ccd is None else ccd * factor,
            "measured_ccd": None if not measured_ccd else measured_ccd * factor}
    save_figure(fig, path, info)
    return info


@style.styled
def front_profile(fronts: list[dict], path: Path, *, case: str, parameter: str, title: str,
                  toughness: float | None = None) -> dict:
    """K along crack fronts: ``fronts`` are dicts with ``label``, ``parameter`` (the front
    coordinate), ``K`` [Pa m^0.5] and an optional ``style`` ('o-', 's--'); ``toughness``
    [Pa m^0.5] draws K_IC."""
    import matplotlib.pyplot as plt

    factor, unit = style.display("stress_intensity")
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for j, f in enumerate(fronts):
        k = np.asarray(f["K"]) * factor
        ax.plot(f["parameter"], k, f.get("style", "o-"), label=f["label"],
                color=style.OKABE_ITO[j % len(style.OKABE_ITO)])
    if fronts:
        best = max(fronts, key=lambda f: np.nanmax(f["K"]))  # NaN: a node whose domain was skipped
        j = int(np.nanargmax(best["K"]))
        kmax = best["K"][j] * factor
        ax.plot(best["parameter"][j], kmax, "^", ms=8, mfc="white", mec="black", ls="none",
                label=f"maximum {style.format_number(kmax)} {style.tex_unit(unit)}")
    if toughness:
        ax.axhline(toughness * factor, color="black", ls="--", lw=0.8,
                   label=f"K$_{{IC}}$ = {style.format_number(toughness * factor)} {style.tex_unit(unit)}")
    names = {"phi_deg": "front angle \u03c6 [deg] (90 = deepest point)",
             "z/B": "position through the thickness z/B [-]"}
    xlabel = names.get(parameter, f"{parameter} [-]")
    ylabel = f"stress intensity [{style.tex_unit(unit)}]"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    full = f"{case}: {title}"
    ax.set_title(full, loc="left")
    ax.legend(loc="best")
    info = {"title": full, "case": case, "quantity": "stress intensity", "unit": unit, "kind": "front_profile",
            "axes": {"x": xlabel, "y": ylabel}}
    save_figure(fig, path, info)
    return info


_SWEEP_METRICS = ("max_interface_current_density", "focusing_factor", "cell_voltage", "worst_risk_ratio")


def _swept_values(records: list[dict]) -> tuple[np.ndarray, str]:
    """The swept values as numbers and their unit (pint parses '1 mA/cm^2'; plain numbers: '-')."""
    import pint

    ureg = pint.get_application_registry()
    values, unit = [], None
    for r in records:
        q = ureg.Quantity(str(r["value"]))
        if unit is None:
            unit = f"{q.units:~}" if not q.dimensionless else ""
        values.append(float(q.to(unit).magnitude) if unit else float(q.magnitude))
    return np.asarray(values), unit or ""


@style.styled
def sweep_plot(records: list[dict], path: Path, *, case: str, parameter: str) -> dict | None:
    """The main metrics of a parameter sweep against the swept value (one panel each);
    failed points are marked on the x axis. None when no point finished."""
    import matplotlib.pyplot as plt

    from solver.analysis.registry import metric

    ok = [r for r in records if r.get("status") == "ok"]
    if not ok:
        return None
    x_all, xunit = _swept_values(records)
    okmask = np.array([r.get("status") == "ok" for r in records])
    gdim = len(next((r["metrics"]["hot_spot"] for r in ok if r["metrics"].get("hot_spot")), (0, 0, 0)))
    names = [n for n in _SWEEP_METRICS if any(isinstance(r["metrics"].get(n), (int, float)) for r in ok)]
    fig, axes = plt.subplots(len(names), 1, figsize=(6.4, 1.9 * len(names) + 0.8), sharex=True, squeeze=False)
    labels = {}
    for ax, name in zip(axes[:, 0], names):
        item = metric(name)
        y = np.array([r["metrics"].get(name, np.nan) if r.get("status") == "ok" else np.nan for r in records], float)
        ax.plot(x_all[okmask], y[okmask] * item.scale(gdim), "o-", color=style.OKABE_ITO[len(labels)])
        if (~okmask).any():
            ax.plot(x_all[~okmask], np.full((~okmask).sum(), np.nanmin(y[okmask] * item.scale(gdim))), "x",
                    color="black", ms=7, label="failed point")
            ax.legend(loc="best")
        labels[name] = f"{item.title} [{style.tex_unit(item.shown_unit(gdim))}]"
        ax.set_ylabel(labels[name].replace(" [", "\n["), fontsize=9)
    xlabel = f"{parameter} [{style.tex_unit(xunit)}]"
    axes[-1, 0].set_xlabel(xlabel)
    if np.all(x_all > 0) and x_all.max() / x_all.min() > 20:
        style.log_axis(axes[-1, 0])
    title = f"{case}: sweep of {parameter}"
    axes[0, 0].set_title(title, loc="left")
    info = {"title": title, "case": case, "quantity": ", ".join(names), "unit": xunit or "1", "kind": "sweep",
            "axes": {"x": xlabel, **{f"y_{n}": labels[n] for n in names}}, "points": int(okmask.sum()),
            "failed": int((~okmask).sum())}
    save_figure(fig, path, info)
    return info


@style.styled
def voltage_time(rows: list[dict], path: Path, *, case: str, short_s: float | None) -> dict:
    """Cycling: cell voltage, contact fraction and peak local current density against time."""
    import matplotlib.pyplot as plt

    t = np.array([r["time_s"] for r in rows]) / 3600.0
    fv, uv = style.display("cell_voltage")
    fi, ui = style.display("interface_current_density")
    flaws = rows[0].get("crack_length_m") not in (None, "")
    fig, axes = plt.subplots(4 if flaws else 3, 1, figsize=(6.4, 7.8 if flaws else 6.0), sharex=True)
    axes[0].plot(t, [fv * r["cell_voltage_V"] for r in rows], lw=1.0, color=style.OKABE_ITO[0])
    for key, label, c in (("contact_fraction", "anode (mean)", 2), ("min_contact_fraction", "anode (min)", 1),
                          ("counter_contact_fraction", "counter electrode", 4)):
        axes[1].plot(t, [r[key] for r in rows], label=label, color=style.OKABE_ITO[c])
    axes[1].legend(loc="best")
    axes[2].plot(t, [fi * r["peak_local_current_density_A_m2"] for r in rows], color=style.OKABE_ITO[3])
    labels = {"voltage": f"cell voltage [{style.tex_unit(uv)}]", "contact": "contact fraction [-]",
              "current": f"peak local current\ndensity [{style.tex_unit(ui)}]", "time": "time [h]"}
    axes[0].set_ylabel(labels["voltage"])
    axes[1].set_ylabel(labels["contact"])
    axes[2].set_ylabel(labels["current"])
    axes[-1].set_xlabel(labels["time"])
    if flaws:
        labels.update(_flaw_panel(axes[3], t, rows))
    if short_s is not None:
        for ax in axes:
            ax.axvline(short_s / 3600, color="black", ls="--", lw=0.8)
    title = f"{case}: cycling" + (f", short after {style.format_number(short_s / 3600)} h" if short_s is not None
                                  else ", no short")
    axes[0].set_title(title, loc="left")
    info = {"title": title, "case": case, "quantity": "cell voltage", "unit": uv, "kind": "cycling",
            "axes": {"x": labels["time"], **{f"y_{k}": v for k, v in labels.items() if k != "time"}}}
    save_figure(fig, path, info)
    return info


def _flaw_panel(ax, t: np.ndarray, rows: list[dict]) -> dict:
    """Cycling with meshed flaws: worst K_I/K_IC and the crack length [um] against time."""
    ax.plot(t, [float(r["worst_stress_intensity_ratio"]) for r in rows], color=style.OKABE_ITO[0],
            label="worst K_I/K_IC")
    ax.axhline(1.0, color="black", ls="--", lw=0.8)
    twin = ax.twinx()
    twin.plot(t, [1e6 * float(r["crack_length_m"]) for r in rows], color=style.OKABE_ITO[3], label="crack length")
    labels = {"stress_intensity": "worst $K_I/K_{IC}$ [-]", "crack_length": r"crack length [$\mu$m]"}
    ax.set_ylabel(labels["stress_intensity"])
    twin.set_ylabel(labels["crack_length"], color=style.OKABE_ITO[3])
    return labels


@style.styled
def sweeps_compared(designs: list[dict], path: Path, *, title: str, measured: dict | None = None,
                    measured_source: str = "") -> dict:
    """Risk ratio against applied current for several designs (``designs``: dicts with
    ``name``, ``points`` as for :func:`risk_sweep`, optional ``ccd`` [A/m^2]); the measured CCD
    of a design (``measured``: name -> A/m^2) is drawn in its colour beside its prediction."""
    import matplotlib.pyplot as plt

    factor, unit = style.display("applied_current_density")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for j, d in enumerate(designs):
        colour = style.OKABE_ITO[j % len(style.OKABE_ITO)]
        pts = sorted((p["applied_current_density"] * factor, p["worst_ratio"]) for p in d["points"]
                     if p.get("failed") is None and p.get("worst_ratio") is not None)
        if pts:
            i, r = np.array(pts).T
            ax.plot(i, r, "o-", color=colour, label=d["name"])
        if d.get("ccd") is not None and math.isfinite(d["ccd"]):
            ax.axvline(d["ccd"] * factor, color=colour, ls="-.", lw=1.0,
                       label=f"{d['name']}: predicted CCD {style.format_number(d['ccd'] * factor)} {style.tex_unit(unit)}")
        m = (measured or {}).get(d["name"])
        if m:
            ax.axvline(m * factor, color=colour, ls="-", lw=2.0, alpha=0.8,
                       label=f"{d['name']}: measured CCD {style.format_number(m * factor)} {style.tex_unit(unit)}")
    ax.axhline(1.0, color="black", ls="--", lw=0.8, label="critical (ratio 1)")
    style.log_axis(ax)
    xlabel = style.axis_label("applied_current_density")
    ylabel = "worst risk ratio [-] (1 = critical)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(loc="best", fontsize=8)
    if measured and measured_source:
        style.caption(fig, f"measured: {measured_source}")
    info = {"title": title, "case": ", ".join(d["name"] for d in designs), "quantity": "worst risk ratio",
            "unit": "1", "kind": "risk_sweeps", "axes": {"x": xlabel, "y": ylabel},
            "measured_ccd": {k: v * factor for k, v in (measured or {}).items()}}
    save_figure(fig, path, info)
    return info
