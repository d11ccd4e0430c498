"""What `dendrite cycle` writes: CSV with units in the headers, summary, PNG, an XDMF time
series ParaView opens (one time per snapshot), a checkpoint; all from the command line."""

from __future__ import annotations

import copy
import csv
import json
import re

import yaml

from solver.cli import main
from tests.support import FLAT


def test_cycle_command_writes_the_result_folder(tmp_path):
    raw = copy.deepcopy(FLAT)
    raw["outputs"].update(fields=True, png=True)
    raw["cycling"]["fields_every"] = 5
    path = tmp_path / "flat.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = tmp_path / "run"
    assert main(["cycle", str(path), "--out", str(out), "--quiet"]) == 0
    rows = list(csv.DictReader((out / "cycle.csv").open()))
    assert rows and {"time_s", "cell_voltage_V", "contact_fraction", "peak_local_current_density_A_m2",
                      "max_filament_length_m", "charge_passed_C", "li_moved_C"} <= set(rows[0])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["time_steps"] == len(rows) and summary["time_to_short_s"] is None
    xdmf = (out / "fields.xdmf").read_text()
    times = [float(t) for t in re.findall(r'<Time Value="([^"]+)"', xdmf)]
    # snapshots at steps 1, 6, 11, 16: one time series, each step with both functions
    assert times == [float(rows[k - 1]["time_s"]) for k in range(1, len(rows) + 1, 5)]
    assert re.findall(r'Attribute Name="(\w+)"', xdmf) == ["potential_V", "contact_fraction"] * len(times)
    assert "xpointer" not in xdmf
    assert (out / "voltage.png").stat().st_size > 10_000 and (out / "checkpoint.npz").exists()


def test_a_run_that_hits_the_step_limit_says_so():
    from solver.config.case import parse_case
    from solver.studies.cycle import run_cycle

    raw = copy.deepcopy(FLAT)
    raw["cycling"]["max_time_steps"] = 14  # 13 steps at the largest step suffice; the adaptive run needs 16
    result = run_cycle(parse_case(raw), write=False)
    assert result.summary["time_steps"] == 14
    assert result.summary["stop_reason"] == "cycling.max_time_steps = 14 reached"
