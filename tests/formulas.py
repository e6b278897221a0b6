"""Closed-form counts written independently of the library: the third counting path.

Only the spec's channel numbers and windows are read; the spatial arithmetic, the widths and
the counts are computed here from first principles (padding (k-1)/2 for convolutions, ceil
rounding for pools), so a bug in gnet_inspect.spec.shapes or in the builder cannot hide here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gnet_inspect.spec.schema import (
    ConvRow,
    InceptionRow,
    LinearRow,
    NetworkSpec,
    PoolRow,
    Row,
)


@dataclass(frozen=True)
class Count:
    weights: int
    biases: int
    macs: int


def _conv(cin: int, cout: int, k: int, h: int, w: int, bias: bool, groups: int = 1) -> Count:
    weights = cout * (cin // groups) * k * k
    return Count(weights, cout if bias else 0, weights * h * w)


def _conv_len(n: int, k: int, s: int) -> int:
    return math.floor((n + 2 * ((k - 1) // 2) - k) / s) + 1


def _pool_len(n: int, k: int, s: int) -> int:
    out = math.ceil((n - k) / s) + 1
    return out - 1 if (out - 1) * s >= n else out


def row_counts(
    spec: NetworkSpec, input_size: int | None = None
) -> tuple[dict[str, Count], dict[str, tuple[int, int, int]]]:
    """Weights, biases (+BatchNorm's two per channel) and MACs per qualified row id, and the
    (height, width, channels) each row outputs."""
    size = input_size or spec.input.height
    bias = spec.style.conv_bias
    bn = spec.style.batch_norm_eps is not None
    counts: dict[str, Count] = {}
    shapes: dict[str, tuple[int, int, int]] = {}

    def conv(cin: int, cout: int, k: int, h: int, w: int, groups: int = 1) -> Count:
        c = _conv(cin, cout, k, h, w, bias, groups)
        return Count(c.weights, c.biases + (2 * cout if bn else 0), c.macs)

    def total(parts: list[Count]) -> Count:
        return Count(*(sum(getattr(p, f) for p in parts) for f in ("weights", "biases", "macs")))

    def run(prefix: str, rows: tuple[Row, ...], h: int, w: int, c: int) -> None:
        for row in rows:
            parts: list[Count] = []
            if isinstance(row, ConvRow):
                k, s = row.window.kernel, row.window.stride
                cin = c
                if row.reduce is not None:
                    parts.append(conv(c, row.reduce, 1, h, w))
                    cin = row.reduce
                h, w = _conv_len(h, k, s), _conv_len(w, k, s)
                if row.depth_multiplier:
                    mid = cin * row.depth_multiplier
                    dw = _conv(cin, mid, k, h, w, bias, groups=cin)
                    parts.append(dw)
                    parts.append(conv(mid, row.channels, 1, h, w))
                else:
                    parts.append(conv(cin, row.channels, k, h, w))
                c = row.channels
            elif isinstance(row, PoolRow):
                if row.window is None:
                    assert row.grid is not None
                    h = w = row.grid
                else:
                    k, s = row.window.kernel, row.window.stride
                    h, w = _pool_len(h, k, s), _pool_len(w, k, s)
            elif isinstance(row, InceptionRow):
                widths = [row.ch1x1, row.ch3x3, row.ch5x5]
                parts.append(conv(c, row.ch1x1, 1, h, w))
                for red, out, k in (
                    (row.ch3x3red, row.ch3x3, 3),
                    (row.ch5x5red, row.ch5x5, row.ch5x5_kernel),
                ):
                    if red is not None:
                        parts.append(conv(c, red, 1, h, w))
                    parts.append(conv(red or c, out, k, h, w))
                if row.pool_proj is not None:
                    parts.append(conv(c, row.pool_proj, 1, h, w))
                widths.append(row.pool_proj or c)
                c = sum(widths)
            elif isinstance(row, LinearRow):
                features = h * w * c
                parts.append(Count(features * row.features, row.features, features * row.features))
                h, w, c = 1, 1, row.features
            counts[prefix + row.id] = total(parts)
            shapes[prefix + row.id] = (h, w, c)

    run("", spec.rows, size, size, spec.input.channels)
    for head in spec.aux_heads:
        run(f"{head.id}.", head.rows, *shapes[head.tap])
    return counts, shapes


def saved_bytes(spec: NetworkSpec, input_size: int | None = None) -> dict[str, int]:
    """Bytes autograd saves for backward in one float32 training step of one image, by
    qualified row id (and ``loss``), written from what each layer's backward formula needs:
    a convolution its input, BatchNorm its input and two statistics per channel, a ReLU its
    output, a max pool its input and int64 indices, an average pool its input, dropout its
    float noise, a linear layer its input (an adaptive average pool to 1×1 is a mean and
    saves nothing); each tensor once, charged to the first row that
    saves it, in forward order (an aux head right after its tap). LRN is not covered."""
    size = input_size or spec.input.height
    _, shapes = row_counts(spec, size)
    bn = spec.style.batch_norm_eps is not None
    saved: dict[str, int] = {}
    kept: set[str] = set()

    def save(owner: str, tensor: str, elements: int, element: int = 4) -> None:
        if tensor not in kept:
            kept.add(tensor)
            saved[owner] = saved.get(owner, 0) + elements * element

    def unit(
        owner: str, name: str, source: tuple[str, int], grid: int, cout: int
    ) -> tuple[str, int]:
        """conv [+ BN] + in-place ReLU on ``source`` (id, elements); returns its output."""
        save(owner, *source)
        out = (f"{name}.conv", grid * cout)
        if bn:
            save(owner, *out)
            save(owner, f"{name}.stats", 2 * cout)
            out = (f"{name}.bn", grid * cout)
        save(owner, *out)  # the ReLU keeps its (in-place) output
        return out

    def run(
        prefix: str, rows: tuple[Row, ...], current: tuple[str, int], hwc: tuple[int, int, int]
    ) -> None:
        for row in rows:
            qid = prefix + row.id
            h, w, c = shapes[qid]
            if isinstance(row, ConvRow):
                hin, win, cin = hwc
                if row.reduce is not None:
                    current = unit(qid, f"{qid}.red", current, hin * win, row.reduce)
                    cin = row.reduce
                if row.depth_multiplier:
                    save(qid, *current)
                    middle = (f"{qid}.depthwise", h * w * cin * row.depth_multiplier)
                    current = unit(qid, f"{qid}.pointwise", middle, h * w, c)
                else:
                    current = unit(qid, qid, current, h * w, c)
            elif isinstance(row, PoolRow):
                if row.grid != 1:  # pooling adaptively to 1×1 is a mean: it keeps no tensor
                    save(qid, *current)
                if row.kind == "max" and row.window is not None:
                    save(qid, f"{qid}.indices", h * w * c, 8)
                current = (qid, h * w * c)
            elif isinstance(row, InceptionRow):
                grid, cin = h * w, hwc[2]
                unit(qid, f"{qid}.1x1", current, grid, row.ch1x1)
                for name, red, out in (
                    ("3x3", row.ch3x3red, row.ch3x3),
                    ("5x5", row.ch5x5red, row.ch5x5),
                ):
                    source = current
                    if red is not None:
                        source = unit(qid, f"{qid}.{name}red", current, grid, red)
                    unit(qid, f"{qid}.{name}", source, grid, out)
                save(qid, *current)
                save(qid, f"{qid}.pool.indices", grid * cin, 8)
                if row.pool_proj is not None:
                    unit(qid, f"{qid}.proj", (f"{qid}.pool", grid * cin), grid, row.pool_proj)
                current = (f"{qid}.concat", grid * c)
            elif isinstance(row, LinearRow):
                save(qid, *current)
                current = (qid, row.features)
                if row.relu:
                    save(qid, *current)
            elif row.printed.type == "dropout":
                save(qid, f"{qid}.noise", h * w * c)
                current = (qid, h * w * c)
            elif row.printed.type == "lrn":
                raise NotImplementedError("the closed form does not cover LRN")
            hwc = (h, w, c)
            for head in spec.aux_heads if not prefix else ():
                if head.tap == row.id:
                    run(f"{head.id}.", head.rows, current, hwc)

    run(
        "",
        spec.rows,
        ("input", size * size * spec.input.channels),
        (size, size, spec.input.channels),
    )
    logits = [spec.rows, *(head.rows for head in spec.aux_heads)]
    classes = [
        next(r.features for r in reversed(rows) if isinstance(r, LinearRow)) for rows in logits
    ]
    saved["loss"] = (
        sum(4 * n for n in classes) + 8 + 4 * len(classes)
    )  # log-softmax, target, weight
    return saved
