"""The house's layers: the spec layer loads without torch, and every id it accepts can be built.

Which layer may import which is checked by import-linter (``make lint``, contracts in
pyproject.toml); these tests check what a contract cannot see.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from torch import nn

from gnet_inspect.model import AuxClassifier, GoogLeNet, build_model
from gnet_inspect.spec.loader import load_spec
from gnet_inspect.spec.names import RESERVED_NAMES, is_free_name


def test_loading_every_bundled_variant_imports_no_torch():
    code = (
        "import sys\n"
        "from gnet_inspect.spec import loader, whatifs\n"
        "for variant in loader.list_variants():\n"
        "    spec = whatifs.without_reductions(loader.load_spec(variant=variant))\n"
        "assert 'torch' not in sys.modules, 'the spec layer imported torch'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_reserved_names_cover_every_attribute_of_the_built_network(specs):
    model = build_model(specs["paper"], weights="zeros")
    taken = {*dir(nn.Module()), *dir(nn.Sequential()), *dir(GoogLeNet), *dir(AuxClassifier)}
    taken |= set(vars(model))
    nameable = {name for name in taken if re.match(r"^[a-z][a-z0-9_]*$", name)}
    assert nameable <= RESERVED_NAMES, sorted(nameable - RESERVED_NAMES)


@pytest.mark.parametrize("name", ["spec", "row_ids", "taps", "training_loss", "forward", "to"])
def test_an_id_the_network_already_has_is_refused_in_the_loader(tmp_path, name):
    from gnet_inspect.errors import SpecError
    from gnet_inspect.spec.loader import bundled_table

    assert not is_free_name(name)
    text = bundled_table().read_text(encoding="utf-8").replace("id: pool3,", f"id: {name},")
    path = tmp_path / "table.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=rf"rows\[6\]\.id: '{name}' cannot name a module"):
        load_spec(path)
