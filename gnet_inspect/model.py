"""Building a NetworkSpec into a real PyTorch network.

Each row of the table becomes one submodule named by the row's id, and each auxiliary head one
submodule named by its id, so that the table, fvcore, the profiler and the diagrams all speak of
``inception_4a`` alike. Widths come from the spec's shape arithmetic; nothing here can fail on
a spec that loaded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Literal, NamedTuple

import torch
from torch import Tensor, nn

from gnet_inspect.spec.notation import Size
from gnet_inspect.spec.schema import (
    AuxHead,
    ConvRow,
    DropoutRow,
    InceptionRow,
    LayerStyle,
    LinearRow,
    LrnRow,
    NetworkSpec,
    PoolRow,
    Row,
    SoftmaxRow,
)
from gnet_inspect.spec.shapes import infer_shapes

__all__ = [
    "AuxClassifier",
    "ConvUnit",
    "GoogLeNet",
    "GoogLeNetOutput",
    "Inception",
    "LinearUnit",
    "build_model",
    "fill_zeros",
]


class GoogLeNetOutput(NamedTuple):
    """What a network in training mode returns: the logits and each aux head's, by head id."""

    logits: Tensor
    aux: dict[str, Tensor]


class ConvUnit(nn.Sequential):
    """A convolution padded to keep its size ((k-1)/2), [BatchNorm,] then a ReLU (the paper's rule).

    With ``depth_multiplier`` it is depthwise-separable: a depthwise convolution with that many
    filters per input channel, then a 1×1 pointwise convolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int,
        style: LayerStyle,
        depth_multiplier: int | None = None,
    ) -> None:
        padding = (kernel - 1) // 2
        bias = style.conv_bias
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if depth_multiplier is None:
            layers["conv"] = nn.Conv2d(
                in_channels, out_channels, kernel, stride, padding, bias=bias
            )
        else:
            mid = in_channels * depth_multiplier
            layers["depthwise"] = nn.Conv2d(
                in_channels, mid, kernel, stride, padding, groups=in_channels, bias=bias
            )
            layers["pointwise"] = nn.Conv2d(mid, out_channels, 1, bias=bias)
        if style.batch_norm_eps is not None:
            layers["bn"] = nn.BatchNorm2d(out_channels, eps=style.batch_norm_eps)
        layers["relu"] = nn.ReLU(inplace=True)
        super().__init__(layers)


class LinearUnit(nn.Sequential):
    """A fully connected layer over the flattened input, optionally followed by a ReLU."""

    def __init__(self, in_features: int, out_features: int, relu: bool) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["flatten"] = nn.Flatten(1)
        layers["fc"] = nn.Linear(in_features, out_features)
        if relu:
            layers["relu"] = nn.ReLU(inplace=True)
        super().__init__(layers)


class Inception(nn.Module):
    """An Inception module: four branches on the same input, concatenated along channels.

    A branch's 1×1 reduction (or the pool projection) is left out where the row has none,
    which gives the naive module of the paper's Figure 2(a) when all three are absent.
    """

    def __init__(self, row: InceptionRow, in_channels: int, style: LayerStyle) -> None:
        super().__init__()
        self.branch1x1 = nn.Sequential(
            OrderedDict(ch1x1=ConvUnit(in_channels, row.ch1x1, 1, 1, style))
        )
        self.branch3x3 = _reduced_branch(
            in_channels, row.ch3x3red, row.ch3x3, 3, ("ch3x3red", "ch3x3"), style
        )
        self.branch5x5 = _reduced_branch(
            in_channels, row.ch5x5red, row.ch5x5, row.ch5x5_kernel, ("ch5x5red", "ch5x5"), style
        )
        pool: OrderedDict[str, nn.Module] = OrderedDict()
        pool["pool"] = nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=style.pool_ceil)
        if row.pool_proj is not None:
            pool["pool_proj"] = ConvUnit(in_channels, row.pool_proj, 1, 1, style)
        self.branch_pool = nn.Sequential(pool)

    def forward(self, x: Tensor) -> Tensor:
        branches = (self.branch1x1, self.branch3x3, self.branch5x5, self.branch_pool)
        return torch.cat([branch(x) for branch in branches], dim=1)


def _reduced_branch(
    in_channels: int,
    reduce: int | None,
    out_channels: int,
    kernel: int,
    names: tuple[str, str],
    style: LayerStyle,
) -> nn.Sequential:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    if reduce is not None:
        layers[names[0]] = ConvUnit(in_channels, reduce, 1, 1, style)
    layers[names[1]] = ConvUnit(reduce or in_channels, out_channels, kernel, 1, style)
    return nn.Sequential(layers)


def build_row(row: Row, received: Size, style: LayerStyle) -> nn.Module | None:
    """The module for one row, given the size it receives; None for the softmax row."""
    if isinstance(row, ConvRow):
        window = row.window
        if row.reduce is None:
            return ConvUnit(
                received.channels,
                row.channels,
                window.kernel,
                window.stride,
                style,
                row.depth_multiplier,
            )
        return nn.Sequential(
            OrderedDict(
                ch3x3red=ConvUnit(received.channels, row.reduce, 1, 1, style),
                ch3x3=ConvUnit(
                    row.reduce,
                    row.channels,
                    window.kernel,
                    window.stride,
                    style,
                    row.depth_multiplier,
                ),
            )
        )
    if isinstance(row, PoolRow):
        if row.window is None:
            assert row.grid is not None
            return nn.AdaptiveAvgPool2d(row.grid)
        pool = nn.MaxPool2d if row.kind == "max" else nn.AvgPool2d
        return pool(row.window.kernel, row.window.stride, ceil_mode=style.pool_ceil)
    if isinstance(row, InceptionRow):
        return Inception(row, received.channels, style)
    if isinstance(row, LrnRow):
        return nn.LocalResponseNorm(row.size, row.alpha, row.beta, row.k)
    if isinstance(row, DropoutRow):
        return nn.Dropout(row.p)
    if isinstance(row, LinearRow):
        features = received.height * received.width * received.channels
        return LinearUnit(features, row.features, row.relu)
    assert isinstance(row, SoftmaxRow)
    return None


class AuxClassifier(nn.Sequential):
    """An auxiliary head: its rows in order, each a submodule named by the row's id."""


