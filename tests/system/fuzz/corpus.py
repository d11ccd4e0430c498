"""A corpus of hostile case files derived from the shipped cases.

Every entry is an input the tool must refuse with exit code 2 and one line on stderr,
``error: KEY: message``, naming a key (or the file), with no traceback and without
hanging. Kinds:

* ``value/*``: every leaf of every shipped case set to values no key accepts (NaN, inf,
  a list, a mapping), and every quantity leaf to hostile quantity text (wrong dimension,
  pint expressions, non-ASCII digits, overflow);
* ``string/*``: names, enumerations and paths set to control characters, NUL, terminal
  escapes, path tricks;
* ``yaml/*``: the YAML text of every shipped case made hostile (tags, alias bombs,
  recursion, duplicate keys, broken syntax, binary junk, over-size, deep nesting);
* ``section/*``: unknown, missing and wrongly typed sections;
* ``file/*``: special files given as the case (FIFO, directory, devices, symlinks);
* ``input/*``: hostile files named by a case (profile CSV and height-map image: FIFO,
  devices, non-PNG, decompression-bomb PNG, pint expressions as units);
* ``geometry/*``: infeasible geometry and resource limits (flaw rows, implied sizes).

New YAML sections of the shipped cases are fuzzed automatically (leaves are found by
walking the mapping): the cases in ``cases/`` and, from its subfolders (cycling, fracture),
every case with a key path not seen before; a ``study:`` section is fuzzed with the study
kept (elsewhere it is left out, since a swept key's value is replaced by the study's).
``EXTRA_SECTIONS`` gives a valid example of each case section that no shipped case has
(``solver``), fuzzed in the default case; :func:`sections_covered` lists the sections the
corpus covers, and a test holds it equal to the case schema's sections. ``extra_cases``
are shipped cases with the keys no shipped case writes (``risk.also``, every
``electronic`` key, voxel ``regions``, the ``cell_3d`` pit, cycling output keys, ...),
fuzzed at those keys; :func:`keys_covered` lists the key paths fuzzed, geometry keys per
geometry type (a key path is new for another geometry type).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import struct
import zlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted((ROOT / "cases").glob("*.yaml"))
#: case files in subfolders of cases/ (comparison files are another format)
SHIPPED_NESTED = sorted(p for p in (ROOT / "cases").glob("*/*.yaml") if p.parent.name != "comparisons")
#: a valid example of every case section that no shipped case has
EXTRA_SECTIONS = {
    "solver": {"element_degree": 1, "linear_solver": "direct", "newton_rtol": 1e-10, "newton_max_iterations": 50,
               "petsc_options": {"ksp_rtol": 1e-9}, "charge_balance_tolerance": 1e-6, "on_check_failure": "error"},
}

ANY_INVALID = {"nan": math.nan, "inf": -math.inf, "list": [1, 2], "mapping": {"bogus_key": 1}}
QUANTITY_INVALID = {
    "wrong_dimension": "5 kg",
    "pint_power_tower": "10**10**10 m",
    "unit_power_tower": "1 m**99**99",
    "arabic_indic_digits": "١٠ um",
    "fullwidth_digits": "１０ um",
    "overflow": "1e400 m",
    "negative_inf_text": "-inf um",
    "unit_only": "um",
    "two_numbers": "1 2 um",
    "unclosed_paren": "1 (m",
    "huge_exponent_unit": "1 m^99",
}
STRING_INVALID = {"nul": "a\x00b", "escape": "\x1b[31mred\x1b[0m", "newline": "a\nb", "long": "x" * 5000}
PATH_KEYS = {"outputs.directory": ["/dev/null", "a\x00b", "dir\x1b[2J", "\r\n"],
             "outputs.mesh_cache": ["/dev/null", "/dev/zero", "a\x00b", "\x07bell"]}
#: keys whose strings are free text or accept any name; not fuzzed with STRING_INVALID
FREE_TEXT = {"description"}


@dataclasses.dataclass
class Hostile:
    kind: str  # e.g. "value/nan/default/geometry.width"
    path: Path  # the case file (or special file) to validate
    command: str = "validate"  # or "compare" for comparison files


def _leaves(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*prefix, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*prefix, i))
    else:
        yield prefix, node


def _set(raw, path, value):
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return raw


def _is_quantity(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and value[:1].isdigit()


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: 20x faster for ~3000 files


def _dump(raw) -> str:
    return yaml.dump(raw, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)


class _Writer:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.items: list[Hostile] = []

    def text(self, kind: str, text: str | bytes, command: str = "validate") -> Path:
        path = self.folder / f"{len(self.items):04d}.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        self.items.append(Hostile(kind, path, command))
        return path

    def case(self, kind: str, raw) -> Path:
        return self.text(kind, _dump(raw))


def _outputs_sandbox(raw: dict, folder: Path) -> dict:
    """The case writing nowhere outside ``folder`` (validate writes nothing, but be safe)."""
    raw = copy.deepcopy(raw)
    raw.pop("study", None)
    out = dict(raw.get("outputs") or {})
    out.update(directory=str(folder / "results"), mesh_cache=None)
    raw["outputs"] = out
    return raw


def _value_kinds(w: _Writer, name: str, base: dict, only: str | None = None, paths: set | None = None) -> None:
    """Every leaf (of section ``only``; at the key ``paths``) set to hostile values."""
    for path, value in _leaves(base):
        dotted = ".".join(map(str, path))
        if path[0] in ("outputs",) or (only and path[0] != only):
            continue
        if paths is not None and tuple("*" if isinstance(k, int) else k for k in path) not in paths:
            continue
        for label, bad in ANY_INVALID.items():
            if label == "mapping" and path[-1] == "type":
                continue  # geometry.type: {...}: still refused, covered by section kinds
            w.case(f"value/{label}/{name}/{dotted}", _set(copy.deepcopy(base), path, bad))
        _text_kinds(w, name, base, path, value)


def _text_kinds(w: _Writer, name: str, base: dict, path: tuple, value) -> None:
    """A quantity leaf set to hostile quantity text, a string leaf to hostile strings."""
    dotted = ".".join(map(str, path))
    if path[-1] in FREE_TEXT:  # any text is valid there ("3D cell ..." reads like a quantity)
        return
    if _is_quantity(value) and path[-1] not in ("seed",):
        for label, bad in QUANTITY_INVALID.items():
            w.case(f"quantity/{label}/{name}/{dotted}", _set(copy.deepcopy(base), path, bad))
    elif isinstance(value, str):
        for label, bad in STRING_INVALID.items():
            w.case(f"string/{label}/{name}/{dotted}", _set(copy.deepcopy(base), path, bad))


def _yaml_kinds(w: _Writer, name: str, base: dict) -> None:
    text = _dump(base)
    w.text(f"yaml/python_tag/{name}", text + "evil: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    w.text(f"yaml/python_name/{name}", text + "evil: !!python/name:os.system\n")
    w.text(f"yaml/custom_tag/{name}", text.replace("geometry:", "geometry: !custom", 1))
    w.text(f"yaml/duplicate_section/{name}", text + "geometry: {type: rough_interface_2d}\n")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh"))
    w.text(f"yaml/alias_bomb/{name}", text + bomb)
    w.text(f"yaml/recursive_alias/{name}", text.replace("materials:", "materials: &m\n  self: *m\nunused:", 1))
    w.text(f"yaml/unclosed_quote/{name}", text + "name: 'unclosed\n")
    w.text(f"yaml/tab_indent/{name}", text.replace("\n  ", "\n\t", 1))
    w.text(f"yaml/binary_prefix/{name}", b"\x00\x01\xff" + text.encode())
    w.text(f"yaml/latin1/{name}", (text + "description: caf\xe9\n").encode("latin-1", "replace"))
    w.text(f"yaml/oversize/{name}", text + "description: '" + "x" * 1_100_000 + "'\n")
    w.text(f"yaml/deep_nesting/{name}", text + "deep: " + "[" * 5000 + "]" * 5000 + "\n")
    w.text(f"yaml/huge_integer/{name}", text.replace("geometry:", "seedless: " + "9" * 5000 + "\ngeometry:", 1))
    w.text(f"yaml/complex_key/{name}", text + "? [a, b]\n: 1\n")


def _section_kinds(w: _Writer, name: str, base: dict, only: str | None = None) -> None:
    for section in [only] if only else base:
        if section in ("geometry", "materials", "electrochemistry"):
            raw = copy.deepcopy(base)
            del raw[section]
            w.case(f"section/missing/{name}/{section}", raw)
        for label, bad in (("scalar", 5), ("list", [1]), ("string", "x")):
            if section in ("name", "description"):
                continue
            raw = copy.deepcopy(base)
            raw[section] = bad
            w.case(f"section/{label}/{name}/{section}", raw)
        if isinstance(base[section], dict):
            raw = copy.deepcopy(base)
            raw[section] = dict(raw[section], misspelt_key_x=1)
            w.case(f"section/unknown_key/{name}/{section}", raw)
    if only:
        return
    w.case(f"section/unknown_top/{name}", dict(copy.deepcopy(base), geometri={"type": "x"}))
    w.text(f"section/top_list/{name}", "- 1\n- 2\n")
    w.text(f"section/empty/{name}", "")
    w.case(f"section/unknown_geometry/{name}", _set(copy.deepcopy(base), ("geometry", "type"), "tesseract"))


def _path_kinds(w: _Writer, base: dict, folder: Path) -> None:
    for dotted, values in PATH_KEYS.items():
        for i, value in enumerate(values):
            raw = copy.deepcopy(base)
            raw.setdefault("outputs", {})[dotted.split(".")[1]] = value
            w.case(f"path/{dotted}/{i}", raw)
    a_file = folder / "plain_file"
    a_file.write_text("x")
    raw = copy.deepcopy(base)
    raw["outputs"]["directory"] = str(a_file)
    w.case("path/outputs.directory/is_a_file", raw)
    for label, bad in (("dotdot", "../../etc"), ("slash", "a/b"), ("nul", "a\x00"), ("escape", "\x1b]0;x\x07")):
        w.case(f"path/name/{label}", dict(copy.deepcopy(base), name=bad))


def _special_files(w: _Writer, folder: Path) -> None:
    fifo = folder / "fifo.yaml"
    with_fifo = hasattr(os, "mkfifo")
    if with_fifo:
        os.mkfifo(fifo)
        w.items.append(Hostile("file/fifo_case", fifo))
    directory = folder / "a_directory.yaml"
    directory.mkdir()
    w.items.append(Hostile("file/directory_case", directory))
    for dev in ("/dev/zero", "/dev/urandom", "/dev/null"):
        if os.path.exists(dev):
            link = folder / f"link_{Path(dev).name}.yaml"
            link.symlink_to(dev)
            w.items.append(Hostile(f"file/symlink_to_{Path(dev).name}", link))
            w.items.append(Hostile(f"file/device_{Path(dev).name}", Path(dev)))
    dangling = folder / "dangling.yaml"
    dangling.symlink_to(folder / "nowhere")
    w.items.append(Hostile("file/dangling_symlink", dangling))
    w.items.append(Hostile("file/missing", folder / "missing.yaml"))
    loop = folder / "loop.yaml"
    loop.symlink_to(loop)
    w.items.append(Hostile("file/symlink_loop", loop))


def png(width: int, height: int, rows: bytes | None = None) -> bytes:
    """A gray 8-bit PNG; ``rows`` (filter byte + pixels per row) default to black."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = rows if rows is not None else b"".join(b"\x00" + bytes(width) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


