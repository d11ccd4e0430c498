"""The reports of a run and of a comparison: ``report.md`` and a self-contained ``report.html``.

Both come from one Jinja2 Markdown template (``solver/io/templates``) filled from the
result folder (:mod:`solver.io.report_context`). ``report.md`` links the pictures beside
it; ``report.html`` is that Markdown converted by Python-Markdown (tables) into an HTML
page with every picture embedded as a base64 ``data:`` URI and the style sheet inline,
so the one file can be mailed, archived or opened anywhere without the folder.
"""

from __future__ import annotations

import base64
import html
import mimetypes
from pathlib import Path

import jinja2
import markdown
from markdown.treeprocessors import Treeprocessor

__all__ = ["markdown_to_html", "write_comparison_report", "write_run_report", "write_study_report"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("solver.io", "templates"),
    autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _text(value) -> str:
    """Markdown text that shows as given: HTML special characters escaped (raw HTML is
    passed through by Markdown), no line breaks."""
    return html.escape(str(value), quote=False).replace("\n", " ")


def _cell(value) -> str:
    """A Markdown table cell: as :func:`_text`, and '|' escaped."""
    return _text(value).replace("|", "\\|")


_ENV.filters["text"] = _text
_ENV.filters["cell"] = _cell


def write_run_report(folder: str | Path) -> list[Path]:
    """Write ``report.md`` and ``report.html`` of the run folder ``folder`` (reads its
    ``summary.json``, case files and PNGs; call it after they are written, rank 0 only)."""
    from solver.io.report_context import run_context

    folder = Path(folder)
    context = run_context(folder)
    text = _ENV.get_template("run_report.md.j2").render(**context)
    return _write(folder, text, f"{context['case']}: dendrite run report")


def write_comparison_report(folder: str | Path, comparison_markdown: str, cases: list[str]) -> list[Path]:
    """Write ``report.md`` and ``report.html`` of a comparison folder: the comparison
    (``comparison_markdown``: table, verdict, assumptions), then every design's inputs with
    their sources, the works cited, links to the runs' own reports and the software versions."""
    from solver.io.report_context import comparison_context

    folder = Path(folder)
    context = comparison_context(folder, comparison_markdown, cases)
    text = _ENV.get_template("comparison_report.md.j2").render(**context)
    return _write(folder, text, f"{context['title']}: dendrite comparison report")


def write_study_report(folder: str | Path, context: dict, title: str) -> list[Path]:
    """Write ``report.md`` and ``report.html`` of a cycling, sweep or fracture folder from
    ``context`` (:mod:`solver.io.study_reports`: title, intro, verdict, tables, pictures,
    inputs, references, versions, files)."""
    text = _ENV.get_template("study_report.md.j2").render(**context)
    return _write(Path(folder), text, f"{title}: dendrite report")


def _write(folder: Path, text: str, title: str) -> list[Path]:
    md_path, html_path = folder / "report.md", folder / "report.html"
    md_path.write_text(text)
    html_path.write_text(markdown_to_html(text, folder, title))
    return [md_path, html_path]


class _EmbedImages(Treeprocessor):
    """Replace every ``<img src="FILE">`` whose file exists in ``folder`` by a data URI."""

    def __init__(self, md, folder: Path):
        super().__init__(md)
        self.folder = folder

    def run(self, root):
        for img in root.iter("img"):
            path = self.folder / img.get("src", "")
            if path.is_file() and not img.get("src", "").startswith("data:"):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                img.set("src", f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}")
                img.set("loading", "eager")


class _EmbedExtension(markdown.Extension):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_EmbedImages(md, self.folder), "embed_images", 0)


def markdown_to_html(text: str, folder: str | Path, title: str) -> str:
    """A complete HTML page of the Markdown ``text``, pictures of ``folder`` embedded."""
    body = markdown.markdown(text, extensions=["tables", "fenced_code", "toc", _EmbedExtension(Path(folder))],
                             output_format="html")
    return _ENV.get_template("report.html.j2").render(title=title, body=body)
