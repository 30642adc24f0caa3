"""The gap verifier network: a small CNN over the patch rotated to a candidate bridge, joined
with the candidate's numbers, giving the probability that a person would close it.

Exported to ONNX with a dynamic batch: inputs "patches" (N, 3, 32, 32) and "features" (N, F),
output "probability" (N,).
"""

from __future__ import annotations

import torch
from torch import nn

from krita_linerefiner.core.candidates import FEATURES, PATCH

WIDTHS = (24, 48, 64)
HIDDEN = 96


class Verifier(nn.Module):
    def __init__(self, features: int = len(FEATURES), widths: tuple[int, int, int] = WIDTHS,
                 hidden: int = HIDDEN) -> None:
        super().__init__()
        a, b, c = widths
        self.conv = nn.Sequential(
            nn.Conv2d(3, a, 3, stride=2, padding=1), nn.ReLU(inplace=True),  # 16 x 16
            nn.Conv2d(a, b, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 8 x 8
            nn.Conv2d(b, c, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 4 x 4
            nn.Flatten(),
            nn.Linear(c * (PATCH // 8) ** 2, hidden), nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(
            nn.Linear(hidden + features, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 1),
        )

    def logits(self, patches: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.conv(patches), features], dim=1)).squeeze(1)

    def forward(self, patches: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(patches, features))


class Ensemble(nn.Module):
    """Verifiers trained alike from different seeds, exported as one model: the mean of their
    probabilities (each member's mistakes are partly its own, so the mean ranks better)."""

    def __init__(self, members: list[Verifier]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)

    def forward(self, patches: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(patches, features) for m in self.members]).mean(0)


def macs_per_candidate(widths: tuple[int, int, int] = WIDTHS, hidden: int = HIDDEN,
                       features: int = len(FEATURES)) -> int:
    a, b, c = widths
    half, quarter, eighth = PATCH // 2, PATCH // 4, PATCH // 8
    return (half * half * 3 * a * 9 + half * half * a * b * 9 + quarter * quarter * b * c * 9
            + c * eighth * eighth * hidden + (hidden + features) * hidden + hidden)
