"""The package's own exceptions: each carries a one-line message meant for the user.

The CLI turns :class:`DendriteError` into that line on stderr and exit code 2 (input
errors) or 3 (run-time failures such as a diverged solver). Anything else is a bug.
Messages often quote user input; control characters in it (newlines, carriage returns,
terminal escapes) are shown escaped so that the message stays one harmless line.
"""


def one_line(text: str) -> str:
    """``text`` with every non-printable character escaped (``\\n``, ``\\x1b``, ...)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class DendriteError(Exception):
    """Base class for errors the user can act on."""

    exit_code = 2

    def __init__(self, message: str = ""):
        super().__init__(one_line(message))


class CaseError(DendriteError):
    """The case file is invalid: names the YAML key and what is allowed."""

    def __init__(self, key: str, message: str):
        self.key = one_line(key)
        super().__init__(f"{key}: {message}" if key else message)


class GeometryError(DendriteError):
    """The geometry cannot be built (impossible parameters or a Gmsh failure)."""


class SolverError(DendriteError):
    """A solver failed to converge or produced non-finite values."""

    exit_code = 3


class SettingError(CaseError):
    """An invalid setting of a physics or analysis API, named as that API names it.

    ``setting`` is the argument or attribute (``degree``, ``radius``,
    ``materials.grains.poissons_ratio``), not a YAML key: the physics knows nothing of
    case files. :func:`solver.config.adapter.case_keys` maps it back to the YAML key or
    command-line flag that exists. Still a :class:`CaseError` (exit code 2) for scripts.
    """

    def __init__(self, setting: str, message: str):
        self.setting = one_line(setting)
        self.detail = one_line(message)
        super().__init__(setting, message)


class OutputError(DendriteError):
    """Results cannot be written: no permission, a read-only or full file system.

    Exit code 2 when the user can fix the place (permissions, read-only), 3 when the
    system ran out of room (full disk, quota) or failed (I/O error).
    """

    def __init__(self, message: str, exit_code: int = 2):
        self.exit_code = exit_code
        super().__init__(message)


_OUT_OF_ROOM = {"ENOSPC", "EDQUOT", "EIO", "EFBIG"}


def from_os_error(exc: OSError) -> OutputError:
    """An :class:`OutputError` naming the path and the reason of an ``OSError``."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    path = exc.filename if exc.filename is not None else "output"
    reason = exc.strerror or str(exc) or type(exc).__name__
    hint = ("free some space or choose another folder (--out, outputs.directory)" if name in _OUT_OF_ROOM
            else "choose a folder you can write to (--out, outputs.directory)")
    return OutputError(f"{path}: cannot write: {reason}; {hint}", 3 if name in _OUT_OF_ROOM else 2)
