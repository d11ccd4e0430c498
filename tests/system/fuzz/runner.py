"""Run hostile inputs through the command line and judge each answer.

``python -m tests.system.fuzz.runner LIST.json OUT.jsonl`` runs every ``[kind, command, path]``
of the list in this one process (``solver.cli.main``), each bounded by ``SIGALRM`` after
``CASE_SECONDS``, and writes one JSON line per entry (exit code, stderr, seconds) as soon
as it is done, so a hang that no alarm can break (inside C code) is pinned to its entry
by the caller's subprocess timeout. :func:`verdict` says what is wrong with an answer.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import signal
import sys
import time

CASE_SECONDS = 20
_KEYED = re.compile(r"^error: (?P<key>[^\s:][^:]*): \S")


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout


def verdict(code: int | None, stderr: str, seconds: float, limit: float = CASE_SECONDS) -> str | None:
    """None if the answer is right (exit 2, one keyed line, no traceback, in time), else why not."""
    if code is None or seconds > limit:
        return f"hang: no answer within {limit} s"
    if "Traceback" in stderr:
        return "traceback"
    if code == 0:
        return "accepted although invalid"
    if code == 1:
        return f"internal error: {stderr.strip()[:200]}"
    if code != 2:
        return f"exit code {code}, expected 2"
    lines = stderr.splitlines()
    if len(lines) != 1:
        return f"{len(lines)} lines on stderr"
    if not _KEYED.match(lines[0]):
        return f"no key named: {lines[0][:200]!r}"
    if any(ord(c) < 32 for c in lines[0]):
        return "control characters on the terminal"
    return None


def run_one(command: str, path: str) -> tuple[int | None, str, float]:
    from solver.cli import main

    err = io.StringIO()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_SECONDS)
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([command, path])
    except _Timeout:
        code = None
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.alarm(0)
    return code, err.getvalue(), time.perf_counter() - t0


def main(argv: list[str]) -> int:
    entries = json.loads(open(argv[0]).read())
    with open(argv[1], "a") as out:
        for kind, command, path in entries:
            code, stderr, seconds = run_one(command, path)
            out.write(json.dumps({"kind": kind, "code": code, "stderr": stderr, "seconds": seconds}) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    import solver  # noqa: F401  (dolfinx_solver first)

    sys.exit(main(sys.argv[1:]))
