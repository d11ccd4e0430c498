"""The cycling runner on small meshes: charge passed = Li moved in every step, V = i x ASR
on a uniform interface, the critical stripping current seen by the runner vs the law at two
stack pressures, time to short insensitive to the time step, resume after a kill, and the
same answers on one and two processes."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from mpi4py import MPI

from solver.config.case import parse_case
from solver.physics.kinetics import FARADAY, GAS_CONSTANT
from solver.studies.cycle import run_cycle
from tests.support import FLAT

LPSC_SIGMA = 0.79  # S/m, library value of Li5.5PS4.5Cl1.5 (seed 001)
LPSC_I0 = 6.9  # A/m^2, bare Li | LPSC (seed 001)

SHORT = {
    "geometry": {"type": "rough_interface_2d", "width": "10 um", "thickness": "5 um",
                 "profile": {"kind": "sinusoids", "modes": [{"amplitude": "0.5 um", "wavelength": "10 um"}]}},
    "mesh": {"interface_size": "0.5 um", "size": "1 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "butler_volmer"},
                         "counter_kinetics": "same_as_anode"},
    "mechanics": {"stack_pressure": "1 MPa"},
    "outputs": {"mesh_cache": None, "fields": False, "png": False},
    "risk": {"criterion": "critical_local_current_density", "critical_local_current_density": "2.4 mA/cm^2"},
    "cycling": {
        "protocol": [{"type": "constant_current", "current_density": "2 mA/cm^2",
                      "half_cycle_capacity": "0.05 mAh/cm^2", "cycles": 40, "first": "stripping"}],
        "time_step": {"initial": "1 s", "maximum": "30 s", "thickness_tolerance": "100 nm"},
        "interface": {"supply": ["vacancy_diffusion"], "supply_length": "4 um", "void_depth": "1 um"},
    },
}


def case(raw, **cycling):
    raw = copy.deepcopy(raw)
    for key, value in cycling.items():
        raw["cycling"][key] = value
    return parse_case(raw)


@pytest.mark.mpi
def test_uniform_interface_voltage_is_i_times_asr_and_charge_is_li_moved():
    result = run_cycle(case(FLAT), write=False)
    rct = GAS_CONSTANT * 298.15 / (FARADAY * LPSC_I0)  # linear kinetics, alpha_a + alpha_c = 1
    asr = 20e-6 / LPSC_SIGMA + 2 * rct  # electrolyte + anode + counter (symmetric cell) [ohm m^2]
    rows = result.rows
    assert len(rows) > 10 and {r["applied_current_density_A_m2"] for r in rows} >= {5.0, -5.0, 0.0, -10.0, 20.0}
    for r in rows:
        # a direct solve of a linear problem: round-off only (1e-9 leaves room for the LU)
        assert r["cell_voltage_V"] == pytest.approx(r["applied_current_density_A_m2"] * asr, rel=1e-9, abs=1e-15)
        assert r["li_moved_C"] == pytest.approx(r["charge_passed_C"], rel=1e-9, abs=1e-18)
        assert r["contact_fraction"] == 1.0  # 3 MPa of creep supplies far more than 2 mA/cm^2
    # the table ends exactly at its last time
    assert result.summary["simulated_time_s"] == pytest.approx(2 * 144 + 300 + 90, rel=1e-12)  # 0.02 mAh/cm^2 at 0.5 mA/cm^2: 144 s


def onset_current(pressure: str) -> tuple[float, float]:
    """First stripping current of a CCD step protocol at which voids form, and the law's value."""
    raw = copy.deepcopy(FLAT)
    raw["mechanics"]["stack_pressure"] = pressure
    raw["electrochemistry"]["kinetics"]["law"] = "butler_volmer"
    raw["cycling"]["protocol"] = [{"type": "ccd_steps", "start": 0.01, "step": 0.01, "maximum": 0.6,
                                   "half_cycle_time": "60 s", "first": "stripping"}]
    # creep made slow enough to compete with diffusion at 1-3 MPa (the law, not the constants, is tested)
    raw["cycling"]["interface"].update(creep_prefactor=1e-2, supply=["vacancy_diffusion", "power_law_creep"])
    result = run_cycle(parse_case(raw), write=False)
    onset = next(abs(r["applied_current_density_A_m2"]) for r in result.rows if r["min_contact_fraction"] < 1)
    return onset, result.summary["critical_stripping_current_density_A_m2"]


