"""Li filling, pressure and cracking of the meshed flaws of a cycling run (``cycling.flaws``).

Each flaw k of the geometry (flaw_2d: a Li-filled pit, its faces part of the anode
interface) holds a Li volume V_Li,k [m^2, per metre of depth in 2D] in a cavity of volume
V_k(a) (notch: (w/2 + rho)(a - rho) + pi rho^2 / 2; semi-ellipse: pi a w / 4; w the mouth
width, rho the tip radius, a the depth). The law, at every step of length dt:

* fill (Faraday): dV_Li,k/dt = V_m I_k / F with I_k [A/m] the current plated into the
  flaw's faces (the interface elements inside the flaw, the same element currents as the
  charge balance), clipped to 0 <= V_Li,k <= V_k: Li plated into a full flaw is extruded
  at its mouth (it leaves the flaw, so the flaw stays full);
* pressure: p_k = min(F |eta_tip| / V_m, risk.pressure_cap, p_flow) while the flaw is
  full and plates (I_k > 0), 0 otherwise: the Porz relation with the tip overpotential,
  relaxed by the extrusion of Li through the flaw channel (``risk.li_flow``,
  :mod:`solver.physics.li_flow`) when given. A flaw that is not full, or strips, holds
  no excess pressure;
* K_I = G p + K_stack (:class:`~solver.studies.flaw_risk.FlawRiskAnalysis`: the influence
  matrix of the meshed flaws by the interaction integral, and the stack pressure) and
  the ratio K_I / K_IC.

Crack extension (``crack_extension``): a full flaw with K_I >= K_IC at the start of a
step extends by ``crack_increment`` along its own plane, straight ahead of the tip (the
2D fracture model gives K_I and K_II at the tip; the flaws of flaw_2d are symmetric
under their own load, K_II = 0, so the path is straight), and the geometry is rebuilt
with the deeper flaw. The new crack length is empty: the same Li fills the longer
cavity, the pressure drops, and growth waits until plating refills it. A crack whose
next increment would pass the deepest flaw the geometry draws (0.8 of the electrolyte
thickness) shorts the cell: with K_I >= K_IC at that depth, and K_I of a pressurised edge
crack rising with its length (1.1215 p sqrt(pi a)), it runs through the last ligament;
the refill time of that ligament is not counted (the time to short is a lower bound by
at most V_m-worth of that ligament's volume at the present plating current).

Time steps: a step is cut so that an unfilled flaw that plates ends the step exactly full
(its K_I jumps there), and so that the K_I/K_IC trend of the last step (linear in time)
does not pass 1 by more than ``ratio_tolerance`` within the step.
"""

from __future__ import annotations

import copy
import math

import numpy as np
from mpi4py import MPI

from solver.analysis.risk import FlawState, porz_pressure
from solver.physics.kinetics import FARADAY

__all__ = ["FlawCycling", "flaw_volume"]

MESHABLE_DEPTH = 0.8  # flaw_2d draws flaws shallower than this fraction of the thickness


def flaw_volume(flaw, depth: float) -> float:
    """Cavity area [m^2] of a flaw_2d flaw at ``depth`` [m] (see the module docstring)."""
    if flaw.shape == "semi_ellipse":
        return math.pi * depth * flaw.width / 4.0
    rho = min(flaw.tip_radius, 0.5 * flaw.width, depth)
    return (0.5 * flaw.width + rho) * (depth - rho) + 0.5 * math.pi * rho ** 2


