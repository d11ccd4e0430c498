"""The look of every picture: style, palette, colour maps, display units, colour ranges.

Display units come from the metric registry (:mod:`solver.analysis.registry`): a field of
current density is shown in the unit of the ``max_interface_current_density`` metric
(mA/cm^2), an overpotential in that of ``mean_overpotential`` (mV), a stress intensity in
that of ``worst_stress_intensity`` (MPa m^0.5), lengths in that of ``hot_spot`` (um);
the factor from SI is computed by pint.

Colour ranges are robust: the colour bar spans the percentiles ``[100 - q, q]`` of the
(area-weighted) values, so one singular cell at a contact edge or a flaw tip does not
turn the rest of the map into one colour; the true extreme is then marked on the
picture and stated in its caption.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

__all__ = ["OKABE_ITO", "ColourRange", "Quantity", "apply_style", "display", "format_number", "quantity",
           "robust_range", "round_off", "tex_unit"]

#: Okabe & Ito (2008) colour-blind-safe palette (black first for reference lines)
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

#: colour-blind-safe, perceptually uniform maps (matplotlib's own)
SEQUENTIAL = "viridis"
DIVERGING = "RdBu_r"


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A plotted quantity: its label, SI unit, the metric whose display unit it takes,
    whether it is signed (diverging colour map, symmetric range) and its round-off scale
    (values below ``roundoff_scale * 1e-9`` in SI are zero)."""

    name: str
    label: str
    symbol: str
    unit: str
    metric: str
    signed: bool = False
    roundoff_scale: float = 0.0

    @property
    def cmap(self) -> str:
        return DIVERGING if self.signed else SEQUENTIAL


_THERMAL_VOLTAGE = 8.314462618 * 298.15 / 96485.33212  # RT/F at 25 degC [V]: the scale of any overpotential

QUANTITIES = {q.name: q for q in (
    Quantity("current_density_magnitude", "current density magnitude", "|i|", "A/m^2",
             "max_interface_current_density", roundoff_scale=1e-3),
    Quantity("interface_current_density", "interface current density", "i", "A/m^2",
             "max_interface_current_density", signed=False, roundoff_scale=1e-3),
    Quantity("overpotential", "overpotential", r"\eta", "V", "mean_overpotential", signed=True,
             roundoff_scale=_THERMAL_VOLTAGE),
    Quantity("potential", "electrolyte potential", r"\phi", "V", "cell_voltage", roundoff_scale=_THERMAL_VOLTAGE),
    Quantity("stress_intensity", "mode-I stress intensity", "K_I", "Pa m^0.5", "worst_stress_intensity"),
    Quantity("length", "length", "x", "m", "hot_spot"),
    Quantity("cell_voltage", "cell voltage", "U", "V", "cell_voltage", signed=True, roundoff_scale=_THERMAL_VOLTAGE),
    Quantity("applied_current_density", "applied current density", "i_{app}", "A/m^2",
             "applied_current_density_projected"),
    Quantity("ratio", "risk ratio", "r", "", "worst_risk_ratio"),
)}


def quantity(name: str) -> Quantity:
    return QUANTITIES[name]


def display(name: str, gdim: int = 3) -> tuple[float, str]:
    """(factor from SI, display unit) of a quantity, from its metric in the registry."""
    from solver.analysis.registry import metric, unit_factor

    q = QUANTITIES[name]
    item = metric(q.metric)
    unit = item.shown_unit(gdim) if item is not None else q.unit
    return unit_factor(q.unit, unit), unit




def tex_unit(unit: str) -> str:
    """A pint-style unit for matplotlib text: ``mA/cm^2`` -> ``mA/cm$^2$``, ``MPa m^0.5`` ->
    ``MPa m$^{1/2}$``, ``um`` -> ``µm``; '' -> '-' (dimensionless)."""
    if not unit or unit in ("1", "dimensionless"):
        return "-"
    import re

    out = re.sub(r"\bum\b", "\u00b5m", unit)
    out = re.sub(r"\bohm\b", "\u03a9", out).replace("degC", "\u00b0C").replace("^0.5", "$^{1/2}$")
    return re.sub(r"\^(-?\d+)", r"$^{\1}$", out)


def axis_label(name: str, gdim: int = 3, text: str | None = None) -> str:
    """``current density magnitude |i| [mA/cm$^2$]``: label with the symbol and display unit."""
    q = QUANTITIES[name]
    _, unit = display(name, gdim)
    sym = f" ${q.symbol}$" if q.symbol else ""
    return f"{text or q.label}{sym} [{tex_unit(unit)}]"


def round_off(values, scale: float, rtol: float = 1e-9) -> np.ndarray:
    """``values`` with every entry below ``rtol * scale`` in magnitude set to exactly zero.

    ``scale`` is the quantity's physical scale in the same unit (RT/F for an
    overpotential): primary kinetics leaves overpotentials of 1e-20 V that are zero.
    """
    v = np.array(values, dtype=float, copy=True)
    v[np.abs(v) <= rtol * abs(scale)] = 0.0
    return v