@pytest.mark.mpi
def test_critical_stripping_current_follows_the_law_with_pressure():
    low, law_low = onset_current("1 MPa")
    high, law_high = onset_current("3 MPa")
    # the runner sees voids at the first step above the law's value (steps of 0.01 A/m^2)
    assert law_low < low <= law_low + 0.01 + 1e-12
    assert law_high < high <= law_high + 0.01 + 1e-12
    # diffusion alone would give 3x; with creep (n = 6.56) the law predicts more
    assert law_high / law_low > 4.5


@pytest.fixture(scope="module")
def short_run():
    return run_cycle(case(SHORT), write=False)


@pytest.mark.parametrize("contact_tolerance", [
    # the maximum step and the filament limit halve; the contact error is a local O(dt^2)
    # estimate, so tolerance / 4 halves the steps it controls and tolerance / 2 shrinks them by 0.71
    1e-3,
    pytest.param(5e-4, marks=pytest.mark.slow),
])
def test_halving_the_time_step_changes_time_to_short_by_under_2_percent(short_run, contact_tolerance):
    coarse = short_run.summary["time_to_short_s"]
    fine_steps = {"initial": "0.5 s", "maximum": "15 s", "contact_tolerance": contact_tolerance,
                  "thickness_tolerance": "50 nm"}
    fine = run_cycle(case(SHORT, time_step=fine_steps), write=False).summary["time_to_short_s"]
    assert coarse is not None and fine is not None
    assert abs(coarse - fine) / fine < 0.02, (coarse, fine)


def test_killed_run_resumes_from_its_checkpoint(tmp_path, monkeypatch, short_run):
    from solver.studies import cycle_outputs

    reference = short_run
    original = cycle_outputs.CycleWriter.step

    def killed(self, runner, row, solved):
        original(self, runner, row, solved)
        if runner.state.step == 27:
            raise KeyboardInterrupt

    monkeypatch.setattr(cycle_outputs.CycleWriter, "step", killed)
    with pytest.raises(KeyboardInterrupt):
        run_cycle(case(SHORT, checkpoint_every=10), out=tmp_path / "run")
    monkeypatch.setattr(cycle_outputs.CycleWriter, "step", original)
    resumed = run_cycle(case(SHORT, checkpoint_every=10), out=tmp_path / "run")
    assert len(resumed.rows) == len(reference.rows)
    # the same steps from the checkpoint on: identical up to round-off of the restart
    assert resumed.summary["time_to_short_s"] == pytest.approx(reference.summary["time_to_short_s"], rel=1e-9)
    assert (tmp_path / "run" / "cycle.csv").read_text().count("\n") == len(reference.rows) + 1


@pytest.mark.mpi
def test_serial_and_two_processes_agree(short_run):
    world = short_run
    alone = run_cycle(case(SHORT), write=False, comm=MPI.COMM_SELF)
    assert len(world.rows) == len(alone.rows)
    assert world.summary["time_to_short_s"] == pytest.approx(alone.summary["time_to_short_s"], rel=1e-8)
    v_world = np.array([r["cell_voltage_V"] for r in world.rows])
    v_alone = np.array([r["cell_voltage_V"] for r in alone.rows])
    # the same equations on a differently partitioned mesh: Newton tolerance 1e-10 relative
    assert np.allclose(v_world, v_alone, rtol=1e-8, atol=1e-12)
