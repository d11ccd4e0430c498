"""Quantities with units at the edge of the program, SI floats inside.

Users write ``"0.69 mA/cm^2"`` or ``"300 nm"`` in YAML; :func:`to_si` converts such a
value once, at load time, into a float in the SI unit of the expected dimension. A bare
number is taken to be SI already.

The text is read as ``NUMBER [UNIT]``: the number by a regular expression, the unit by
pint's unit parser. Arbitrary pint expressions (``10**10**10 m``) are not evaluated, so
a hostile case file cannot make the loader hang. Values far outside what a battery
simulation can mean (a 1 km cell, a 1e-20 m mesh) are rejected as probable unit mistakes.
"""

from __future__ import annotations

import dataclasses
import math
import re
from functools import lru_cache
from typing import Annotated, Any

import pint
from pydantic import BeforeValidator, WithJsonSchema

__all__ = ["to_si", "Quantity", "ureg", "format_si", "PLAUSIBLE", "SIUnit"]

# cache_folder: the parsed unit definitions are cached on disk (platformdirs user cache), which
# cuts building the registry from ~0.25 s to ~0.03 s at every start (`dendrite validate`).
ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=":auto:")

_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?)\s*(.*?)\s*$")
# Unit text: names, prefixes, products, quotients and small exponents (m^0.5, cm^-2).
_UNIT = re.compile(r"[A-Za-zµμΩ°][A-Za-zµμΩ°_ */^().·0-9-]{0,39}")
_LONG_DIGITS = re.compile(r"\d{3,}")

#: (smallest non-zero, largest) magnitude accepted in an SI unit; others: |x| <= 1e30.
PLAUSIBLE = {
    "m": (1e-12, 1.0),
    "A/m^2": (0.0, 1e8),
    "V": (0.0, 1e3),
    "Pa": (0.0, 1e13),
    "S/m": (0.0, 1e9),
}
_DEFAULT_RANGE = (0.0, 1e30)


@lru_cache(maxsize=None)
def _si_unit(unit: str) -> pint.Unit:
    return ureg.Unit(unit)


@lru_cache(maxsize=256)
def _parse_unit(text: str) -> pint.Unit:
    if not _UNIT.fullmatch(text) or _LONG_DIGITS.search(text):
        raise ValueError
    return ureg.parse_units(text)


def _from_text(value: str, unit: str) -> float:
    match = _NUMBER.fullmatch(value)
    if not match:
        raise ValueError(f"cannot read {value!r} as a number with a unit (example: '2 um', '0.69 mA/cm^2')")
    number, unit_text = float(match.group(1)), match.group(2)
    if not unit_text:
        return number
    try:
        parsed = _parse_unit(unit_text)
    except Exception:  # pint raises many types (UndefinedUnitError, TokenError, ...)
        raise ValueError(f"unknown unit {unit_text!r} in {value!r} (expected a unit of {unit})") from None
    try:
        return float(ureg.Quantity(number, parsed).to(_si_unit(unit)).magnitude)
    except pint.DimensionalityError:
        raise ValueError(f"{value!r} has units of {parsed:~P}, which cannot be converted to {unit}") from None


def to_si(value: Any, unit: str) -> float:
    """Convert ``value`` (number or "number unit" string) to a float in SI ``unit``.

    Raises ``ValueError`` with a short message (pydantic turns it into a keyed error).
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a quantity in {unit}, got a boolean")
    if isinstance(value, (int, float)):
        try:
            result = float(value)
        except OverflowError:
            raise ValueError(f"{value} is too large") from None
    elif isinstance(value, str):
        if not value.strip():
            raise ValueError(f"expected a quantity in {unit}, got an empty string")
        result = _from_text(value, unit)
    else:
        raise ValueError(f"expected a number or a quantity string in {unit}, got {type(value).__name__}")
    if not math.isfinite(result):
        raise ValueError(f"must be finite, got {value!r}")
    smallest, largest = PLAUSIBLE.get(unit, _DEFAULT_RANGE)
    if abs(result) > largest or 0 < abs(result) < smallest:
        raise ValueError(
            f"{value!r} = {result:.3g} {unit} is outside the plausible range "
            f"[{smallest:.0e}, {largest:.0e}] {unit} (unit mistake?)"
        )
    return result


@dataclasses.dataclass(frozen=True)
class SIUnit:
    """Marker in a field's metadata: the SI unit of a :func:`Quantity` field."""

    unit: str


def Quantity(unit: str):
    """Annotated float type for pydantic: accepts numbers (SI) or strings with units."""
    return Annotated[
        float,
        BeforeValidator(lambda v: to_si(v, unit)),
        WithJsonSchema({"type": ["number", "string"], "description": f"quantity in {unit}"}),
        SIUnit(unit),
    ]


def format_si(value: float, unit: str) -> str:
    """Human-readable SI value with a compact prefix, e.g. 2e-6 m -> '2 um'."""
    q = ureg.Quantity(value, unit).to_compact()
    return f"{q.magnitude:.4g} {q.units:~P}"
