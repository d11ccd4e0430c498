"""`dendrite cycle` on 3D geometries: the runner's element arrays, per-element forms, mean
thickness, checkpoint matching and XDMF time series are dimension-independent; these tests
run them on tetrahedral meshes.

- A uniform 3D slab (polycrystal_3d with one material and no GB model: a box) with linear
  kinetics: cell voltage = i x ASR at every step, ASR = L/sigma + 2 R_ct, and charge passed
  = Li moved. The 3D default solver is CG + GAMG at ksp_rtol 1e-10 (one linear solve per
  step), so 1e-8 relative leaves a factor 100 for the conditioning.
- A rough 3D interface (one cosine mode in x and y) stripping at 2 mA/cm^2 under 1 MPa with
  diffusion-limited Li supply: voids grow, the local current on the contacts reaches the
  criterion on plating, a filament grows across the 5 um electrolyte; the run shorts, a
  killed run resumes from its checkpoint to the same time to short, and one and two
  processes agree over the first two cycles.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from mpi4py import MPI

from solver.config.case import parse_case
from solver.physics.kinetics import FARADAY, GAS_CONSTANT
from solver.studies.cycle import run_cycle
from tests.support import FLAT

LPSC_SIGMA = 0.79  # S/m, library value of Li5.5PS4.5Cl1.5 (seed 001)
LPSC_I0 = 6.9  # A/m^2, bare Li | LPSC (seed 001)
L = 8e-6

ROUGH_3D = {
    "geometry": {"type": "rough_interface_3d", "width": "6 um", "depth": "6 um", "thickness": "5 um",
                 "height_map": {"kind": "sinusoids", "modes": [{"amplitude": "0.5 um", "wavelength_x": "6 um",
                                                                "wavelength_y": "6 um"}]}},
    "mesh": {"interface_size": "1 um", "size": "2 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "butler_volmer"},
                         "counter_kinetics": "same_as_anode"},
    "mechanics": {"stack_pressure": "1 MPa"},
    "solver": {"linear_solver": "direct"},
    "outputs": {"mesh_cache": None, "fields": False, "png": False},
    "risk": {"criterion": "critical_local_current_density", "critical_local_current_density": "2.1 mA/cm^2"},
    "cycling": {
        "protocol": [{"type": "constant_current", "current_density": "2 mA/cm^2",
                      "half_cycle_capacity": "0.05 mAh/cm^2", "cycles": 20, "first": "stripping"}],
        "time_step": {"initial": "1 s", "maximum": "30 s", "thickness_tolerance": "100 nm"},
        "interface": {"supply": ["vacancy_diffusion"], "supply_length": "4 um", "void_depth": "1 um"},
    },
}


def rough(cycles: int = 20):
    raw = copy.deepcopy(ROUGH_3D)
    raw["cycling"]["protocol"][0]["cycles"] = cycles
    return parse_case(raw, "rough_3d")


@pytest.mark.mpi
def test_uniform_3d_slab_voltage_is_i_times_asr_and_charge_is_li_moved():
    raw = copy.deepcopy(FLAT)
    raw["geometry"] = {"type": "polycrystal_3d", "width": "4 um", "depth": "4 um", "thickness": "8 um",
                       "mean_grain_size": "4 um", "seed": 1}
    raw["materials"] = {"grains": "Li5.5PS4.5Cl1.5"}
    raw["mesh"] = {"interface_size": "2 um", "size": "2 um"}
    result = run_cycle(parse_case(raw, "slab_3d"), write=False)
    asr = L / LPSC_SIGMA + 2 * GAS_CONSTANT * 298.15 / (FARADAY * LPSC_I0)  # ohm m^2
    assert len(result.rows) > 10 and {r["applied_current_density_A_m2"] for r in result.rows} >= {5.0, -5.0, 20.0}
    for r in result.rows:
        assert r["cell_voltage_V"] == pytest.approx(r["applied_current_density_A_m2"] * asr, rel=1e-8, abs=1e-15)
        assert r["li_moved_C"] == pytest.approx(r["charge_passed_C"], rel=1e-8, abs=1e-24)
        assert r["contact_fraction"] == pytest.approx(1.0, abs=1e-12)
    assert result.summary["electrolyte_thickness_m"] == pytest.approx(L, rel=1e-12)


@pytest.fixture(scope="module")
def rough_run():
    return run_cycle(rough(), write=False, comm=MPI.COMM_SELF)


def test_rough_3d_interface_loses_contact_and_shorts(rough_run):
    s, rows = rough_run.summary, rough_run.rows
    assert s["stop_reason"] == "short" and s["time_to_short_s"] is not None
    # voids from diffusion-limited stripping (the law's CCS is 0.054 A/m^2, far below 20 A/m^2)
    assert s["critical_stripping_current_density_A_m2"] < 1.0
    assert min(r["min_contact_fraction"] for r in rows) < 0.9
    # the filament spans the mean thickness when it shorts; it grows only after initiation
    assert rows[-1]["max_filament_length_m"] == pytest.approx(s["electrolyte_thickness_m"], rel=0.05)
    assert max(r["worst_risk_ratio"] for r in rows) >= 1.0
    for r in rows:
        assert r["li_moved_C"] == pytest.approx(r["charge_passed_C"], rel=1e-9, abs=1e-24)


def test_killed_3d_run_resumes_with_fields_as_a_time_series(tmp_path, monkeypatch, rough_run):
    from solver.studies import cycle_outputs

    original = cycle_outputs.CycleWriter.step

    def killed(self, runner, row, solved):
        original(self, runner, row, solved)
        if runner.state.step == 45:
            raise KeyboardInterrupt

    raw = copy.deepcopy(ROUGH_3D)
    raw["outputs"]["fields"] = True
    raw["cycling"].update(checkpoint_every=20, fields_every=50)
    monkeypatch.setattr(cycle_outputs.CycleWriter, "step", killed)
    with pytest.raises(KeyboardInterrupt):
        run_cycle(parse_case(raw, "rough_3d"), out=tmp_path / "run", comm=MPI.COMM_SELF)
    monkeypatch.setattr(cycle_outputs.CycleWriter, "step", original)
    resumed = run_cycle(parse_case(raw, "rough_3d"), out=tmp_path / "run", comm=MPI.COMM_SELF)
    assert len(resumed.rows) == len(rough_run.rows)
    assert resumed.summary["time_to_short_s"] == pytest.approx(rough_run.summary["time_to_short_s"], rel=1e-9)
    # the first part (steps 1..45) and the resumed part (from the checkpoint at step 40) as time series
    for name in ("fields.xdmf", "fields_part1.xdmf"):
        xdmf = (tmp_path / "run" / name).read_text()
        assert 'TopologyType="Tetrahedron"' in xdmf
        assert {"potential_V", "contact_fraction"} <= set(re.findall(r'Attribute Name="(\w+)"', xdmf))


@pytest.mark.mpi
def test_one_and_two_processes_agree_in_3d(rough_run):
    world = run_cycle(rough(cycles=2), write=False)  # the first two cycles: the same steps as the long run
    steps = len(world.rows)
    v_world = np.array([r["cell_voltage_V"] for r in world.rows])
    v_alone = np.array([r["cell_voltage_V"] for r in rough_run.rows[:steps]])
    assert steps > 20 and world.summary["stop_reason"] == "protocol finished"
    # the same equations on a differently partitioned mesh: Newton tolerance 1e-10 relative
    assert np.allclose(v_world, v_alone, rtol=1e-8, atol=1e-12)
    c_world = np.array([r["min_contact_fraction"] for r in world.rows])
    c_alone = np.array([r["min_contact_fraction"] for r in rough_run.rows[:steps]])
    assert np.allclose(c_world, c_alone, rtol=1e-8) and c_world.min() < 1.0  # voids within the compared steps
