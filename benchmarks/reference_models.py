"""Torch rebuilds of the two seed architectures, exported to ONNX with random weights.

Only the architecture matters for the speed and memory comparison, so the weights are random
(seeded) and batch norm runs in eval mode with its default statistics. The layer lists were
rebuilt from the seed repositories' published model definitions:

- hepesu/LineRelifer `model.py` (Keras): 3x3 conv to 64 + ReLU, four residual blocks
  (conv-BN-ReLU-conv-BN, add, ReLU), 1x1 conv to 1 channel + tanh, all at full resolution.
- zhenglinpan/FillLineGaps `codebase/lite_unet/model.py`: `LightUNet(1, 1, long_skip=1, nf=32)`,
  a two-level U-Net whose first conv of each stage is depthwise-separable (depthwise 3x3,
  pointwise 1x1, ReLU6); the seed states 429,067 parameters.

Also here: a MAC counter over ONNX graphs (Conv, ConvTranspose, MatMul, Gemm) with shape
inference, so every model, ours included, is counted by the same rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import shape_inference

# torch is imported lazily: the MAC counter and its tests need only onnx.


@dataclass(frozen=True)
class ReferenceSpec:
    name: str
    file: str
    size_multiple: int
    overlap: int  # tile overlap whose context (overlap // 4) covers the receptive radius


# Receptive radii (measured by `receptive_radius` below): LineRelifer 9 px, LightUNet 27 px.
# Overlaps are chosen so that TileSpec's context = overlap // 4 covers them, like ours.
REFERENCES: tuple[ReferenceSpec, ...] = (
    ReferenceSpec("linerelifer", "linerelifer.onnx", size_multiple=1, overlap=64),
    ReferenceSpec("lightunet", "lightunet.onnx", size_multiple=4, overlap=128),
)


def build_linerelifer():  # -> torch.nn.Module
    import torch
    from torch import nn

    class ResidualBlock(nn.Module):
        def __init__(self, channels: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.BatchNorm2d(channels),
                nn.ReLU(),
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.BatchNorm2d(channels),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x + self.body(x))

    class LineRelifierGenerator(nn.Module):
        def __init__(self, width: int = 64, blocks: int = 4) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU())
            self.blocks = nn.Sequential(*[ResidualBlock(width) for _ in range(blocks)])
            self.head = nn.Sequential(nn.Conv2d(width, 1, 1), nn.Tanh())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.blocks(self.stem(x)))

    return LineRelifierGenerator()


def build_lightunet(nf: int = 32):  # -> torch.nn.Module
    import torch
    from torch import nn

    def separable(c_in: int, c_out: int) -> nn.Module:
        # The seed's "dw_conv": depthwise 3x3 then pointwise 1x1, both with bias, then ReLU6.
        return nn.Sequential(
            nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in),
            nn.Conv2d(c_in, c_out, 1),
            nn.ReLU6(),
        )

    def stage(c_in: int, c_out: int) -> nn.Module:
        # separable conv -> BN -> ReLU -> full 3x3 conv -> BN -> ReLU, as in each seed stage.
        return nn.Sequential(
            separable(c_in, c_out),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        )

    class LightUNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc1 = stage(1, nf)
            self.enc2 = stage(nf, nf * 2)
            self.enc3 = stage(nf * 2, nf * 4)
            self.up2 = nn.ConvTranspose2d(nf * 4, nf * 2, 4, stride=2, padding=1, bias=False)
            self.dec2 = stage(nf * 4, nf * 2)
            self.up1 = nn.ConvTranspose2d(nf * 2, nf, 4, stride=2, padding=1, bias=False)
            self.dec1 = stage(nf * 2, nf)
            self.out = nn.Conv2d(nf, 1, 3, padding=1)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            s1 = self.enc1(x)
            s2 = self.enc2(self.pool(s1))
            s3 = self.enc3(self.pool(s2))
            d2 = self.dec2(torch.cat((torch.relu(self.up2(s3)), s2), 1))
            d1 = self.dec1(torch.cat((torch.relu(self.up1(d2)), s1), 1))
            # long_skip=1 in the seed: the output is a residual on the input.
            return self.out(d1) + x

    return LightUNet()


def parameter_count(model) -> int:  # model: torch.nn.Module
    # BN running statistics are buffers, not parameters, matching the seed's stated count.
    return sum(p.numel() for p in model.parameters())


def build_reference(name: str, seed: int = 0):  # -> torch.nn.Module
    import torch

    torch.manual_seed(seed)
    builders = {"linerelifer": build_linerelifer, "lightunet": build_lightunet}
    model = builders[name]()
    model.eval()
    return model


def export_onnx(model, path: Path, opset: int = 17) -> Path:
    import torch

    dummy = torch.zeros(1, 1, 64, 64)
    # The legacy TorchScript exporter: the dynamo one needs onnxscript, not installed here.
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["ink"],
        output_names=["out"],
        opset_version=opset,
        dynamic_axes={"ink": {2: "H", 3: "W"}, "out": {2: "H", 3: "W"}},
        dynamo=False,
    )
    return path


def export_references(out_dir: Path, seed: int = 0) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for spec in REFERENCES:
        paths[spec.name] = export_onnx(build_reference(spec.name, seed), out_dir / spec.file)
    return paths


def receptive_radius(model, probe: int = 128) -> int:
    """Largest distance from an output pixel at which the input changes that output.

    Probed at four neighbouring output pixels because a U-Net's reach depends on the position
    modulo its downsampling factor; random input keeps ReLUs from hiding paths.
    """
    import torch

    gen = torch.Generator().manual_seed(0)
    radius = 0
    for offset in range(4):
        x = torch.rand(1, 1, probe, probe, generator=gen).requires_grad_(True)
        c = probe // 2 + offset
        model(x)[0, 0, c, c].backward()
        assert x.grad is not None
        ys, xs = np.nonzero(x.grad[0, 0].abs().numpy() > 0)
        radius = max(radius, int(np.abs(ys - c).max()), int(np.abs(xs - c).max()))
    return radius


def _shape_table(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    g = model.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = tuple(d.dim_value for d in dims)
    for init in g.initializer:
        shapes[init.name] = tuple(init.dims)
    return shapes


def count_macs(model: onnx.ModelProto, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass with the first graph input fixed to input_shape.

    Counts Conv, ConvTranspose, MatMul and Gemm (where nearly all the work is); element-wise ops,
    pooling and normalisation are left out, as usual for MAC counts.
    """
    model = onnx.ModelProto.FromString(model.SerializeToString())
    initializers = {i.name for i in model.graph.initializer}
    graph_input = next(i for i in model.graph.input if i.name not in initializers)
    dims = graph_input.type.tensor_type.shape.dim
    if len(dims) != len(input_shape):
        raise ValueError(f"input {graph_input.name} has rank {len(dims)}, not {len(input_shape)}")
    for d, v in zip(dims, input_shape, strict=True):
        d.Clear()
        d.dim_value = v
    model = shape_inference.infer_shapes(model, strict_mode=True)
    shapes = _shape_table(model)

    total = 0
    for node in model.graph.node:
        if node.op_type not in ("Conv", "ConvTranspose", "MatMul", "Gemm"):
            continue
        try:
            a, b = shapes[node.input[0]], shapes[node.input[1]]
            y = shapes[node.output[0]]
        except KeyError as exc:
            raise ValueError(f"no inferred shape for {node.op_type} {node.name}: {exc}") from exc
        if node.op_type == "Conv":
            # weight (C_out, C_in / group, kh, kw): every output element costs C_in/g * kh * kw.
            total += math.prod(y) * math.prod(b[1:])
        elif node.op_type == "ConvTranspose":
            # weight (C_in, C_out / group, kh, kw): every input element is scattered that often.
            total += math.prod(a) * math.prod(b[1:])
        elif node.op_type == "MatMul":
            total += math.prod(y) * a[-1]
        else:
            trans_a = next((at.i for at in node.attribute if at.name == "transA"), 0)
            total += math.prod(y) * (a[0] if trans_a else a[1])
    return total


