"""Report lines for the weakest-link CCD distribution of a flaw population."""

from __future__ import annotations

__all__ = ["population_lines"]


def _ma_cm2(value: float) -> str:
    return f"{value * 0.1:.3g}" if value != float("inf") else "none"


def population_lines(risk: dict) -> list[str]:
    """Plain-text lines (mA/cm^2) for ``risk['flaw_population']`` (empty without one)."""
    pop = risk.get("flaw_population")
    if not pop:
        return []
    lo, hi = pop["median_confidence_interval"]
    return [
        (f"  flaw population ({pop['kind']})    {pop['flaws_per_cell']:.3g} flaws on {pop['electrode_area'] * 1e4:.3g} cm^2, "
        f"tip focusing {pop['tip_focusing']:.3g} x"),
        (f"  weakest-link CCD           median {_ma_cm2(pop['median'])} mA/cm^2 "
        f"({pop['confidence'] * 100:.0f} % CI {_ma_cm2(lo)}..{_ma_cm2(hi)}), 5-95 % of cells "
        f"{_ma_cm2(pop['p05'])}..{_ma_cm2(pop['p95'])} mA/cm^2 ({pop['realisations']} cells)"),
    ]
