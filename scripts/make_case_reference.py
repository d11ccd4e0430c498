"""Write docs/case_reference.md from the case schema (run after changing the schema)."""

from pathlib import Path

from solver.config.schema_doc import case_reference

path = Path(__file__).resolve().parents[1] / "docs" / "case_reference.md"
path.write_text(case_reference())
print(f"wrote {path}")
