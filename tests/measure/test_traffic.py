"""Each entry's least activation traffic, against the shapes the table prints."""

from __future__ import annotations

from gnet_inspect.measure.measure import measure
from gnet_inspect.measure.traffic import entry_traffic
from gnet_inspect.spec.schema import InceptionRow


def _elements(size) -> int:
    return size.height * size.width * size.channels


def test_a_branch_reads_its_module_input_and_the_concat_reads_every_branch(specs):
    measured = measure(specs["paper"])
    traffic = entry_traffic(measured, "branches")
    outputs = {r.id: r.output for r in measured.rows if r.head is None}
    rows = [r.id for r in measured.rows if r.head is None]
    for row in specs["paper"].rows:
        if not isinstance(row, InceptionRow):
            continue
        given = _elements(outputs[rows[rows.index(row.id) - 1]])
        branches = [f"{row.id}.{b}" for b in ("branch1x1", "branch3x3", "branch5x5", "branch_pool")]
        widths = [row.ch1x1, row.ch3x3, row.ch5x5, row.pool_proj]
        grid = outputs[row.id].height * outputs[row.id].width
        for branch, width in zip(branches, widths, strict=True):
            assert traffic[branch].read == given, branch
            assert traffic[branch].written == grid * width, branch
        concat = traffic[f"{row.id}.concat"]
        assert concat.read == concat.written == _elements(outputs[row.id])


def test_the_branches_traffic_adds_up_to_more_than_their_module_reads(specs):
    # Four branches each read the module's input, which the module as one entry reads once.
    measured = measure(specs["paper"])
    modules, branches = entry_traffic(measured, "modules"), entry_traffic(measured, "branches")
    inside = [k for k in branches if k.startswith("inception_3a.") and not k.endswith("concat")]
    assert sum(branches[k].read for k in inside) == 4 * modules["inception_3a"].read