def gmac_per_megapixel(model: onnx.ModelProto, side: int = 1024) -> float:
    """GMAC per 1e6 input pixels, measured on one side x side image (a multiple of 16)."""
    initializers = {i.name for i in model.graph.initializer}
    graph_input = next(i for i in model.graph.input if i.name not in initializers)
    channel_dim = graph_input.type.tensor_type.shape.dim[1]
    channels = channel_dim.dim_value if channel_dim.HasField("dim_value") else 1
    return count_macs(model, (1, channels, side, side)) / (side * side) * 1e6 / 1e9


def onnx_parameter_count(model: onnx.ModelProto) -> int:
    # After export, BN is folded into the convs, so this counts the deployed weights.
    return sum(math.prod(i.dims) for i in model.graph.initializer)


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for spec in REFERENCES:
            model = build_reference(spec.name)
            path = export_onnx(model, Path(tmp) / spec.file)
            proto = onnx.load(str(path))
            print(
                f"{spec.name:12s} params(torch) {parameter_count(model):9,d}  "
                f"params(onnx) {onnx_parameter_count(proto):9,d}  "
                f"GMAC/MP {gmac_per_megapixel(proto):7.1f}  "
                f"receptive radius {receptive_radius(model)} px  "
                f"onnx {path.stat().st_size / 1e6:.2f} MB"
            )


if __name__ == "__main__":
    main()
