"""Galvanostatic cycling of a Li | SE (| Li) cell with an evolving interface (``dendrite cycle``).

Quasi-static time stepping. At each step:

1. the current distribution is solved at the protocol's current (the same
   ConductionProblem every step: mesh, compiled forms and solver set-up are reused; the
   contact fraction enters the kinetics as a DG0 field updated in place);
2. each interface element's state evolves over dt (solver.physics.interface_evolution):
   voids by the stripping flux against the Li supply, the Li thickness by Faraday's law,
   filaments where the risk criterion (section ``risk``) says one starts on plating;
3. the step is accepted when the embedded error estimate of the contact fraction is within
   ``time_step.contact_tolerance`` and no contact changes by more than 25 times it (the
   current is held over the step, so its change must stay small); otherwise dt shrinks and
   the local step is redone (no new solve: the current belongs to the start of the step).
   The next dt is dt * min(2, 0.9 sqrt(tol / err)), within [minimum, maximum], and steps end
   exactly on protocol segment boundaries and on the filament reaching the counter.

A symmetric cell (``electrochemistry.counter_kinetics: same_as_anode``) has a counter
electrode with the same law and its own (uniform, lumped) contact state: it strips when
the anode plates. Short: a filament spans the mean electrolyte thickness. A filament grows
at the Faraday rate of the local current density on the contacted area, V_m i / F, while
the element plates; with the ``fracture_toughness`` criterion the Li-filled flaw of depth
``cycling.interface.filament_flaw_depth`` is an edge crack (K_I = 1.1215 p sqrt(pi a), p
the Porz pressure), and K_I >= K_IC shorts the cell at once (a pressurised crack's K_I grows
with its length: the growth is unstable).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
from dolfinx import fem
from mpi4py import MPI

from solver.analysis.risk import FlawState, make_criterion, porz_pressure
from solver.config.adapter import build_case_mesh, case_conductivities, conduction_problem
from solver.config.case import Case
from solver.config.cycling import Segment, compile_protocol
from solver.errors import CaseError
from solver.geometry.driver import restrict
from solver.physics.interface_evolution import EDGE_CRACK_FACTOR, ContactKinetics, LiSupply, VoidGrowthLaw
from solver.physics.kinetics import FARADAY
from solver.studies import cycle_outputs as outputs
from solver.studies.cycle_interface import InterfaceElements

__all__ = ["MAX_CONTACT_CHANGE_FACTOR", "CycleResult", "cycling_laws", "run_cycle"]

MAX_CONTACT_CHANGE_FACTOR = 25.0


@dataclasses.dataclass
class CycleResult:
    """A cycling run: its folder, the time series (one row per step) and the summary."""

    folder: Path | None
    rows: list[dict]
    summary: dict

    @property
    def table(self):
        import pandas

        return pandas.DataFrame(self.rows)


def cycling_laws(case: Case) -> tuple[VoidGrowthLaw, LiSupply]:
    """The void-growth law and the Li supply of a case (SI)."""
    cyc = case.model.cycling
    law = cyc.interface
    supply = LiSupply(law.supply, self_diffusion=law.li_self_diffusion, supply_length=law.supply_length,
                      temperature=case.electrochemistry.temperature, creep_prefactor=law.creep_prefactor,
                      creep_exponent=law.creep_exponent, creep_activation_energy=law.creep_activation_energy,
                      molar_volume=law.molar_volume)
    growth = VoidGrowthLaw(supply, case.model.mechanics.stack_pressure, law.void_depth,
                           law.pinned_contact_fraction, law.molar_volume)
    return growth, supply


def _criterion(case: Case):
    """The risk criterion that starts a filament on plating (None without a ``risk`` section)."""
    risk = case.model.risk
    if risk is None or case.model.cycling.flaws is not None:  # meshed flaws: cycle_flaws rates them
        return None
    if risk.criterion == "fracture_toughness":
        if case.model.cycling.interface.filament_flaw_depth is None:
            raise CaseError("cycling.interface.filament_flaw_depth",
                            "required with risk.criterion fracture_toughness (the flaw depth a [m])")
        threshold = risk.fracture_toughness
        for mat in case.materials.values():
            if threshold is None and "fracture_toughness" in mat.values:
                threshold = mat.values["fracture_toughness"]
        if threshold is None:
            raise CaseError("risk.fracture_toughness", "required: no material of the case provides one")
    else:
        threshold = getattr(risk, risk.criterion)
    return make_criterion(risk.criterion, threshold)


def check_case(case: Case) -> None:
    """Cycling-specific checks, before any mesh is built."""
    if case.model.cycling is None:
        raise CaseError("cycling", "required by `dendrite cycle`: add a 'cycling:' section with a protocol")
    ec = case.electrochemistry
    if ec.mode != "galvanostatic":
        raise CaseError("electrochemistry.mode", "cycling is galvanostatic: use mode galvanostatic")
    if ec.kinetics.law not in ("butler_volmer", "linear"):
        raise CaseError("electrochemistry.kinetics.law", "cycling plates and strips: use butler_volmer or linear")
    if ec.stress_kinetics:
        raise CaseError("electrochemistry.stress_kinetics", "not supported by cycling yet")
    if case.model.risk is not None and case.model.risk.also:
        raise CaseError("risk.also", "not used by cycling (one criterion starts filaments): leave it out")
    _, grain_boundary = case_conductivities(case)
    if grain_boundary is not None:
        raise CaseError("grain_boundaries", "cycling needs a meshed (finite-thickness) GB phase")
    if case.model.cycling.flaws is not None:
        _check_flaws(case)
    _criterion(case)


def _check_flaws(case: Case) -> None:
    """``cycling.flaws`` needs a 2D parametric flaw geometry and the fracture criterion."""
    decl = case.declaration
    if getattr(case.geometry, "flaws", None) is None or (decl is not None and decl.dimension != 2):
        raise CaseError("cycling.flaws", f"Li filling and crack extension need a 2D geometry with flaws "
                        f"(flaw_2d); geometry {case.model.geometry.type} has none: leave cycling.flaws out")
    if case.model.risk is None or case.model.risk.criterion != "fracture_toughness":
        raise CaseError("risk.criterion", "cycling.flaws rates the flaws by K_I / K_IC: add a risk section "
                        "with criterion: fracture_toughness")


class _State:
    """Interface state (local elements) and run counters: what a checkpoint holds."""

    def __init__(self, n: int):
        self.void = np.zeros(n)
        self.li_thickness = np.zeros(n)
        self.filament = np.zeros(n)
        self.initiated = np.zeros(n, dtype=bool)
        self.counter_void = 0.0
        self.time = 0.0
        self.dt = None
        self.step = 0
        self.short_time = None
        self.short_label = None
        self.short_current = None
        self.short_by = None
        self.flaws = None  # FlawCycling scalars (crack depths, Li volumes) in a checkpoint

    def arrays(self) -> dict:
        return {"void": self.void, "li_thickness": self.li_thickness, "filament": self.filament,
                "initiated": self.initiated.astype(float)}

    def scalars(self) -> dict:
        return {k: getattr(self, k) for k in ("counter_void", "time", "dt", "step", "short_time", "short_label",
                                              "short_current", "short_by", "flaws")}

    def restore(self, arrays: dict, scalars: dict) -> None:
        self.void, self.li_thickness, self.filament = arrays["void"], arrays["li_thickness"], arrays["filament"]
        self.initiated = arrays["initiated"] > 0.5
        for k, v in scalars.items():
            setattr(self, k, v)


class CycleRunner:
    """Owns the problem and the interface; :meth:`run` walks the protocol."""

    def __init__(self, case: Case, comm: MPI.Comm = MPI.COMM_WORLD):
        check_case(case)
        self.case, self.comm = case, comm
        self.cyc = case.model.cycling
        self.segments: list[Segment] = compile_protocol(self.cyc.protocol)
        self.law, self.supply = cycling_laws(case)
        self.criterion = _criterion(case)
        self.problem = None
        self.mesh_version = 0
        self.flaws = None
        if self.cyc.flaws is not None:
            from solver.studies.cycle_flaws import FlawCycling

            self.flaws = FlawCycling(case, self.cyc.flaws)
        self._build(case)
        self.state = _State(self.elements.index.size)
        self.state.dt = self.cyc.time_step.initial
        self.solve_seconds = 0.0
        self.stop_reason = None

    def _build(self, case: Case) -> None:
        """Mesh, conduction problem and interface elements of ``case`` (again after a crack extends)."""
        if self.problem is not None:
            self.problem.close()
        conductivity, _ = case_conductivities(case)
        tagged = restrict(build_case_mesh(case, self.comm), list(conductivity))
        self.contact = fem.Function(fem.functionspace(tagged.mesh, ("DG", 0)), name="contact_fraction")
        self.contact.x.array[:] = 1.0
        self.problem = conduction_problem(case, tagged, wrap_kinetics=lambda law: ContactKinetics(law, self.contact))
        self.elements = InterfaceElements(self.problem, self.contact)
        self.counter_law = self.problem.settings.counter_kinetics
        self.mesh_version += 1
        if self.flaws is not None:
            self.flaws.attach(self.problem, self.elements)

    def remesh(self) -> None:
        """Rebuild the geometry with the present flaw depths; the element state follows the
        nearest old element midpoint."""
        from scipy.spatial import cKDTree

        s = self.state
        parts = self.comm.allgather(dict(s.arrays(), midpoints=self.elements.midpoints))
        old = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        self._build(self.flaws.case())
        _, rows = cKDTree(old.pop("midpoints")).query(self.elements.midpoints)
        s.restore({k: v[rows] for k, v in old.items()}, {})

    def resume_geometry(self, scalars: dict) -> None:
        """Before a checkpoint is read: the flaw depths it was written at."""
        if self.flaws is not None and scalars.get("flaws"):
            self.flaws.restore(scalars["flaws"])
            if self.flaws.depth.tolist() != [f.depth for f in self.flaws.flaws]:
                self._build(self.flaws.case())

    # -- one step -------------------------------------------------------------------------
    def _segment(self, t: float) -> int:
        for k, seg in enumerate(self.segments):
            if t < seg.end - 1e-12 * max(1.0, seg.end):
                return k
        return len(self.segments)

    def solve(self, current_density: float) -> dict:
        """Solve the current distribution at the present contact (or nothing at rest)."""
        el, s = self.elements, self.state
        el.set_contact(self.law.contact(s.void))
        if current_density == 0.0:  # at rest the electrolyte is at equilibrium with the anode
            self.problem.unknown.x.array[:] = -self.problem.settings.equilibrium_potential
            zero = np.zeros(el.index.size)
            return {"current": zero, "eta": zero, "counter_potential": 0.0, "newton": 0}
        t0 = time.perf_counter()
        fields = self.problem.solve(load=current_density)
        self.solve_seconds += time.perf_counter() - t0
        return {"current": el.current_density(), "eta": el.overpotential(), "fields": fields,
                "counter_potential": el.counter_potential(), "newton": fields.solver_info["newton_iterations"]}

    def voltage(self, current_density: float, solved: dict) -> float:
        """Cell voltage phi_s(counter) - phi_s(anode) [V] (counter overpotential at its contact)."""
        if self.counter_law is None:
            return solved["counter_potential"]
        eta_c = 0.0
        if current_density != 0.0:
            c_counter = float(self.law.contact(self.state.counter_void))
            eta_c = self.counter_law.overpotential(current_density / c_counter)
        return solved["counter_potential"] + self.problem.settings.equilibrium_potential + eta_c

    def _ratios(self, solved: dict, contact: np.ndarray) -> np.ndarray:
        """Risk ratio of every plating element (0 where it strips)."""
        if self.criterion is None:
            return np.zeros(contact.size)
        local = solved["current"] / contact
        a = self.cyc.interface.filament_flaw_depth
        out = np.zeros(contact.size)
        for k in np.flatnonzero(solved["current"] > 0):
            state = FlawState(int(k), [], float(solved["eta"][k]), float(local[k]))
            if self.criterion.name == "fracture_toughness":
                state.pressure = porz_pressure(state.overpotential, self.cyc.interface.molar_volume)
                state.stress_intensity = EDGE_CRACK_FACTOR * state.pressure * math.sqrt(math.pi * a)
            out[k] = self.criterion.ratio(state)
        return out

    def advance(self, segment: Segment, solved: dict) -> dict:
        """Evolve the interface from the state's time over an accepted dt; returns the step row."""
        s, el, ts = self.state, self.elements, self.cyc.time_step
        i_app = segment.current_density
        current = solved["current"]
        contact = self.law.contact(s.void)
        ratios = self._ratios(solved, contact)
        s.initiated |= ratios >= 1.0
        growth = np.where(s.initiated & (current > 0), self.law.molar_volume * current / contact / FARADAY, 0.0)
        fast_short = self.criterion is not None and self.criterion.name == "fracture_toughness"
        to_end = segment.end - s.time
        dt = min(s.dt, to_end)
        max_growth = el.maximum(growth, 0.0)
        if max_growth > 0 and not fast_short:
            dt = min(dt, max(ts.minimum, ts.thickness_tolerance / max_growth))
        void, counter_void, err_max, dt = self._local_steps(current, contact, i_app, dt)
        if self.flaws is not None:
            cut = self.flaws.limit_step(dt, s.time, ts.minimum)
            if cut < dt:
                dt = cut
                void, counter_void = self._update(current, i_app, dt)[:2]
        short_in = self._time_to_short(growth, fast_short)
        shorted = short_in <= dt
        if shorted:
            dt = short_in
            void, counter_void = self._update(current, i_app, dt)[:2]
        charge = i_app * el.counter_area * dt  # C (C/m in 2D)
        delta = self.law.molar_volume * current * dt / FARADAY
        moved = el.total(delta) * FARADAY / self.law.molar_volume
        row = self._row(segment, solved, contact, ratios, dt, charge, moved)
        s.void = void
        s.counter_void = float(counter_void[0])
        s.li_thickness = s.li_thickness + delta
        s.filament = s.filament + growth * dt
        s.time += dt
        s.step += 1
        if self.flaws is not None:
            self.flaws.advance(dt)
            s.flaws = self.flaws.scalars()
        if shorted:
            s.short_time, s.short_label, s.short_current, s.short_by = s.time, segment.label, i_app, "filament"
        grow = 2.0 if err_max <= 0 else min(2.0, 0.9 * math.sqrt(ts.contact_tolerance / err_max))
        base = s.dt if dt == to_end and dt < s.dt else dt  # cut short by the segment end: keep the step
        s.dt = min(ts.maximum, max(ts.minimum, base * grow))
        return row

    def _update(self, current: np.ndarray, i_app: float, dt: float):
        """Backward-Euler local steps of the anode elements and the counter: voids and errors."""
        void, err = self.law.step(self.state.void, -current, dt)
        if self.counter_law is None:  # ideal counter: no interface state
            return void, np.zeros(1), err, np.zeros(1)
        counter_void, counter_err = self.law.step(np.array([self.state.counter_void]), np.array([i_app]), dt)
        return void, counter_void, err, counter_err

    def _local_steps(self, current, contact, i_app: float, dt: float):
        """Shrink dt until the contact error and change are within tolerance (module docstring)."""
        el, ts = self.elements, self.cyc.time_step
        while True:
            void, counter_void, err, counter_err = self._update(current, i_app, dt)
            err_max = max(el.maximum(err, 0.0), float(counter_err[0]))
            change = el.maximum(np.abs(self.law.contact(void) - contact), 0.0)
            ok = err_max <= ts.contact_tolerance and change <= MAX_CONTACT_CHANGE_FACTOR * ts.contact_tolerance
            if ok or dt <= ts.minimum * (1 + 1e-12):
                return void, counter_void, err_max, dt
            scale = 0.9 * math.sqrt(ts.contact_tolerance / max(err_max, 1e-300))
            dt = max(ts.minimum, dt * min(0.5, max(0.1, scale)))

    def _time_to_short(self, growth: np.ndarray, fast_short: bool) -> float:
        """Time [s] until a filament reaches the counter at the present growth rates (0: now)."""
        s, el = self.state, self.elements
        if fast_short:  # an initiated Li-filled crack runs through at once
            return 0.0 if self.comm.allreduce(bool(np.any(s.initiated)), MPI.LOR) else np.inf
        rate = np.where(growth > 0, growth, 1.0)
        return el.minimum(np.where(growth > 0, (el.thickness - s.filament) / rate, np.inf))

    def _row(self, segment, solved, contact, ratios, dt, charge, moved) -> dict:
        el, s = self.elements, self.state
        local = np.abs(solved["current"]) / contact
        row = {
            "time_s": s.time,
            "time_step_s": dt,
            "applied_current_density_A_m2": segment.current_density,
            "cell_voltage_V": self.voltage(segment.current_density, solved),
            "contact_fraction": el.total(contact) / el.interface_area,
            "min_contact_fraction": el.minimum(contact),
            "counter_contact_fraction": float(self.law.contact(s.counter_void)),
            "peak_local_current_density_A_m2": el.maximum(local, 0.0),
            "worst_risk_ratio": el.maximum(ratios, 0.0),
            "max_filament_length_m": el.maximum(s.filament, 0.0),
            "charge_passed_C": charge,
            "li_moved_C": moved,
            "newton_iterations": solved["newton"],
            "segment": segment.label,
        }
        if self.flaws is not None:
            row.update(self.flaws.row())
        return row

    # -- the run --------------------------------------------------------------------------
    def run(self, writer=None, progress=None) -> list[dict]:
        s = self.state
        rows = []
        end = self.segments[-1].end
        while True:
            k = self._segment(s.time)
            if k >= len(self.segments):
                self.stop_reason = "protocol finished"
                break
            if s.step >= self.cyc.max_time_steps:
                self.stop_reason = f"cycling.max_time_steps = {self.cyc.max_time_steps} reached"
                break
            if s.short_time is not None and self.cyc.stop_at_short:
                self.stop_reason = "short"
                break
            segment = self.segments[k]
            solved = self._solve_and_crack(segment)
            if solved is None:
                self.stop_reason = "short"
                break
            row = self.advance(segment, solved)
            rows.append(row)
            if writer is not None:
                writer.step(self, row, solved)
            if progress is not None:
                progress(s.time, end)
        return rows

    def _solve_and_crack(self, segment: Segment) -> dict | None:
        """Solve; while a full flaw has K_I >= K_IC, extend it, rebuild and solve again.
        None when a crack spans the electrolyte (the short is recorded)."""
        s = self.state
        solved = self.solve(segment.current_density)
        while self.flaws is not None:
            self.flaws.evaluate(solved)
            cracking = self.flaws.cracking()
            if not cracking:
                break
            if self.flaws.extend(cracking, s.time):
                s.short_time, s.short_label, s.short_by = s.time, segment.label, "crack"
                s.short_current = segment.current_density
                s.flaws = self.flaws.scalars()
                return None
            self.remesh()
            s.flaws = self.flaws.scalars()
            solved = self.solve(segment.current_density)
        return solved

    def summary(self) -> dict:
        s = self.state
        out = {
            "stop_reason": self.stop_reason,
            "time_to_short_s": s.short_time,
            "short_segment": s.short_label,
            "short_current_density_A_m2": None if s.short_current is None else abs(s.short_current),
            "simulated_time_s": s.time,
            "time_steps": s.step,
            "critical_stripping_current_density_A_m2": self.supply.critical_stripping_current(
                self.law.stack_pressure),
            "stack_pressure_Pa": self.law.stack_pressure,
            "electrolyte_thickness_m": self.elements.thickness,
            "interface_elements": self.elements.count,
            "dofs": self.problem.info["dofs"],
            "solve_seconds": self.solve_seconds,
            "short_by": s.short_by,
        }
        if self.flaws is not None:
            out.update(self.flaws.summary())
        return out


