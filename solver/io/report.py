"""Pictures and the human-readable report of a run.

PNGs are rendered off screen (pyvista/VTK with EGL or OSMesa, no X server) on rank 0
from data gathered across ranks; plots of interface profiles use matplotlib (Agg).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import dolfinx.plot

from solver.io.focusing_text import focusing_lines
from solver.io.risk_text import population_lines

__all__ = ["gather_grid", "plot_cell_field", "plot_interface", "summary_text"]


def gather_grid(msh, cell_values: dict[str, np.ndarray]):
    """A pyvista UnstructuredGrid of the whole mesh with cell data, on rank 0 (None elsewhere)."""
    tdim = msh.topology.dim
    n_owned = msh.topology.index_map(tdim).size_local
    topology, cell_types, x = dolfinx.plot.vtk_mesh(msh, tdim, np.arange(n_owned, dtype=np.int32))
    local = (topology, cell_types, x, {k: v[:n_owned] for k, v in cell_values.items()})
    gathered = msh.comm.gather(local, root=0)
    if msh.comm.rank != 0:
        return None
    pyvista = _pyvista()

    topo_parts, types, xs, offset = [], [], [], 0
    for topology, cell_types, x, _ in gathered:
        t = topology.reshape(len(cell_types), -1).copy()
        t[:, 1:] += offset
        topo_parts.append(t.ravel())
        types.append(cell_types)
        xs.append(x)
        offset += x.shape[0]
    grid = pyvista.UnstructuredGrid(np.concatenate(topo_parts), np.concatenate(types), np.vstack(xs))
    for name in cell_values:
        grid.cell_data[name] = np.concatenate([g[3][name] for g in gathered])
    return grid


def _pyvista():
    # Headless machines have EGL (Mesa) but no X server; VTK would try X first.
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista

    pyvista.OFF_SCREEN = True
    return pyvista


def plot_cell_field(grid, name: str, path: Path, title: str, log_scale: bool = False, clim=None) -> None:
    """Render a cell field of ``grid`` to a PNG (2D: top view; 3D: isometric)."""
    pyvista = _pyvista()

    plotter = pyvista.Plotter(off_screen=True, window_size=(1400, 900))
    plotter.add_mesh(grid, scalars=name, cmap="inferno", log_scale=log_scale, clim=clim,
                     scalar_bar_args={"title": title, "vertical": True, "fmt": "%.3g"})
    if np.ptp(grid.points[:, 2]) == 0:
        plotter.view_xy()
        plotter.camera.tight(padding=0.08)
    else:
        plotter.view_isometric()
    plotter.add_axes()
    plotter.screenshot(str(path))
    plotter.close()


def _hist_range(values) -> tuple[float, float]:
    """The histogram range of ``values``, widened around a constant (a flat interface has
    one value, and 60 bins cannot split a zero-width range)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi)):
        pad = max(1e-3 * abs(hi), 1e-12)
        lo, hi = lo - pad, hi + pad
    return lo, hi


def plot_interface(samples: dict, path: Path, title: str) -> None:
    """Interface current density and overpotential along x (2D) or as a histogram (3D)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = samples["points"]
    mid = pts.mean(axis=1)
    i = samples["current_density"].mean(axis=1)
    eta = samples["overpotential"].mean(axis=1)
    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=pts.shape[-1] == 2)
    if pts.shape[-1] == 2:
        order = np.argsort(mid[:, 0])
        x = mid[order, 0] * 1e6
        axes[0].plot(x, i[order] * 0.1, lw=1)
        axes[0].set_ylabel("current density into anode\n[mA/cm$^2$]")
        axes[1].plot(x, eta[order] * 1e3, lw=1, color="C1")
        axes[1].set_ylabel("overpotential [mV]")
        axes[1].set_xlabel("x [um]")
    else:
        w = samples["area"]
        axes[0].hist(i * 0.1, bins=60, range=_hist_range(i * 0.1), weights=w, color="C0")
        axes[0].set_xlabel("current density into anode [mA/cm$^2$] (area-weighted)")
        axes[1].hist(eta * 1e3, bins=60, range=_hist_range(eta * 1e3), weights=w, color="C1")
        axes[1].set_xlabel("overpotential [mV] (area-weighted)")
    axes[0].set_title(title)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


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
