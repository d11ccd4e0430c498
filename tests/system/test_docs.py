"""Documentation and references: the case reference, the material sources, CITATION.cff,
the documentation site and its example notebooks."""


import pytest
import yaml

from solver.config.schema_doc import case_reference
from solver.materials.library import BASES, PROPERTIES, library, references, references_for
from tests.support import DATA, ROOT

MATERIALS_YAML = ROOT / "solver" / "materials" / "data" / "materials.yaml"


def test_case_reference_is_up_to_date():
    path = ROOT / "docs" / "case_reference.md"
    assert path.read_text() == case_reference(), "run: .venv/bin/python scripts/make_case_reference.py"


def _library_values():
    """(material, property, item) for every value of materials.yaml, read as plain YAML."""
    for name, entry in yaml.safe_load(MATERIALS_YAML.read_text()).items():
        for prop, item in entry.items():
            if prop not in ("description", "role"):
                yield name, prop, item


def test_every_library_value_cites_a_known_reference_and_a_place_in_it():
    keys = set(references())
    values = list(_library_values())
    assert len(values) > 50  # the whole library is read, not an empty file
    for name, prop, item in values:
        where = f"{name}.{prop}"
        assert prop in PROPERTIES, where
        assert item.get("ref") in keys, f"{where} cites {item.get('ref')!r}, not a key of references.bib"
        assert str(item.get("at", "")).strip(), f"{where} gives no page, section, table or figure"
        assert item.get("basis") in BASES, f"{where}: basis {item.get('basis')!r}"
        assert set(item) <= {"value", "ref", "at", "basis", "note", "temperature"}, where


def test_every_reference_is_complete_and_cited():
    """Each entry can be cited (author, title, year); each is used by a value or the software."""
    items = [item for _, _, item in _library_values()]
    cited = {item["ref"] for item in items}
    cited |= {key for key in references() for item in items if key in item.get("note", "")}  # "after KEY"
    software = {"geuzaine2009", "baratta2023"}  # cited in CITATION.cff and the docs
    for key, entry in references().items():
        assert entry.persons.get("author") and entry.fields.get("title") and entry.fields.get("year"), key
        assert key in cited | software, f"{key} is cited by nothing"


def test_references_for_lists_each_work_once_with_what_it_is_used_for():
    lib = library()
    refs = references_for({"electrolyte": lib["Li5.5PS4.5Cl1.5"], "interphase": lib["Li9Al4+LiCl"]})
    keys = [r["key"] for r in refs]
    assert keys == sorted(set(keys))
    by_key = {r["key"]: r for r in refs}
    # su2024 gives both exchange current densities (Supplementary Fig. 23) and more
    su2024 = by_key["su2024"]["used_for"]
    assert "Li5.5PS4.5Cl1.5.exchange_current_density: Supplementary Fig. 23 (primary)" in su2024
    assert "Li9Al4+LiCl.exchange_current_density: Supplementary Fig. 23 (primary)" in su2024
    assert by_key["su2024"]["doi"] == "10.1038/s41467-024-48585-7"
    assert "Su" in by_key["su2024"]["citation"] and "2024" in by_key["su2024"]["citation"]
    # every cited value of both materials is accounted for exactly once
    n_values = len(lib["Li5.5PS4.5Cl1.5"].citations) + len(lib["Li9Al4+LiCl"].citations)
    assert sum(len(r["used_for"]) for r in refs) == n_values


def test_a_value_overridden_in_the_case_cites_nothing():
    from solver.materials.library import material

    mat = material({"material": "Li6PS5Cl", "ionic_conductivity": "5 mS/cm"}, "materials.electrolyte")
    assert mat.sources["ionic_conductivity"] == "case override"
    used = [u for r in references_for([mat]) for u in r["used_for"]]
    assert not any(u.startswith("Li6PS5Cl.ionic_conductivity") for u in used)
    assert any(u.startswith("Li6PS5Cl.activation_energy") for u in used)


@pytest.mark.parametrize("broken, message", [
    ({"ref": "nobody1999"}, "references.bib does not have"),
    ({"at": ""}, "needs at"),
    ({"basis": "hearsay"}, "basis must be one of"),
])
def test_a_library_value_without_a_proper_source_is_rejected(broken, message):
    from solver.materials.library import _entry

    item = {"value": "1 mS/cm", "ref": "su2024", "at": "Fig. 1", "basis": "primary"} | broken
    with pytest.raises(ValueError, match=message):
        _entry("X", {"ionic_conductivity": item})


def test_citation_cff_is_valid_cff_1_2_and_matches_the_package():
    """CITATION.cff against the CFF 1.2.0 JSON schema (tests/data, from the CFF project)."""
    import json
    import tomllib

    import jsonschema

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads((DATA / "cff-1.2.0.schema.json").read_text())
    jsonschema.validate(cff, schema)  # raises with the offending key
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == project["version"]
    assert cff["license"] == project["license"]
    cited = {ref["doi"] for ref in cff["references"]}
    assert {references()[k].fields["doi"] for k in ("baratta2023", "geuzaine2009")} <= cited


def test_citation_cff_schema_check_rejects_a_broken_file():
    """The schema check above can fail: a file without authors is not valid CFF."""
    import json

    import jsonschema

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads((DATA / "cff-1.2.0.schema.json").read_text())
    del cff["authors"]
    with pytest.raises(jsonschema.ValidationError, match="authors"):
        jsonschema.validate(cff, schema)


def test_documentation_site_builds_without_warnings(tmp_path):
    """``mkdocs build --strict``: every page, link, API reference and notebook page."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
               "-d", str(tmp_path / "site")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    site = tmp_path / "site"
    for page in ("index.html", "materials/index.html", "case_reference/index.html", "api/studies/index.html",
                 "notebooks/run_a_case/index.html", "notebooks/temperature_sweep/index.html"):
        assert (site / page).is_file(), page
    materials = (site / "materials" / "index.html").read_text()
    assert 'id="su2024"' in materials and "Supplementary Fig. 23" in materials  # filled at build time
    assert "run_case" in (site / "api" / "studies" / "index.html").read_text()  # docstrings rendered


NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.py"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_example_notebook_runs(notebook, tmp_path):
    """Each example notebook (jupytext percent format) runs top to bottom as a script;
    its own assertions check what it shows."""
    import os
    import subprocess
    import sys

    import jupytext

    assert jupytext.read(notebook, fmt="py:percent").cells, notebook.name  # a real notebook
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", TMPDIR=str(tmp_path))
    done = subprocess.run([sys.executable, str(notebook)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