def is_round_off(values, scale: float, rtol: float = 1e-9) -> bool:
    """True when every value is zero to round-off (the quantity does not apply)."""
    v = np.asarray(values, dtype=float)
    return v.size == 0 or bool(np.all(np.abs(v[np.isfinite(v)]) <= rtol * abs(scale)))


@dataclasses.dataclass(frozen=True)
class ColourRange:
    """The colour bar range [lo, hi] and the true data range [data_min, data_max]."""

    lo: float
    hi: float
    data_min: float
    data_max: float
    percentile: float

    @property
    def clipped_high(self) -> bool:
        return self.data_max > self.hi * (1 + 1e-12) + 1e-300

    @property
    def clipped_low(self) -> bool:
        return self.data_min < self.lo - 1e-12 * abs(self.lo) - 1e-300

    @property
    def extend(self) -> str:
        return {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
            (self.clipped_low, self.clipped_high), "neither")

    def as_dict(self) -> dict:
        return {"colour_range": [self.lo, self.hi], "data_range": [self.data_min, self.data_max],
                "percentile": self.percentile, "clipped_low": self.clipped_low, "clipped_high": self.clipped_high}


def _weighted_quantile(v: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(v)
    cw = np.cumsum(w[order])
    return float(v[order][min(np.searchsorted(cw, q * cw[-1]), v.size - 1)])


def robust_range(values, weights=None, percentile: float = 99.5, signed: bool = False) -> ColourRange:
    """Colour range from the (weighted) percentiles ``100 - percentile`` and ``percentile``.

    The range lies within the data range by construction; a constant field gets a small
    symmetric pad so the colour bar has width. ``signed`` quantities keep this range; their
    diverging map is centred on zero by :func:`norm`.
    """
    v = np.asarray(values, dtype=float).ravel()
    finite = np.isfinite(v)
    v = v[finite]
    if v.size == 0:
        raise ValueError("no finite values to colour")
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float).ravel()[finite]
    lo = _weighted_quantile(v, w, 1 - percentile / 100)
    hi = _weighted_quantile(v, w, percentile / 100)
    dmin, dmax = float(v.min()), float(v.max())
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1e-300):
        pad = max(1e-3 * abs(hi), 1e-12)
        return ColourRange(lo - pad, hi + pad, dmin, dmax, percentile)
    return ColourRange(lo, hi, dmin, dmax, percentile)


def norm(cr: ColourRange, signed: bool = False):
    """The matplotlib norm of a colour range: linear, centred on zero for a signed
    quantity whose range spans zero (the diverging map's neutral colour is zero)."""
    from matplotlib.colors import Normalize, TwoSlopeNorm

    if signed and cr.lo < 0 < cr.hi:
        return TwoSlopeNorm(0.0, cr.lo, cr.hi)
    return Normalize(cr.lo, cr.hi)


def format_number(x: float, digits: int = 3) -> str:
    """``1.23``, ``0.000123`` -> ``1.23e-04``; exactly zero -> ``0``."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    return f"{x:.{digits}g}"


def rc() -> dict:
    """The package's matplotlib settings (readable sizes, Okabe-Ito cycle, constrained layout)."""
    from cycler import cycler

    return {
        "figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight", "savefig.pad_inches": 0.05,
        "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
        "xtick.labelsize": 9, "ytick.labelsize": 9, "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.6,
        "axes.spines.top": False, "axes.spines.right": False, "lines.linewidth": 1.4, "lines.markersize": 4,
        "axes.prop_cycle": cycler(color=OKABE_ITO), "image.cmap": SEQUENTIAL, "mathtext.default": "regular",
        "axes.formatter.useoffset": False, "axes.formatter.limits": (-3, 4), "figure.constrained_layout.use": True,
    }


def apply_style() -> None:
    """Make the package's style the global matplotlib style (Agg backend), e.g. in a script."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(rc())


def styled(function):
    """Run a drawing function in the package's style (Agg backend); the caller's own
    matplotlib settings are left as they were."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        import matplotlib

        matplotlib.use("Agg")
        with matplotlib.rc_context(rc()):
            return function(*args, **kwargs)

    return wrapper


def outline():
    """Path effect that puts a white halo round text or lines (readable on any colour)."""
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground="white")]


def log_axis(ax, axis: str = "x") -> None:
    """A log axis with plain tick labels (0.2, 0.5, 1, 2) instead of 2 x 10^-1."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    target.set_major_formatter(fmt)
    target.set_minor_locator(LogLocator(subs=(2, 5)))
    target.set_minor_formatter(fmt)


def caption(fig, text: str, width: int = 110) -> None:
    """A small grey caption under everything else in the figure (wrapped; ``savefig`` with
    the tight box keeps it in the picture)."""
    import textwrap

    fig.draw_without_rendering()  # the layout is final: find the lowest artist
    renderer = fig.canvas.get_renderer()
    bottom = min([a.get_tightbbox(renderer).y0 for a in fig.axes + fig.legends] + [0.0])
    y = bottom / fig.bbox.height - 0.01
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")  # keep the layout as drawn
    fig.text(0.01, y, "\n".join(textwrap.wrap(tex_unit(text), width)), fontsize=7, color="#444444",
             ha="left", va="top")
