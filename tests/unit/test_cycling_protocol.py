"""The cycling section: protocols compile to the segments a researcher means; bad ones fail
with one line naming the key, before anything is meshed."""

from __future__ import annotations

import copy
import itertools

import pytest

from solver.config.case import parse_case
from solver.config.cycling import compile_protocol
from solver.errors import CaseError

BASE = {
    "geometry": {"type": "rough_interface_2d", "width": "10 um", "thickness": "20 um", "profile": {"kind": "flat"}},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "linear"}},
    "outputs": {"mesh_cache": None},
    "cycling": {
        "protocol": [{"type": "constant_current", "current_density": "0.5 mA/cm^2",
                      "half_cycle_capacity": "0.5 mAh/cm^2", "cycles": 2}],
        "interface": {"supply_length": "4 um", "void_depth": "1 um"},
    },
}


def case_with(protocol=None, **cycling):
    raw = copy.deepcopy(BASE)
    if protocol is not None:
        raw["cycling"]["protocol"] = protocol
    raw["cycling"].update(cycling)
    return parse_case(raw)


def test_constant_current_half_cycles_pass_the_capacity():
    segments = compile_protocol(case_with().model.cycling.protocol)
    # 0.5 mAh/cm^2 at 0.5 mA/cm^2 is exactly 1 h per half cycle; plating first by default
    assert [s.current_density for s in segments] == pytest.approx([5.0, -5.0, 5.0, -5.0], rel=1e-12)
    assert [s.end - s.start for s in segments] == pytest.approx([3600.0] * 4, rel=1e-12)
    assert segments[-1].end == pytest.approx(4 * 3600.0, rel=1e-12)


def test_ccd_steps_rest_and_table_in_order():
    protocol = [
        {"type": "ccd_steps", "start": "0.1 mA/cm^2", "step": "0.1 mA/cm^2", "maximum": "0.3 mA/cm^2",
         "half_cycle_time": "30 min", "first": "stripping"},
        {"type": "rest", "duration": "1 h"},
        {"type": "table", "time": ["0 s", "10 s", "30 s"], "current_density": ["1 mA/cm^2", "-2 mA/cm^2"]},
    ]
    segments = compile_protocol(case_with(protocol).model.cycling.protocol)
    currents = [s.current_density for s in segments]
    # three current steps (0.1, 0.2, 0.3 mA/cm^2 = 1, 2, 3 A/m^2), stripping first, then rest, then the table
    assert currents == pytest.approx([-1, 1, -2, 2, -3, 3, 0, 10, -20], rel=1e-12)
    ends = [s.end for s in segments]
    assert ends[5] == pytest.approx(6 * 1800.0) and ends[6] == pytest.approx(6 * 1800.0 + 3600.0)
    assert ends[-1] == pytest.approx(6 * 1800.0 + 3600.0 + 30.0)
    assert all(b.start == pytest.approx(a.end) for a, b in itertools.pairwise(segments))


@pytest.mark.parametrize(
    "protocol, extra, key, words",
    [
        ([{"type": "constant_current", "current_density": "0.5 mA/cm^2", "half_cycle_capacity": "-0.5 mAh/cm^2",
           "cycles": 1}], {}, "cycling.protocol.0.constant_current.half_cycle_capacity", "greater than 0"),
        ([{"type": "constant_current", "current_density": "0.5 mA/cm^2", "half_cycle_capacity": 0, "cycles": 1}],
         {}, "cycling.protocol.0.constant_current.half_cycle_capacity", "greater than 0"),
        ([{"type": "ccd_steps", "start": "3 mA/cm^2", "step": "0.1 mA/cm^2", "maximum": "2 mA/cm^2",
           "half_cycle_time": "1 h"}], {}, "cycling.protocol.0.ccd_steps", "past maximum"),
        ([{"type": "table", "time": [0, 20, 10], "current_density": [1, 2]}], {}, "cycling.protocol.0.table",
         "times must increase"),
        ([{"type": "table", "time": [0, 10], "current_density": [1, 2]}], {}, "cycling.protocol.0.table",
         "one per interval"),
        (None, {"max_time_steps": 10}, "cycling", "more than max_time_steps = 10"),
        ([{"type": "constant_current", "current_density": "0.5 mA/cm^2", "cycles": 1}], {},
         "cycling.protocol.0.constant_current", "exactly one of half_cycle_time or half_cycle_capacity"),
        ([{"type": "spin", "duration": 1}], {}, "cycling.protocol.0", "type"),
    ],
)
def test_bad_protocols_name_the_key(protocol, extra, key, words):
    with pytest.raises(CaseError) as info:
        case_with(protocol, **extra)
    message = str(info.value)
    assert info.value.key == key or message.startswith(key + ":"), message
    assert words in message and "\n" not in message


def test_cycling_case_errors_before_meshing():
    from solver.studies.cycle import check_case

    raw = copy.deepcopy(BASE)
    raw["electrochemistry"]["kinetics"]["law"] = "tafel"
    with pytest.raises(CaseError, match="electrochemistry.kinetics.law"):
        check_case(parse_case(raw))
    raw = copy.deepcopy(BASE)
    raw["risk"] = {"criterion": "fracture_toughness"}
    with pytest.raises(CaseError, match="cycling.interface.filament_flaw_depth"):
        check_case(parse_case(raw))
    raw = copy.deepcopy(BASE)
    del raw["cycling"]
    with pytest.raises(CaseError, match="^cycling: required"):
        check_case(parse_case(raw))


def test_cli_bad_protocol_exits_2_with_one_line(tmp_path, capsys):
    import yaml

    from solver.cli import main

    raw = copy.deepcopy(BASE)
    raw["cycling"]["protocol"][0]["half_cycle_capacity"] = "-1 mAh/cm^2"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["cycle", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cycling.protocol.0.constant_current.half_cycle_capacity") and "\n" not in err
    assert not (tmp_path / "out").exists()  # nothing ran
