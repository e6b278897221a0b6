"""Hostile tables end in one line: the loader accepts only what can be built.

Four classes, each tested by examples (every one a traceback, a hang or a silent wrong network
before the loader bounded it) and by properties over many members: numbers of any size
anywhere a number is read; a misspelled key at any level of a variant; a path that is not a
small regular file; an id that the built network already has.
"""

from __future__ import annotations

import copy
import os
import signal
from pathlib import Path

import pytest
import yaml
from conftest import assert_one_line_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnet_inspect.errors import SpecError
from gnet_inspect.spec.limits import MAX_TABLE_BYTES, MAX_UNITS, shown
from gnet_inspect.spec.loader import bundled_table, load_spec
from gnet_inspect.spec.names import RESERVED_NAMES
from gnet_inspect.spec.rows import ROW_TYPES, row_keys

TEXT = bundled_table().read_text(encoding="utf-8")
BASE = yaml.safe_load(TEXT)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def no_hang():
    """A test that blocks (a FIFO without a writer) fails after 20 s instead of hanging."""

    def stop(*_):
        raise TimeoutError("the loader blocked")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _write(folder: Path, text: str, name: str = "table.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path, *fragments: str, variant: str | None = None) -> str:
    """Loading ``path`` raises a one-line SpecError naming the file and ``fragments``."""
    with pytest.raises(SpecError) as caught:
        load_spec(path, variant)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert len(message) < 500 + len(str(path)), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# -- numbers: every place a number is read is bounded --------------------------------------------

# (text in the bundled table, the same with the number {n} in it, the YAML path of the number)
YAML_NUMBERS = [
    ("ch1x1: 64,", "ch1x1: {n},", "rows[4].ch1x1"),
    ("depth: 1, params: 2.7K", "depth: {n}, params: 2.7K", "rows[0].depth"),
    ("p: 0.4,", "p: {n},", "rows[16].p"),
    ("loss_weight: 0.3", "loss_weight: {n}", "aux_heads[0].loss_weight"),
    ("schema: 1", "schema: {n}", "schema"),
    ("  depth: 22\n", "  depth: {n}\n", "claims.depth"),
    ("base: 1024}", "base: {n}}}", "conventions.printed_params.base"),
    ("size: 5, alpha", "size: {n}, alpha", "variants.caffe.insert_after.pool1.size"),
    ("alpha: 0.0001", "alpha: {n}", "variants.caffe.insert_after.pool1.alpha"),
    ("batch_norm: 0.001", "batch_norm: {n}", "variants.torchvision.layers.batch_norm"),
    (
        "inception: {ch5x5_kernel: 3}",
        "inception: {{ch5x5_kernel: {n}}}",
        "variants.torchvision.rows_of_type.inception.ch5x5_kernel",
    ),
    ("dropout: {p: 0.2}", "dropout: {{p: {n}}}", "variants.torchvision.rows.dropout.p"),
    (
        "      pool4: {patch: 2×2/2}",
        "      conv1: {{depth_multiplier: {n}}}\n      pool4: {{patch: 2×2/2}}",
        "variants.torchvision.rows.conv1.depth_multiplier",
    ),
    ("{id: pool3,", "{{id: {n},", "rows[6].id"),
    # As keys, written explicitly: YAML reads a plain key of at most 1,024 characters.
    ("  softmax: >-", "  ? {n}\n  : >-", "notes"),
    ("  caffe:\n", "  ? {n}\n  :\n", "variants"),
]
# Numbers written inside the paper's notations: 7×7/2, 112×112×64, 2.7K, 224×224×3.
TEXT_NUMBERS = [
    ("patch: 7×7/2", "patch: {n}×{n}/2", "rows[0].patch"),
    ("output: 112×112×64", "output: 112×112×{n}", "rows[0].output"),
    ("params: 2.7K", "params: {n}K", "rows[0].params"),
    ("input: 224×224×3", "input: {n}×{n}×3", "input"),
    ("macs: 1.5G", "macs: {n}G", "claims.macs"),
]


def _with_number(place: tuple[str, str, str], number: str) -> str:
    old, new, _ = place
    assert old in TEXT, old
    return TEXT.replace(old, new.format(n=number), 1)


@pytest.mark.parametrize(
    "number",
    ["9" * 5000, "0x" + "f" * 5000, "1" + "0" * 400, "-" + "7" * 4400, "1_" + "0" * 4500],
    ids=["5000-digits", "hex-5000-digits", "10**400", "negative-4400-digits", "underscores"],
)
@pytest.mark.parametrize("place", YAML_NUMBERS, ids=[p[2] for p in YAML_NUMBERS])
def test_a_number_of_thousands_of_digits_is_refused_where_it_is(tmp_path, place, number):
    path = _write(tmp_path, _with_number(place, number))
    _refused(path, place[2])


@pytest.mark.parametrize("place", TEXT_NUMBERS, ids=[p[2] for p in TEXT_NUMBERS])
def test_a_number_of_thousands_of_digits_in_a_notation_is_refused(tmp_path, place):
    path = _write(tmp_path, _with_number(place, "9" * 5000))
    _refused(path, place[2], "at most")


@pytest.mark.parametrize(
    ("place", "number", "fragment"),
    [
        (YAML_NUMBERS[0], str(MAX_UNITS + 1), "at most 1,048,576"),
        (TEXT_NUMBERS[1], str(10**400), "at most 1,048,576"),
        (YAML_NUMBERS[3], "1.0e+400", "from 0 to"),  # inf
        (YAML_NUMBERS[3], ".nan", "from 0 to"),
        (YAML_NUMBERS[3], str(10**30), "from 0 to 1e+06"),
        (YAML_NUMBERS[9], "-.inf", "from 0 to 1"),
        (YAML_NUMBERS[8], "1.0e+7", "from 0 to 1e+06"),
    ],
)
def test_numbers_beyond_their_bounds_say_the_bound(tmp_path, cli, place, number, fragment):
    path = _write(tmp_path, _with_number(place, number))
    run = cli("table", "--spec", str(path), "--format", "csv")
    assert_one_line_error(run, str(path), place[2], fragment)


def test_a_channel_count_of_ten_to_the_400_is_a_one_line_error(tmp_path, cli):
    # Before: an OverflowError, or a message that Python could not print (4,300 digits).
    path = _write(tmp_path, TEXT.replace("ch1x1: 64,", f"ch1x1: {'9' * 5000},", 1))
    run = cli("table", "--spec", str(path), "--format", "csv")
    assert_one_line_error(run, "rows[4].ch1x1", "at most 1,048,576", "5,000 characters")


huge = st.integers(16, 6000).flatmap(
    lambda digits: st.sampled_from(
        ["9" * digits, "0x" + "f" * digits, "-" + "1" * digits, "0b" + "1" * (digits * 3)]
    )
)


@SETTINGS
@given(place=st.sampled_from(YAML_NUMBERS), number=huge)
def test_any_huge_number_anywhere_is_one_bounded_line(tmp_path, place, number):
    _refused(_write(tmp_path, _with_number(place, number)), place[2])


@SETTINGS
@given(place=st.sampled_from(TEXT_NUMBERS), digits=st.integers(16, 6000))
def test_any_huge_number_in_a_notation_is_one_bounded_line(tmp_path, place, digits):
    _refused(_write(tmp_path, _with_number(place, "8" * digits)), place[2])


@SETTINGS
@given(
    place=st.sampled_from(YAML_NUMBERS[:2] + YAML_NUMBERS[6:8] + YAML_NUMBERS[10:13]),
    number=st.integers(MAX_UNITS + 1, 10**30),
)
def test_any_width_or_size_over_the_bound_is_refused(tmp_path, place, number):
    message = _refused(_write(tmp_path, _with_number(place, str(number))), place[2])
    assert "at most" in message or "expected" in message


@given(st.integers(min_value=-(10**6000), max_value=10**6000))
def test_shown_never_turns_a_huge_number_into_its_digits(number):
    assert len(shown(number)) < 60


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('input: 1×1×3\nrows: !!int ""\n', "cannot read '' as !!int"),
        ('input: 1×1×3\nrows: !!int "abc"\n', "cannot read 'abc' as !!int"),
        ('input: 1×1×3\nrows: !!bool "abc"\n', "cannot read 'abc' as !!bool"),
        ('input: 1×1×3\nrows: !!timestamp "abc"\n', "as !!timestamp"),
        ("input: 1×1×3\n? [a]\n: 1\nrows: []\n", "a list as a key"),
        ("input: 1×1×3\nrows: " + ":".join(["59"] * 3000) + "\n", "rows"),
    ],
    ids=["empty-int", "text-int", "text-bool", "text-timestamp", "list-key", "sexagesimal"],
)
def test_yaml_values_that_cannot_be_constructed_are_one_line(tmp_path, cli, text, fragment):
    path = _write(tmp_path, text)
    assert_one_line_error(cli("table", "--spec", str(path)), str(path), fragment)


