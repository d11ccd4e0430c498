"""A 2D Li | electrolyte cell with a rough anode interface.

The electrolyte fills ``0 < x < width``, ``h(x) < y < thickness``, where ``h`` is the
interface profile (mean zero). The Li anode lies below ``y = h(x)`` and is not meshed:
it is an equipotential electronic conductor, seen by the electrolyte as the boundary
``anode_interface``. Parts of that boundary may have lost contact (``contact_voids``).
The counter electrode is the flat top ``y = thickness``; ``sides`` are ``x = 0, width``.

Profiles are periodic in ``x`` so that the insulating sides act as symmetry planes:
sinusoid wavelengths must divide the width, and random profiles are synthesised on a
periodic grid.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import threshold_field
from solver.config.units import Quantity

Length = Quantity("m")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlatProfile(_Strict):
    """h(x) = 0."""

    kind: Literal["flat"] = "flat"

    def heights(self, x: np.ndarray, width: float) -> np.ndarray:
        return np.zeros_like(x)

    def smallest_feature(self, width: float) -> float:
        return width


class SinusoidMode(_Strict):
    amplitude: Length = Field(description="amplitude a of a cos(2 pi x / wavelength + phase) [m]")
    wavelength: Length = Field(gt=0, description="wavelength [m]; must divide the width")
    phase: float = Field(0.0, description="phase [rad]")


class SinusoidProfile(_Strict):
    """h(x) = sum_k a_k cos(2 pi x / lambda_k + phase_k)."""

    kind: Literal["sinusoids"]
    modes: list[SinusoidMode] = Field(min_length=1)

    def heights(self, x: np.ndarray, width: float) -> np.ndarray:
        h = np.zeros_like(x)
        for m in self.modes:
            h += m.amplitude * np.cos(2 * np.pi * x / m.wavelength + m.phase)
        return h

    def smallest_feature(self, width: float) -> float:
        return min(m.wavelength for m in self.modes)


class RandomProfile(_Strict):
    """Seeded Gaussian random profile with a Gaussian spectrum.

    Power spectral density S(k) ~ exp(-k^2 l_c^2 / 4), i.e. autocorrelation
    C(r) = h_rms^2 exp(-r^2 / l_c^2); synthesised by FFT on a periodic grid and scaled
    so that the sampled RMS height equals ``rms_height`` exactly.
    """

    kind: Literal["random"]
    rms_height: Length = Field(gt=0, description="RMS height h_rms [m]")
    correlation_length: Length = Field(gt=0, description="correlation length l_c [m]")
    seed: int = Field(0, ge=0, description="random seed")

    def _samples(self, width: float) -> np.ndarray:
        n = int(2 ** np.ceil(np.log2(max(256, 16 * width / self.correlation_length))))
        if n > 2**22:  # 4 M samples (~1 s of FFT); the mesh could not resolve a finer profile anyway
            raise ValueError(f"correlation_length {self.correlation_length:.3g} m is too small for a width of "
                             f"{width:.3g} m (a grid of {n:.3g} points); keep it above width / 2.6e5")
        rng = np.random.default_rng(self.seed)
        k = 2 * np.pi * np.fft.rfftfreq(n, d=width / n)
        amplitude = np.exp(-(k * self.correlation_length) ** 2 / 8)  # sqrt of the PSD
        coeffs = amplitude * (rng.standard_normal(k.size) + 1j * rng.standard_normal(k.size))
        coeffs[0] = 0.0  # zero mean
        h = np.fft.irfft(coeffs, n)
        return h * (self.rms_height / np.sqrt(np.mean(h**2)))

    def heights(self, x: np.ndarray, width: float) -> np.ndarray:
        h = self._samples(width)
        grid = np.linspace(0.0, width, h.size + 1)
        return np.interp(x, grid, np.append(h, h[0]))

    def smallest_feature(self, width: float) -> float:
        return self.correlation_length


Profile = Annotated[Union[FlatProfile, SinusoidProfile, RandomProfile], Field(discriminator="kind")]


class ContactLoss(_Strict):
    """Voids along the interface: a seeded set of non-overlapping gaps of equal length."""

    fraction: float = Field(1.0, gt=0, le=1, description="fraction of the interface length in contact [-]")
    void_size: Length | None = Field(None, gt=0, description="length of one void along x [m]")
    seed: int = Field(0, ge=0, description="random seed for void positions")

    @model_validator(mode="after")
    def _needs_size(self):
        if self.fraction < 1 and self.void_size is None:
            raise ValueError("void_size is required when fraction < 1")
        return self

    def void_intervals(self, width: float) -> list[tuple[float, float]]:
        """Void intervals [x0, x1] in (0, width), placed at random without overlap."""
        if self.fraction >= 1:
            return []
        n = max(1, int(round((1 - self.fraction) * width / self.void_size)))
        size = (1 - self.fraction) * width / n  # exact contact fraction
        gap_total = width - n * size
        rng = np.random.default_rng(self.seed)
        gaps = rng.dirichlet(np.ones(n + 1)) * gap_total  # random spacing, sums to gap_total
        starts = np.cumsum(gaps[:-1]) + size * np.arange(n)
        return [(float(s), float(s + size)) for s in starts]


class RoughInterface2D(GeometryParameters):
    width: Length = Field(20e-6, gt=0, description="cell width along the interface [m]")
    thickness: Length = Field(20e-6, gt=0, description="electrolyte thickness L, mean interface to counter [m]")
    profile: Profile = Field(default_factory=FlatProfile, description="interface profile h(x)")
    contact: ContactLoss = Field(default_factory=ContactLoss, description="contact loss at the interface")

    @model_validator(mode="after")
    def _check(self):
        x = np.linspace(0, self.width, 2049)
        h = self.profile.heights(x, self.width)
        if np.max(np.abs(h)) >= 0.5 * self.thickness:
            raise ValueError(
                f"profile reaches |h| = {np.max(np.abs(h)):.3g} m, which must stay below half the "
                f"electrolyte thickness ({0.5 * self.thickness:.3g} m)"
            )
        if isinstance(self.profile, SinusoidProfile):
            for m in self.profile.modes:
                periods = self.width / m.wavelength
                if abs(periods - round(periods)) > 1e-6:
                    raise ValueError(
                        f"wavelength {m.wavelength:.3g} m does not divide the width {self.width:.3g} m "
                        "(needed for symmetric sides)"
                    )
        if self.contact.void_size is not None and self.contact.fraction < 1:
            if self.contact.void_size >= self.width:
                raise ValueError("contact.void_size must be smaller than the width")
            voids = (1 - self.contact.fraction) * self.width / self.contact.void_size
            if voids > 1000:
                raise ValueError(f"contact loss makes {voids:.0f} voids; at most 1000 (increase void_size)")
        return self


def _segment_breaks(width: float, voids: list[tuple[float, float]]) -> list[tuple[float, float, bool]]:
    """(x0, x1, in_contact) segments covering [0, width]."""
    segments, x = [], 0.0
    for a, b in voids:
        if a > x:
            segments.append((x, a, True))
        segments.append((a, b, False))
        x = b
    if x < width:
        segments.append((x, width, True))
    return segments


def declare(p: RoughInterface2D) -> GeometryDeclaration:
    voids = ("contact_voids",) if p.contact.void_intervals(p.width) else ()
    return slab(2, boundaries=("anode_interface", "counter_electrode", "sides", *voids))


@register("rough_interface_2d", RoughInterface2D, declare)
def build(model, p: RoughInterface2D, mesh: MeshSettings) -> dict:
    """2D electrolyte on a rough Li anode (sinusoids, random profile or flat), with contact loss."""
    geo = model.geo  # the geo kernel: OCC merges points closer than its 1e-7 (m here) tolerance
    feature = p.profile.smallest_feature(p.width)
    h_int = mesh.scaled(mesh.interface_size or min(p.width / 100, feature / 20))
    h_far = max(h_int, mesh.scaled(mesh.size or p.thickness / 15))

    n_samples = int(max(64, np.ceil(40 * p.width / feature)))
    segments = _segment_breaks(p.width, p.contact.void_intervals(p.width))

    contact_curves, void_curves, chain = [], [], []
    first_point = None
    last_point = None  # set by the first segment; read from the second on
    for x0, x1, in_contact in segments:
        n = max(4, int(np.ceil(n_samples * (x1 - x0) / p.width)))
        xs = np.linspace(x0, x1, n + 1)
        ys = p.profile.heights(xs, p.width)
        pts = []
        for i, (xv, yv) in enumerate(zip(xs, ys)):
            if i == 0 and chain:
                pts.append(last_point)
            elif i == 0:
                first_point = geo.addPoint(xv, yv, 0.0)
                pts.append(first_point)
            else:
                pts.append(geo.addPoint(xv, yv, 0.0))
        last_point = pts[-1]
        curve = geo.addSpline(pts) if np.ptp(ys) > 0 else geo.addLine(pts[0], pts[-1])
        chain.append(curve)
        (contact_curves if in_contact else void_curves).append(curve)
    p_right_top = geo.addPoint(p.width, p.thickness, 0.0)
    p_left_top = geo.addPoint(0.0, p.thickness, 0.0)
    right = geo.addLine(last_point, p_right_top)
    top = geo.addLine(p_right_top, p_left_top)
    left = geo.addLine(p_left_top, first_point)
    loop = geo.addCurveLoop(chain + [right, top, left])
    surface = geo.addPlaneSurface([loop])
    geo.synchronize()

    model.addPhysicalGroup(2, [surface], name="electrolyte")
    model.addPhysicalGroup(1, contact_curves, name="anode_interface")
    if void_curves:
        model.addPhysicalGroup(1, void_curves, name="contact_voids")
    model.addPhysicalGroup(1, [top], name="counter_electrode")
    model.addPhysicalGroup(1, [left, right], name="sides")

    # Refine towards the interface: h_int on it, growing to h_far over ~ thickness / 3.
    thr = threshold_field(model, h_int, h_far, 2 * h_int, p.thickness / 3, curves=chain, sampling=20 * n_samples)
    model.mesh.field.setAsBackgroundMesh(thr)

    xs = np.linspace(0, p.width, 513)
    return {
        "gdim": 2,
        "interface_length_scale_m": feature,
        "contact_fraction": p.contact.fraction,
        "void_intervals_m": p.contact.void_intervals(p.width),
        "interface_profile_m": {"x": xs.tolist(), "y": p.profile.heights(xs, p.width).tolist()},
        "electrolyte_thickness_m": p.thickness,
        "projected_interface_area_m": p.width,
    }
