"""The ``cycling:`` section of a case: protocols as a researcher writes them, in SI units.

A protocol is a list of blocks run in order:

- ``ccd_steps``: the step-increased critical-current-density protocol, plating and
  stripping alternating at ``start``, ``start + step``, ... up to ``maximum`` [A/m^2],
  each half cycle lasting ``half_cycle_time`` [s] or passing ``half_cycle_capacity``
  [C/m^2] (``cycles_per_step`` full cycles at each current);
- ``constant_current``: ``cycles`` full cycles at ``current_density`` [A/m^2], each half
  cycle passing ``half_cycle_capacity`` [C/m^2] (or lasting ``half_cycle_time``);
- ``rest``: zero current for ``duration`` [s];
- ``table``: a user current-time table, piecewise constant: ``current_density[k]``
  [A/m^2] (signed, > 0 plates the anode) from ``time[k]`` to ``time[k+1]`` [s].

Capacities take "mAh/cm^2" (read as mA*h/cm^2). :func:`compile_protocol` turns the
blocks into segments (start time [s], end time [s], signed current density [A/m^2]).
Every check here runs when the case is loaded, before any mesh is built.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from solver.config.units import Quantity, to_si

__all__ = ["MAX_SEGMENTS", "Cycling", "FlawGrowth", "Segment", "compile_protocol"]

MAX_SEGMENTS = 200_000  # half cycles and table rows after expansion

Density = Quantity("A/m^2")
Duration = Quantity("s")
Pressure = Quantity("Pa")
Length = Quantity("m")


def _capacity(value):
    """Areal capacity [C/m^2]; "0.5 mAh/cm^2" is read as 0.5 mA*h/cm^2."""
    if isinstance(value, str):
        value = value.replace("mAh", "mA*h").replace("Ah", "A*h")
    return to_si(value, "C/m^2")


Capacity = Annotated[float, BeforeValidator(_capacity)]


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _HalfCycle(_Block):
    half_cycle_time: Duration | None = Field(None, gt=0, description="duration of one half cycle [s]")
    half_cycle_capacity: Capacity | None = Field(None, gt=0, description="charge per half cycle [C/m^2]")
    first: Literal["plating", "stripping"] = Field("plating", description="direction of the first half cycle "
                                                    "(of the anode)")

    @model_validator(mode="after")
    def _one_length(self):
        if (self.half_cycle_time is None) == (self.half_cycle_capacity is None):
            raise ValueError("give exactly one of half_cycle_time or half_cycle_capacity")
        return self

    def duration(self, current_density: float) -> float:
        """Length of one half cycle at ``current_density`` [s]."""
        if self.half_cycle_time is not None:
            return self.half_cycle_time
        return self.half_cycle_capacity / current_density


class CCDSteps(_HalfCycle):
    type: Literal["ccd_steps"]
    start: Density = Field(gt=0, description="first current density [A/m^2]")
    step: Density = Field(gt=0, description="increase per step [A/m^2]")
    maximum: Density = Field(gt=0, description="last current density [A/m^2]")
    cycles_per_step: int = Field(1, ge=1, le=1000, description="full cycles at each current [-]")

    @model_validator(mode="after")
    def _ordered(self):
        if self.start > self.maximum * (1 + 1e-12):
            raise ValueError(f"start {self.start:g} A/m^2 is past maximum {self.maximum:g} A/m^2")
        return self

    def currents(self) -> list[float]:
        n = math.floor((self.maximum - self.start) / self.step * (1 + 1e-9)) + 1
        if n > MAX_SEGMENTS:
            raise ValueError(f"{n} current steps from start to maximum; at most {MAX_SEGMENTS}")
        return [self.start + k * self.step for k in range(n)]


class ConstantCurrent(_HalfCycle):
    type: Literal["constant_current"]
    current_density: Density = Field(gt=0, description="current density [A/m^2]")
    cycles: int = Field(ge=1, le=MAX_SEGMENTS // 2, description="full cycles (plating + stripping) [-]")


class Rest(_Block):
    type: Literal["rest"]
    duration: Duration = Field(gt=0, description="rest time at zero current [s]")


class Table(_Block):
    type: Literal["table"]
    time: list[Duration] = Field(min_length=2, max_length=MAX_SEGMENTS, description="times [s], increasing; "
                                 "the current of row k holds until time k+1")
    current_density: list[Density] = Field(min_length=1, description="signed current densities [A/m^2], "
                                           "one per interval (> 0 plates the anode)")

    @model_validator(mode="after")
    def _consistent(self):
        for k in range(1, len(self.time)):
            if not self.time[k] > self.time[k - 1]:
                raise ValueError(f"times must increase: time[{k}] = {self.time[k]:g} s is not after "
                                 f"time[{k - 1}] = {self.time[k - 1]:g} s")
        if len(self.current_density) != len(self.time) - 1:
            raise ValueError(f"{len(self.time)} times need {len(self.time) - 1} current densities "
                             f"(one per interval), got {len(self.current_density)}")
        return self



Block = Annotated[CCDSteps | ConstantCurrent | Rest | Table, Field(discriminator="type")]


class TimeStep(_Block):
    """Adaptive time steps (see solver.physics.interface_evolution for the error estimate)."""

    initial: Duration = Field(1.0, gt=0, description="first time step [s]")
    minimum: Duration = Field(1e-3, gt=0, description="smallest time step [s]")
    maximum: Duration = Field(600.0, gt=0, description="largest time step [s]")
    contact_tolerance: float = Field(2e-3, gt=0, lt=0.5, description="allowed local error of the contact "
                                     "fraction per step [-]")
    thickness_tolerance: Length = Field(20e-9, gt=0, description="allowed change of the filament length "
                                        "per step [m]")

    @model_validator(mode="after")
    def _ordered(self):
        if not self.minimum <= self.initial <= self.maximum:
            raise ValueError("need minimum <= initial <= maximum")
        return self


class InterfaceLaws(_Block):
    """Li supply to the interface and void growth (defaults with sources in docs/cycling.md)."""

    supply: list[Literal["vacancy_diffusion", "power_law_creep"]] = Field(
        ["vacancy_diffusion", "power_law_creep"], description="mechanisms that bring Li to the interface")
    li_self_diffusion: Quantity("m^2/s") = Field(5.6e-15, gt=0, description="tracer self-diffusion "
                                                 "coefficient of Li at the temperature [m^2/s]")
    creep_prefactor: float = Field(4.25e4, gt=0, description="A of the power law, strain rate = A "
                                   "(sigma/MPa)^n exp(-Q/RT) [1/s]")
    creep_exponent: float = Field(6.56, ge=1, le=20, description="n [-]")
    creep_activation_energy: Quantity("J/mol") = Field(37e3, ge=0, description="Q [J/mol]")
    supply_length: Length = Field(description="distance over which Li flows to fill the stripped "
                                  "region: the contact (asperity) spacing [m]")
    void_depth: Length = Field(description="depth of the interface valleys a void fills before the local "
                               "contact is lost, e.g. the peak-to-valley roughness [m]")
    pinned_contact_fraction: float = Field(0.0, ge=0, lt=1, description="contact held by a skeleton bonding "
                                           "Li to the interphase (never lost) [-]")
    molar_volume: Quantity("m^3/mol") = Field(1.30e-5, gt=0, description="V_m of Li [m^3/mol]")
    filament_flaw_depth: Length | None = Field(
        None, gt=0, description="depth of the surface flaw a filament starts from, for the fracture_toughness "
        "criterion (K_I = 1.1215 p sqrt(pi a), edge crack) [m]")


class FlawGrowth(_Block):
    """Li filling of the meshed flaws and crack extension (solver.studies.cycle_flaws)."""

    crack_extension: bool = Field(True, description="extend a flaw's crack when K_I >= K_IC (else only rate it)")
    crack_increment: Length | None = Field(None, gt=0, description="crack length added per extension [m] "
                                           "(default: a tenth of the electrolyte thickness)")
    initial_fill: float = Field(1.0, ge=0, le=1, description="fraction of each flaw's volume filled with Li "
                                "at the start [-]")
    ratio_tolerance: float = Field(0.02, gt=0, lt=0.5, description="K_I/K_IC overshoot a step may make past "
                                   "1 before it is cut [-]")


class Cycling(_Block):
    """Galvanostatic cycling of the cell, run by ``dendrite cycle``."""

    protocol: list[Block] = Field(min_length=1, max_length=1000, description="blocks run in order")
    time_step: TimeStep = Field(default_factory=TimeStep)
    max_time_steps: int = Field(100_000, ge=1, le=10_000_000, description="refuse protocols that would need "
                                "more time steps (at the largest step) [-]")
    interface: InterfaceLaws
    flaws: FlawGrowth | None = Field(None, description="Li filling and cracking of the geometry's flaws "
                                     "(flaw_2d), instead of the filament flaw of interface.filament_flaw_depth")
    stop_at_short: bool = Field(True, description="end the run when the cell shorts")
    checkpoint_every: int = Field(20, ge=1, description="time steps between checkpoints [-]")
    fields_every: int = Field(20, ge=1, description="time steps between field snapshots in the XDMF series [-]")

    @model_validator(mode="after")
    def _budget(self):
        segments = compile_protocol(self.protocol)
        total = segments[-1].end
        needed = sum(max(1, math.ceil((s.end - s.start) / self.time_step.maximum)) for s in segments)
        if needed > self.max_time_steps:
            raise ValueError(f"the protocol lasts {total:.4g} s and needs at least {needed} time steps at "
                             f"time_step.maximum = {self.time_step.maximum:g} s, more than max_time_steps = "
                             f"{self.max_time_steps}")
        return self


@dataclasses.dataclass(frozen=True)
class Segment:
    """A constant-current interval: [start, end) [s] at signed current density [A/m^2]
    (> 0 plates the anode); ``label`` names the block and half cycle."""

    start: float
    end: float
    current_density: float
    label: str


def _half_cycles(block: _HalfCycle, current: float, n_cycles: int, t: float, label: str, out: list) -> float:
    sign = 1.0 if block.first == "plating" else -1.0
    for cycle in range(n_cycles):
        for half in range(2):
            if len(out) >= MAX_SEGMENTS:
                raise ValueError(f"the protocol expands to more than {MAX_SEGMENTS} half cycles")
            duration = block.duration(current)
            direction = sign if half == 0 else -sign
            out.append(Segment(t, t + duration, direction * current, f"{label} cycle {cycle + 1}"))
            t += duration
    return t


def compile_protocol(blocks: list) -> list[Segment]:
    """The blocks as consecutive constant-current segments (ValueError when too many)."""
    out: list[Segment] = []
    t = 0.0
    for b, block in enumerate(blocks):
        if isinstance(block, CCDSteps):
            for current in block.currents():
                t = _half_cycles(block, current, block.cycles_per_step, t, f"block {b} at {current:g} A/m^2", out)
        elif isinstance(block, ConstantCurrent):
            t = _half_cycles(block, block.current_density, block.cycles, t, f"block {b}", out)
        elif isinstance(block, Rest):
            out.append(Segment(t, t + block.duration, 0.0, f"block {b} rest"))
            t += block.duration
        else:
            t0 = t - block.time[0]
            for k, current in enumerate(block.current_density):
                out.append(Segment(t0 + block.time[k], t0 + block.time[k + 1], current, f"block {b} row {k}"))
            t = t0 + block.time[-1]
        if len(out) > MAX_SEGMENTS:
            raise ValueError(f"the protocol expands to more than {MAX_SEGMENTS} segments")
    return out
