"""Hostile terminals, streams, names and signals: each ends in one line on stderr and a non-zero
exit, or in output that is whole; never a traceback, a hang or a half-written file (issue 9).

Every class is tested with the examples it was reported with and, where it has many members,
with a property over them: encodings, COLUMNS values, closed and full streams, control
characters, long names, special files, sets of files that fail part-way, signals at any moment.
Most run in this process on one measured view; a console script costs seconds (torch), so only
what needs a real process runs one.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from unittest import mock

import pytest
from conftest import Run, assert_one_line_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnet_inspect.cli.emit import emit, emit_renderable, emit_view
from gnet_inspect.cli.files import write_all_atomically, write_atomically
from gnet_inspect.cli.main import error_line
from gnet_inspect.cli.streams import prepared_output
from gnet_inspect.errors import OutputError
from gnet_inspect.render.format import ascii_fallback
from gnet_inspect.render.table_view import table_view

SCRIPT = Path(sys.executable).with_name("gnet-inspect")
SMALL = ("--variant", "torchvision", "--input-size", "64")
DOT_MODULE = ("diagram", "--format", "dot", "--module", "inception_3a", *SMALL)
FORMATS = ("table", "csv", "json", "markdown")
MANY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# What breaks a line or acts on a terminal, and so must never reach stderr raw.
UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")


@pytest.fixture(scope="module")
def view(reports):
    return table_view(reports["paper"])


@contextmanager
def stdout_as(stream: object) -> Iterator[None]:
    saved = sys.stdout
    sys.stdout = stream  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout = saved


def encoded_stream(encoding: str) -> io.TextIOWrapper:
    """A stdout as Python makes one for PYTHONIOENCODING=<encoding> (strict errors)."""
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, write_through=True)


def written(stream: io.TextIOWrapper) -> bytes:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


def emitted(view, format: str, encoding: str) -> str:
    stream = encoded_stream(encoding)
    with stdout_as(stream), prepared_output():
        emit_view(view, format, None)
    return written(stream).decode(encoding)  # strict: every byte is the encoding's own


def console(*args: str, env: dict[str, str] | None = None, encoding: str = "utf-8") -> Run:
    done = subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        env=dict(os.environ, **(env or {})),
        timeout=120,
    )
    return Run(done.returncode, done.stdout.decode(encoding), done.stderr.decode(encoding))


# --- A terminal whose encoding cannot carry × − ✓ ≈ ✗ ------------------------------------------


@MANY
@given(
    encoding=st.sampled_from(["ascii", "latin-1", "cp1252", "cp437", "koi8-r", "utf-8", "utf-16"]),
    format=st.sampled_from(FORMATS),
)
def test_every_format_reaches_a_stdout_of_any_encoding_whole(view, encoding, format):
    text, utf8 = emitted(view, format, encoding), emitted(view, format, "utf-8")
    if format == "json":  # escaped, not spelled: the same document
        assert json.loads(text) == json.loads(utf8)
    else:
        assert len(text.splitlines()) == len(utf8.splitlines())
    if format == "table":  # one character for one: the grid keeps its columns
        widths = [len(line) for line in text.splitlines()]
        assert widths == [len(line) for line in utf8.splitlines()]


def test_an_ascii_terminal_reads_the_papers_characters_in_ascii(view):
    text = emitted(view, "markdown", "ascii")
    assert "| convolution | 7x7/2 | 112x112x64 |" in text
    assert "-0.338M" in text and "xx [1]" in text and "++ |" in text
    assert "7×7/2" in emitted(view, "markdown", "latin-1")  # Latin-1 has ×, and keeps it


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(),
    encoding=st.sampled_from(["ascii", "latin-1", "cp1252", "koi8-r", "shift_jis", "utf-8"]),
)
def test_any_text_reaches_a_stdout_of_any_encoding(text, encoding):
    stream = encoded_stream(encoding)
    with stdout_as(stream), prepared_output():
        emit(text, None)
    decoded = written(stream).decode(encoding)
    try:
        encoded = text.encode(encoding)
    except UnicodeEncodeError:
        assert decoded != text  # spelled otherwise, and not a failure
    else:  # what the codec itself carries (Shift JIS reads back its ¥ as a backslash)
        assert decoded == encoded.decode(encoding)


def test_the_bytes_of_a_file_name_that_is_no_text_are_written_back():
    stream = encoded_stream("ascii")
    with stdout_as(stream), prepared_output():
        emit("/tmp/\udcff\udcfe.md\n", None)
    assert written(stream) == b"/tmp/\xff\xfe.md\n"


@pytest.mark.parametrize(
    "char",
    [*"×−✓≈✗…—→Δ┃━┏é²€☃", "\u0301", "\U0001f600"],
)
def test_every_character_has_a_printable_ascii_spelling(char):
    spelled = ascii_fallback(char)
    assert spelled and spelled.isascii() and spelled.isprintable()


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": "latin-1"},
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    ],
    ids=["ascii", "latin-1", "C-locale"],
)
def test_the_help_and_an_error_on_a_non_utf8_terminal(env):
    latin = env.get("PYTHONIOENCODING") == "latin-1"
    encoding = "latin-1" if latin else "ascii"  # strict: every byte is the terminal's own
    help = console("table", "--help", env=env, encoding=encoding)
    assert help.code == 0 and help.err == "", help.err
    assert ("its 1×1 reductions" if latin else "its 1x1 reductions") in help.out
    error = console("table", "--format", "7×7−1", env=env, encoding=encoding)
    # In the C locale Python reads the argument's UTF-8 bytes as undecodable, and click quotes
    # them escaped; with PYTHONIOENCODING they are text, and × and − are spelled as they fit.
    expected = {"ascii": "'7x7-1'", "latin-1": "'7×7-1'"}.get(env.get("PYTHONIOENCODING", ""))
    assert_one_line_error(error, f"{expected or ''} is not one of")


def test_a_table_on_a_c_locale_terminal_is_ascii():
    env = {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    run = console("table", "--format", "markdown", *SMALL, env=env, encoding="ascii")
    assert run.code == 0 and run.err == "", run.err
    assert "| convolution | 7x7/2 | 32x32x64 (paper 112x112x64) |" in run.out


def test_a_file_stays_utf8_whatever_the_terminal(tmp_path):
    target = tmp_path / "t.md"
    with stdout_as(encoded_stream("ascii")), prepared_output():
        emit("7×7/2 −0.338M ✓\n", target)
    assert target.read_text(encoding="utf-8") == "7×7/2 −0.338M ✓\n"


def test_a_file_name_that_is_no_text_is_named_by_its_bytes(cli):
    # Python's name for the bytes 0xff 0xfe of a file name that is not UTF-8
    run = cli("docs", "/proc/\udcff\udcfe")
    assert_one_line_error(run, "cannot create /proc/\\xff\\xfe")


# --- COLUMNS and the other widths ---------------------------------------------------------------

COLUMNS_VALUES = st.one_of(
    st.sampled_from(["", " ", "abc", "0", "-1", "-80", "1e3", "80 ", "+90", "1_000", "١٢٠"]),
    st.integers(-(10**12), 10**12).map(str),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
)


def expected_width(columns: str) -> int:
    """The spec: a positive whole number, clamped to 20..1000; anything else the file width."""
    try:
        value = int(columns)
    except ValueError:
        return 240
    return min(max(value, 20), 1000) if value > 0 else 240


@MANY
@given(columns=COLUMNS_VALUES)
def test_any_columns_value_renders_the_table_within_a_sane_width(view, columns):
    stream = encoded_stream("utf-8")
    with mock.patch.dict(os.environ, {"COLUMNS": columns}), stdout_as(stream), prepared_output():
        emit_renderable(view.terminal, None)
    lines = written(stream).decode().splitlines()
    assert lines and max(len(line) for line in lines) <= expected_width(columns)


def test_junk_columns_with_a_pipe_prints_the_table(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "")
    run = cli("table", *SMALL)
    assert run.code == 0 and run.err == "" and "inception (3a)" in run.out
    assert os.environ["COLUMNS"] == ""  # the run's own clamping is undone after it


@pytest.mark.parametrize(
    "env",
    [
        {"COLUMNS": "abc", "TERMINAL_WIDTH": "abc"},
        {"COLUMNS": "0", "TERMINAL_WIDTH": "-3"},
        {"COLUMNS": str(10**9), "TERMINAL_WIDTH": str(10**9)},
    ],
)
def test_the_help_takes_any_width_from_the_environment(env):
    run = console("--help", env=env)
    assert run.code == 0 and run.err == "", run.err
    assert "Usage" in run.out and max(len(line) for line in run.out.splitlines()) <= 1000


# --- Closed and full streams --------------------------------------------------------------------


def test_a_closed_stdout_is_one_line_and_a_file_is_still_written(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdout", None)  # what Python makes of `>&-`
    assert_one_line_error(cli(*DOT_MODULE), "cannot write to standard output: it is closed")
    target = tmp_path / "m.dot"
    run = cli(*DOT_MODULE, "-o", str(target))
    assert run.code == 0 and run.err == "", run.err
    assert target.read_text(encoding="utf-8").startswith("digraph")
    assert sys.stdout is None  # put back as it was found


@pytest.mark.parametrize(
    ("redirect", "args", "code", "stderr"),
    [
        (">&-", ["--help"], 1, "cannot write to standard output: it is closed"),
        (">/dev/full", ["--help"], 1, "No space left on device"),
        ("2>&-", ["table", "--format", "xml"], 2, None),
        ("2>/dev/full", ["table", "--format", "xml"], 2, None),
        (">&- 2>&-", ["--help"], 1, None),
    ],
)
def test_closed_and_full_streams_from_the_shell(redirect, args, code, stderr):
    done = subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {redirect}', str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    run = Run(done.returncode, done.stdout, done.stderr)
    assert run.code == code and run.out == "", run
    if stderr is None:
        assert run.err == ""
    else:
        assert_one_line_error(run, stderr)


def test_a_closed_descriptor_is_held_so_no_file_takes_its_number():
    code = (
        "import os\n"
        "from gnet_inspect.cli.streams import prepared_output\n"
        "with prepared_output():\n"
        "    fd = os.open(os.devnull, os.O_RDONLY)\n"
        "    os.fstat(1)\n"
        "os.write(2, str(fd).encode())\n"
    )
    done = subprocess.run(
        ["sh", "-c", 'exec "$0" -c "$1" >&-', sys.executable, code],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stderr) > 2


def test_binary_output_for_a_terminal_is_refused_and_text_bytes_pass(monkeypatch):
    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    stream = Terminal(io.BytesIO(), encoding="utf-8")
    with stdout_as(stream), prepared_output():
        with pytest.raises(OutputError, match="binary output for a terminal"):
            emit(b"\x89PNG\r\n\x1a\n", Path("-"))
        emit(b"digraph {}\n", Path("-"))
    assert written(stream) == b"digraph {}\n"


# --- One line, whatever the message quotes ------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_an_error_is_one_line_whatever_it_quotes(message):
    line = error_line(message)
    assert len(line.splitlines()) == 1
    assert not any(unicodedata.category(char) in UNSAFE for char in line)
    if not any(unicodedata.category(char) in UNSAFE for char in message):
        assert line == "gnet-inspect: error: " + message


@pytest.mark.parametrize(
    "args",
    [
        ("table", "--variant", "a\nb"),
        ("table", "--variant", "x\r\x1b[2Jy\u2028z\x85w"),
        ("table", "--spec", "/nonexistent/new\nline.yaml"),
        ("table", "--whatif", "no\nsuch"),
        ("table", "--format", "x\ny"),
        ("diagram", "--annotate", "sha\npe"),
        ("docs", "/proc/new\nfolder"),
    ],
)
def test_a_users_string_with_control_characters_stays_on_one_line(cli, args):
    run = cli(*args)
    assert_one_line_error(run)
    assert "\x1b" not in run.err and "\r" not in run.err


def test_a_table_whose_ids_hold_newlines_fails_on_one_line(cli, tmp_path):
    table = tmp_path / "t.yaml"
    table.write_text('network: "Goog\\nLeNet"\nrows:\n  - id: "conv\\n1"\n    type: "con\\nv"\n')
    assert_one_line_error(cli("table", "--spec", str(table)), str(table))


NAMES = ("paper", "caffe", "torchvision")


@MANY
@given(value=st.text(st.characters(blacklist_characters="\x00"), min_size=1, max_size=12))
def test_any_variant_name_fails_on_one_line(cli, value):
    if value.strip() in NAMES:
        return
    run = cli("table", "--variant", value)
    assert_one_line_error(run)


# --- Names of any length ------------------------------------------------------------------------


def test_a_name_too_long_is_one_line_and_a_legal_long_name_is_written(tmp_path):
    write_atomically(tmp_path / ("b" * 255), b"whole")
    assert (tmp_path / ("b" * 255)).read_bytes() == b"whole"
    with pytest.raises(OutputError, match="File name too long; choose a writable path"):
        write_atomically(tmp_path / ("a" * 256), b"x")
    with pytest.raises(OutputError, match="File name too long"):
        write_atomically(tmp_path.joinpath(*["c" * 200] * 25, "t.txt"), b"x")
    assert [path.name for path in tmp_path.iterdir()] == ["b" * 255]


def test_an_odd_target_is_one_line(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "file").write_text("a file")
    for target, fragment in [
        (tmp_path / "loop", "Too many levels of symbolic links"),
        (tmp_path / "file" / "x", "Not a directory"),
        (Path("/dev/fd/987"), "Bad file descriptor"),  # a descriptor that is not open
    ]:
        with pytest.raises(OutputError, match=f"cannot write {target}: {fragment}"):
            write_atomically(target, b"x")
    assert (tmp_path / "file").read_text() == "a file"


@MANY
@given(stem=st.text(st.sampled_from("aé€😀"), min_size=1, max_size=300))
def test_a_name_is_written_exactly_when_the_file_system_takes_it(tmp_path_factory, stem):
    folder = tmp_path_factory.mktemp("names")
    fits = len(stem.encode()) <= 255
    if fits:
        write_atomically(folder / stem, b"data")
        assert (folder / stem).read_bytes() == b"data"
    else:
        with pytest.raises(OutputError, match="File name too long"):
            write_atomically(folder / stem, b"data")
    assert len(list(folder.iterdir())) == int(fits)  # no temporary left behind


def test_a_256_character_output_name_from_the_command_line(cli, tmp_path):
    run = cli(*DOT_MODULE, "-o", str(tmp_path / ("a" * 256)))
    assert_one_line_error(run, "File name too long")
    assert list(tmp_path.iterdir()) == []


def test_a_docs_folder_name_too_long_is_one_line(cli, tmp_path):
    assert_one_line_error(cli("docs", str(tmp_path / ("d" * 256))), "File name too long")


# --- /dev/stdout, /dev/fd/N, named pipes, `-o -` ------------------------------------------------

_WRITE_EACH = (
    "import sys\n"
    "from pathlib import Path\n"
    "from gnet_inspect.cli.files import write_atomically\n"
    "for path, text in zip(sys.argv[1::2], sys.argv[2::2]):\n"
    "    write_atomically(Path(path), text.encode())\n"
)


@needs_proc
def test_descriptor_links_are_written_to_the_descriptors_they_name():
    reader, writer = os.pipe()
    paths = ["/dev/stdout", "A", "/dev/stderr", "B", f"/dev/fd/{writer}", "C"]
    paths += ["/proc/self/fd/1", "D"]
    done = subprocess.run(
        [sys.executable, "-c", _WRITE_EACH, *paths],
        capture_output=True,
        pass_fds=[writer],
        timeout=60,
    )
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        assert pipe.read() == b"C"
    assert (done.returncode, done.stdout, done.stderr) == (0, b"AD", b"B")


@needs_proc
def test_dev_stdout_appends_where_the_shell_opened_the_file(tmp_path):
    target = tmp_path / "log.txt"
    target.write_text("header\n")
    with target.open("ab") as stdout:
        done = subprocess.run(
            [sys.executable, "-c", _WRITE_EACH, "/dev/stdout", "table\n"], stdout=stdout, timeout=60
        )
    assert done.returncode == 0
    assert target.read_text() == "header\ntable\n"


@needs_proc
def test_dev_stdout_into_a_pipe_from_the_command_line():
    run = console(*DOT_MODULE, "-o", "/dev/stdout")
    assert run.code == 0 and run.err == "", run.err
    assert run.out.startswith("digraph")


def within(seconds: float, call: Callable[[], object], unblock: Callable[[], None]) -> object:
    """``call``'s result, or a failure if it takes longer (``unblock`` then frees it)."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        unblock()
        thread.join(10)
        pytest.fail(f"still blocked after {seconds} s")
    return outcome[0]


