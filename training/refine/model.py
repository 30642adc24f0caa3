"""Tiny residual U-Net for line refinement, and the LineRelifer reference generator.

Cost is what decides the design: 2x pixel-unshuffle at the input means no convolution ever runs
at full resolution (the reference runs all of them there), and the decoder merges skips by
addition after a 1x1 projection instead of concatenation, which keeps its convs narrow.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

SIZE_MULTIPLE = 8  # unshuffle 2 and two stride-2 levels


def conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU(inplace=True))


class RefineNet(nn.Module):
    def __init__(self, widths: Sequence[int] = (16, 32, 48)) -> None:
        super().__init__()
        c1, c2, c3 = widths
        self.unshuffle = nn.PixelUnshuffle(2)
        self.enc1 = nn.Sequential(conv(4, c1), conv(c1, c1))
        self.enc2 = nn.Sequential(conv(c1, c2, 2), conv(c2, c2))
        self.enc3 = nn.Sequential(conv(c2, c3, 2), conv(c3, c3), conv(c3, c3))
        self.up3 = nn.ConvTranspose2d(c3, c2, 2, 2)
        self.dec2 = nn.Sequential(conv(c2, c2), conv(c2, c2))
        self.up2 = nn.ConvTranspose2d(c2, c1, 2, 2)
        self.dec1 = conv(c1, c1)
        self.head = nn.Conv2d(c1, 4, 3, 1, 1)
        self.shuffle = nn.PixelShuffle(2)
        # start as the identity so early training refines instead of repainting from nothing
        nn.init.zeros_(self.head.weight)
        assert self.head.bias is not None
        nn.init.zeros_(self.head.bias)

    def forward(self, ink: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(self.unshuffle(ink))
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d2 = self.dec2(self.up3(e3) + e2)
        d1 = self.dec1(self.up2(d2) + e1)
        return torch.clamp(ink + self.shuffle(self.head(d1)), 0.0, 1.0)


class ResBlock(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch), nn.ReLU(True),
                                  nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


class LineRelifer(nn.Module):
    """The seed's Keras generator as described: 3x3 conv to 64, 4 residual blocks, 1x1 + tanh.

    Only for speed comparisons (random weights); every layer runs at full resolution.
    """

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 64, 3, 1, 1), nn.ReLU(True),
                                 *[ResBlock(64) for _ in range(4)], nn.Conv2d(64, 1, 1), nn.Tanh())

    def forward(self, ink: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.net(ink) + 1.0)


def count_macs(model: nn.Module, height: int = 1024, width: int = 1024) -> int:
    """Multiply-accumulates of one forward pass (convolutions only; the rest is noise)."""
    total = 0

    def hook(module: nn.Module, _inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
            kh, kw = module.kernel_size
            cin = module.in_channels // module.groups
            if isinstance(module, nn.ConvTranspose2d):
                # each input pixel scatters a kh x kw x cout block
                total += _inp[0].numel() * module.out_channels * kh * kw // module.groups
            else:
                total += out.numel() * cin * kh * kw

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model.eval()
        model(torch.zeros(1, 1, height, width))
    for h in handles:
        h.remove()
    return total


if __name__ == "__main__":
    for m in (RefineNet(), LineRelifer()):
        params = sum(p.numel() for p in m.parameters())
        print(f"{type(m).__name__}: {count_macs(m) / 1024**2 * 1e6 / 1e9:.2f} GMAC/MP "
              f"({count_macs(m) / 1e9:.2f} GMAC per 1024x1024), {params} parameters")
