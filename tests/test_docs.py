"""The generated case reference matches the schema (regenerate: scripts/make_case_reference.py)."""

from pathlib import Path

from solver.config.schema_doc import case_reference


def test_case_reference_is_up_to_date():
    path = Path(__file__).resolve().parents[1] / "docs" / "case_reference.md"
    assert path.read_text() == case_reference(), "run: .venv/bin/python scripts/make_case_reference.py"
