"""Every case is validated before meshing; each problem is one CaseError line naming the key."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import yaml

import solver  # noqa: F401  (before dolfinx)
import meshes
from meshes import GeometryParameters
from solver.config.case import MAX_CASE_BYTES, load_case, parse_case
from solver.errors import CaseError, GeometryError
from tests.support import BASE


def with_change(path: str, value=None, delete: bool = False) -> dict:
    raw = copy.deepcopy(BASE)
    node = raw
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return raw


def expect_case_error(raw_or_path, key: str) -> CaseError:
    with pytest.raises(CaseError) as info:
        if isinstance(raw_or_path, Path):
            load_case(raw_or_path)
        else:
            parse_case(raw_or_path)
    exc = info.value
    assert exc.key == key, str(exc)
    assert "\n" not in str(exc)
    assert str(exc).startswith(f"{key}: ")
    return exc


def write(tmp_path: Path, text: str | bytes, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_base_case_is_valid():
    case = parse_case(copy.deepcopy(BASE))
    assert case.geometry.width == pytest.approx(10e-6)
    assert case.electrochemistry.applied_current_density == pytest.approx(10.0)


# --- the four named examples of issue 2 -------------------------------------------------

def test_misspelt_key(tmp_path):
    raw = copy.deepcopy(BASE)
    raw["electrochemistry"]["applied_curent_density"] = raw["electrochemistry"].pop("applied_current_density")
    exc = expect_case_error(write(tmp_path, yaml.safe_dump(raw)), "electrochemistry.applied_curent_density")
    assert "unknown key" in str(exc)


def test_missing_required_key(tmp_path):
    exc = expect_case_error(write(tmp_path, yaml.safe_dump(with_change("geometry", delete=True))), "geometry")
    assert "required" in str(exc)


def test_negative_length(tmp_path):
    exc = expect_case_error(write(tmp_path, yaml.safe_dump(with_change("geometry.thickness", "-10 um"))),
                            "geometry.thickness")
    assert "greater than 0" in str(exc)


def test_wrong_unit(tmp_path):
    exc = expect_case_error(write(tmp_path, yaml.safe_dump(with_change("geometry.width", "5 kg"))), "geometry.width")
    assert "kg" in str(exc) and "cannot be converted to m" in str(exc)


# --- hostile values ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "path, value, key, words",
    [
        ("geometry.width", float("nan"), "geometry.width", "finite"),
        ("geometry.width", float("inf"), "geometry.width", "finite"),
        ("geometry.width", "nan um", "geometry.width", "cannot read"),
        ("geometry.width", "1e300 m", "geometry.width", "plausible range"),
        ("geometry.width", 5, "geometry.width", "plausible range"),  # 5 m: a forgotten unit
        ("geometry.width", "10**10**10 m", "geometry.width", "unknown unit"),  # must not hang
        ("geometry.width", "__import__('os').system('true')", "geometry.width", "cannot read"),
        ("geometry.width", True, "geometry.width", "boolean"),
        ("geometry.width", [1, 2], "geometry.width", "got list"),
        ("geometry.width", 0, "geometry.width", "greater than 0"),
        ("electrochemistry.applied_current_density", "1e30 A/m^2", "electrochemistry.applied_current_density",
         "plausible range"),
        ("electrochemistry.applied_current_density", "1 mA", "electrochemistry.applied_current_density",
         "cannot be converted"),
        ("electrochemistry.temperature", "-300 degC", "electrochemistry.temperature", "greater than 0"),
        ("electrochemistry.kinetics", {"law": "magic"}, "electrochemistry.kinetics.law", "unknown law"),
        ("materials.electrolyte", "unobtainium", "materials.electrolyte", "unknown material"),
        ("materials.electrolyte", 5, "materials.electrolyte", "material name"),
        ("mesh.interface_size", "1e-11 m", "mesh.interface_size", "too small"),
        ("mesh.size_factor", 1e-9, "mesh.size_factor", "below"),
        ("geometry.type", "no_such_geometry", "geometry.type", "unknown geometry"),
        ("name", "../../etc/passwd", "name", "pattern"),
        ("name", 5, "name", "string"),
        ("geometry.profile.seed", -1, "geometry.profile.random.seed", "greater than or equal"),
        ("solver", [], "solver", "dictionary"),
        ("geometry.profile.kind", "x\r\n\x1b[31m", "geometry.profile", "'x\\r\\n\\x1b[31m'"),  # found by fuzzing
    ],
)
def test_hostile_value_names_the_key(path, value, key, words):
    t0 = time.perf_counter()
    exc = expect_case_error(with_change(path, value), key)
    assert words in str(exc)
    assert time.perf_counter() - t0 < 5


def test_missing_section_in_mode(tmp_path):
    raw = with_change("electrochemistry.applied_current_density", delete=True)
    exc = expect_case_error(raw, "electrochemistry")
    assert "applied_current_density is required" in str(exc)


# --- hostile files ----------------------------------------------------------------------

def file_key(path: Path) -> str:
    return str(path)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "must be a mapping"),
        ("just text", "must be a mapping"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("!!python/object/apply:os.system ['touch /tmp/dendrite_pwned']\n", "not valid YAML"),
        (b"\x00\x01\x02\xff\xfe", "not UTF-8"),
        ("\x00\x01binary", "not valid YAML"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", "nests too deeply"),
        ("a: [1, 2\n", "not valid YAML"),
        ("w: " + "9" * 5000 + "\n", "unreadable value"),
        ("? [a, b]\n: 1\n", "plain names"),
        ("a: &a [1, *a]\n", "refers to itself"),
    ],
)
def test_hostile_file(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.key  # always names a key, or the file for file-level errors
    assert not Path("/tmp/dendrite_pwned").exists()


def test_python_tag_inside_a_section_is_not_constructed(tmp_path):
    text = yaml.safe_dump(BASE) + "description: !!python/object/apply:os.system ['touch /tmp/dendrite_pwned']\n"
    with pytest.raises(CaseError, match="not valid YAML at line"):
        load_case(write(tmp_path, text))
    assert not Path("/tmp/dendrite_pwned").exists()


def test_duplicate_key(tmp_path):
    text = yaml.safe_dump(BASE) + "name: again\n"
    exc = expect_case_error(write(tmp_path, text), "name")
    assert "duplicate key" in str(exc)


def test_huge_file(tmp_path):
    text = yaml.safe_dump(BASE) + "description: '" + "x" * MAX_CASE_BYTES + "'\n"
    path = write(tmp_path, text)
    exc = expect_case_error(path, file_key(path))
    assert "limited to" in str(exc)


def test_alias_bomb(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    t0 = time.perf_counter()
    with pytest.raises(CaseError, match="expands to more than"):
        load_case(write(tmp_path, "\n".join(lines) + "\n"))
    assert time.perf_counter() - t0 < 10


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    exc = expect_case_error(path, file_key(path))
    assert "cannot read" in str(exc)


def test_default_name_from_an_odd_file_name_is_safe(tmp_path):
    raw = with_change("name", delete=True)
    case = load_case(write(tmp_path, yaml.safe_dump(raw), "../" + tmp_path.name + "/my case (1).yaml"))
    assert case.name == "my_case__1_"


# --- geometry pre-checks (no Gmsh) ------------------------------------------------------

def test_roughness_taller_than_electrolyte():
    raw = with_change("geometry.profile", {"kind": "sinusoids", "modes": [{"amplitude": "6 um", "wavelength": "10 um"}]})
    exc = expect_case_error(raw, "geometry")
    assert "half the electrolyte thickness" in str(exc)


@pytest.mark.parametrize("contact", [{"fraction": 0.0, "void_size": "1 um"}, {"fraction": 0.5, "void_size": "10 um"}])
def test_voids_covering_the_interface(contact):
    exc = expect_case_error(with_change("geometry.contact", contact), "geometry" if contact["fraction"] else
                            "geometry.contact.fraction")
    assert "void_size" in str(exc) or "greater than 0" in str(exc)


def needs(generator: str):
    return pytest.mark.skipif(generator not in meshes.registry, reason=f"{generator} is not registered yet")


@needs("polycrystal_2d")
def test_grain_boundary_thicker_than_grains():
    raw = copy.deepcopy(BASE)
    raw["geometry"] = {"type": "polycrystal_2d", "gb": "explicit", "gb_thickness": "3 um", "mean_grain_size": "2 um"}
    exc = expect_case_error(raw, "geometry")
    assert "grain" in str(exc)


@needs("stratified_anode_2d")
def test_layer_thicker_than_the_anode():
    raw = copy.deepcopy(BASE)
    raw["geometry"] = {"type": "stratified_anode_2d", "li_thickness": "4 um", "interphase_thickness": "5 um"}
    exc = expect_case_error(raw, "geometry")
    assert "thick" in str(exc)


def test_invalid_case_never_starts_gmsh(tmp_path, monkeypatch, capsys):
    import gmsh

    from solver.cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("Gmsh started before validation finished")

    monkeypatch.setattr(gmsh, "initialize", forbidden)
    path = write(tmp_path, yaml.safe_dump(with_change("electrochemistry.temperature", "hot")))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: electrochemistry.temperature: cannot read 'hot' as a number with a unit "
        "(example: '2 um', '0.69 mA/cm^2')"
    )
    assert not (tmp_path / "out").exists()


class _Broken(GeometryParameters):
    pass


@pytest.fixture
def broken_generator():
    """A generator, registered only for this test, whose drawing makes Gmsh fail."""

    def build(model, params, mesh):
        """Draws a loop of a curve that does not exist."""
        model.occ.addCurveLoop([12345])

    meshes.register("test_broken_gmsh", _Broken)(build)
    yield "test_broken_gmsh"
    del meshes.registry["test_broken_gmsh"]


def test_gmsh_failure_becomes_geometry_error(broken_generator, tmp_path):
    from meshes import MeshSettings
    from solver.geometry.driver import build_mesh

    with pytest.raises(GeometryError) as info:
        build_mesh(broken_generator, _Broken(), MeshSettings(), cache_dir=tmp_path / "cache")
    assert str(info.value).startswith("Gmsh could not build the geometry")
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2
    assert not any((tmp_path / "cache").glob("*"))  # no half-written cache entry


def test_gmsh_failure_through_cli(broken_generator, tmp_path, capsys):
    from solver.cli import main

    raw = copy.deepcopy(BASE)
    raw["geometry"] = {"type": broken_generator}
    raw["outputs"] = {"directory": str(tmp_path / "results"), "mesh_cache": None}
    assert main(["run", str(write(tmp_path, yaml.safe_dump(raw)))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Gmsh could not build the geometry") and err.count("\n") == 1
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())