class FlawCycling:
    """State and law of the meshed flaws; the runner calls :meth:`attach` on every mesh."""

    def __init__(self, case, settings):
        self.settings = settings
        self.base_case = case
        self.flaws = list(case.geometry.flaws)
        self.depth = np.array([f.depth for f in self.flaws], dtype=float)
        self.li_volume = settings.initial_fill * self.volumes()
        thickness = case.geometry.thickness
        self.increment = settings.crack_increment or 0.1 * thickness
        self.max_depth = MESHABLE_DEPTH * thickness * (1 - 1e-9)
        self.molar_volume = case.model.risk.molar_volume
        self.pressure_cap = case.model.risk.pressure_cap
        self.extensions: list[dict] = []
        self.influence: list[dict] = []  # K_I per pascal in the flaw [m^0.5] at every crack length meshed
        self.analysis = None
        self.members: list[np.ndarray] = []
        self.ratio = np.zeros(len(self.flaws))
        self.pressure = np.zeros(len(self.flaws))
        self.plating = np.zeros(len(self.flaws))  # I_k [A/m] of the last evaluation
        self.stress_intensity = np.zeros(len(self.flaws))
        self._trend = None  # (time [s], worst ratio) of the previous step

    # -- geometry ---------------------------------------------------------------------------
    def volumes(self) -> np.ndarray:
        return np.array([flaw_volume(f, a) for f, a in zip(self.flaws, self.depth)])

    def fill(self) -> np.ndarray:
        return self.li_volume / self.volumes()

    def case(self):
        """The case with the present flaw depths (the geometry is parametric)."""
        flaws = [f.model_copy(update={"depth": float(a)}) for f, a in zip(self.flaws, self.depth)]
        out = copy.copy(self.base_case)
        out.geometry = self.base_case.geometry.model_copy(update={"flaws": flaws})
        return out

    def attach(self, problem, elements) -> None:
        """Influence matrix (elastic solves) and the interface elements inside every flaw."""
        from solver.studies.flaw_risk import FlawRiskAnalysis

        self.analysis = FlawRiskAnalysis(self.case(), problem)
        self.influence.append({"depth_m": float(self.depth.max()),
                               "influence_m05": float(np.max(np.diag(self.analysis.influence)))})
        self.elements = elements
        self.members = []
        for f, meta in zip(self.flaws, self.analysis.flaws):
            rel = elements.midpoints[:, :2] - np.asarray(meta["mouth"][:2])
            d = np.asarray(meta["direction"][:2], dtype=float)
            s, lateral = rel @ d, np.abs(rel @ np.array([-d[1], d[0]]))
            self.members.append((s > 0) & (s <= meta["depth"] + f.width) & (lateral <= f.width))

    # -- the law ----------------------------------------------------------------------------
    def evaluate(self, solved: dict) -> None:
        """Pressure, K_I and K_I/K_IC of every flaw at the start of a step."""
        comm = self.elements.comm
        current = solved["current"] * self.elements.area
        self.plating = np.array([comm.allreduce(float(current[m].sum()), MPI.SUM) for m in self.members])
        tips = [(0.0, 0.0, list(m["tip"])) for m in self.analysis.flaws]
        full = self.fill() >= 1 - 1e-9
        if solved.get("fields") is not None and np.any(full & (self.plating > 0)):  # else no flaw is pressurised
            from solver.analysis.metrics import ConductionContext

            samples = ConductionContext(solved["fields"], 99.0, None, None).samples  # the interface samples only
            values = self.analysis._tip_values(samples) if comm.rank == 0 else None
            tips = comm.bcast(values, root=0)
        states = [FlawState(k, where, eta, cur) for k, (eta, cur, where) in enumerate(tips)]
        p = np.zeros(len(states))
        for k, st in enumerate(states):
            if full[k] and self.plating[k] > 0:
                p[k] = porz_pressure(st.overpotential, self.molar_volume, self.pressure_cap)
                if self.analysis.li_flow is not None:
                    f = self.flaws[k]
                    p[k] = min(p[k], self.analysis.li_flow.pressure(st.current_density, self.depth[k], f.width))
        k_i = self.analysis._stress_intensity(states, p)
        for st, pk, kk in zip(states, p, k_i):
            st.pressure, st.stress_intensity = float(pk), float(kk)
        self.pressure, self.stress_intensity = p, np.asarray(k_i, dtype=float)
        self.ratio = np.array([self.analysis.criterion.ratio(st) for st in states])

    def cracking(self) -> list[int]:
        """Flaws that extend now (full, K_I >= K_IC)."""
        if not self.settings.crack_extension:
            return []
        full = self.fill() >= 1 - 1e-9
        return [k for k in range(len(self.flaws)) if full[k] and self.ratio[k] >= 1.0]

    def extend(self, flaws: list[int], time: float) -> bool:
        """Deepen ``flaws`` by one increment; True when one would pass the meshable depth (short)."""
        shorted = False
        for k in flaws:
            new = self.depth[k] + self.increment
            if new >= self.max_depth:
                shorted = True
                continue
            self.depth[k] = new
            self.extensions.append({"time_s": time, "flaw": k, "depth_m": float(new),
                                    "stress_intensity_ratio": float(self.ratio[k])})
        self._trend = None
        return shorted

    def limit_step(self, dt: float, time: float, minimum: float) -> float:
        """dt [s] cut at a flaw becoming full and at the K_I/K_IC trend crossing 1."""
        rate = self.molar_volume * self.plating / FARADAY  # m^2/s
        room = self.volumes() - self.li_volume
        for k in np.flatnonzero((rate > 0) & (room > 1e-12 * self.volumes())):
            dt = min(dt, max(room[k] / rate[k], minimum))
        worst = float(self.ratio.max()) if self.ratio.size else 0.0
        if self._trend is not None and worst < 1.0 and time > self._trend[0]:
            slope = (worst - self._trend[1]) / (time - self._trend[0])
            if slope > 0 and worst + slope * dt > 1.0 + self.settings.ratio_tolerance:
                dt = min(dt, max((1.0 - worst) / slope, minimum))
        self._trend = (time, worst)
        return dt

    def advance(self, dt: float) -> None:
        """Fill (or empty) every flaw over dt at the plated current of the evaluation."""
        rate = self.molar_volume * self.plating / FARADAY
        self.li_volume = np.clip(self.li_volume + rate * dt, 0.0, self.volumes())

    # -- records ----------------------------------------------------------------------------
    def row(self) -> dict:
        worst = int(np.argmax(self.ratio)) if self.ratio.size else 0
        return {"worst_stress_intensity_ratio": float(self.ratio.max()), "crack_length_m": float(self.depth.max()),
                "worst_flaw_fill": float(self.fill()[worst]), "worst_flaw_pressure_Pa": float(self.pressure[worst])}

    def scalars(self) -> dict:
        return {"crack_depths": self.depth.tolist(), "flaw_li_volumes": self.li_volume.tolist(),
                "crack_extensions": self.extensions}

    def restore(self, scalars: dict) -> None:
        self.depth = np.array(scalars["crack_depths"], dtype=float)
        self.li_volume = np.array(scalars["flaw_li_volumes"], dtype=float)
        self.extensions = list(scalars["crack_extensions"])

    def summary(self) -> dict:
        return {"crack_length_m": float(self.depth.max()), "initial_crack_length_m": float(max(
            f.depth for f in self.flaws)), "crack_extensions": self.extensions,
            "crack_increment_m": self.increment, "flaw_influence": self.influence}