def _input_kinds(w: _Writer, folder: Path, base: dict) -> None:
    """Hostile files named by a case: profile_2d's CSV and rough_interface_3d's image."""
    profile = {"type": "profile_2d", "file": str(ROOT / "cases/data/fib_sem_profile.csv"), "x_unit": "um",
               "y_unit": "nm", "thickness": "10 um"}
    specials = {}
    if hasattr(os, "mkfifo"):
        specials["fifo"] = folder / "profile.fifo"
        os.mkfifo(specials["fifo"])
    for dev in ("/dev/zero", "/dev/urandom"):
        if os.path.exists(dev):
            link = folder / f"profile_{Path(dev).name}.csv"
            link.symlink_to(dev)
            specials[f"symlink_{Path(dev).name}"] = link
    specials["directory"] = folder
    specials["missing"] = folder / "missing.csv"
    junk = folder / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00junk")
    specials["binary"] = junk
    text = folder / "words.csv"
    text.write_text("a,b\nc,d\n")
    specials["no_numbers"] = text
    for label, path in specials.items():
        raw = copy.deepcopy(base)
        raw["geometry"] = dict(profile, file=str(path))
        w.case(f"input/profile/{label}", raw)
    for unit_key in ("x_unit", "y_unit"):
        for label, unit in (("pint_expression", "m**99**99"), ("power_tower", "10**10**10*m"), ("mass", "kg"),
                            ("eval_attempt", "__import__('os')"), ("nul", "m\x00")):
            raw = copy.deepcopy(base)
            raw["geometry"] = dict(profile, **{unit_key: unit})
            w.case(f"input/profile/{unit_key}/{label}", raw)
    raw = copy.deepcopy(base)
    raw["geometry"] = dict(profile, file="a\x00b.csv")
    w.case("input/profile/nul_in_name", raw)

    images = {"not_png.png": b"GIF89a not a png at all", "truncated.png": png(16, 16)[:40],
              "bomb.png": png(8000, 8000, rows=bytes(8001) * 64), "empty.png": b""}  # declares 64 M pixels
    for name, data in images.items():
        (folder / name).write_bytes(data)
    image_specials = {k: folder / k for k in images}
    image_specials.update({k: v for k, v in specials.items() if k.startswith(("fifo", "symlink"))})
    for label, path in image_specials.items():
        raw = copy.deepcopy(base)
        raw["geometry"] = {"type": "rough_interface_3d", "width": "10 um", "depth": "10 um", "thickness": "10 um",
                           "height_map": {"kind": "image", "file": str(path), "max_height": "0.5 um"}}
        w.case(f"input/image/{label}", raw)


