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

_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?)\s*(.*?)\s*$", re.ASCII)
# Unit text: names, prefixes, products, quotients and small exponents (m^0.5, cm^-2).
_UNIT = re.compile(r"[A-Za-zµμΩ°][A-Za-zµμΩ°_ */^().·0-9-]{0,39}")
_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-zµμΩ°_]+)|(?P<number>[+-]?[0-9]{1,2}(?:\.[0-9]{1,3})?)|(?P<op>\*\*|[*/^()·]))")
MAX_EXPONENT = 12  # m^-2, m^0.5, s^3: a larger power of a unit is a mistake or an attack
MAX_UNIT_TOKENS = 40

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
    """A unit from text, built from unit names and small exponents only.

    Grammar: ``product := factor (('*' | '/' | '·' | ' ') factor)*``, ``factor := atom
    (('^' | '**') exponent)?``, ``atom := NAME | '(' product ')'``; ``exponent`` is a
    number of at most two digits (and three decimals) with |exponent| <= ``MAX_EXPONENT``.
    Nothing is evaluated (pint's own parser evaluates arithmetic, so ``m**99**99`` would
    never finish), and the work is linear in the at most 40 characters.
    """
    if not _UNIT.fullmatch(text):
        raise ValueError
    tokens = _tokens(text)
    unit, pos = _product(tokens, 0, depth=0)
    if pos != len(tokens):
        raise ValueError
    return unit


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        if len(tokens) > MAX_UNIT_TOKENS:
            raise ValueError
    return tokens


def _product(tokens, pos, depth):
    if depth > 3:
        raise ValueError
    unit, pos = _factor(tokens, pos, depth)
    while pos < len(tokens) and tokens[pos] != ("op", ")"):
        kind, value = tokens[pos]
        divide = kind == "op" and value == "/"
        if kind == "op" and value in "*/·":
            pos += 1
        elif kind != "name" and tokens[pos] != ("op", "("):  # juxtaposition: 'A m^-2'
            raise ValueError
        other, pos = _factor(tokens, pos, depth)
        unit = unit / other if divide else unit * other
    return unit, pos


def _factor(tokens, pos, depth):
    if pos >= len(tokens):
        raise ValueError
    kind, value = tokens[pos]
    if kind == "name":
        unit, pos = ureg.Unit(value), pos + 1  # a single name: looked up, nothing evaluated
    elif (kind, value) == ("op", "("):
        unit, pos = _product(tokens, pos + 1, depth + 1)
        if pos >= len(tokens) or tokens[pos] != ("op", ")"):
            raise ValueError
        pos += 1
    else:
        raise ValueError
    if pos < len(tokens) and tokens[pos] in (("op", "^"), ("op", "**")):
        if pos + 1 >= len(tokens) or tokens[pos + 1][0] != "number":
            raise ValueError
        exponent = float(tokens[pos + 1][1])
        if abs(exponent) > MAX_EXPONENT:
            raise ValueError
        unit, pos = unit ** (int(exponent) if exponent.is_integer() else exponent), pos + 2
    return unit, pos


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
