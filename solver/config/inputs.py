"""The one way input files are read: regular files of bounded size, checked by content.

Every file a case names (the case itself, a comparison file, a measured profile, a
height-map grid or image) is read here, so one set of checks holds for all of them:

* the path has no NUL or control characters (:func:`check_path_text`);
* it is opened without blocking (a FIFO would otherwise wait forever for a writer) and
  must then be a *regular* file: directories, FIFOs, sockets and devices (also through a
  symlink, e.g. to ``/dev/zero``) are refused before a byte is read;
* at most ``max_bytes`` are read (a file that grows while being read is cut off and
  refused, not read to exhaustion);
* an image must be a PNG by its signature and header, with at most ``MAX_IMAGE_PIXELS``
  pixels, checked before it is decoded;
* a voxel stack (TIFF or NumPy ``.npy``) is at most ``MAX_STACK_BYTES``; its shape and
  data type are known from its header before the voxels are decoded (:func:`read_label_stack`),
  NumPy files are read without pickles.

Problems raise :class:`InputFileError` (a ``ValueError``, so pydantic validators turn
it into an error naming the YAML key) with one short line.
"""

from __future__ import annotations

import io
import os
import stat
import struct
from pathlib import Path

__all__ = ["InputFileError", "check_path_text", "check_directory_path", "read_bytes", "read_text", "read_png_gray", "read_csv_numbers",
           "MAX_DATA_BYTES", "MAX_IMAGE_PIXELS", "MAX_STACK_BYTES", "LabelStack", "read_label_stack"]

MAX_DATA_BYTES = 20_000_000  # a measured profile or height grid is kB to a few MB
MAX_IMAGE_PIXELS = 4_000_000  # 2000 x 2000: far more than a B-spline control net of <= 97^2 points uses
MAX_STACK_BYTES = 1_000_000_000  # a segmented stack of 1000^3 8-bit voxels: ~6e9 tetrahedra, beyond any machine here
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


class InputFileError(ValueError):
    """An input file that cannot be used: ``str()`` quotes the path, ``reason`` says why."""

    def __init__(self, reason: str, name: str | None = None):
        self.reason = reason
        super().__init__(f"{name!r} {reason}" if name is not None else reason)


def check_path_text(text: str) -> str:
    """``text`` unchanged if it can name a file: not empty, no NUL or control characters."""
    if not isinstance(text, str) or not text.strip():
        raise InputFileError("a path must be a non-empty string")
    bad = [c for c in text if not c.isprintable()]
    if bad:
        raise InputFileError(f"a path must not contain control characters (found {bad[0]!r})")
    if len(text) > 4096:
        raise InputFileError(f"a path of {len(text)} characters is too long (at most 4096)")
    return text


def check_directory_path(text: str) -> str:
    """``text`` if it can name a folder to write into: a clean path that is not an existing
    non-folder (``/dev/null``, a regular file)."""
    check_path_text(text)
    try:
        mode = os.stat(text).st_mode
    except OSError:  # does not exist yet (it is created), or unreachable (reported when writing)
        return text
    if not stat.S_ISDIR(mode):
        raise InputFileError(f"is {_kind(mode) if not stat.S_ISREG(mode) else 'a file'}, not a folder", text)
    return text


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_bytes(path: str | Path, max_bytes: int = MAX_DATA_BYTES) -> bytes:
    """The content of the regular file ``path`` (at most ``max_bytes``), never blocking."""
    name = check_path_text(str(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror or exc}", name) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"is {_kind(info.st_mode)}, not a regular file", name)
        if info.st_size > max_bytes:
            raise InputFileError(f"has {info.st_size} bytes; a file is limited to {max_bytes} bytes", name)
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise InputFileError(f"grew beyond {max_bytes} bytes while being read", name)
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror or exc}", name) from None
    finally:
        os.close(fd)


def read_text(path: str | Path, max_bytes: int = MAX_DATA_BYTES) -> str:
    """The UTF-8 text of the regular file ``path`` (see :func:`read_bytes`)."""
    try:
        return read_bytes(path, max_bytes).decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError("is not UTF-8 text", str(path)) from None


def read_csv_numbers(path: str | Path, max_bytes: int = MAX_DATA_BYTES):
    """A comma-separated table of numbers as a float array (``#`` comments; NaN for non-numbers)."""
    import numpy as np

    text = read_text(path, max_bytes)
    try:
        return np.genfromtxt(io.StringIO(text), delimiter=",", comments="#", dtype=float)
    except (ValueError, TypeError) as exc:
        raise InputFileError(f"cannot be read as numbers: {str(exc).splitlines()[0][:100]}", str(path)) from None


