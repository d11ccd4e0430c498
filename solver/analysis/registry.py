"""The registry of metrics: one place that says what each result number is.

A :class:`Metric` has a name, its SI unit, the unit it is shown in (converted with pint,
so ``A/m^2`` is shown in ``mA/cm^2``), a description, a short label and the function of a
post-processing context that computes it. ``summary.json`` (``metric_units``), the printed
report, comparison tables and every CSV column are generated from this registry, so a
metric registered here (also from a plugin, with :func:`register_metric`) appears in all
of them with no other edit.

Each metric belongs to a *stage*, the context its ``compute`` function receives:

- ``conduction``: :class:`solver.analysis.metrics.ConductionContext` (a solved conduction
  state, its consistent interface flux and the interface samples);
- ``homogenisation``: :class:`HomogenisationContext` (the effective conductivity);
- ``risk``: the risk section of a run summary (a dict, see :mod:`solver.studies.run`);
- ``combined_risk``: its ``combined`` entry (the smallest CCD over ``risk.criterion`` and
  ``risk.also``, :func:`solver.analysis.risk.combined_ccd`).

``compute`` returns the value in SI units (a float, a list of floats, or a dict of
floats), or ``None`` where the metric does not apply (then it is left out). Every rank
calls it with the same context, in registry order, so it may use MPI collectives.

In 2D, integrated quantities are per unit depth: their SI unit loses one metre
(``unit_2d``), e.g. an interface area in m and a current in A/m.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "HomogenisationContext",
    "Metric",
    "compute_stage",
    "flatten",
    "format_value",
    "metric",
    "metric_table",
    "metric_units",
    "metrics",
    "register_metric",
    "round_off_level",
    "unregister_metric",
]

#: a value below this fraction of its metric's ``round_off_reference`` is floating-point round-off
#: (far below the solver tolerances, ~1e-10, and any measurement): it is displayed as 0
ROUND_OFF = 1e-9


@dataclasses.dataclass(frozen=True)
class Metric:
    """One result number (or a small group of numbers with one unit).

    ``unit``/``display_unit`` use pint's syntax (``A/m^2``, ``ohm m^2``, ``Pa m^0.5``);
    an empty string is dimensionless. ``report``: a line of the printed report;
    ``table``: a row of comparison tables; CSV files always carry every scalar metric.
    ``round_off_reference``: the metric whose magnitude sets this one's round-off level
    (:data:`ROUND_OFF` times it); displayed values below it are shown as 0, e.g. the
    overpotential of primary kinetics (zero by construction, ~1e-22 V in floating point)
    against the cell voltage.
    """

    name: str
    unit: str
    display_unit: str
    description: str
    compute: Callable[[Any], Any] | None = None
    label: str = ""
    stage: str = "conduction"
    unit_2d: str | None = None
    display_unit_2d: str | None = None
    report: bool = True
    table: bool = True
    round_off_reference: str | None = None

    def si_unit(self, gdim: int = 3) -> str:
        return self.unit_2d if gdim == 2 and self.unit_2d is not None else self.unit

    def shown_unit(self, gdim: int = 3) -> str:
        return self.display_unit_2d if gdim == 2 and self.display_unit_2d is not None else self.display_unit

    def scale(self, gdim: int = 3) -> float:
        """Factor from the SI value to the display unit."""
        return unit_factor(self.si_unit(gdim), self.shown_unit(gdim))

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


@dataclasses.dataclass
class HomogenisationContext:
    """What the ``homogenisation`` stage needs: a callable giving sigma_eff [S/m]."""

    effective_conductivity: Callable[[], float]


_REGISTRY: dict[str, Metric] = {}


def register_metric(item: Metric, replace: bool = False) -> Metric:
    """Add a metric (a plugin calls this at import); an existing name needs ``replace``."""
    _load_builtins()  # the package's own metrics come first in every table
    if item.name in _REGISTRY and not replace:
        raise ValueError(f"a metric named {item.name!r} is already registered")
    import pint

    for gdim in (2, 3):
        try:
            item.scale(gdim)
        except (pint.errors.PintError, ValueError, TypeError, AttributeError) as exc:  # unknown or incompatible
            raise ValueError(f"metric {item.name!r}: cannot show {item.si_unit(gdim) or '1'} in "
                             f"{item.shown_unit(gdim) or '1'}: {exc}") from None
    _REGISTRY[item.name] = item
    return item


def unregister_metric(name: str) -> None:
    _REGISTRY.pop(name, None)


def metric(name: str) -> Metric | None:
    """The metric of a name or of a flattened key (``asr_split.film`` -> ``asr_split``)."""
    _load_builtins()
    return _REGISTRY.get(name) or _REGISTRY.get(name.split(".", 1)[0])


def metrics(stage: str | None = None) -> Iterator[Metric]:
    """Registered metrics in registration order (of one stage if given)."""
    _load_builtins()
    return iter([m for m in _REGISTRY.values() if stage is None or m.stage == stage])


def compute_stage(stage: str, context) -> dict[str, Any]:
    """Every metric of ``stage`` computed from ``context`` (those returning None left out)."""
    values = {}
    for item in metrics(stage):
        if item.compute is None:
            continue
        value = item.compute(context)
        if value is not None:
            values[item.name] = value
    return values


def metric_units(names, gdim: int = 3) -> dict[str, str]:
    """SI unit of each named metric (registered ones only), for ``summary.json``."""
    _load_builtins()
    out = {}
    for name in names:
        item = metric(name)
        if item is not None:
            out[name] = item.si_unit(gdim) or "1"
    return out


def metric_table(gdim: int = 3) -> dict[str, dict]:
    """Unit, display unit and description of every metric (written beside the values)."""
    return {m.name: {"unit": m.si_unit(gdim) or "1", "display_unit": m.shown_unit(gdim) or "1",
                     "label": m.title, "description": m.description} for m in metrics()}


def flatten(values: dict, prefix: str = "") -> dict[str, float]:
    """Scalar entries of a (nested) metric mapping, nested dicts flattened as ``a.b``."""
    flat = {}
    for k, v in values.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(flatten(v, key + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat[key] = float(v)
    return flat


def round_off_level(item: Metric, among: dict | None) -> float:
    """The magnitude [SI] at or below which a value of ``item`` is round-off: :data:`ROUND_OFF`
    times the magnitude of its ``round_off_reference`` metric in ``among`` (the run's
    metrics); 0 when it has none."""
    reference = (among or {}).get(item.round_off_reference) if item.round_off_reference else None
    if not isinstance(reference, (int, float)) or not math.isfinite(reference):
        return 0.0
    return ROUND_OFF * abs(float(reference))


def format_value(item: Metric, value, gdim: int = 3, digits: int = 4, among: dict | None = None,
                 with_unit: bool = True) -> str:
    """A metric's value in its display unit, with the unit: ``1.23 mA/cm^2``, ``(0.1, 2) um``.

    With ``among`` (the run's metrics), values at round-off (:func:`round_off_level`) are
    shown as 0; ``with_unit=False`` leaves the unit out (for a table with a unit column).
    """
    scale, unit = item.scale(gdim), item.shown_unit(gdim)
    suffix = f" {unit}" if unit and with_unit else ""
    level = round_off_level(item, among)

    def one(x) -> str:
        if x is None:
            return "-"
        if isinstance(x, float) and math.isinf(x):
            return "none in range"
        if isinstance(x, (int, float)) and abs(x) <= level:
            return "0"
        return f"{x * scale:.{digits}g}"

    if isinstance(value, dict):
        return ", ".join(f"{k} {one(v)}" for k, v in value.items() if not isinstance(v, (dict, list))) + suffix
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], dict):
            return f"{len(value)} entries"
        return "(" + ", ".join(one(x) for x in value) + ")" + suffix
    if isinstance(value, float) and math.isinf(value):
        return one(value)
    return one(value) + suffix


@functools.cache
def unit_factor(si: str, shown: str) -> float:
    """The factor that turns a value in unit ``si`` into unit ``shown`` (pint)."""
    if si == shown:
        return 1.0
    import pint

    ureg = pint.get_application_registry()
    return float(ureg.Quantity(1.0, si or "dimensionless").to(shown or "dimensionless").magnitude)


def _load_builtins() -> None:
    if not _BUILTINS_LOADED:
        _register_builtins()


_BUILTINS_LOADED = False


def _register_builtins() -> None:
    """The package's own metrics (imported lazily: the computing modules need DOLFINx)."""
    global _BUILTINS_LOADED
    _BUILTINS_LOADED = True
    from solver.analysis import builtin_metrics  # noqa: F401  (registers on import)
