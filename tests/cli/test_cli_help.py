"""Help for every command answers without importing torch (it is what keeps it fast)."""

from __future__ import annotations

import subprocess
import sys

from gnet_inspect.cli.main import COMMANDS, app


def test_help_of_every_command_imports_no_torch():
    code = (
        "import sys\n"
        "from gnet_inspect.cli.main import COMMANDS, main\n"
        "for args in ([], ['--help'], *([c, '--help'] for c in COMMANDS)):\n"
        "    assert main(args) == 0, args\n"
        "assert 'torch' not in sys.modules, 'help imported torch'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Usage") == len(COMMANDS) + 2


def test_every_command_is_registered_once_and_listed():
    registered = [command.name or command.callback.__name__ for command in app.registered_commands]
    assert registered == list(COMMANDS)
