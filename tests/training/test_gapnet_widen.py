"""GapNet widening: a wider net starts out computing exactly what the narrow one did.

Needs torch (the `train` extra); skipped where only the test requirements are installed.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from training.gaps.model import GapNet, from_state_dict, widen, widths_of  # noqa: E402


def test_widen_keeps_the_output_and_takes_the_new_widths() -> None:
    torch.manual_seed(3)
    narrow = GapNet((8, 16, 24, 32)).eval()
    x = torch.rand(2, 1, 48, 48)
    wide = widen(narrow.state_dict(), (12, 20, 40, 48)).eval()
    assert widths_of(wide.state_dict()) == (12, 20, 40, 48)
    with torch.no_grad():
        assert torch.allclose(narrow(x), wide(x), atol=1e-6)


def test_widened_net_learns_through_its_new_channels() -> None:
    torch.manual_seed(4)
    wide = widen(GapNet((8, 16, 24, 32)).state_dict(), (8, 16, 24, 48))
    loss = wide(torch.rand(1, 1, 32, 32)).square().mean()
    loss.backward()
    # weights from the new bottleneck channels into the old ones start at zero but get a gradient
    grad = dict(wide.named_parameters())["enc3.1.0.weight"].grad
    assert grad is not None and grad[:32, 32:].abs().sum() > 0


def test_widen_refuses_to_narrow_and_state_dict_round_trips() -> None:
    net = GapNet((8, 16, 24, 32))
    with pytest.raises(ValueError):
        widen(net.state_dict(), (8, 16, 16, 32))
    again = from_state_dict(net.state_dict())
    assert widths_of(again.state_dict()) == (8, 16, 24, 32)