def _provenance(case: Case, comm: MPI.Comm) -> dict:
    """The works behind the case's material values, the software versions (collective) and
    the number of ranks, for the summary and the report."""
    from solver.io.result_folder import software_versions
    from solver.materials.library import references_for

    return {"case": case.name, "description": case.model.description, "references": references_for(case.materials),
            "versions": software_versions(comm), "mpi_ranks": comm.size}


def _fingerprint(case: Case) -> str:
    text = getattr(case, "source_text", None) or json.dumps(case.raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_cycle(case: Case, out: str | Path | None = None, quiet: bool = True, comm: MPI.Comm = MPI.COMM_WORLD,
              write: bool = True) -> CycleResult:
    """Run the case's cycling protocol. With ``write``, results go to ``out`` (default:
    outputs.directory/NAME-cycle); rerunning into a folder holding a checkpoint of the
    same case resumes from its last completed step."""
    check_case(case)
    runner = CycleRunner(case, comm)
    folder = Path(out) if out is not None else Path(case.model.outputs.directory) / f"{case.name}-cycle"
    writer = outputs.CycleWriter(folder, runner, _fingerprint(case), comm) if write else None
    previous = writer.resume(runner) if writer is not None else []
    bar = outputs.Progress(comm, quiet)
    try:
        rows = previous + runner.run(writer, bar.update)
    finally:
        bar.close()
    summary = runner.summary()
    if writer is not None:
        summary.update(_provenance(case, comm))
        writer.finish(runner, rows, summary)
    gc.collect()
    return CycleResult(folder if write else None, rows, summary)
