"""A non-editable install carries the tables: built as a wheel, run from elsewhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_every_module_and_the_tables_and_runs_from_another_directory(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("gnet_inspect-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "gnet_inspect/tables/googlenet.yaml" in names
    sources = {str(p.relative_to(ROOT)) for p in (ROOT / "gnet_inspect").rglob("*.py")}
    assert sources <= names, sorted(sources - names)

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import gnet_inspect.spec.loader as loader\n"
        "assert str(loader.bundled_table()).startswith(" + repr(str(site)) + ")\n"
        "print(loader.load_spec(variant='caffe').row_ids[:3])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "('conv1', 'pool1', 'norm1')" in done.stdout