def _geometry_kinds(w: _Writer, base: dict) -> None:
    def geo(kind, geometry, mesh=None):
        raw = copy.deepcopy(base)
        raw["geometry"] = geometry
        raw.pop("mesh", None)
        if mesh:
            raw["mesh"] = mesh
        w.case(f"geometry/{kind}", raw)

    row = [{"position": f"{0.5 + 0.9 * i:.2f} um"} for i in range(40)]
    geo("flaw_row_40", {"type": "flaw_2d", "width": "40 um", "thickness": "10 um", "flaws": row})
    geo("flaws_touching", {"type": "flaw_2d", "flaws": [{"position": "5 um"}, {"position": "5.45 um"}]})
    geo("flaws_close", {"type": "flaw_2d", "flaws": [{"position": "5 um"}, {"position": "5.5 um"}]})
    geo("flaw_outside", {"type": "flaw_2d", "width": "20 um", "flaws": [{"position": "25 um"}]})
    geo("flaw_too_deep", {"type": "flaw_2d", "thickness": "2 um", "flaws": [{"position": "10 um", "depth": "1.9 um"}]})
    geo("flaw_tip_wider", {"type": "flaw_2d", "flaws": [{"position": "10 um", "tip_radius": "1 um"}]})
    geo("pit_outside", {"type": "flaw_3d", "pit_radius": "5 um"})
    rough3d = {"type": "rough_interface_3d", "height_map": {"kind": "random", "rms_height": "0.3 um"}}
    for lc in ("1 nm", "20 nm"):
        geo(f"correlation_length_{lc.replace(' ', '')}_3d", dict(rough3d, height_map=dict(
            rough3d["height_map"], correlation_length=lc)))
    geo("correlation_length_1pm_2d", {"type": "rough_interface_2d", "profile": {
        "kind": "random", "rms_height": "0.1 um", "correlation_length": "1 pm"}})
    geo("rough_through_counter", {"type": "rough_interface_2d", "thickness": "1 um", "profile": {
        "kind": "random", "rms_height": "0.6 um", "correlation_length": "2 um"}})
    geo("void_as_wide_as_cell", {"type": "rough_interface_2d", "width": "10 um", "contact": {
        "fraction": 0.5, "void_size": "10 um"}})
    geo("voids_many", {"type": "rough_interface_2d", "width": "1 mm", "contact": {
        "fraction": 0.5, "void_size": "1 nm"}})
    geo("grains_too_many_2d", {"type": "polycrystal_2d", "width": "1 mm", "thickness": "1 mm",
                               "mean_grain_size": "1 um"})
    geo("grains_too_many_3d", {"type": "polycrystal_3d", "mean_grain_size": "0.1 um"})
    geo("grain_larger_than_box", {"type": "polycrystal_2d", "width": "1 um", "mean_grain_size": "10 um"})
    geo("gb_thicker_than_grain", {"type": "polycrystal_2d", "gb": "explicit", "mean_grain_size": "1 um",
                                  "gb_thickness": "0.5 um"})
    geo("wavelength_not_dividing", {"type": "rough_interface_2d", "width": "10 um", "profile": {
        "kind": "sinusoids", "modes": [{"amplitude": "0.1 um", "wavelength": "3 um"}]}})
    geo("mesh_size_tiny", {"type": "rough_interface_2d"}, {"interface_size": "1 pm"})
    geo("mesh_size_factor_tiny", {"type": "rough_interface_2d"}, {"size_factor": 1e-4})
    geo("mesh_3d_too_fine", {"type": "rough_interface_3d"}, {"interface_size": "5 nm"})
    geo("mesh_size_negative", {"type": "rough_interface_2d"}, {"size": "-1 um"})


