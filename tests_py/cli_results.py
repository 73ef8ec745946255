"""How a `barter-python` command ended, for the command-line tests (a module the test files
import: pytest puts `tests_py` on `sys.path`)."""

from __future__ import annotations

import subprocess


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The output of a run that must succeed."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The error message of a run that must fail as a user error: exit 2, nothing on stdout, and
    a line `error: ...` on stderr (after a progress bar, if any)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert any(line.startswith("error: ") for line in result.stderr.splitlines())
    return result.stderr