# -- keys: every key of every variant is checked ---------------------------------------------------


def _dump(tmp_path: Path, data: dict) -> Path:
    return _write(tmp_path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _variant(data: dict, name: str) -> dict:
    return data["variants"][name]


TYPOS = {
    "unknown_row_type_in_rows_of_type": (
        lambda d: _variant(d, "torchvision")["rows_of_type"].update(
            inceptionn=_variant(d, "torchvision")["rows_of_type"].pop("inception")
        ),
        ["variants.torchvision.rows_of_type.inceptionn", "unknown row type 'inceptionn'"],
    ),
    "key_misspelled_in_rows_of_type": (
        lambda d: _variant(d, "torchvision")["rows_of_type"].update(inception={"ch5x5_kernell": 3}),
        ["rows_of_type.inception.ch5x5_kernell", "unknown key 'ch5x5_kernell'", "ch5x5_kernel"],
    ),
    "rows_of_type_that_no_row_has": (
        lambda d: _variant(d, "torchvision")["rows_of_type"].update(lrn={"k": 2}),
        ["variants.torchvision.rows_of_type.lrn", "no row of type 'lrn'"],
    ),
    "misspelled_key_removed_in_rows": (
        lambda d: _variant(d, "torchvision")["rows"]["avgpool"].update(patchh=None),
        ["variants.torchvision.rows.avgpool.patchh", "to remove", "patch"],
    ),
    "misspelled_key_in_rows_of_a_variant_not_asked_for": (
        lambda d: _variant(d, "torchvision")["rows"].update(dropout={"pp": 0.2}),
        ["variants.torchvision.rows.dropout.pp", "unknown key 'pp'", "dropout"],
    ),
    "misspelled_key_in_aux_rows": (
        lambda d: _variant(d, "torchvision")["aux_rows"].update(
            pool={"typ": "adaptive avg pool", "patch": None}
        ),
        ["variants.torchvision.aux_rows.pool.typ", "unknown key 'typ'"],
    ),
    "misspelled_key_in_insert_after": (
        lambda d: _variant(d, "caffe")["insert_after"]["pool1"].update(
            alpah=_variant(d, "caffe")["insert_after"]["pool1"].pop("alpha")
        ),
        ["variants.caffe.insert_after.pool1.alpah", "unknown key 'alpah'"],
    ),
    "misspelled_key_in_layers": (
        lambda d: _variant(d, "torchvision")["layers"].update(conv_biass=True),
        ["variants.torchvision.layers.conv_biass", "unknown key 'conv_biass'"],
    ),
    "misspelled_variant_key": (
        lambda d: _variant(d, "torchvision").update(
            rows_of_typ=_variant(d, "torchvision").pop("rows_of_type")
        ),
        ["variants.torchvision.rows_of_typ", "unknown key 'rows_of_typ'"],
    ),
    "description_that_is_no_text": (
        lambda d: _variant(d, "caffe").update(description=["a", "list"]),
        ["variants.caffe.description", "expected text"],
    ),
}


@pytest.mark.parametrize("case", TYPOS, ids=list(TYPOS))
@pytest.mark.parametrize("variant", [None, "paper", "caffe", "torchvision"])
def test_a_misspelled_key_in_any_variant_is_refused_whatever_variant_is_asked(
    tmp_path, case, variant
):
    data = copy.deepcopy(BASE)
    change, fragments = TYPOS[case]
    change(data)
    _refused(_dump(tmp_path, data), *fragments, variant=variant)


@pytest.mark.parametrize("case", ["unknown_row_type_in_rows_of_type", "misspelled_key_in_layers"])
def test_a_misspelled_variant_key_is_a_one_line_error_at_the_cli(tmp_path, cli, case):
    data = copy.deepcopy(BASE)
    TYPOS[case][0](data)
    path = _dump(tmp_path, data)
    run = cli("table", "--spec", str(path), "--variant", "torchvision", "--format", "csv")
    assert_one_line_error(run, str(path), TYPOS[case][1][0])
    assert run.out == ""


def test_an_error_in_a_variant_not_asked_for_says_which(tmp_path):
    data = copy.deepcopy(BASE)
    _variant(data, "torchvision")["rows"]["pool4"] = {"patch": "3×3/1"}
    _refused(_dump(tmp_path, data), "rows[12].output", "in variant 'torchvision'", variant="paper")


EVERY_KEY = {key for kind in ROW_TYPES for key in row_keys(kind)}
stray = st.from_regex(r"\A[a-z][a-z_0-9]{0,11}\Z").filter(
    lambda key: key not in EVERY_KEY | {"conv_bias", "batch_norm"}
)
# Where a variant changes something: (variant, section, entry or None for the section itself).
CHANGES = [
    ("torchvision", "rows_of_type", "inception"),
    ("torchvision", "rows", "pool4"),
    ("torchvision", "rows", "avgpool"),
    ("torchvision", "rows", "dropout"),
    ("torchvision", "aux_rows", "pool"),
    ("caffe", "insert_after", "pool1"),
    ("caffe", "insert_after", "conv2"),
    ("torchvision", "layers", None),
]


@SETTINGS
@given(
    where=st.sampled_from(CHANGES),
    key=stray,
    value=st.sampled_from([None, 3, "3×3/1", True]),
    variant=st.sampled_from([None, "paper", "caffe", "torchvision"]),
)
def test_any_stray_key_in_any_change_is_refused_naming_it(tmp_path, where, key, value, variant):
    data = copy.deepcopy(BASE)
    name, section, entry = where
    target = _variant(data, name)[section]
    (target if entry is None else target[entry])[key] = value
    path = ".".join(part for part in ("variants", name, section, entry, key) if part)
    _refused(_dump(tmp_path, data), path, variant=variant)


@SETTINGS
@given(kind=st.text(min_size=1, max_size=20).filter(lambda k: k not in ROW_TYPES))
def test_any_unknown_row_type_in_rows_of_type_is_refused(tmp_path, kind):
    data = copy.deepcopy(BASE)
    _variant(data, "torchvision")["rows_of_type"][kind] = {"ch5x5_kernel": 3}
    _refused(_dump(tmp_path, data), "unknown row type")


# -- files: only a small regular file is read ----------------------------------------------------


def test_a_fifo_without_a_writer_is_refused_without_blocking(no_hang, tmp_path, cli):
    fifo = tmp_path / "table.yaml"
    os.mkfifo(fifo)
    assert_one_line_error(cli("table", "--spec", str(fifo)), str(fifo), "FIFO", "not a table file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused_without_reading_it(no_hang, cli, device):
    assert_one_line_error(cli("table", "--spec", device), device, "character device")


def test_a_link_to_a_device_is_refused(no_hang, tmp_path, cli):
    link = tmp_path / "table.yaml"
    link.symlink_to("/dev/zero")
    assert_one_line_error(cli("table", "--spec", str(link)), "character device")


def test_a_30_gb_sparse_file_is_refused_before_it_is_read(no_hang, tmp_path, cli):
    sparse = tmp_path / "table.yaml"
    with open(sparse, "wb") as file:
        file.truncate(30 * 2**30)  # no disk used: a hole
    run = cli("table", "--spec", str(sparse))
    assert_one_line_error(run, "32,212,254,720 bytes", "at most 1,048,576 bytes")


@SETTINGS
@given(size=st.integers(MAX_TABLE_BYTES + 1, 2**36))
def test_any_file_over_the_limit_is_refused_by_its_size(tmp_path, size):
    sparse = tmp_path / "big.yaml"
    with open(sparse, "wb") as file:
        file.truncate(size)
    _refused(sparse, f"{size:,} bytes")


def test_a_directory_is_refused_by_the_loader(tmp_path):
    _refused(tmp_path, "a directory, not a table file")


def test_a_table_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "table.yaml"
    path.write_bytes(b"rows: [\xff\xfe]\n")
    _refused(path, "not UTF-8")


def test_a_table_without_its_input_size_is_refused(tmp_path, cli):
    path = _write(tmp_path, TEXT.replace("input: 224×224×3\n", ""))
    run = cli("table", "--spec", str(path))
    assert_one_line_error(run, str(path), "missing key 'input'", "224×224×3")


# -- conventions: what the printed params count is a checked choice -----------------------------


def test_printed_params_counts_is_a_checked_choice(tmp_path, cli):
    text = TEXT.replace(
        "{counts: weights, base: 1024}", "{counts: params incl. biases, base: 1024}"
    )
    path = _write(tmp_path, text)
    run = cli("table", "--spec", str(path))
    assert_one_line_error(
        run, "conventions.printed_params.counts", "'weights' or 'params'", "params incl. biases"
    )


@pytest.mark.parametrize("counts", ["weights", "params"])
def test_printed_params_counts_is_kept(tmp_path, counts):
    text = TEXT.replace("{counts: weights, base: 1024}", f"{{counts: {counts}, base: 1024}}")
    assert load_spec(_write(tmp_path, text)).printed_params.counts == counts


def test_printed_ops_count_multiply_adds_only(tmp_path):
    text = TEXT.replace("{counts: multiply-adds, base: 1000}", "{counts: flops, base: 1000}")
    _refused(_write(tmp_path, text), "conventions.printed_ops.counts", "'multiply-adds'")


# -- names: no id may be an attribute the built network already has -------------------------------


def _renamed(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


PLACES = {
    "row": ("{id: pool3,", "{{id: {name},", "rows[6].id"),
    "head": ("  - id: aux_4a\n", "  - id: {name}\n", "aux_heads[0].id"),
    "head_row": (
        "      - {id: conv, type: convolution",
        "      - {{id: {name}, type: convolution",
        "aux_heads[0].rows[1].id",
    ),
}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(RESERVED_NAMES)), place=st.sampled_from(sorted(PLACES)))
def test_every_reserved_name_is_refused_as_a_row_head_or_head_row_id(name, place):
    import tempfile

    old, new, where = PLACES[place]
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), _renamed(old, new.format(name=name)))
        message = _refused(path, where, f"'{name}' cannot name")
    assert "module" in message or "aux head" in message


