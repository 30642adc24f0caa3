"""Train the refine model on synthetic pairs.

python -m training.refine.train --data data/refine --style ink --steps 6000 --out runs/refine/ink.pt

A fixed number of steps with a seeded sampler, so the same command gives the same weights on
the same machine (torch CPU kernels are deterministic at a fixed thread count).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.refine.model import RefineNet, count_macs


def load_split(path: Path, style: str) -> tuple[np.ndarray, np.ndarray]:
    data = np.load(path)
    return data["inp"], data["ink" if style == "ink" else "keep"]


def sample_batch(rng: np.random.Generator, inp: np.ndarray, tgt: np.ndarray, batch: int,
                 crop: int) -> tuple[torch.Tensor, torch.Tensor]:
    n, h, w = inp.shape
    xs, ys = [], []
    for _ in range(batch):
        i = int(rng.integers(n))
        y0, x0 = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        a = inp[i, y0:y0 + crop, x0:x0 + crop]
        b = tgt[i, y0:y0 + crop, x0:x0 + crop]
        # line art has no preferred orientation: the 8 dihedral copies are all valid pairs
        k = int(rng.integers(4))
        a, b = np.rot90(a, k), np.rot90(b, k)
        if rng.random() < 0.5:
            a, b = a[:, ::-1], b[:, ::-1]
        xs.append(a)
        ys.append(b)
    x = torch.from_numpy(np.stack(xs)[:, None].astype(np.float32) / 255)
    y = torch.from_numpy(np.stack(ys)[:, None].astype(np.float32) / 255)
    return x, y


def gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def loss_fn(out: torch.Tensor, tgt: torch.Tensor, inp: torch.Tensor | None = None,
            keep_weight: float = 0.0) -> torch.Tensor:
    # the gradient term rewards crisp, correctly placed edges, which plain L1 under-weights
    # because most pixels are paper
    gx_o, gy_o = gradients(out)
    gx_t, gy_t = gradients(tgt)
    edge = F.l1_loss(gx_o, gx_t) + F.l1_loss(gy_o, gy_t)
    loss = F.l1_loss(out, tgt) + 0.5 * edge
    if keep_weight > 0 and inp is not None:
        # erasing ink the user really drew is worse than leaving a speck: extra penalty for
        # falling short of the target where input and target are both inked
        real = ((inp >= 0.5) & (tgt >= 0.5)).float()
        loss = loss + keep_weight * (torch.relu(tgt - out) * real).mean()
    return loss


def lr_at(step: int, steps: int, base: float, warmup: int = 200) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return 1e-5 + 0.5 * (base - 1e-5) * (1 + math.cos(math.pi * t))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("data/refine"))
    ap.add_argument("--style", choices=["ink", "keep"], default="ink")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--init", type=Path, default=None,
                    help="start from this checkpoint's raw weights (a second training stage)")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--keep-weight", type=float, default=0.0,
                    help="extra loss on under-inking pixels inked in both input and target")
    ap.add_argument("--stop-after", type=int, default=None,
                    help="stop after this many steps; the learning-rate schedule follows --steps")
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="safety net on a busy machine: stop early and keep the last weights "
                         "(the learning-rate schedule still follows --steps)")
    args = ap.parse_args(argv)
    out = args.out or Path(f"runs/refine/{args.style}.pt")
    out.parent.mkdir(parents=True, exist_ok=True)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    inp, tgt = load_split(args.data / "train.npz", args.style)
    widths = (16, 32, 48)
    model = RefineNet(widths)
    if args.init is not None:
        init = torch.load(args.init, map_location="cpu", weights_only=False)
        model.load_state_dict(init.get("raw", init["model"]))
        print(f"initialised from {args.init} (step {init.get('step')})", flush=True)
    print(f"RefineNet{widths}: {count_macs(model, 1000, 1000) / 1e9:.2f} GMAC/MP, "
          f"{sum(p.numel() for p in model.parameters())} parameters, {len(inp)} pairs", flush=True)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    # an exponential moving average of the weights is what gets exported: it is smoother than
    # the last step's weights and stays usable if --max-minutes stops the run mid-schedule
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}

    t0 = time.time()
    running = 0.0
    for step in range(args.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        x, y = sample_batch(rng, inp, tgt, args.batch, args.crop)
        loss = loss_fn(model(x), y, x, args.keep_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running += loss.item()
        decay = min(0.998, (1 + step) / (10 + step))
        with torch.no_grad():
            for k, v in model.state_dict().items():
                ema[k].mul_(decay).add_(v.detach(), alpha=1 - decay)
        out_of_time = args.max_minutes is not None and time.time() - t0 > args.max_minutes * 60
        stopped = args.stop_after is not None and step + 1 >= args.stop_after
        last = step + 1 == args.steps or out_of_time or stopped
        if (step + 1) % 50 == 0 or last:
            elapsed = time.time() - t0
            print(f"step {step + 1}/{args.steps} loss {running / 50:.4f} "
                  f"{(step + 1) / elapsed:.2f} steps/s {elapsed / 60:.1f} min", flush=True)
            running = 0.0
        if (step + 1) % args.save_every == 0 or last:
            ckpt = {"model": ema, "raw": model.state_dict(), "widths": widths,
                    "style": args.style, "ema_decay": 0.998,
                    "step": step + 1, "steps": args.steps, "seed": args.seed,
                    "minutes": (time.time() - t0) / 60,
                    "init": str(args.init) if args.init else None, "lr": args.lr,
                    "keep_weight": args.keep_weight}
            tmp = out.with_suffix(".tmp")
            torch.save(ckpt, tmp)
            tmp.replace(out)  # never leave a half-written checkpoint for export to pick up
        if out_of_time or stopped:
            print(f"stopped at step {step + 1}", flush=True)
            break


if __name__ == "__main__":
    main()
