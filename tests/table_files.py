"""Small tables written to files for a test, and the error an edit of one brings."""

from __future__ import annotations

from pathlib import Path

import pytest

from gnet_inspect.errors import SpecError
from gnet_inspect.spec.loader import load_spec


def write_table(tmp_path: Path, text: str, name: str = "small.yaml") -> Path:
    """``text`` as the table file ``name`` in ``tmp_path``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused_edit(tmp_path: Path, text: str, old: str, new: str) -> SpecError:
    """The SpecError that loading ``text`` with (the first) ``old`` replaced by ``new`` raises;
    ``old`` must be in ``text``, so that an edit that changes nothing cannot pass."""
    assert old in text
    with pytest.raises(SpecError) as caught:
        load_spec(write_table(tmp_path, text.replace(old, new, 1)))
    return caught.value