@pytest.mark.parametrize("name", ["append", "extend", "insert", "pop"])
def test_a_head_row_cannot_take_a_name_of_nn_sequential(tmp_path, name):
    old, new, where = PLACES["head_row"]
    _refused(_write(tmp_path, _renamed(old, new.format(name=name))), where)


@pytest.mark.parametrize("text", ['"pool3\\n"', '"pool3\\r"', '"pool 3"', '"Pool3"', '"3pool"'])
def test_an_id_with_a_line_break_or_other_characters_is_refused(tmp_path, cli, text):
    path = _write(tmp_path, _renamed("{id: pool3,", f"{{id: {text},"))
    run = cli("table", "--spec", str(path), "--format", "csv")
    assert_one_line_error(run, "rows[6].id", "cannot name a module")


def test_a_variant_name_with_a_line_break_is_refused_in_one_line(tmp_path, cli):
    path = _write(tmp_path, TEXT.replace("  caffe:\n", '  "caf\\nfe":\n', 1))
    run = cli("table", "--spec", str(path), "--format", "csv")
    assert_one_line_error(run, "variants['caf\\nfe']", "one line")


def test_a_file_name_with_a_line_break_stays_on_one_line(tmp_path, cli):
    path = _write(tmp_path, "rows: [\n", name="bad\nname.yaml")
    assert_one_line_error(cli("table", "--spec", str(path)), "bad\\nname.yaml", "invalid YAML")


