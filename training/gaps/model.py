"""GapNet: a small U-Net that predicts the pixels closing breaks in line art.

Design choices (budget: <= 15 GMAC per megapixel, <= 2 MB of ONNX):
- The input is pixel-unshuffled by 2 first, so the widest layers run on a quarter of the pixels;
  a 16 px gap becomes 8 px at that scale, well inside the receptive field of four levels.
- Plain 3x3 convolutions instead of depthwise-separable ones: on CPUs, onnxruntime runs dense
  3x3 convolutions much closer to peak than depthwise ones, so fewer, denser MACs win.
- A full-resolution tail sees the input ink again, so added pixels line up with the strokes.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation),
        nn.ReLU(inplace=True),
    )


class GapNet(nn.Module):
    size_multiple = 16

    def __init__(self, widths: tuple[int, int, int, int] = (16, 32, 48, 64)) -> None:
        super().__init__()
        w0, w1, w2, w3 = widths
        self.enc0 = nn.Sequential(conv(4, w0), conv(w0, w0))
        self.enc1 = nn.Sequential(conv(w0, w1, stride=2), conv(w1, w1))
        self.enc2 = nn.Sequential(conv(w1, w2, stride=2), conv(w2, w2))
        self.enc3 = nn.Sequential(conv(w2, w3, stride=2), conv(w3, w3, dilation=2), conv(w3, w3))
        self.dec2 = conv(w3 + w2, w2)
        self.dec1 = conv(w2 + w1, w1)
        self.dec0 = conv(w1 + w0, w0)
        self.head = nn.Conv2d(w0, 8, 3, padding=1)
        self.tail = nn.Sequential(conv(2 + 1, 8), nn.Conv2d(8, 1, 1))

    def forward(self, ink: torch.Tensor) -> torch.Tensor:
        x0 = self.enc0(F.pixel_unshuffle(ink, 2))
        x1 = self.enc1(x0)
        x2 = self.enc2(x1)
        x3 = self.enc3(x2)
        y = self.dec2(torch.cat([F.interpolate(x3, scale_factor=2.0, mode="nearest"), x2], 1))
        y = self.dec1(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x1], 1))
        y = self.dec0(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x0], 1))
        y = F.pixel_shuffle(F.relu(self.head(y)), 2)
        return self.tail(torch.cat([y, ink], 1))  # logits


def count_macs_per_megapixel(model: nn.Module, size: int = 256) -> float:
    macs = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(module, nn.Conv2d)
        k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        macs += output.numel() * k

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 1, size, size))
    for h in handles:
        h.remove()
    return macs / (size * size) * 1e6


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