class GoogLeNet(nn.Module):
    """A network built from a NetworkSpec; submodules are named by the table's row ids.

    In eval mode ``forward`` returns the logits. In training mode it also runs the auxiliary
    heads on their taps and returns a GoogLeNetOutput with every head's logits by id.
    """

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__()
        self.spec = spec
        plan = infer_shapes(spec)
        row_ids = []
        for row in spec.rows:
            module = build_row(row, plan.inputs[row.id], spec.style)
            if module is not None:
                self.add_module(row.id, module)
                row_ids.append(row.id)
        self.row_ids: tuple[str, ...] = tuple(row_ids)
        self.taps: dict[str, tuple[str, ...]] = {}
        for head in spec.aux_heads:
            self.add_module(head.id, _build_head(head, plan.inputs, spec.style))
            self.taps[head.tap] = (*self.taps.get(head.tap, ()), head.id)

    def forward(self, x: Tensor) -> Tensor | GoogLeNetOutput:
        aux: dict[str, Tensor] = {}
        for row_id in self.row_ids:
            x = self._modules[row_id](x)  # type: ignore[misc]
            if self.training:
                for head_id in self.taps.get(row_id, ()):
                    aux[head_id] = self._modules[head_id](x)  # type: ignore[misc]
        if self.training and self.taps:
            return GoogLeNetOutput(x, aux)
        return x

    def training_loss(self, output: GoogLeNetOutput, target: Tensor) -> Tensor:
        """Cross-entropy of the logits plus each aux head's, weighted as the table says (0.3)."""
        loss = nn.functional.cross_entropy(output.logits, target)
        for head in self.spec.aux_heads:
            loss = loss + head.loss_weight * nn.functional.cross_entropy(
                output.aux[head.id], target
            )
        return loss


def _build_head(head: AuxHead, inputs: Mapping[str, Size], style: LayerStyle) -> AuxClassifier:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for row in head.rows:
        module = build_row(row, inputs[f"{head.id}.{row.id}"], style)
        if module is not None:
            layers[row.id] = module
    return AuxClassifier(layers)


def _init_weights(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.01)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
        bias = getattr(module, "bias", None)
        if isinstance(bias, nn.Parameter):
            nn.init.zeros_(bias)


def fill_zeros(model: nn.Module) -> None:
    """Gives every parameter and buffer of a model built on the meta device real zeros."""
    for module in model.modules():
        for name, param in list(module.named_parameters(recurse=False)):
            zeros = torch.zeros(param.shape, dtype=param.dtype)
            setattr(module, name, nn.Parameter(zeros, param.requires_grad))
        for name, buffer in list(module.named_buffers(recurse=False)):
            setattr(module, name, torch.zeros(buffer.shape, dtype=buffer.dtype))


def build_model(spec: NetworkSpec, weights: Literal["init", "zeros", "meta"] = "init") -> GoogLeNet:
    """Builds ``spec`` as a GoogLeNet module on the CPU, in training mode.

    Args:
        spec: the network to build.
        weights: ``"init"`` initialises for training (He-normal convolutions, N(0, 0.01)
            linear layers, zero biases). ``"zeros"`` skips every random initialisation (a
            quarter of a second on a small CPU) and leaves zeros: enough for counting and
            tracing, which never read a value. ``"meta"`` leaves every tensor on the meta
            device (shapes only, no memory): enough to count before allocating.
    """
    if weights in ("zeros", "meta"):
        with torch.device("meta"):
            model = GoogLeNet(spec)
        if weights == "zeros":
            fill_zeros(model)
        return model
    model = GoogLeNet(spec)
    _init_weights(model)
    return model
