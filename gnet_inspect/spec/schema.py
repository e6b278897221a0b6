"""The typed, frozen description of a network that a table file is parsed into.

Every later step (shapes, building, ablations, counting, diagrams) reads these objects and
never the YAML. A row keeps the paper's printed columns verbatim in ``printed`` beside the
architecture parsed from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gnet_inspect.spec.branches import Branch, Residual, googlenet_branches
from gnet_inspect.spec.notation import PrintedCount, Size, Window

__all__ = [
    "AuxHead",
    "Claims",
    "ConvRow",
    "CountConvention",
    "Counted",
    "DropoutRow",
    "InceptionRow",
    "LayerStyle",
    "LinearRow",
    "LrnRow",
    "ModuleRow",
    "NetworkSpec",
    "PoolRow",
    "Printed",
    "Row",
    "SoftmaxRow",
]


@dataclass(frozen=True)
class Printed:
    """A row's columns as the table prints them, kept for display and for comparison."""

    type: str
    output: Size
    patch: str | None = None
    depth: int | None = None
    params: PrintedCount | None = None
    ops: PrintedCount | None = None
    paper: tuple[str, ...] | None = None
    """The row as the paper's own table prints it, one text per ``NetworkSpec.paper_columns``
    (a table whose columns are not GoogLeNet's)."""


@dataclass(frozen=True)
class _RowBase:
    id: str
    printed: Printed
    note: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class ConvRow(_RowBase):
    """A convolution, optionally preceded by a 1×1 reduction (``ch3x3red``, as conv2 is).

    ``depth_multiplier`` makes it depthwise-separable: a depthwise ``window`` convolution with
    that many filters per input channel, then a 1×1 pointwise convolution to ``channels``.
    """

    window: Window
    channels: int
    reduce: int | None = None
    depth_multiplier: int | None = None
    padding: int | None = None
    """None pads (k-1)/2, the paper's rule; 0 is a "valid" convolution (Inception-v3's stem)."""


@dataclass(frozen=True)
class PoolRow(_RowBase):
    """A stand-alone pooling layer; ``window`` is None for adaptive pooling to ``grid``."""

    kind: Literal["max", "avg"]
    window: Window | None
    grid: int | None = None
    padding: int = 0


@dataclass(frozen=True)
class InceptionRow(_RowBase):
    """An Inception module. A reduction set to None is absent: all three None is Figure 2(a)."""

    ch1x1: int
    ch3x3red: int | None
    ch3x3: int
    ch5x5red: int | None
    ch5x5: int
    pool_proj: int | None
    ch5x5_kernel: int = 5

    @property
    def naive(self) -> bool:
        """True for the module without dimension reductions (the paper's Figure 2(a))."""
        return self.ch3x3red is None and self.ch5x5red is None and self.pool_proj is None

    @property
    def branches(self) -> tuple[Branch, ...]:
        """The module in the general form every generation shares (``spec.branches``)."""
        reductions = (self.ch3x3red, self.ch5x5red, self.pool_proj)
        ch5x5 = (self.ch5x5, self.ch5x5_kernel)
        return googlenet_branches(self.ch1x1, reductions, self.ch3x3, ch5x5)


@dataclass(frozen=True)
class ModuleRow(_RowBase):
    """A module written as its graph of branches (``spec.branches``): every generation after
    GoogLeNet; Inception-ResNet's modules add their input back (``residual``)."""

    branches: tuple[Branch, ...]
    residual: Residual | None = None


@dataclass(frozen=True)
class LrnRow(_RowBase):
    """Local response normalisation across channels (Caffe's LRN layer)."""

    size: int
    alpha: float
    beta: float
    k: float = 1.0


@dataclass(frozen=True)
class DropoutRow(_RowBase):
    """Dropout with probability ``p`` (active in training only)."""

    p: float