def _comparison_kinds(w: _Writer, folder: Path) -> None:
    w.text("comparison/python_tag", "comparison: !!python/object/apply:os.system ['true']\n", "compare")
    w.text("comparison/not_a_mapping", "- a\n", "compare")
    w.text("comparison/missing_case", "comparison: {cases: [nope1.yaml, nope2.yaml]}\n", "compare")
    w.text("comparison/bad_seeds", "comparison: {cases: [a.yaml, b.yaml], seeds: .nan}\n", "compare")
    w.text("comparison/alias_bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh")), "compare")
    if hasattr(os, "mkfifo"):
        fifo = folder / "comparison.fifo"
        os.mkfifo(fifo)
        w.items.append(Hostile("comparison/fifo", fifo, "compare"))


def _key_paths(raw) -> set[tuple]:
    return {tuple("*" if isinstance(k, int) else k for k in path) for path, _ in _leaves(raw)}


def _typed(raw, paths: set[tuple]) -> set[tuple]:
    """Key paths with the geometry type after ``geometry`` (its keys are another model per type)."""
    kind = (raw.get("geometry") or {}).get("type") if isinstance(raw.get("geometry"), dict) else None
    return {("geometry", str(kind), *k[1:]) if k[0] == "geometry" else k for k in paths}


def _untyped(path: tuple) -> tuple:
    return ("geometry", *path[2:]) if path[0] == "geometry" else path


