"""Golden files: presentation checked against files in tests/golden, written once here.

Run with ``UPDATE_GOLDEN=1`` to accept a change on purpose (and say why in the commit).
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, text: str) -> None:
    """``text`` equals tests/golden/``name``; with UPDATE_GOLDEN=1 it is written there first."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 to accept"
