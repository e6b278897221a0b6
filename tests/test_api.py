"""The public API: every name in __all__ resolves, and importing the package needs no torch."""

from __future__ import annotations

import subprocess
import sys

import gnet_inspect


def test_every_public_name_resolves():
    for name in gnet_inspect.__all__:
        assert getattr(gnet_inspect, name) is not None, name


def test_importing_the_package_does_not_import_torch():
    code = "import sys, gnet_inspect; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_table_records_come_as_a_dataframe(reports):
    frame = reports["paper"].to_frame()
    assert frame.loc["inception_3a", "macs"] == 128_049_152
    assert frame.loc["aux_4a.fc", "head"] == "aux_4a"
    assert list(frame.index[:2]) == ["conv1", "pool1"]
