"""Which names a row or an aux head can take: each becomes a submodule's attribute name.

An id is lower-case letters, digits and '_', starting with a letter, and no name the built
network already has: an attribute of ``torch.nn.Module``, of ``nn.Sequential`` (an aux head's
rows are its children) or of gnet-inspect's ``GoogLeNet`` (``spec``, ``row_ids``, ``taps``,
``training_loss``). The list is written here so that loading a table needs no torch; a test
checks it against the classes of the torch that is installed.
"""

from __future__ import annotations

import re

__all__ = ["RESERVED_NAMES", "is_free_name"]

_ID = re.compile(r"[a-z][a-z0-9_]*")  # the whole name (fullmatch: no trailing newline)

RESERVED_NAMES = frozenset(
    {
        "add_module",
        "append",
        "apply",
        "bfloat16",
        "buffers",
        "call_super_init",
        "children",
        "compile",
        "cpu",
        "cuda",
        "double",
        "dump_patches",
        "eval",
        "extend",
        "extra_repr",
        "float",
        "forward",
        "get_buffer",
        "get_extra_state",
        "get_parameter",
        "get_submodule",
        "half",
        "insert",
        "ipu",
        "load_state_dict",
        "modules",
        "mtia",
        "named_buffers",
        "named_children",
        "named_modules",
        "named_parameters",
        "parameters",
        "pop",
        "register_backward_hook",
        "register_buffer",
        "register_forward_hook",
        "register_forward_pre_hook",
        "register_full_backward_hook",
        "register_full_backward_pre_hook",
        "register_load_state_dict_post_hook",
        "register_load_state_dict_pre_hook",
        "register_module",
        "register_parameter",
        "register_state_dict_post_hook",
        "register_state_dict_pre_hook",
        "requires_grad_",
        "row_ids",
        "set_extra_state",
        "set_submodule",
        "share_memory",
        "spec",
        "state_dict",
        "taps",
        "to",
        "to_empty",
        "train",
        "training",
        "training_loss",
        "type",
        "xpu",
        "zero_grad",
    }
)


def is_free_name(name: str) -> bool:
    """Whether ``name`` can name a submodule of the built network."""
    return bool(_ID.fullmatch(name)) and name not in RESERVED_NAMES
