"""Checks of the values in ``solver.petsc_options`` before anything runs.

PETSc reads every option value as text and splits the options database at whitespace,
so a value is one token of printable ASCII (``cg``, ``1e-9``, ``hypre``); a value with
spaces, control or non-ASCII characters (``"5 kg"``, ``"١٠"``) would fail, or worse be
misread, only inside the solve. Options that PETSc reads as numbers (tolerances,
iteration counts, thresholds: names ending in ``_rtol``, ``_atol``, ``_dtol``, ``_stol``,
``_divtol``, ``_max_it``, ``_max_funcs``, ``_max_fail``, ``_restart``, ``_threshold``,
``_levels``) must hold a finite number.
"""

from __future__ import annotations

import math
import re

__all__ = ["check_petsc_option_values"]

_TOKEN = re.compile(r"[!-~]*")  # printable ASCII, no whitespace ("" or null: a flag)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NUMERIC = re.compile(r"_(rtol|atol|dtol|stol|divtol|max_it|max_funcs|max_fail|restart|threshold|levels)$")


def check_petsc_option_values(options: dict) -> dict:
    """``options`` unchanged, or ``ValueError`` naming the first bad value."""
    for name, value in options.items():
        if isinstance(value, str) and not _TOKEN.fullmatch(value):
            raise ValueError(f"{name}: {value!r} is not a PETSc option value (one word of printable ASCII, "
                             "no spaces or units)")
        if _NUMERIC.search(name) and value is not None and not _is_number(value):
            raise ValueError(f"{name}: {value!r} is not a number (PETSc reads this option as one)")
    return options


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return bool(_NUMBER.fullmatch(value)) and math.isfinite(float(value))
    return isinstance(value, (int, float)) and math.isfinite(value)
