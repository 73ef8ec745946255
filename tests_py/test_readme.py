"""The README and the pages of `docs/` as written: every ```python block of a page runs, in order,
in one interpreter from the repository root, and a page's blocks together pass `mypy --strict`
with no Pydantic plugin."""

from __future__ import annotations

import re
from pathlib import Path

import mypy.api
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [
    page
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]
    if "```python" in page.read_text()
]


def python_blocks(page: Path = README) -> list[tuple[int, str]]:
    """Each ```python block of a page with the line its code starts on."""
    text = page.read_text()
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, match.start(1)) + 1
        blocks.append((line, match.group(1)))
    return blocks


def test_the_readme_has_python_blocks() -> None:
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_blocks_run_in_order(monkeypatch: pytest.MonkeyPatch, page: Path) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "readme"}
    for line, code in python_blocks(page):
        # Padded so that a traceback points at the page's own line.
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_blocks_type_check_without_plugins(tmp_path: Path, page: Path) -> None:
    script = tmp_path / "readme.py"
    script.write_text("\n".join(code for _, code in python_blocks(page)))
    config = tmp_path / "mypy.ini"  # what a user has: no project config, no plugin
    config.write_text("[mypy]\n")
    stdout, stderr, status = mypy.api.run(
        ["--strict", "--config-file", str(config), "--cache-dir", str(tmp_path), str(script)]
    )
    assert status == 0, stdout + stderr
