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

from gnet_inspect.spec.branches import Branch, ConvLayer, PoolLayer, Residual, same_padding
from gnet_inspect.spec.notation import Size
from gnet_inspect.spec.schema import (
    AuxHead,
    ConvRow,
    DropoutRow,
    InceptionRow,
    LayerStyle,
    LinearRow,
    LrnRow,
    ModuleRow,
    NetworkSpec,
    PoolRow,
    Row,
    SoftmaxRow,
)
from gnet_inspect.spec.shapes import branches_output, infer_shapes, layer_output

__all__ = [
    "AuxClassifier",
    "Branches",
    "ConvUnit",
    "Fork",
    "GoogLeNet",
    "GoogLeNetOutput",
    "Inception",
    "LinearUnit",
    "ResidualConnection",
    "ScaledSum",
    "build_model",
    "fill_zeros",
]


class GoogLeNetOutput(NamedTuple):
    """What a network in training mode returns: the logits and each aux head's, by head id."""

    logits: Tensor
    aux: dict[str, Tensor]


class ConvUnit(nn.Sequential):
    """A convolution (padded (k-1)/2 unless told otherwise, the paper's rule), [BatchNorm,]
    then a ReLU unless ``activation`` is False.

    With ``depth_multiplier`` it is depthwise-separable: a depthwise convolution with that many
    filters per input channel, then a 1×1 pointwise convolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int | tuple[int, int],
        stride: int,
        style: LayerStyle,
        depth_multiplier: int | None = None,
        padding: tuple[int, int] | None = None,
        activation: bool = True,
    ) -> None:
        size = (kernel, kernel) if isinstance(kernel, int) else kernel
        pad = same_padding(size) if padding is None else padding
        bias = style.conv_bias
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if depth_multiplier is None:
            layers["conv"] = nn.Conv2d(in_channels, out_channels, size, stride, pad, bias=bias)
        else:
            mid = in_channels * depth_multiplier
            layers["depthwise"] = nn.Conv2d(
                in_channels, mid, size, stride, pad, groups=in_channels, bias=bias
            )
            layers["pointwise"] = nn.Conv2d(mid, out_channels, 1, bias=bias)
        if style.batch_norm_eps is not None:
            layers["bn"] = nn.BatchNorm2d(out_channels, eps=style.batch_norm_eps)
        if activation:
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


class Branches(nn.Module):
    """Branches side by side on one input, their outputs concatenated along channels; each
    branch is an ``nn.Sequential`` of its layers, named by the table's ids."""

    def __init__(self, branches: tuple[Branch, ...], received: Size, style: LayerStyle) -> None:
        super().__init__()
        self.branch_ids = tuple(branch.id for branch in branches)
        for branch in branches:
            self.add_module(branch.id, _build_branch(branch, received, style))

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self._modules[i](x) for i in self.branch_ids], dim=1)  # type: ignore[misc]


class ScaledSum(nn.Module):
    """``residual × scale + shortcut``, then a ReLU unless ``activation`` is False: the sum of
    Inception-ResNet's modules, one operation with no parameters (its ReLU is part of it)."""

    def __init__(self, scale: float, activation: bool) -> None:
        super().__init__()
        self.scale = scale
        self.activation = activation

    def forward(self, residual: Tensor, shortcut: Tensor) -> Tensor:
        out = residual * self.scale + shortcut
        return nn.functional.relu(out, inplace=True) if self.activation else out

    def extra_repr(self) -> str:
        return f"scale={self.scale}, activation={'relu' if self.activation else 'none'}"


class ResidualConnection(nn.Module):
    """A module's residual connection (``spec.branches.Residual``): the concatenation projected
    by a 1×1 convolution with a bias (no BatchNorm, no activation), then the scaled sum with
    the module's input."""

    def __init__(self, concatenated: int, received: int, residual: Residual) -> None:
        super().__init__()
        self.projection = nn.Conv2d(concatenated, residual.projection or received, 1)
        self.sum = ScaledSum(residual.scale, residual.activation)

    def forward(self, concatenation: Tensor, shortcut: Tensor) -> Tensor:
        out: Tensor = self.sum(self.projection(concatenation), shortcut)
        return out


class Inception(Branches):
    """A module row: its branches (``spec.branches``) on the row's input, concatenated, and
    with a ``residual`` connection (Inception-ResNet) that concatenation added to the input.

    GoogLeNet's rows give four branches (Figure 2(b)); a reduction left out gives the naive
    module of Figure 2(a).
    """

    def __init__(
        self,
        branches: tuple[Branch, ...],
        received: Size,
        style: LayerStyle,
        residual: Residual | None = None,
    ) -> None:
        super().__init__(branches, received, style)
        connection = None
        if residual is not None:  # named RESIDUAL, a name no branch may take
            concat = branches_output(branches, received, style.pool_ceil, "", received)
            connection = ResidualConnection(concat.channels, received.channels, residual)
        self.residual: ResidualConnection | None = connection

    def forward(self, x: Tensor) -> Tensor:
        out = super().forward(x)
        return out if self.residual is None else self.residual(out, x)


class Fork(Branches):
    """A branch that splits: sub-branches on what the branch has computed, concatenated."""


def _build_branch(branch: Branch, received: Size, style: LayerStyle) -> nn.Sequential:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    size = received
    for layer in branch.layers:
        if isinstance(layer, ConvLayer):
            layers[layer.id] = ConvUnit(
                size.channels,
                layer.channels,
                layer.kernel,
                layer.stride,
                style,
                padding=layer.padding,
                activation=layer.activation,
            )
        elif isinstance(layer, PoolLayer):
            layers[layer.id] = _pool(layer, style)
        else:
            layers[layer.id] = Fork(layer.branches, size, style)
        size = layer_output(layer, size, style.pool_ceil)
    return nn.Sequential(layers)


def _pool(layer: PoolLayer, style: LayerStyle) -> nn.Module:
    """A pool of a branch, or of a row (``build_row`` writes a row's pool as one)."""
    ceil = style.pool_ceil if layer.ceil is None else layer.ceil
    k, stride = layer.window.kernel, layer.window.stride
    if layer.kind == "max":
        return nn.MaxPool2d(k, stride, layer.padding, ceil_mode=ceil)
    return nn.AvgPool2d(
        k, stride, layer.padding, ceil_mode=ceil, count_include_pad=layer.count_include_pad
    )


def build_row(row: Row, received: Size, style: LayerStyle) -> nn.Module | None:
    """The module for one row, given the size it receives; None for the softmax row."""
    if isinstance(row, ConvRow):
        window = row.window
        pad = None if row.padding is None else (row.padding, row.padding)
        if row.reduce is None:
            return ConvUnit(
                received.channels,
                row.channels,
                window.kernel,
                window.stride,
                style,
                row.depth_multiplier,
                pad,
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
                    pad,
                ),
            )
        )
    if isinstance(row, PoolRow):
        if row.window is None:
            assert row.grid is not None
            return nn.AdaptiveAvgPool2d(row.grid)
        return _pool(PoolLayer(row.id, row.kind, row.window, row.padding), style)
    if isinstance(row, InceptionRow):
        return Inception(row.branches, received, style)
    if isinstance(row, ModuleRow):
        return Inception(row.branches, received, style, row.residual)
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
