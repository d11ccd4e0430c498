"""Quantities with units at the edge of the program, SI floats inside.

Users write ``"0.69 mA/cm^2"`` or ``"300 nm"`` in YAML; :func:`to_si` converts such a
value once, at load time, into a float in the SI unit of the expected dimension. A bare
number is taken to be SI already.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Any

import pint
from pydantic import BeforeValidator, WithJsonSchema

__all__ = ["to_si", "Quantity", "ureg", "format_si"]

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


@lru_cache(maxsize=None)
def _si_unit(unit: str) -> pint.Unit:
    return ureg.Unit(unit)


def to_si(value: Any, unit: str) -> float:
    """Convert ``value`` (number or "number unit" string) to a float in SI ``unit``.

    Raises ``ValueError`` with a short message (pydantic turns it into a keyed error).
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a quantity in {unit}, got a boolean")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError(f"expected a quantity in {unit}, got an empty string")
        try:
            quantity = ureg.Quantity(text)
        except Exception:
            raise ValueError(f"cannot read {value!r} as a quantity (example: '2 um', '0.69 mA/cm^2')") from None
        if isinstance(quantity, (int, float)):
            result = float(quantity)
        else:
            try:
                result = float(quantity.to(_si_unit(unit)).magnitude)
            except pint.DimensionalityError:
                raise ValueError(
                    f"{value!r} has units of {quantity.units:~P}, which cannot be converted to {unit}"
                ) from None
    else:
        raise ValueError(f"expected a number or a quantity string in {unit}, got {type(value).__name__}")
    if not math.isfinite(result):
        raise ValueError(f"must be finite, got {value!r}")
    return result


def Quantity(unit: str):
    """Annotated float type for pydantic: accepts numbers (SI) or strings with units."""
    return Annotated[
        float,
        BeforeValidator(lambda v: to_si(v, unit)),
        WithJsonSchema({"type": ["number", "string"], "description": f"quantity in {unit}"}),
    ]


def format_si(value: float, unit: str) -> str:
    """Human-readable SI value with a compact prefix, e.g. 2e-6 m -> '2 um'."""
    q = ureg.Quantity(value, unit).to_compact()
    return f"{q.magnitude:.4g} {q.units:~P}"
