"""The documentation's picture gallery, made from the shipped cases.

Each :class:`Entry` runs one case of ``cases/`` on a coarser mesh (``mesh.size_factor``;
the pictures show what the run writes, not converged numbers) and keeps its PNGs; a
comparison entry draws two cases side by side on one colour scale, a sweep entry runs a
shipped sweep. :func:`make_gallery` writes the pictures and ``docs/gallery.md``;
``scripts/make_gallery.py`` calls it, and the test suite regenerates the ``fast`` entries
and checks every picture (:func:`solver.io.pictures.meta.check_picture`).
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
import tempfile
from pathlib import Path

from solver.io.pictures.meta import read_info

__all__ = ["ENTRIES", "Entry", "gallery_markdown", "make_gallery", "run_entry"]

ROOT = Path(__file__).resolve().parents[3]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One gallery section: ``cases`` (paths under the repository), the changes made to
    each case (nested mapping merged into it), ``kind`` ('run', 'compare' or 'sweep') and
    whether the default test run regenerates it (``fast``)."""

    key: str
    heading: str
    text: str
    cases: tuple[str, ...]
    changes: dict = dataclasses.field(default_factory=dict)
    kind: str = "run"
    fast: bool = False


_COARSE = {"mesh": {"size_factor": 2.0}, "outputs": {"mesh_cache": None}}
_NO_RISK = {**_COARSE, "risk": None}

ENTRIES = (
    Entry("rough_voids", "Rough interface with contact loss (2D)",
          "Bare Li on LPSC, random roughness, 10 % contact loss: the voids are drawn on the map and the "
          "interface profile breaks where there is no contact.", ("cases/default.yaml",), _COARSE, fast=True),
    Entry("primary", "Primary kinetics (2D)",
          "No charge-transfer resistance: the overpotential is zero by construction and is shown as not "
          "applicable rather than as round-off.", ("cases/rough_primary.yaml",), _COARSE),
    Entry("grains", "Polycrystal with resistive grain boundaries (2D)",
          "1 um Li6PS5Cl grains with lumped grain boundaries: the GB network is drawn over the current density.",
          ("cases/grains_small.yaml",), _NO_RISK),
    Entry("stratified", "Stratified anode on a polycrystal (2D cell)",
          "Li-Al-Cl stratified anode on a polycrystalline electrolyte with a rough interface.",
          ("cases/cell_li_al_cl_polycrystal.yaml",), _NO_RISK),
    Entry("flaw", "Li-filled flaw and its critical current density (2D)",
          "The flaw tip concentrates the current (zoomed inset); the CCD search shows the risk ratio against "
          "the applied current with the predicted CCD.", ("cases/flaw_bare_li.yaml",), _COARSE),
    Entry("pit_crack_3d", "Semi-elliptical surface crack (3D)",
          "The interface coloured by the current into the anode, slices through the electrolyte at the hot spot "
          "and the crack front; K_I along the front at the critical current.", ("cases/pit_crack_3d.yaml",),
          {"outputs": {"mesh_cache": None}}),
    Entry("grain_size", "Comparison on one colour scale",
          "Small against large grains (`dendrite compare`): both maps on one colour scale.",
          ("cases/comparisons/compare_grain_size.yaml",), _NO_RISK, kind="compare"),
    Entry("bare_vs_li_al_cl", "Predicted and measured critical current densities",
          "Bare Li against the Li-Al-Cl stratified anode with the same flaw (`dendrite compare`): the CCD "
          "searches of both designs with each predicted CCD beside the measured one.",
          ("cases/comparisons/compare_bare_vs_li_al_cl.yaml",), _COARSE, kind="compare"),
    Entry("temperature_sweep", "Parameter sweep",
          "The shipped temperature sweep: worst local current density, focusing factor and cell voltage "
          "against temperature.", ("cases/temperature_sweep.yaml",), _COARSE, kind="sweep"),
)


def _merged(raw: dict, changes: dict) -> dict:
    out = copy.deepcopy(raw)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _case(path: str, changes: dict):
    from solver.config.case import parse_case, read_case_mapping

    raw, _ = read_case_mapping(ROOT / path)
    return parse_case(_merged(raw, changes), name=Path(path).stem)


def _run(entry: Entry, work: Path) -> list[Path]:
    from solver.studies.run import run_case

    result = run_case(_case(entry.cases[0], entry.changes), out=work / "run", overwrite=True, quiet=True)
    return sorted(Path(result.folder).glob("*.png"))


def _compare(entry: Entry, work: Path) -> list[Path]:
    """A comparison file of ``cases/comparisons`` through ``dendrite compare``'s pipeline."""
    from solver.config.case import parse_case
    from solver.studies.compare import compare, load_study

    study, cases = load_study(ROOT / entry.cases[0])
    cases = [parse_case(_merged(c.raw, entry.changes), name=c.name) for c in cases]
    study = study.model_copy(update={"seeds": 1})  # the pictures show the first realisation
    folder = compare(cases, 1, out=work / "comparison", study=study)
    return sorted(Path(folder).glob("*.png"))


def _sweep(entry: Entry, work: Path) -> list[Path]:
    from solver.studies.sweep import run_sweep

    case = _case(entry.cases[0], entry.changes)
    result = run_sweep(case, out=work / "sweep")
    return sorted(Path(result.folder).glob("*.png"))


def run_entry(entry: Entry, folder: Path) -> list[Path]:
    """Run one entry; its pictures copied to ``folder`` as ``<key>_<name>.png`` (rank 0)."""
    from mpi4py import MPI

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"gallery-{entry.key}-") as tmp:
        made = {"run": _run, "compare": _compare, "sweep": _sweep}[entry.kind](entry, Path(tmp))
        if MPI.COMM_WORLD.rank != 0:
            return []
        out = []
        for png in made:
            target = folder / f"{entry.key}_{png.name}"
            shutil.copyfile(png, target)
            out.append(target)
    return out


def gallery_markdown(sections: list[tuple[Entry, list[Path]]], image_dir: str = "img/gallery") -> str:
    """The gallery page: one section per entry, each picture with its title and caption."""
    lines = ["# Gallery", "",
             "Pictures written by the shipped cases, run on coarser meshes than the case files ask for (so the "
             "numbers are indicative, the pictures are what a run writes). Every picture states its case, quantity "
             "and unit; colour ranges are robust (percentile-clipped) with the true maximum marked and given in "
             "the caption. Each PNG carries the same description as machine-readable metadata "
             "(text chunk `dendrite`: title, quantity, unit, axis labels, colour and data range).", "",
             "Regenerate with `python scripts/make_gallery.py`.", ""]
    for entry, pictures in sections:
        lines += [f"## {entry.heading}", "", entry.text + f" Case files: {', '.join(f'`{c}`' for c in entry.cases)}.",
                  ""]
        for png in pictures:
            info = read_info(png)
            lines += [f"![{info.get('title', png.stem)}]({image_dir}/{png.name})", ""]
            if info.get("caption"):
                lines += [f"*{info['caption']}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def make_gallery(image_folder: Path, page: Path | None = None, entries=ENTRIES) -> list[tuple[Entry, list[Path]]]:
    """Run ``entries``, write their pictures into ``image_folder`` and (rank 0) the page."""
    sections = [(entry, run_entry(entry, image_folder)) for entry in entries]
    if page is not None and sections and sections[0][1]:
        Path(page).write_text(gallery_markdown(sections))
    return sections