def png_size(data: bytes, name: str = "image") -> tuple[int, int]:
    """(width, height) from a PNG's signature and IHDR chunk; an error if it is not a PNG."""
    if len(data) < 33 or data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise InputFileError("is not a PNG image (wrong signature or header)", name)
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise InputFileError(f"is a PNG of {width} x {height} pixels", name)
    return width, height


def read_png_gray(path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS, max_bytes: int = MAX_DATA_BYTES):
    """A PNG as gray values in [0, 1], shape (rows, columns), top row first.

    The header is checked (signature, size <= ``max_pixels``) before decoding, so a
    decompression bomb (a small file declaring 8000 x 8000 pixels) is refused unread.
    """
    import numpy as np

    name = str(path)
    data = read_bytes(path, max_bytes)
    width, height = png_size(data, name)
    if width * height > max_pixels:
        raise InputFileError(f"has {width} x {height} pixels; at most {max_pixels} are accepted "
                             "(downsample the image)", name)
    try:
        import matplotlib.image

        img = np.asarray(matplotlib.image.imread(io.BytesIO(data), format="png"), float)
    except Exception as exc:  # PIL raises many types for corrupt data (OSError, SyntaxError, ...)
        detail = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
        raise InputFileError(f"is not a readable PNG: {detail}", name) from None
    gray = img[..., :3].mean(axis=-1) if img.ndim == 3 else img
    if gray.ndim != 2 or not np.all(np.isfinite(gray)):
        raise InputFileError("is not a 2D image of finite gray values", name)
    return gray / 255.0 if gray.max() > 1.0 else gray


class LabelStack:
    """A voxel stack whose header is read: ``shape``, ``dtype`` and, from TIFF metadata,
    ``voxel_size`` (dz, dy, dx) [m] or None. :meth:`array` decodes the voxels."""

    def __init__(self, name: str, data: bytes, kind: str):
        import numpy as np

        self.name, self._data, self._kind = name, data, kind
        self.voxel_size = None
        try:
            if kind == "npy":
                f = io.BytesIO(data)
                version = np.lib.format.read_magic(f)
                header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                self.shape, _, dtype = header(f)
            else:
                import tifffile

                with tifffile.TiffFile(io.BytesIO(data)) as tif:
                    series = tif.series[0]
                    self.shape, dtype = tuple(series.shape), series.dtype
                    self.voxel_size = _tiff_voxel_size(tif)
        except Exception as exc:  # numpy and tifffile raise many types for corrupt headers
            detail = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
            raise InputFileError(f"is not a readable {'NumPy' if kind == 'npy' else 'TIFF'} stack: {detail}",
                                 name) from None
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(n) for n in self.shape)

    def array(self):
        """The voxels (decoded now)."""
        import numpy as np

        try:
            if self._kind == "npy":
                return np.load(io.BytesIO(self._data), allow_pickle=False)
            import tifffile

            return tifffile.imread(io.BytesIO(self._data))
        except Exception as exc:  # a header that promises more than the file holds
            detail = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
            raise InputFileError(f"cannot be decoded: {detail}", self.name) from None


_LENGTH_UNITS = {"micron": 1e-6, "um": 1e-6, "\u00b5m": 1e-6, "\u03bcm": 1e-6, "nm": 1e-9, "mm": 1e-3, "m": 1.0}


def _tiff_voxel_size(tif):
    """(dz, dy, dx) [m] from ImageJ metadata (unit, spacing) and the resolution tags, or None."""
    meta = tif.imagej_metadata or {}
    unit = _LENGTH_UNITS.get(str(meta.get("unit", "")).strip().lower())
    tags = tif.pages[0].tags
    if unit is None or "spacing" not in meta or "XResolution" not in tags or "YResolution" not in tags:
        return None
    try:
        (xn, xd), (yn, yd) = tags["XResolution"].value, tags["YResolution"].value
        return float(meta["spacing"]) * unit, yd / yn * unit, xd / xn * unit
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def read_label_stack(path: str | Path, max_bytes: int = MAX_STACK_BYTES) -> LabelStack:
    """A TIFF (``.tif``, ``.tiff``) or NumPy (``.npy``) voxel stack, its header read (see
    :class:`LabelStack`); the file is checked as in :func:`read_bytes`."""
    name = str(path)
    suffix = Path(name).suffix.lower()
    kinds = {".npy": "npy", ".tif": "tiff", ".tiff": "tiff"}
    if suffix not in kinds:
        raise InputFileError("is neither a TIFF (.tif, .tiff) nor a NumPy (.npy) stack", name)
    return LabelStack(name, read_bytes(path, max_bytes), kinds[suffix])