@dataclass(frozen=True)
class LinearRow(_RowBase):
    """A fully connected layer over the flattened input, optionally followed by a ReLU."""

    features: int
    relu: bool = False


@dataclass(frozen=True)
class SoftmaxRow(_RowBase):
    """The softmax row: the model returns logits and leaves the softmax to the loss."""


Row = ConvRow | PoolRow | InceptionRow | ModuleRow | LrnRow | DropoutRow | LinearRow | SoftmaxRow
"""A row of a table. ``InceptionRow`` and ``ModuleRow`` are module rows: both have
``branches``."""


@dataclass(frozen=True)
class AuxHead:
    """An auxiliary classifier: its rows run on the output of row ``tap``, in training only."""

    id: str
    tap: str
    loss_weight: float
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class LayerStyle:
    """How every convolution is built: with a bias or not, with BatchNorm (its eps) or not."""

    conv_bias: bool = True
    batch_norm_eps: float | None = None
    pool_ceil: bool = True


Counted = Literal["weights", "params", "multiply-adds"]
"""What a printed count column counts: convolution and linear ``weights`` only, all learnable
``params`` (biases and BatchNorm included), or ``multiply-adds``."""


@dataclass(frozen=True)
class CountConvention:
    """How a printed count column is read: what it counts and what its K (or M) stands for."""

    counts: Counted
    base: int


@dataclass(frozen=True)
class PrintedError:
    """A single model's error rate as a paper prints it: top-1 and top-5 in percent (None
    where it prints none), as their text (``20.0%``), and the table that prints them."""

    top1: float | None
    top5: float | None
    top1_text: str | None
    top5_text: str | None
    source: str


@dataclass(frozen=True)
class Claims:
    """What the paper's text says of the whole network, as printed."""

    depth: int | None = None
    depth_with_pooling: int | None = None
    blocks: str | None = None
    macs: PrintedCount | None = None
    params: PrintedCount | None = None
    params_below: PrintedCount | None = None
    """A bound the text gives instead of a count ("less than 25 million parameters")."""
    error: PrintedError | None = None
    """The paper's single-model error rates (``gnet-inspect lineage`` sets them side by side)."""


@dataclass(frozen=True)
class NetworkSpec:
    """A whole network: its rows in order, its auxiliary heads and how its layers are built."""

    name: str
    source: str
    variant: str
    description: str
    input: Size
    style: LayerStyle
    rows: tuple[Row, ...]
    aux_heads: tuple[AuxHead, ...] = ()
    printed_params: CountConvention = CountConvention("weights", 1024)
    printed_ops: CountConvention = CountConvention("multiply-adds", 1000)
    claims: Claims = Claims()
    paper_columns: tuple[str, ...] = ()
    """The headers of the paper's own table, where its columns are not Table 1's."""
    origin: str = "<memory>"
    whatifs: tuple[str, ...] = ()
    reshaped: bool = False
    published: str | None = None
    """When the paper appeared (``2014-09``: year and month of its first arXiv version), the
    order of the generations in ``gnet-inspect lineage``."""
    adaptive_variants: tuple[str, ...] = ()
    """The table's variants whose every linear layer reads an adaptively pooled (or already
    flat) input, so that they take other input sizes: the advice when this one cannot."""

    @property
    def departs_from_print(self) -> bool:
        """Whether the built network differs from the one Table 1's printed params and ops
        describe: a variant that changes how rows are built, or a what-if."""
        return self.reshaped or bool(self.whatifs)

    @property
    def label(self) -> str:
        """The variant and any what-ifs applied to it: ``paper + reduce off``."""
        return " + ".join((self.variant, *self.whatifs))

    @property
    def row_ids(self) -> tuple[str, ...]:
        return tuple(row.id for row in self.rows)

    def row(self, row_id: str) -> Row:
        """The row called ``row_id``; KeyError if there is none."""
        for row in self.rows:
            if row.id == row_id:
                return row
        raise KeyError(row_id)
