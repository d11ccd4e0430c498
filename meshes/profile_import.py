"""A 2D Li | electrolyte cell whose interface is a measured profile (e.g. a digitised FIB-SEM
cross-section) read from a CSV file.

The file has two numeric columns ``x, y`` (``#`` comments and one header line allowed);
their units are parameters (``x_unit``, ``y_unit``, any pint length unit). The profile is
sorted by x, shifted to start at x = 0, resampled linearly onto ``samples + 1`` equally
spaced points over its x range (the cell width) and made mean-free, then closed at the
ends by one of:

* ``periodic``: the linear trend through the end points is removed, so ``h(0) = h(W)``
  (the insulating sides then act as symmetry planes, as for ``rough_interface_2d``);
* ``ramps``: the profile is multiplied by a taper window that is 1 in the middle and goes
  to 0 as ``(1 - cos(pi s / ramp_length)) / 2`` within ``ramp_length`` of each end, so the
  interface meets the sides flat (h = dh/dx = 0).

The electrolyte fills ``h(x) < y < thickness`` above the (unmeshed) Li; boundaries
``anode_interface`` (the profile), ``counter_electrode`` (top), ``sides``.
A relative ``file`` is looked up in the current directory, then in the repository root;
the file's SHA-256 is part of the parameters, so an edited file gives a new mesh key.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from meshes import GeometryParameters, MeshSettings, register, slab
from meshes._tools import min_field, threshold_field
from solver.config.inputs import check_path_text, read_bytes, read_csv_numbers
from solver.config.units import Quantity, to_si

Length = Quantity("m")
_ROOT = Path(__file__).resolve().parents[1]


def resolve(path: str) -> Path:
    """The profile file: as given, else relative to the repository root.

    Whatever exists under the name is returned (a FIFO or device too): the reader refuses
    it with a message saying what it is, instead of "not found".
    """
    p = Path(check_path_text(path))
    if os.path.lexists(p):
        return p
    if not p.is_absolute() and os.path.lexists(_ROOT / p):
        return _ROOT / p
    raise ValueError(f"profile file {path!r} not found (looked in the current directory and in {_ROOT})")


def read_profile(path: Path, x_unit: str, y_unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of a two-column CSV in SI metres, sorted by x, x starting at 0."""
    data = np.atleast_2d(read_csv_numbers(path))
    data = data[~np.isnan(data).any(axis=1)] if data.shape[1] >= 2 else data
    if data.ndim != 2 or data.shape[1] < 2 or len(data) < 4:
        raise ValueError(f"{path}: need at least 4 rows of two numeric columns x, y")
    x = data[:, 0] * to_si(f"1 {x_unit}", "m")
    y = data[:, 1] * to_si(f"1 {y_unit}", "m")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if np.any(np.diff(x) <= 0):
        raise ValueError(f"{path}: x values must be distinct")
    return x - x[0], y


class Profile2D(GeometryParameters):
    file: str = Field("cases/data/fib_sem_profile.csv", description="CSV with columns x, y")
    x_unit: str = Field("um", description="unit of the x column (pint length unit)")
    y_unit: str = Field("nm", description="unit of the y column (pint length unit)")
    thickness: Length = Field(10e-6, gt=0, description="electrolyte thickness L, mean interface to counter [m]")
    ends: Literal["periodic", "ramps"] = Field("periodic", description="how the profile meets the sides")
    ramp_length: Length = Field(1e-6, gt=0, description="taper length at each end (ends: ramps) [m]")
    samples: int = Field(400, ge=8, le=20000, description="number of resampling intervals [-]")
    file_sha256: str | None = Field(None, description="SHA-256 of the file (filled in when read)")

    @model_validator(mode="before")
    @classmethod
    def _hash(cls, data):
        if isinstance(data, dict):
            path = resolve(str(data.get("file", cls.model_fields["file"].default)))
            digest = hashlib.sha256(read_bytes(path)).hexdigest()
            given = data.get("file_sha256")
            if given is not None and given != digest:
                raise ValueError(f"{path} has changed since the case was written (SHA-256 mismatch)")
            data = dict(data, file_sha256=digest)
        return data

    @model_validator(mode="after")
    def _check(self):
        for unit in (self.x_unit, self.y_unit):
            to_si(f"1 {unit}", "m")  # raises ValueError for non-lengths
        x, h = self.heights()
        if self.ends == "ramps" and 2 * self.ramp_length >= x[-1]:
            raise ValueError(f"two ramps of {self.ramp_length:.3g} m do not fit in the profile width {x[-1]:.3g} m")
        if np.max(np.abs(h)) >= 0.5 * self.thickness:
            raise ValueError(
                f"the profile reaches |h| = {np.max(np.abs(h)):.3g} m; keep it below half the thickness"
            )
        return self

    def heights(self) -> tuple[np.ndarray, np.ndarray]:
        """Resampled, closed, mean-free profile (x, h) [m]."""
        x0, y0 = read_profile(resolve(self.file), self.x_unit, self.y_unit)
        width = x0[-1]
        x = np.linspace(0.0, width, self.samples + 1)
        h = np.interp(x, x0, y0)
        if self.ends == "periodic":
            h = h - (h[0] + (h[-1] - h[0]) * x / width)
            h -= np.trapezoid(h, x) / width  # a constant shift keeps h(0) = h(W)
        else:
            h -= np.trapezoid(h, x) / width
            s = np.minimum(x, width - x)
            window = np.where(s < self.ramp_length, 0.5 * (1 - np.cos(np.pi * s / self.ramp_length)), 1.0)
            h = h * window
        return x, h


@register("profile_2d", Profile2D, slab(2))
def build(model, p: Profile2D, mesh: MeshSettings) -> dict:
    """2D electrolyte on a measured interface profile from a CSV file (periodic or ramped ends)."""
    geo = model.geo
    x, h = p.heights()
    width = float(x[-1])
    dx = width / p.samples
    h_int = mesh.scaled(mesh.interface_size or max(dx / 2, width / 2000))
    h_far = max(h_int, mesh.scaled(mesh.size or p.thickness / 15))  # scaled once
    pts = [geo.addPoint(float(a), float(b), 0.0) for a, b in zip(x, h)]
    profile = geo.addSpline(pts)
    tr, tl = geo.addPoint(width, p.thickness, 0.0), geo.addPoint(0.0, p.thickness, 0.0)
    right, top, left = geo.addLine(pts[-1], tr), geo.addLine(tr, tl), geo.addLine(tl, pts[0])
    surface = geo.addPlaneSurface([geo.addCurveLoop([profile, right, top, left])])
    geo.synchronize()
    model.addPhysicalGroup(2, [surface], name="electrolyte")
    model.addPhysicalGroup(1, [profile], name="anode_interface")
    model.addPhysicalGroup(1, [top], name="counter_electrode")
    model.addPhysicalGroup(1, [left, right], name="sides")
    min_field(model, [threshold_field(model, h_int, h_far, 2 * h_int, p.thickness / 3, curves=[profile],
                                      sampling=4 * p.samples)])
    return {
        "gdim": 2,
        "interface_profile_m": {"x": x.tolist(), "y": h.tolist()},
        "rms_height_m": float(np.sqrt(np.trapezoid(h**2, x) / width)),
        "electrolyte_thickness_m": p.thickness,
        "electrolyte_area_m2": float(width * p.thickness - np.trapezoid(h, x)),
        "projected_interface_area_m": width,
        "source_file": str(p.file),
    }
