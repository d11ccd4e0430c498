"""The hostile corpus (tests/system/fuzz/corpus.py): every entry refused with exit 2 and one keyed line.

Entries run through the command line (``validate``, or ``compare`` for comparison files)
in a worker subprocess (tests/system/fuzz/runner.py): each entry is bounded by an alarm, the
worker by a subprocess timeout, so a hang is a failure naming its entry, never a stuck
test run. The default run takes every special-file, input-file, geometry, path and
comparison entry and a fixed sample of the others; the full corpus is marked slow. The
special files are also validated one by one in their own ``python -m solver`` process
(a FIFO or device can block a process where no alarm reaches).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from solver.errors import CaseError
from tests.system.fuzz.corpus import build_corpus, extra_cases, keys_covered, sections_covered
from tests.system.fuzz.runner import CASE_SECONDS, verdict

ROOT = Path(__file__).resolve().parents[2]
ALWAYS = ("file/", "input/", "geometry/", "path/", "comparison/")
SAMPLE_EVERY = 40  # of the ~2800 value/yaml/section entries: ~70 in the default run
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


def _run_batch(entries, folder: Path, timeout: float) -> list[tuple[str, str | None]]:
    """(kind, verdict) of every entry, run in worker subprocesses; a timed-out worker's
    current entry is a hang and the worker restarts after it."""
    results = []
    pending = list(entries)
    attempt = 0
    while pending:
        attempt += 1
        listing, out = folder / f"list-{attempt}.json", folder / f"out-{attempt}.jsonl"
        listing.write_text(json.dumps([[e.kind, e.command, str(e.path)] for e in pending]))
        try:
            subprocess.run([sys.executable, "-m", "tests.system.fuzz.runner", str(listing), str(out)], cwd=ROOT, env=ENV,
                           timeout=timeout, capture_output=True)
            hung = None
        except subprocess.TimeoutExpired:
            hung = True
        done = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
        for record in done:
            results.append((record["kind"], verdict(record["code"], record["stderr"], record["seconds"])))
        pending = pending[len(done):]
        if hung and pending:
            results.append((pending[0].kind, f"hang: the worker did not finish within {timeout} s"))
            pending = pending[1:]
        elif not hung and pending:  # the worker died (a crash): its current entry is the culprit
            results.append((pending[0].kind, "the worker process died"))
            pending = pending[1:]
    return results


def _assert_all_refused(results):
    wrong = [(kind, why) for kind, why in results if why is not None]
    assert not wrong, f"{len(wrong)} of {len(results)} hostile inputs not refused properly, e.g. {wrong[:5]}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def test_corpus_is_large_and_derived_from_every_shipped_case(corpus):
    kinds = {e.kind for e in corpus}
    assert len(kinds) == len(corpus) >= 342  # the 342 kinds first measured, and more
    shipped = {p.stem for p in (ROOT / "cases").glob("*.yaml")}
    assert shipped <= {k.split("/")[2] for k in kinds if k.startswith("value/")}


def test_corpus_fuzzes_every_case_section():
    """A new section of the case schema must reach the corpus: in a shipped case, or as an
    example in ``EXTRA_SECTIONS``."""
    from solver.config.case import case_model

    missing = set(case_model().model_fields) - sections_covered()
    assert not missing, f"sections no corpus entry fuzzes: {sorted(missing)}; add them to EXTRA_SECTIONS"


#: key paths of sections and geometries added after the corpus was first built, each to be fuzzed
RECENT_KEYS = [("geometry", "flaw_2d", "anode"), ("risk", "also", "*"), ("geometry", "voxel_3d", "labels"),
               ("geometry", "voxel_3d", "regions"), ("geometry", "voxel_3d", "voxel_size"),
               ("geometry", "voxel_3d", "height_map"),
               ("geometry", "rough_interface_3d_structured", "cell_type"),
               ("geometry", "rough_interface_3d", "contact"), ("geometry", "cell_3d", "contact"),
               ("geometry", "cell_3d", "pit"), ("cycling", "interface", "filament_flaw_depth"),
               ("fracture", "pressures", "crack_faces")]
#: geometry types that no shipped or extra case has yet (their keys are fuzzed by no entry)
GEOMETRIES_WITHOUT_CASE = {"bimaterial_edge_crack_plate", "centre_crack_plate", "edge_crack_3d", "embedded_crack_3d",
                           "flaw_3d", "profile_2d", "stratified_anode_2d", "trench_2d"}


def test_corpus_fuzzes_every_key_of_the_recent_sections():
    from solver.config.case import case_model

    covered = keys_covered()
    missing = [k for k in RECENT_KEYS if not any(c[:len(k)] == k for c in covered)]
    assert not missing, f"key paths no corpus entry fuzzes: {missing}"
    for section in ("electronic", "cycling"):  # every key of these sections
        model = next(a for a in typing.get_args(case_model().model_fields[section].annotation) if a is not type(None))
        keys = set(model.model_fields) - {"protocol", "time_step", "interface"}  # nested models, fuzzed inside
        assert keys <= {c[1] for c in covered if c[0] == section}, section


def test_every_geometry_type_with_a_case_has_its_keys_fuzzed():
    import meshes

    fuzzed = {c[1] for c in keys_covered() if c[0] == "geometry"}
    # the package's own generators (a plugin another test loaded registers more)
    own = {name for name, g in meshes.registry.items() if g.build.__module__.split(".")[0] == "meshes"}
    assert own - fuzzed == GEOMETRIES_WITHOUT_CASE  # a new geometry needs a case here


def test_the_extra_cases_are_valid(tmp_path):
    """Each extra case validates as it is: its fuzzed variants are refused for their own fault."""
    import contextlib
    import io

    import yaml

    from solver.cli import main

    for name, raw in extra_cases():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(dict(raw, outputs={"directory": str(tmp_path / "results")})))
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(["validate", str(path)]) == 0, (name, err.getvalue())


def test_petsc_option_values_are_checked_before_running():
    from solver.config.case import parse_case

    base = {"geometry": {"type": "rough_interface_2d"}, "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
            "electrochemistry": {"applied_current_density": "1 mA/cm^2"}}
    assert parse_case(dict(base, solver={"petsc_options": {"ksp_rtol": "1e-9", "ksp_type": "cg", "ksp_view": ""}}))
    for value, why in (("5 kg", "not a PETSc option value"), ("um", "not a number"), ("\x1b[2J", "option value")):
        with pytest.raises(CaseError, match=why):
            parse_case(dict(base, solver={"petsc_options": {"ksp_rtol": value}}))


def test_fast_subset(corpus, tmp_path):
    subset = [e for i, e in enumerate(corpus) if e.kind.startswith(ALWAYS) or i % SAMPLE_EVERY == 0]
    assert len(subset) >= 140
    # every entry answers within CASE_SECONDS; the worker gets that for a few entries in a row
    results = _run_batch(subset, tmp_path, timeout=max(240, 5 * CASE_SECONDS))
    _assert_all_refused(results)


@pytest.mark.slow
def test_full_corpus(corpus, tmp_path):
    _assert_all_refused(_run_batch(corpus, tmp_path, timeout=1800))


@pytest.mark.slow
def test_special_files_each_in_its_own_process(corpus, tmp_path):
    wrong = []
    for entry in [e for e in corpus if e.kind.startswith(("file/", "input/profile/", "input/image/"))]:
        try:
            done = subprocess.run([sys.executable, "-m", "solver", entry.command, str(entry.path)], cwd=tmp_path,
                                  env=ENV, timeout=60, capture_output=True, text=True)
            why = verdict(done.returncode, done.stderr, 0.0)
        except subprocess.TimeoutExpired:
            why = "hang: no answer within 60 s"
        if why:
            wrong.append((entry.kind, why))
    assert not wrong, wrong[:5]
