"""Interface pictures: current density and overpotential along a 2D interface (broken at
voids: no line is drawn where there is no contact), area-weighted histograms in 3D.

The curves are the vertex values of the interface samples, the values the metrics are
computed from, so the marked maximum is the reported ``max_interface_current_density``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.io.pictures import style
from solver.io.pictures.meta import save_figure

__all__ = ["chains", "histogram_range", "interface_histogram", "interface_profile"]


def chains(points: np.ndarray) -> list[list[tuple[int, bool]]]:
    """Connected runs of 2D interface facets: lists of (facet, reversed) in walking order.

    Facets are joined where they share a vertex (coordinates equal to 1e-9 of the extent).
    """
    n = points.shape[0]
    tol = 1e-9 * max(float(np.ptp(points.reshape(-1, points.shape[-1]), axis=0).max()), 1e-300)
    keys = np.round(points.reshape(-1, points.shape[-1]) / tol).astype(np.int64)
    _, vid = np.unique(keys, axis=0, return_inverse=True)
    vid = vid.reshape(n, 2)
    touching: dict[int, list[int]] = {}
    for f, (a, b) in enumerate(vid):
        touching.setdefault(int(a), []).append(f)
        touching.setdefault(int(b), []).append(f)
    seen = np.zeros(n, bool)
    ends = [f for f in range(n) if len(touching[int(vid[f, 0])]) == 1 or len(touching[int(vid[f, 1])]) == 1]
    out = []
    for start in ends + list(range(n)):
        if seen[start]:
            continue
        rev = len(touching[int(vid[start, 1])]) == 1 and len(touching[int(vid[start, 0])]) != 1
        run, f = [], start
        while f is not None and not seen[f]:
            seen[f] = True
            run.append((f, rev))
            tail = int(vid[f, 0] if rev else vid[f, 1])
            f = next((g for g in touching[tail] if not seen[g]), None)
            if f is not None:
                rev = int(vid[f, 1]) == tail
        out.append(run)
    # left to right by the first point of each run
    out = [r if points[r[0][0], int(r[0][1]), 0] <= points[r[-1][0], 1 - int(r[-1][1]), 0] else
           [(f, not rv) for f, rv in reversed(r)] for r in out]
    return sorted(out, key=lambda r: points[r[0][0], int(r[0][1]), 0])


def _polylines(samples: dict):
    """Per run: x [m], arc length [m], current density [A/m^2], overpotential [V] at vertices."""
    pts, cur, eta = samples["points"], samples["current_density"], samples["overpotential"]
    runs = []
    for run in chains(pts):
        order = [(f, 1, 0) if rv else (f, 0, 1) for f, rv in run]
        idx = [(f, a) for f, a, _ in order] + [(order[-1][0], order[-1][2])]
        xy = np.array([pts[f, a] for f, a in idx])
        runs.append({"xy": xy, "i": np.array([cur[f, a] for f, a in idx]),
                     "eta": np.array([eta[f, a] for f, a in idx])})
    return runs


def _positions(runs) -> tuple[list[np.ndarray], str]:
    """x along the interface when every run is a graph over x, else the arc length s."""
    monotone = all(np.all(np.diff(r["xy"][:, 0]) >= -1e-12) for r in runs)
    if monotone:
        return [r["xy"][:, 0] for r in runs], "x"
    out, s0, last = [], 0.0, None
    for r in runs:
        if last is not None:
            s0 += float(np.linalg.norm(r["xy"][0] - last))
        seg = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(r["xy"], axis=0), axis=1))])
        out.append(s0 + seg)
        s0 += seg[-1]
        last = r["xy"][-1]
    return out, "s"


def _joined(xs, ys):
    """Runs concatenated with NaN between them (matplotlib breaks the line there)."""
    x = np.concatenate([np.append(a, np.nan) for a in xs])[:-1]
    y = np.concatenate([np.append(b, np.nan) for b in ys])[:-1]
    return x, y


@style.styled
def interface_profile(samples: dict, path: Path, *, case: str, sign: float = 1.0) -> dict:
    """Current density and overpotential along a 2D interface, with gaps where there is no
    contact (shaded, labelled) and the maximum (along the operating direction ``sign``) marked."""
    import matplotlib.pyplot as plt

    fi, ui = style.display("interface_current_density", 2)
    fe, ue = style.display("overpotential", 2)
    runs = _polylines(samples)
    xs, mode = _positions(runs)
    xs = [x * 1e6 for x in xs]
    fig, (ax_i, ax_e) = plt.subplots(2, 1, figsize=(6.4, 4.8), sharex=True)
    x, y = _joined(xs, [r["i"] * fi for r in runs])
    ax_i.plot(x, y, color=style.OKABE_ITO[0], label="vertex values")
    for a, b in zip(xs[:-1], xs[1:]):
        if mode == "x" and b[0] > a[-1]:
            ax_i.axvspan(a[-1], b[0], color="#bbbbbb", alpha=0.5, lw=0)
            ax_e.axvspan(a[-1], b[0], color="#bbbbbb", alpha=0.5, lw=0)
    if len(runs) > 1 and mode == "x":
        ax_i.axvspan(np.nan, np.nan, color="#bbbbbb", alpha=0.5, lw=0, label="no contact (void)")
    k = int(np.nanargmax(sign * y))
    ax_i.plot(x[k], y[k], "^", ms=7, mfc="white", mec="black", ls="none",
              label=f"maximum {style.format_number(y[k], 4)} {style.tex_unit(ui)}")
    ax_i.set_ylabel(style.axis_label("interface_current_density", 2, "current density\ninto the anode"))
    eta_all = np.concatenate([r["eta"] for r in runs])
    q_eta = style.quantity("overpotential")
    eta_na = style.is_round_off(eta_all, q_eta.roundoff_scale)
    if eta_na:
        ax_e.text(0.5, 0.5, "overpotential zero everywhere (primary kinetics): not applicable",
                  transform=ax_e.transAxes, ha="center", va="center", color="#444444")
        ax_e.set_yticks([])
    else:
        xe, ye = _joined(xs, [r["eta"] * fe for r in runs])
        ax_e.plot(xe, ye, color=style.OKABE_ITO[3])
    ax_e.set_ylabel(style.axis_label("overpotential", 2))
    xlabel = "x [\u00b5m]" if mode == "x" else "position along the interface s [\u00b5m]"
    ax_e.set_xlabel(xlabel)
    fig.legend(*ax_i.get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False)
    title = f"{case}: interface current density and overpotential"
    ax_i.set_title(title, loc="left")
    info = {"title": title, "case": case, "quantity": "interface current density", "unit": ui,
            "kind": "interface_profile", "axes": {"x": xlabel, "y_current": ax_i.get_ylabel(),
                                                  "y_overpotential": ax_e.get_ylabel()},
            "max_current_density": float(y[k]), "contact_runs": len(runs),
            "overpotential": "not applicable" if eta_na else "shown"}
    save_figure(fig, path, info)
    return info


def histogram_range(values) -> tuple[float, float]:
    """The histogram range of ``values``: their full range, widened around a constant (a
    flat interface has one value, and bins cannot split a zero-width range)."""
    cr = style.robust_range(values)
    return min(cr.data_min, cr.lo), max(cr.data_max, cr.hi)


@style.styled
def interface_histogram(samples: dict, path: Path, *, case: str) -> dict:
    """Area-weighted histograms of the current density and overpotential (3D interfaces)."""
    import matplotlib.pyplot as plt

    fi, ui = style.display("interface_current_density", 3)
    fe, _ = style.display("overpotential", 3)
    w = np.repeat(samples["area"][:, None] / samples["current_density"].shape[1],
                  samples["current_density"].shape[1], axis=1).ravel()
    w = 100 * w / w.sum()
    fig, (ax_i, ax_e) = plt.subplots(2, 1, figsize=(6.4, 4.8))
    axes = {}
    eta = samples["overpotential"].ravel()
    for ax, name, values, factor, colour in ((ax_i, "interface_current_density", samples["current_density"].ravel(),
                                               fi, 0), (ax_e, "overpotential", eta, fe, 3)):
        q = style.quantity(name)
        label = style.axis_label(name, 3, "current density into the anode" if colour == 0 else None)
        if style.is_round_off(values, q.roundoff_scale):
            ax.text(0.5, 0.5, f"{q.label} zero everywhere (primary kinetics): not applicable",
                    transform=ax.transAxes, ha="center", va="center", color="#444444")
        else:
            v = values * factor
            cr = style.robust_range(v)
            ax.hist(v, bins=60, range=histogram_range(v), weights=w,
                    color=style.OKABE_ITO[colour])
            ax.axvline(float(np.average(v, weights=w)), color="black", ls="--", lw=0.8, label="area-weighted mean")
            extreme = float(v[np.argmax(np.abs(v))]) if q.signed else cr.data_max
            ax.axvline(extreme, color="black", ls=":", lw=0.8,
                       label=f"{'largest magnitude' if q.signed else 'maximum'} {style.format_number(extreme, 4)}")
            ax.legend(loc="best")
        ax.set_xlabel(label)
        ax.set_ylabel("area fraction [%]")
        axes[name] = label
    title = f"{case}: interface current density and overpotential (area-weighted)"
    ax_i.set_title(title, loc="left")
    info = {"title": title, "case": case, "quantity": "interface current density", "unit": ui,
            "kind": "interface_histogram", "axes": {"x_current": axes["interface_current_density"],
                                                    "x_overpotential": axes["overpotential"],
                                                    "y": "area fraction [%]"}}
    save_figure(fig, path, info)
    return info
