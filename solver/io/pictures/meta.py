"""What each picture says about itself, stored in the PNG, and the checks made on it.

Every PNG the package writes carries one ``tEXt`` chunk, key ``dendrite``, holding JSON:
``title``, ``quantity``, ``unit`` (display unit), ``axes`` (axis labels), ``colour_range``
and ``data_range`` (display units; absent for line plots), ``case`` and free ``notes``.
PIL reads it back (``Image.open(p).text["dendrite"]``); :func:`read_info` does.

:func:`check_picture` returns what is wrong with a picture: blank (one colour nearly
everywhere), no title, an axis label or colour bar without a unit, a colour range outside
the data range.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["KEY", "check_picture", "read_info", "save_figure", "tag_png"]

KEY = "dendrite"


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def save_figure(fig, path: Path, info: dict) -> Path:
    """Save a matplotlib figure as PNG with ``info`` in its text chunk, and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    fig.savefig(path, metadata={KEY: json.dumps(_clean(info)), "Software": "dendrite"})
    plt.close(fig)
    return path


def tag_png(path: Path, info: dict) -> Path:
    """Add ``info`` to an existing PNG (e.g. a pyvista screenshot)."""
    from PIL import Image, PngImagePlugin

    path = Path(path)
    with Image.open(path) as img:
        img.load()
        chunk = PngImagePlugin.PngInfo()
        chunk.add_text(KEY, json.dumps(_clean(info)))
        chunk.add_text("Software", "dendrite")
        img.save(path, pnginfo=chunk)
    return path


def read_info(path: Path) -> dict:
    """The ``dendrite`` description of a PNG ({} when it has none)."""
    from PIL import Image

    with Image.open(path) as img:
        text = getattr(img, "text", {}) or {}
        return json.loads(text[KEY]) if KEY in text else {}


def blank_fraction(path: Path) -> float:
    """Fraction of the pixels that differ visibly from the most common colour (the background)."""
    from PIL import Image

    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
    flat = rgb.reshape(-1, 3)
    q = flat // 8
    code = np.bincount(q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2], minlength=32768)
    top = int(np.argmax(code))
    background = np.array([top // 1024, (top // 32) % 32, top % 32]) * 8
    differs = np.abs(flat - background).max(axis=1) > 24
    return float(differs.mean())


def _unit_present(label: str) -> bool:
    return "[" in label and "]" in label and label.index("]") - label.index("[") > 1


def _range_problems(info: dict) -> list[str]:
    if "colour_range" not in info:
        return []
    problems = [] if info.get("unit") else ["colour bar without a unit"]
    lo, hi = info["colour_range"]
    dmin, dmax = info["data_range"]
    mag = max(abs(dmin), abs(dmax), 1e-300)
    tol = 1e-9 * mag + (1.01e-3 * mag if dmax - dmin <= 1e-9 * mag else 0.0)  # a constant field is padded
    if not lo < hi:
        problems.append(f"empty colour range {lo}..{hi}")
    if lo < dmin - tol or hi > dmax + tol:
        problems.append(f"colour range {lo:.4g}..{hi:.4g} outside the data range {dmin:.4g}..{dmax:.4g}")
    return problems


def check_picture(path: Path, min_ink: float = 0.005) -> list[str]:
    """Problems of one picture ([] when it passes every check that applies)."""
    info = read_info(path)
    if not info:
        return [f"{Path(path).name}: no '{KEY}' metadata"]
    problems = []
    ink = blank_fraction(path)
    if ink < min_ink:
        problems.append(f"blank: {100 * ink:.2g} % of the pixels differ from the background")
    if not str(info.get("title", "")).strip():
        problems.append("no title")
    axes = info.get("axes") or {}
    if not axes:
        problems.append("no axis labels recorded")
    problems += [f"axis {axis} label {label!r} has no [unit]" for axis, label in axes.items()
                 if not _unit_present(str(label))]
    problems += _range_problems(info)
    return [f"{Path(path).name}: {p}" for p in problems]
