"""The XDMF and VTU outputs (fields and interface) open in real ParaView (Debian's pvbatch) with named fields."""

import shutil
import subprocess
import textwrap

import pytest

from solver.config.case import parse_case
from solver.studies.run import run_case
from tests.support import SMALL_CASE

PVBATCH = shutil.which("pvbatch") or shutil.which("pvpython")

pytestmark = [
    pytest.mark.paraview,
    pytest.mark.skipif(PVBATCH is None, reason="ParaView (pvbatch) is not installed: apt-get install paraview"),
]

SCRIPT = textwrap.dedent(
    """
    import sys
    from paraview.simple import OpenDataFile
    reader = OpenDataFile(sys.argv[1])
    reader.UpdatePipeline()
    print("POINT=" + ",".join(reader.PointData.keys()))
    print("CELL=" + ",".join(reader.CellData.keys()))
    print("CELLS=%d" % reader.GetDataInformation().GetNumberOfCells())
    """
)


def _open(path, tmp_path) -> dict:
    script = tmp_path / "open.py"
    script.write_text(SCRIPT)
    r = subprocess.run([PVBATCH, str(script), str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    out = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    return {k: (v.split(",") if k != "CELLS" else int(v)) for k, v in out.items()}


def test_fields_open_in_paraview(tmp_path):
    result = run_case(parse_case(SMALL_CASE), out=tmp_path / "run", quiet=True)
    for name in ("fields.xdmf", "fields.vtu"):
        fields = _open(result.folder / name, tmp_path)
        assert "potential_V" in fields["POINT"], name
        assert {"current_density_A_m2", "current_density_magnitude_A_m2", "ionic_conductivity_S_m", "region"} <= set(
            fields["CELL"]
        ), name
        assert fields["CELLS"] == result.summary["mesh"]["cells"], name
    interface = _open(result.folder / "interface.vtu", tmp_path)
    assert {"interface_current_density_A_m2", "overpotential_V"} <= set(interface["POINT"])


SERIES = textwrap.dedent(
    """
    import sys
    from paraview.simple import OpenDataFile
    reader = OpenDataFile(sys.argv[1])
    for t in reader.TimestepValues:
        reader.UpdatePipeline(t)
        print("STEP=%r;%s;%s" % (t, ",".join(reader.PointData.keys()), ",".join(reader.CellData.keys())))
    """
)


def test_cycling_series_opens_in_paraview(tmp_path):
    import copy

    from solver.studies.cycle import run_cycle
    from tests.support import FLAT

    raw = copy.deepcopy(FLAT)
    raw["outputs"].update(fields=True)
    raw["cycling"]["fields_every"] = 5
    result = run_cycle(parse_case(raw), out=tmp_path / "cycle")
    script = tmp_path / "series.py"
    script.write_text(SERIES)
    r = subprocess.run([PVBATCH, str(script), str(result.folder / "fields.xdmf")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    steps = [line.split("=", 1)[1].split(";") for line in r.stdout.splitlines() if line.startswith("STEP=")]
    assert [float(t) for t, _, _ in steps] == [row["time_s"] for row in result.rows[::5]]
    assert all(points == "potential_V" and cells == "contact_fraction" for _, points, cells in steps)
