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


# Input and output channel layout of each widenable convolution: "wK" is level K's width,
# an int a fixed count. Decoder inputs are concatenations, upsampled deeper features first.
_LAYOUT: dict[str, tuple[tuple[str | int, ...], str | int]] = {
    "enc0.0.0": ((4,), "w0"),
    "enc0.1.0": (("w0",), "w0"),
    "enc1.0.0": (("w0",), "w1"),
    "enc1.1.0": (("w1",), "w1"),
    "enc2.0.0": (("w1",), "w2"),
    "enc2.1.0": (("w2",), "w2"),
    "enc3.0.0": (("w2",), "w3"),
    "enc3.1.0": (("w3",), "w3"),
    "enc3.2.0": (("w3",), "w3"),
    "dec2.0": (("w3", "w2"), "w2"),
    "dec1.0": (("w2", "w1"), "w1"),
    "dec0.0": (("w1", "w0"), "w0"),
    "head": (("w0",), 8),
}


def widths_of(state: dict[str, torch.Tensor]) -> tuple[int, int, int, int]:
    """The level widths of a GapNet state dict (from its first convolution per level)."""
    w0, w1, w2, w3 = (int(state[f"enc{k}.0.0.weight"].shape[0]) for k in range(4))
    return w0, w1, w2, w3


def from_state_dict(state: dict[str, torch.Tensor]) -> GapNet:
    model = GapNet(widths_of(state))
    model.load_state_dict(state)
    return model


def widen(
    state: dict[str, torch.Tensor], widths: tuple[int, int, int, int], seed: int = 0
) -> GapNet:
    """A wider GapNet that computes exactly what `state` computes.

    Old weights are copied; new channels start from the default initialisation, and every
    weight from a new channel into an old one starts at zero, so the output is unchanged until
    training moves them (their gradients are not zero, so it does).
    """
    old = widths_of(state)
    if any(n < o for n, o in zip(widths, old, strict=True)):
        raise ValueError(f"cannot narrow {old} to {widths}")
    torch.manual_seed(seed)
    model = GapNet(widths)
    names = ("w0", "w1", "w2", "w3")
    size: dict[str, dict[str, int]] = {"old": dict(zip(names, old, strict=True)),
                                       "new": dict(zip(names, widths, strict=True))}

    def count(key: str | int, which: str) -> int:
        return key if isinstance(key, int) else size[which][key]

    fresh = model.state_dict()
    for name, value in state.items():
        layer = name.rsplit(".", 1)[0]
        target = fresh[name]
        if layer not in _LAYOUT:
            target.copy_(value)
            continue
        ins, out = _LAYOUT[layer]
        o_old = count(out, "old")
        if name.endswith(".bias"):
            target[:o_old] = value
            continue
        target[:o_old] = 0.0
        src = dst = 0
        for key in ins:
            n_old, n_new = count(key, "old"), count(key, "new")
            target[:o_old, dst : dst + n_old] = value[:, src : src + n_old]
            src, dst = src + n_old, dst + n_new
    model.load_state_dict(fresh)
    return model