def _set_value(data: dict, where: str, text: str) -> None:
    rows, head = data["rows"], data["aux_heads"][0]
    {
        "row id": lambda: rows[6].update(id=text),
        "row type": lambda: rows[1].update(type=text),
        "patch": lambda: rows[0].update(patch=text),
        "output": lambda: rows[4].update(output=text),
        "params": lambda: rows[0].update(params=text),
        "tap": lambda: head.update(tap=text),
        "head id": lambda: head.update(id=text),
        "pool_rounding": lambda: data["conventions"].update(pool_rounding=text),
        "counts": lambda: data["conventions"]["printed_params"].update(counts=text),
        "changed type": lambda: _variant(data, "torchvision")["rows"]["pool4"].update(type=text),
    }[where]()


def _set_key(data: dict, where: str, text: str) -> None:
    tv = _variant(data, "torchvision")
    {
        "row key": lambda: data["rows"][4].update({text: 1}),
        "note key": lambda: data["notes"].update({text: "a note"}),
        "variant name": lambda: data["variants"].update({text: None}),
        "rows_of_type key": lambda: tv["rows_of_type"].update({text: {"ch5x5_kernel": 3}}),
        "rows key": lambda: tv["rows"].update({text: {"patch": "2×2/2"}}),
        "change key": lambda: tv["rows"]["pool4"].update({text: None}),
        "top key": lambda: data.update({text: 1}),
    }[where]()


TEXT_PLACES = (
    *("row id", "row type", "patch", "output", "params", "tap", "head id", "pool_rounding"),
    *("counts", "changed type", "row key", "note key", "variant name", "rows_of_type key"),
    *("rows key", "change key", "top key"),
)


@SETTINGS
@given(where=st.sampled_from(TEXT_PLACES), text=st.text(min_size=1, max_size=200))
def test_any_text_anywhere_loads_or_is_refused_in_one_bounded_line(tmp_path, where, text):
    data = copy.deepcopy(BASE)
    (_set_key if where.endswith(("key", "name")) else _set_value)(data, where, text)
    path = _dump(tmp_path, data)
    try:
        load_spec(path)
    except SpecError as error:
        message = str(error)
        assert message.isprintable(), message
        assert len(message) < 500 + len(str(path)), message