def _shipped(name: str) -> dict:
    return yaml.safe_load((ROOT / "cases" / f"{name}.yaml").read_text())


def extra_cases() -> list[tuple[str, dict]]:
    """Valid cases with the keys that no shipped case writes (each validates as it is)."""
    electronic = _shipped("electronic_llzo")
    electronic["electronic"].update(anode="lithium", counter_equilibrium_potential="0 V", statistics="constant",
                                    electronic_conductivity="1e-8 S/cm", grain_boundary_enhancement=10,
                                    onset=True, self_discharge=True)
    electronic["risk"] = {"criterion": "critical_overpotential", "critical_overpotential": "15 mV",
                          "also": ["internal_li_formation"]}
    voxel = _shipped("polycrystal_3d_voxel")
    voxel["geometry"].update(regions={"1-20": "grains", "other": "grains"}, smoothing=1, cell_type="tetrahedron",
                             memory_limit="8 GB")
    cell = _shipped("cell_3d_li_al_cl_polycrystal")
    del cell["geometry"]["contact"]  # a pit is not to open into a void patch
    cell["geometry"].update(pit={"depth": "0.5 um", "radius": "0.4 um", "x": "2 um", "y": "2 um"}, seed=3,
                            spread=0.4)
    structured = _shipped("rough_interface_3d_structured")
    structured["geometry"].update(cell_type="hexahedron", memory_limit="8 GB")
    rough = _shipped("rough_contact_3d")
    rough["geometry"]["control_points"] = 8
    cycling = yaml.safe_load((ROOT / "cases" / "cycling" / "cycling_li_al_cl_0p5.yaml").read_text())
    cycling["cycling"].update(stop_at_short=True, checkpoint_every=10, fields_every=10)
    default = _shipped("default")
    default["electrochemistry"].update(missing_activation_energy="hold", equilibrium_potential="0 V")
    return [("extra_electronic", electronic), ("extra_voxel", voxel), ("extra_cell_3d", cell), ("extra_structured", structured),
            ("extra_rough_3d", rough), ("extra_cycling", cycling), ("extra_default", default)]


