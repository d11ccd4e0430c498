"""Fuzzing the case loader: any input either validates or gives one CaseError line naming a key.

Three generators: single mutations of a valid case (wrong types, hostile numbers and
units, unknown and missing keys), YAML text assembled from hostile fragments (tags,
anchors, nesting, duplicates), and raw bytes. Anything else escaping the loader (a
TypeError, a hang, a multi-line message) is a bug.
"""

from __future__ import annotations

import copy
import math
import time

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solver  # noqa: F401  (before dolfinx)
from solver.config.case import load_case, parse_case
from solver.errors import CaseError
from tests.support import BASE

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Keys whose errors may legitimately be reported under another section.
RELATED = {"geometry": {"mesh"}, "materials": {"electrochemistry"}, "mesh": set(), "electrochemistry": set()}


def _paths(node, prefix=()):
    """Every key path of the nested mapping (sections and leaves)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))


PATHS = sorted(_paths(BASE))

hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e-320, "", " ", "nan", "inf um", "-inf", "5 kg", "1 mA", "3 um", "1e400 m",
                     "1e-400 m", "10**10**10 m", "2 um**999", "1 m^-0.5", "30 degC", "0 K", "um", "mA/cm^2",
                     "1,5 um", "1e3 A/cm^2", "1 µm", "${HOME}", "../x", "a" * 300, "!!python/object:os.system",
                     "\x00", "\u202e", "1 um um", "()", "1 (m", "1 m)"]),
    st.text(max_size=30),
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)


def assert_one_keyed_line(exc: CaseError) -> None:
    text = str(exc)
    assert "\n" not in text and "\r" not in text, repr(text)
    assert isinstance(exc.key, str) and exc.key, repr(text)
    assert text.startswith(f"{exc.key}: "), repr(text)
    assert len(text) < 2000


def load_or_one_keyed_line(path) -> None:
    """Loading either succeeds or fails with one CaseError line naming the key."""
    try:
        load_case(path)
    except CaseError as exc:
        assert_one_keyed_line(exc)


def _set(raw, path, value, delete=False):
    node = raw
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


@FUZZ
@given(path=st.sampled_from(PATHS), value=hostile_values, action=st.sampled_from(["set", "delete", "unknown"]))
def test_mutated_case(path, value, action):
    raw = copy.deepcopy(BASE)
    if action == "unknown":
        path = (*path[:-1], path[-1] + "_typo")
    _set(raw, path, value, delete=(action == "delete"))
    t0 = time.perf_counter()
    try:
        case = parse_case(raw)
    except CaseError as exc:
        assert_one_keyed_line(exc)
        section = exc.key.split(".")[0]
        assert section == path[0] or section in RELATED.get(path[0], set()), (path, str(exc))
        if action == "unknown" and len(path) == 1:
            assert exc.key.split(".")[0] == path[0]  # the unknown key, or a bad value inside it
    else:  # accepted: everything resolved to finite SI numbers
        assert action != "unknown" or path[0] == "geometry" and path[-1].startswith("type")
        resolved = case.model.model_dump()
        assert all(math.isfinite(v) for v in _floats(resolved))
    assert time.perf_counter() - t0 < 5


def _floats(node):
    if isinstance(node, float):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _floats(v)
    elif isinstance(node, list):
        for v in node:
            yield from _floats(v)


FRAGMENTS = [
    "geometry:", "  type: rough_interface_2d", "  width: 10 um", "  width: 20 um", "materials:",
    "  electrolyte: Li5.5PS4.5Cl1.5", "electrochemistry:", "  applied_current_density: 1 mA/cm^2",
    "name: x", "name: y", "!!python/object/apply:os.system ['true']", "a: !!python/name:os.system",
    "b: !!binary aGVsbG8=", "c: !!set {a, b}", "d: &x [1, 2]", "e: *x", "f: *undefined", "g: [[[[[[[[[[",
    "h: {", "? [1, 2]", ": value", "<<: {name: z}", "  - list item", "\t tab: 1", "i: .nan", "j: -.inf",
    "k: 0x1F", "l: 1_000", "m: 2001-12-14", "n: ~", "%YAML 1.1", "---", "...", "o: |", "   block", "p: 'unclosed",
    "q: !custom tag", "r: 1e999", "s: '\\x00'", "t: \"\\u0000\"", "mesh: {size_factor: 0}", "study: {values: []}",
]


@FUZZ
@given(lines=st.lists(st.sampled_from(FRAGMENTS), max_size=12))
def test_assembled_yaml(lines, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "case.yaml"
    path.write_text("\n".join(lines) + "\n")
    load_or_one_keyed_line(path)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_binary_junk(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("junk") / "case.yaml"
    path.write_bytes(data)
    load_or_one_keyed_line(path)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_random_text(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "case.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    load_or_one_keyed_line(path)


def test_base_case_round_trips_through_yaml(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(BASE))
    assert load_case(path).name == "small"
