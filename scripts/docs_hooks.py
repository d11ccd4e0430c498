"""mkdocs hooks of the documentation site (``mkdocs.yml``: ``hooks:``).

- Each example notebook ``docs/notebooks/NAME.py`` (jupytext percent format) becomes the
  page ``notebooks/NAME.md``: its markdown cells as text, its code cells as Python blocks.
  The ``.py`` file itself is kept in the site for download.
- ``docs/materials.md`` gets the library table and the bibliography, read from
  ``solver/materials/data/materials.yaml`` and ``references.bib`` at build time, so the
  page cannot fall behind the data.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
from mkdocs.structure.files import File

from solver.materials.library import PROPERTIES, format_reference, library, references

NOTEBOOKS = "notebooks"
LIBRARY_MARKER = "<!-- material library -->"
REFERENCES_MARKER = "<!-- references -->"


def notebook_markdown(path: Path) -> str:
    """A jupytext percent-format notebook as a markdown page."""
    notebook = jupytext.read(path, fmt="py:percent")
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.source.strip():
            parts.append(f"```python\n{cell.source}\n```")
    parts.append(f"Download the notebook: [{path.name}]({path.name}) (a jupytext `.py` file: "
                 "`jupytext --to notebook` makes an `.ipynb`, or run it as a script).")
    return "\n\n".join(parts) + "\n"


def on_files(files, config):
    """Add one generated page per notebook."""
    docs = Path(config["docs_dir"])
    for path in sorted((docs / NOTEBOOKS).glob("*.py")):
        files.append(File.generated(config, f"{NOTEBOOKS}/{path.stem}.md", content=notebook_markdown(path)))
    return files


def _value(mat, prop: str) -> str:
    unit = PROPERTIES[prop]
    return f"{mat.values[prop]:.4g} {unit}".strip()


def library_table() -> str:
    """Every material value in SI units with its citation key, place and basis."""
    rows = ["| material | property | value (SI) | source | basis |", "|---|---|---|---|---|"]
    for name, mat in library().items():
        for prop, cite in mat.citations.items():
            note = f" ({cite.note})" if cite.note else ""
            rows.append(f"| `{name}` | {prop} | {_value(mat, prop)} | [{cite.key}](#{cite.key}), "
                        f"{cite.at}{note} | {cite.basis} |")
    return "\n".join(rows)


def bibliography() -> str:
    """All works of references.bib, each under an anchor named by its key."""
    lines = []
    for key in sorted(references()):
        formatted = format_reference(key)
        doi = references()[key].fields.get("doi")
        link = f" [doi:{doi}](https://doi.org/{doi})" if doi else ""
        lines.append(f'- <a id="{key}"></a>**{key}**: {formatted.replace(f"doi:{doi}.", "").strip()}{link}')
    return "\n".join(lines)


def on_page_markdown(markdown, page, config, files):
    """Fill the materials page."""
    if page.file.src_uri == "materials.md":
        markdown = markdown.replace(LIBRARY_MARKER, library_table()).replace(REFERENCES_MARKER, bibliography())
    return markdown