def shipped_cases() -> list[tuple[str, dict, set | None]]:
    """(name, case, key paths to fuzz: None for all) of every fuzzed case: all of
    ``cases/``, then each case of a subfolder, then each of :func:`extra_cases`, that has
    key paths (list indices aside, geometry keys per geometry type) none of the earlier
    ones has, fuzzed at those paths."""
    cases = [(p.stem, yaml.safe_load(p.read_text()), None) for p in SHIPPED]
    seen = set().union(*(_typed(raw, _key_paths(raw)) for _, raw, _ in cases))
    more = [(p.stem, yaml.safe_load(p.read_text())) for p in SHIPPED_NESTED] + extra_cases()
    for name, raw in more:
        new = _typed(raw, _key_paths(raw)) - seen
        if new:
            cases.append((name, raw, {_untyped(k) for k in new}))
            seen |= new
    return cases


def keys_covered() -> set[tuple]:
    """The key paths the corpus fuzzes (list indices as ``*``; ``geometry, TYPE, ...``)."""
    covered = set()
    for _, raw, paths in shipped_cases():
        covered |= _typed(raw, _key_paths(raw) if paths is None else paths)
    return covered


def sections_covered() -> set[str]:
    """The top-level case sections that the corpus fuzzes."""
    return set(EXTRA_SECTIONS).union(*(raw for _, raw, _ in shipped_cases()))


def _study_kinds(w: _Writer, name: str, raw: dict, folder: Path) -> None:
    """The ``study:`` section's leaves and shape, the study kept (sweep points are validated too)."""
    base = dict(_outputs_sandbox(raw, folder), study=copy.deepcopy(raw["study"]))
    for path, value in _leaves(base["study"]):
        dotted = ".".join(map(str, ("study", *path)))
        for label, bad in ANY_INVALID.items():
            w.case(f"value/{label}/{name}/{dotted}", _set(copy.deepcopy(base), ("study", *path), bad))
        if _is_quantity(value):
            for label, bad in QUANTITY_INVALID.items():
                w.case(f"quantity/{label}/{name}/{dotted}", _set(copy.deepcopy(base), ("study", *path), bad))
    for label, bad in (("scalar", 5), ("list", [1]), ("string", "x"), ("no_values", {"parameter": "name"}),
                       ("empty_values", dict(base["study"], values=[])),
                       ("unknown_parameter", dict(base["study"], parameter="geometry.no_such_key")),
                       ("parameter_escape", dict(base["study"], parameter="a\x1b[2J")),
                       ("unknown_key", dict(base["study"], misspelt_key_x=1))):
        w.case(f"section/{label}/{name}/study", dict(copy.deepcopy(base), study=bad))


def _extra_section_kinds(w: _Writer, base: dict) -> None:
    """Each of ``EXTRA_SECTIONS`` added to the default case, fuzzed like a shipped section."""
    for section, example in EXTRA_SECTIONS.items():
        raw = dict(copy.deepcopy(base), **{section: copy.deepcopy(example)})
        _value_kinds(w, f"extra_{section}", raw, only=section)
        _section_kinds(w, f"extra_{section}", raw, only=section)


def build_corpus(folder: Path) -> list[Hostile]:
    """Write the whole corpus under ``folder``; the entries in a fixed order."""
    folder = Path(folder)
    w = _Writer(folder / "cases")
    default = None
    for name, raw, paths in shipped_cases():
        base = _outputs_sandbox(raw, folder)
        default = base if name == "default" else default
        _value_kinds(w, name, base, paths=paths)
        _yaml_kinds(w, name, base)
        _section_kinds(w, name, base)
        if "study" in raw:
            _study_kinds(w, name, raw, folder)
    base = default or _outputs_sandbox(yaml.safe_load(SHIPPED[0].read_text()), folder)
    _extra_section_kinds(w, base)
    _path_kinds(w, base, folder)
    (folder / "special").mkdir()
    _special_files(w, folder / "special")
    (folder / "inputs").mkdir()
    _input_kinds(w, folder / "inputs", base)
    _geometry_kinds(w, base)
    _comparison_kinds(w, folder)
    return w.items
