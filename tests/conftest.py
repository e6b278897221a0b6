"""Shared fixtures: the bundled table's variants, built and measured once per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from gnet_inspect.cli.main import main
from gnet_inspect.measure.measure import measure
from gnet_inspect.reports.table import TableReport, table_report
from gnet_inspect.spec.loader import load_spec
from gnet_inspect.spec.schema import NetworkSpec

VARIANTS = ("paper", "caffe", "torchvision")

# Parallel workers share the machine's cores: each worker's torch (and every process a test
# starts) gets its share of them rather than all of them, so that workers do not fight over
# cores (no test asserts a speed; bench/ measures those).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    _SHARE = max(1, (os.cpu_count() or 1) // _WORKERS)
    os.environ["OMP_NUM_THREADS"] = str(_SHARE)
    torch.set_num_threads(_SHARE)


@pytest.fixture(scope="session")
def specs() -> dict[str, NetworkSpec]:
    return {name: load_spec(variant=name) for name in VARIANTS}


@pytest.fixture(scope="session")
def reports(specs: dict[str, NetworkSpec]) -> dict[str, TableReport]:
    return {name: table_report(measure(spec)) for name, spec in specs.items()}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Runs gnet-inspect in this process (the same entry the console script calls)."""

    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def console_script() -> Callable[..., Run]:
    """Runs the installed ``gnet-inspect`` console script in a subprocess, as a user would."""
    script = Path(sys.executable).with_name("gnet-inspect")

    def run(*args: str, cwd: Path | None = None) -> Run:
        done = subprocess.run(
            [str(script), *args], capture_output=True, text=True, cwd=cwd, timeout=300
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def assert_one_line_error(run: Run, *fragments: str) -> None:
    """A clean failure: non-zero exit, one line on stderr naming the fragments, no traceback."""
    assert run.code != 0, run
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("gnet-inspect: error: "), lines[0]
    assert "Traceback" not in run.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def console_script_to() -> Callable[..., Run]:
    """Runs the console script with stdout on ``target`` (a path such as /dev/full), or on a
    pipe whose reader has already gone (None)."""
    script = Path(sys.executable).with_name("gnet-inspect")

    def run(target: str | None, *args: str) -> Run:
        if target is not None:
            with open(target, "w") as stdout:
                done = subprocess.run(
                    [str(script), *args], stdout=stdout, stderr=subprocess.PIPE, text=True
                )
            return Run(done.returncode, "", done.stderr)
        process = subprocess.Popen(
            [str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        err = process.stderr.read()
        return Run(process.wait(timeout=300), "", err)

    return run


# Commands run in one process whose address space is limited (``ulimit -v``), so that a memory
# test can never take the machine down; one process for many commands saves torch imports.
_UNDER_A_LIMIT = """
import contextlib, io, json, resource, sys
from gnet_inspect.cli.main import main
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


def run_under_memory_limit(runs: list[list[str]], limit_bytes: int = 3 * 2**30) -> list[Run]:
    """Each argv run by ``main`` in one subprocess limited to ``limit_bytes`` of address space."""
    done = subprocess.run(
        [sys.executable, "-c", _UNDER_A_LIMIT, json.dumps(runs), str(limit_bytes)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [Run(code, "", err) for code, err in json.loads(done.stdout)]
