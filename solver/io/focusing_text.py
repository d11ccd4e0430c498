"""Report lines for the interior focusing, void-edge averages and the current-distribution regime."""

from __future__ import annotations

__all__ = ["focusing_lines"]


def _um(point) -> str:
    return "(" + ", ".join(f"{c * 1e6:.3g}" for c in point) + ") um"


def focusing_lines(m: dict) -> list[str]:
    """Plain-text lines (units written out) from the conduction metrics ``m``."""
    lines = []
    if "interior_focusing_factor" in m and m.get("guard_band"):
        lines.append(f"  interior focusing factor   {m['interior_focusing_factor']:.4g} (max/mean), "
                     f"{m['interior_focusing_factor_percentile']:.4g} (percentile/mean) at {_um(m['interior_hot_spot'])}, "
                     f"ignoring {m['guard_band'] * 1e6:.3g} um next to the lateral sides")
    elif "interior_error" in m:
        lines.append(f"  interior focusing factor   not computed: {m['interior_error']}")
    edges = m.get("void_edges") or {}
    if edges.get("count"):
        if "max_averaged_current_density" in edges:
            lines.append(f"  void edges ({edges['count']})".ljust(29) + " current averaged over "
                         f"{edges['averaging_length'] * 1e6:.3g} um: max {edges['max_averaged_current_density'] * 0.1:.4g}"
                         f" mA/cm^2 ({edges['edge_focusing_factor']:.3g} x mean)")
        else:
            lines.append(f"  void edges ({edges['count']})".ljust(29) + f" {edges['note']}")
    regime = m.get("polarisation_regime")
    if regime:
        lines.append(f"  current distribution       {regime['regime']} regime: {regime['explanation']}")
    return lines
