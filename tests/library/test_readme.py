"""The README's library section runs as written (against the demo replay, no key)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def library_snippet() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Library\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's library section has a python example"
    return match.group(1)


def test_the_readme_library_example_runs(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", library_snippet()],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    ).stdout.splitlines()

    assert out[-5:-1] == ["7 False", "recorded 21 tokens", "1, 2, 3 14 7 0.0000042", out[-2]]
    assert out[-2].startswith("0.0000028 21 ")
    # The SDK call through httpx_client was recorded and called back too.
    assert out[-1] == "recorded 21 tokens"
    assert (tmp_path / "usage.db").exists()
