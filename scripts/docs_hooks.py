"""mkdocs hooks of the documentation site (``mkdocs.yml``: ``hooks:``).

- Each example notebook ``docs/notebooks/NAME.py`` (jupytext percent format) becomes the
  page ``notebooks/NAME.md``: its markdown cells as text, its code cells as Python blocks.
  The ``.py`` file itself is kept in the site for download.
- Sphinx roles in docstrings (``:class:`Material```) are shown as plain code: the API pages
  render docstrings as markdown.
- ``docs/materials.md`` gets the library table and the bibliography, read from
  ``solver/materials/data/materials.yaml`` and ``references.bib`` at build time, so the
  page cannot fall behind the data.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
from mkdocs.structure.files import File

from solver.materials.library import PROPERTIES, format_reference, library, references

NOTEBOOKS = "notebooks"
LIBRARY_MARKER = "<!-- material library -->"
REFERENCES_MARKER = "<!-- references -->"
SPHINX_ROLE = re.compile(r":(?:class|func|meth|data|attr|mod|exc|obj):(?=<code>)")


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


def _anchor(key: str) -> str:
    """Assumptions link to their explanation, works to their entry in the reference list."""
    return "#assumed-values" if key == "dendrite_assumptions" else f"#{key}"


def library_table() -> str:
    """One table per material: every value in SI units with its citation key, place and basis."""
    parts = []
    for name, mat in library().items():
        rows = [f"### `{name}`", "", f"{mat.description} (role: {mat.role})", "",
                "| property | value (SI) | source | basis |", "|---|---|---|---|"]
        for prop, cite in mat.citations.items():
            note = f"; {cite.note}" if cite.note else ""
            source = f"[{cite.key}]({_anchor(cite.key)}), {cite.at}{note}"
            rows.append(f"| {prop} | {_value(mat, prop)} | {source} | {cite.basis} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


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
        markdown = markdown.replace(LIBRARY_MARKER, library_table())
        markdown = markdown.replace(REFERENCES_MARKER, bibliography())
    return markdown


def on_page_content(html, page, config, files):
    """Drop the Sphinx role prefix before inline code in rendered docstrings."""
    return SPHINX_ROLE.sub("", html)
