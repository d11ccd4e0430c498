"""Regenerate the documentation gallery (docs/img/gallery/*.png and docs/gallery.md) from the
shipped cases on coarse meshes. Run from the repository root (serial), a few minutes:

    .venv/bin/python scripts/make_gallery.py [key ...]

With keys, only those entries are rerun (their pictures replaced); the page lists every entry
whose pictures are present.
"""

from __future__ import annotations

import sys
from pathlib import Path

import solver  # noqa: F401  (before dolfinx)
from solver.io.pictures.gallery import ENTRIES, gallery_markdown, run_entry

DOCS = Path(__file__).resolve().parents[1] / "docs"
IMAGES = DOCS / "img" / "gallery"


def main(argv: list[str]) -> None:
    wanted = [e for e in ENTRIES if not argv or e.key in argv]
    for entry in wanted:
        for old in IMAGES.glob(f"{entry.key}_*.png"):
            old.unlink()
        for path in run_entry(entry, IMAGES):
            print(path)
    sections = [(e, sorted(IMAGES.glob(f"{e.key}_*.png"))) for e in ENTRIES]
    (DOCS / "gallery.md").write_text(gallery_markdown([s for s in sections if s[1]]))
    print(DOCS / "gallery.md")


if __name__ == "__main__":
    main(sys.argv[1:])