def _read_once(fifo: Path) -> None:
    with suppress(OSError):
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))


def test_a_named_pipe_without_a_reader_fails_at_once(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    outcome = within(20, lambda: write_atomically(fifo, b"x"), lambda: _read_once(fifo))
    assert isinstance(outcome, OutputError), outcome
    assert "no process is reading this named pipe" in str(outcome)
    assert fifo.is_fifo()


def test_a_named_pipe_with_a_reader_gets_everything(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    data = b"x" * 300_000  # more than a pipe holds: written while the reader reads
    for _ in range(200):  # the reader opens the pipe in its own time
        try:
            write_atomically(fifo, data)
            break
        except OutputError:
            time.sleep(0.02)
    reader.join(20)
    assert received == [data]


def test_a_named_pipe_without_a_reader_from_the_command_line(cli, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    run = within(60, lambda: cli(*DOT_MODULE, "-o", str(fifo)), lambda: _read_once(fifo))
    assert isinstance(run, Run), run
    assert_one_line_error(run, f"cannot write {fifo}", "no process is reading")


def test_dash_is_stdout(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = cli(*DOT_MODULE, "-o", "-")
    assert run.code == 0 and run.out.startswith("digraph"), run.err
    assert list(tmp_path.iterdir()) == []


# --- A set of files, all or none ----------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".gnet-inspect"))


def test_a_target_that_cannot_be_replaced_stops_the_set_before_any_rename(tmp_path):
    (tmp_path / "a.md").write_text("old a")
    (tmp_path / "c.md").mkdir()
    files = [(tmp_path / name, b"new") for name in ("a.md", "b.md", "c.md", "d.md")]
    with pytest.raises(OutputError, match=r"c\.md: it is a directory"):
        write_all_atomically(files)
    assert (tmp_path / "a.md").read_text() == "old a"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.md", "c.md"]
    os.mkfifo(tmp_path / "b.md")
    with pytest.raises(OutputError, match=r"cannot replace .*b\.md: it is not a regular file"):
        write_all_atomically(files[:2])
    assert (tmp_path / "a.md").read_text() == "old a" and _leftovers(tmp_path) == []


@settings(max_examples=60, deadline=None)
@given(
    old=st.lists(st.booleans(), min_size=1, max_size=5),
    failing_call=st.integers(0, 12),
    where=st.sampled_from(["write", "replace", "signal"]),
)
def test_a_set_that_fails_anywhere_leaves_every_file_as_it_was(
    tmp_path_factory, old, failing_call, where
):
    folder = tmp_path_factory.mktemp("set")
    paths = [folder / f"f{i}.md" for i in range(len(old))]
    for path, existed in zip(paths, old):
        if existed:
            path.write_text(f"old {path.name}")
    before = {path: path.read_text() if path.exists() else None for path in paths}
    calls = []
    real = {"write": os.fsync, "replace": os.replace, "signal": os.replace}[where]

    def failing(*args):
        calls.append(args)
        if len(calls) == failing_call + 1:
            if where == "signal":
                raise KeyboardInterrupt  # as a Ctrl-C or SIGTERM arriving between two renames
            raise OSError(28, "No space left on device")
        return real(*args)

    target = "fsync" if where == "write" else "replace"
    try:
        with mock.patch.object(os, target, failing):
            write_all_atomically([(path, f"new {path.name}".encode()) for path in paths])
    except (OutputError, KeyboardInterrupt):
        after = {path: path.read_text() if path.exists() else None for path in paths}
        assert after == before
    else:
        assert all(path.read_text() == f"new {path.name}" for path in paths)
    assert _leftovers(folder) == []


def test_docs_into_a_folder_with_a_file_it_cannot_replace_changes_nothing(cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "network.svg").write_text("old figure")
    (folder / "index.md").write_text("old index")
    (folder / "table.md").mkdir()  # cannot be replaced by a file
    run = cli("docs", str(folder), "--module", "conv2", *SMALL)
    assert_one_line_error(run, "table.md: it is a directory")
    assert sorted(path.name for path in folder.iterdir()) == ["index.md", "network.svg", "table.md"]
    assert (folder / "network.svg").read_text() == "old figure"
    assert (folder / "index.md").read_text() == "old index"


# --- Signals ------------------------------------------------------------------------------------


def _started(process: subprocess.Popen) -> None:
    """Waits until the console script has its own handlers (SIGTERM caught), which it sets
    before anything of gnet-inspect is imported; before then it is Python starting."""
    status = Path(f"/proc/{process.pid}/status")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        caught = next(line for line in status.read_text().splitlines() if line.startswith("SigCgt"))
        if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.002)
    pytest.fail("the console script never set its signal handlers")


def _signalled(signum: int, after: float | None, *args: str) -> Run:
    process = subprocess.Popen(
        [str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if after is not None:
        _started(process)
        time.sleep(after)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    return Run(process.returncode, out, err)


@needs_proc
@pytest.mark.parametrize(
    ("signum", "after"),
    [
        (signal.SIGINT, 0.0),
        (signal.SIGINT, 0.05),
        (signal.SIGINT, 0.2),
        (signal.SIGINT, 0.5),
        (signal.SIGINT, 1.5),  # inside the command: typer would end it silently
        (signal.SIGTERM, 0.0),
        (signal.SIGTERM, 1.0),
        (signal.SIGHUP, 0.2),
    ],
)
def test_a_signal_at_any_moment_ends_in_one_line(signum, after):
    # A profile of 10^6 passes is still running at the latest signal, on any machine (a
    # table once ended before 1.5 s on an idle one, and the signal found no process).
    long = ("profile", "--format", "csv", "--warmup", "0", "--repeats", "1000000")
    run = _signalled(signum, after, *long, *SMALL)
    words = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}
    assert run.code == 128 + signum, run
    assert run.err == f"gnet-inspect: error: {words[signum]}\n"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_once_the_package_has_begun_to_import_is_one_line(signum):
    """From the package's first line on, the console script ends in one line: here the
    signal lands after ``import gnet_inspect`` and before the command line (typer, rich,
    ``signal`` itself) is imported, the moment a Ctrl-C 0.1 s after start once hit."""
    code = (
        "import os, sys; sys.argv[0] = os.path.join(os.getcwd(), 'gnet-inspect'); "
        f"import gnet_inspect; os.kill(os.getpid(), {int(signum)}); "
        "import gnet_inspect.cli.main"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    words = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}
    assert (done.returncode, done.stderr) == (
        128 + signum,
        f"gnet-inspect: error: {words[signum]}\n",
    )


def test_importing_the_package_in_another_program_keeps_its_handlers():
    code = (
        "import signal; before = signal.getsignal(signal.SIGINT); import gnet_inspect, "
        "gnet_inspect.cli.main; print(signal.getsignal(signal.SIGINT) is before)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr


def test_a_signal_before_python_has_started_ends_it_silently():
    # Before Python has set its own handler nothing of ours can run: the process ends by the
    # signal, as any program does (a shell reports 130), with nothing on stderr.
    run = _signalled(signal.SIGINT, None, "table")
    ours = (130, "gnet-inspect: error: interrupted\n")
    assert (run.code, run.err) in {(-signal.SIGINT, ""), ours}


@needs_proc
def test_sigterm_during_docs_removes_the_folder_it_made(tmp_path):
    folder = tmp_path / "new" / "docs"
    process = subprocess.Popen(
        [str(SCRIPT), "docs", str(folder), "--module", "conv2", *SMALL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not folder.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    process.terminate()
    out, err = process.communicate(timeout=120)
    assert (process.returncode, out, err) == (143, "", "gnet-inspect: error: terminated\n")
    assert list(tmp_path.iterdir()) == []


# --- A dot that hangs, fails or crashes ---------------------------------------------------------


@pytest.fixture(scope="module")
def small_graph():
    from gnet_inspect.measure.measure import measure
    from gnet_inspect.reports.diagram.graph import diagram_graph
    from gnet_inspect.spec.loader import load_spec

    return diagram_graph(measure(load_spec(variant="torchvision"), 64), None, "inception_3a")


def fake_dot(folder: Path, body: str) -> None:
    script = folder / "dot"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)


def test_a_dot_that_never_exits_is_stopped_in_its_time(small_graph, tmp_path, monkeypatch):
    from gnet_inspect.errors import RenderError
    from gnet_inspect.render.diagram import DiagramStyle, render_diagram

    fake_dot(tmp_path, f"echo $$ > {tmp_path / 'pid'}\nexec sleep 60")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GNET_INSPECT_DOT_TIMEOUT", "0.5")
    started = time.monotonic()
    with pytest.raises(RenderError, match=r"dot did not render svg within 0\.5 s and was stopped"):
        render_diagram(small_graph, "svg", DiagramStyle())
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(int((tmp_path / "pid").read_text()), 0)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('printf "Error: line one\\nline two \\033[31m\\n" >&2; exit 3', "svg: Error: line one"),
        ('printf "\\377\\376 not text\\n" >&2; exit 1', "not text"),
        ("kill -9 $$", "stopped by signal 9"),
        ("cat > /dev/null; exit 0", "dot rendered no svg"),
    ],
)
def test_a_dot_that_fails_says_so_in_one_line(small_graph, tmp_path, monkeypatch, body, fragment):
    from gnet_inspect.errors import RenderError
    from gnet_inspect.render.diagram import DiagramStyle, render_diagram

    fake_dot(tmp_path, body)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(RenderError) as failure:
        render_diagram(small_graph, "svg", DiagramStyle())
    line = error_line(str(failure.value))
    assert len(line.splitlines()) == 1 and fragment in line and "\x1b" not in line


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan", "inf", "1e999", "2s"])
def test_a_dot_timeout_that_is_no_number_of_seconds_fails_before_any_work(monkeypatch, value):
    from gnet_inspect.errors import RenderError
    from gnet_inspect.render.diagram import require_dot

    monkeypatch.setenv("GNET_INSPECT_DOT_TIMEOUT", value)
    with pytest.raises(RenderError, match=r"GNET_INSPECT_DOT_TIMEOUT=.* is no number of seconds"):
        require_dot("svg")
    require_dot("dot")  # the DOT source needs no dot, nor its time


@pytest.mark.parametrize("value", ["", " 2 ", "0.5", "600"])
def test_a_dot_timeout_in_seconds_is_taken(monkeypatch, value):
    from gnet_inspect.render.diagram import require_dot

    monkeypatch.setenv("GNET_INSPECT_DOT_TIMEOUT", value)
    require_dot("svg")
