"""The package's own exceptions: each carries a one-line message meant for the user.

The CLI turns :class:`DendriteError` into that line on stderr and exit code 2 (input
errors) or 3 (run-time failures such as a diverged solver). Anything else is a bug.
"""


class DendriteError(Exception):
    """Base class for errors the user can act on."""

    exit_code = 2


class CaseError(DendriteError):
    """The case file is invalid: names the YAML key and what is allowed."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


class GeometryError(DendriteError):
    """The geometry cannot be built (impossible parameters or a Gmsh failure)."""


class SolverError(DendriteError):
    """A solver failed to converge or produced non-finite values."""

    exit_code = 3
