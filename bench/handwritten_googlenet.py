"""GoogLeNet written by hand in plain PyTorch: the yardstick for the built network's speed.

The layers of the ``paper`` variant (Table 1: every convolution with a bias and a ReLU, no
normalisation, pools rounding up, 40% dropout, a linear classifier), written the usual way
(torchvision's ``googlenet`` is the model): channel counts as literals in ``__init__`` and a
forward pass spelled out layer by layer. It shares no code with gnet_inspect, so whatever the
config-driven builder costs at run time shows up beside it. With ``aux_logits`` it has the
paper's two auxiliary heads too, and in training mode returns their logits beside the main
ones, as torchvision's does: the yardstick for a training step.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812 - the usual PyTorch spelling


class BasicConv2d(nn.Module):
    """A convolution padded to keep its size, with a bias, then a ReLU."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1
    ) -> None:
        super().__init__()
        padding = (kernel_size - 1) // 2
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.conv(x), inplace=True)


class Inception(nn.Module):
    """Four branches on the same input, concatenated: 1×1; 1×1 → 3×3; 1×1 → 5×5; pool → 1×1."""

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
    ) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, 1), BasicConv2d(ch3x3red, ch3x3, 3)
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, 1), BasicConv2d(ch5x5red, ch5x5, 5)
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        outputs = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(outputs, 1)


class InceptionAux(nn.Module):
    """An auxiliary head as the paper describes it: 5×5/3 average pool, 1×1 convolution to
    128 channels, a 1024-unit linear layer, 70% dropout, the classifier."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, 1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = F.avg_pool2d(x, 5, stride=3)
        x = torch.flatten(self.conv(x), 1)
        x = F.relu(self.fc1(x), inplace=True)
        x = F.dropout(x, 0.7, training=self.training)
        return self.fc2(x)


class HandwrittenGoogLeNet(nn.Module):
    """Table 1 of the paper, by hand."""

    def __init__(self, num_classes: int = 1000, aux_logits: bool = False) -> None:
        super().__init__()
        self.conv1 = BasicConv2d(3, 64, 7, stride=2)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, 1)
        self.conv3 = BasicConv2d(64, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)

        self.avgpool = nn.AvgPool2d(7, stride=1, ceil_mode=True)
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(1024, num_classes)
        self.aux1 = InceptionAux(512, num_classes) if aux_logits else None
        self.aux2 = InceptionAux(528, num_classes) if aux_logits else None

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor, Tensor]:
        x = self.conv1(x)
        x = self.maxpool1(x)
        x = self.conv2(x)
        x = self.conv3(x)
        x = self.maxpool2(x)
        x = self.inception3a(x)
        x = self.inception3b(x)
        x = self.maxpool3(x)
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception4e(x)
        x = self.maxpool4(x)
        x = self.inception5a(x)
        x = self.inception5b(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.dropout(x)
        x = self.fc(x)
        if aux1 is not None and aux2 is not None:
            return x, aux1, aux2
        return x


def copy_weights(source: nn.Module, target: HandwrittenGoogLeNet) -> None:
    """Copies the parameters of a built ``paper`` GoogLeNet into ``target`` in order (the aux
    heads' too when ``target`` has them), checking each shape: the two then compute the same
    function."""
    aux = target.aux1 is not None
    params = [(n, p) for n, p in source.named_parameters() if aux or not n.startswith("aux_")]
    mine = list(target.named_parameters())
    if len(params) != len(mine):
        raise ValueError(f"{len(params)} parameters to copy into {len(mine)}")
    with torch.no_grad():
        for (name, theirs), (own_name, own) in zip(params, mine, strict=True):
            if theirs.shape != own.shape:
                raise ValueError(f"{name} {tuple(theirs.shape)} vs {own_name} {tuple(own.shape)}")
            own.copy_(theirs)
