"""Train GapNet on the shards written by `python -m training.gaps.make_data`.

    python -m training.gaps.train [--data data/gaps] [--out runs/gaps] [--steps 4000]

Reproducible: seeded data order, augmentation and initialisation; a fixed number of steps
(not a wall-clock budget), so the same command gives the same weights on the same machine.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from training.gaps.dataset import load_split, pooled_train, sampling_chances
from training.gaps.model import (
    GapNet,
    count_macs_per_megapixel,
    from_state_dict,
    parameter_count,
    widen,
    widths_of,
)
from training.gaps.weights import gap_balance_weight, short_gap_weight


def gap_target(ink: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    # Specks exist only in the input, so they come out negative and clip to 0: the gap model
    # learns to add pixels, never to remove any.
    return (target - ink).clamp(0.0, 1.0)


def loss_fn(
    logits: torch.Tensor, want: torch.Tensor, pos_weight: float, extra: torch.Tensor | None = None
) -> torch.Tensor:
    weight = 1.0 + (pos_weight - 1.0) * want
    if extra is not None:
        weight = weight + extra
    bce = F.binary_cross_entropy_with_logits(logits, want, weight=weight)
    prob = torch.sigmoid(logits)
    inter = (prob * want).sum(dim=(1, 2, 3))
    denom = (prob + want).sum(dim=(1, 2, 3))
    dice = 1.0 - (2.0 * inter + 1.0) / (denom + 1.0)
    return bce + 0.5 * dice.mean()


def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(4))
    out = np.rot90(batch, k, axes=(-2, -1))
    if rng.random() < 0.5:
        out = out[..., ::-1]
    return np.ascontiguousarray(out)


def evaluate(
    model: GapNet, ink: np.ndarray, target: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    model.eval()
    tp = fp = fn = 0
    with torch.no_grad():
        for i in range(0, len(ink), 8):
            x = torch.from_numpy(ink[i : i + 8, None].astype(np.float32) / 255.0)
            t = torch.from_numpy(target[i : i + 8, None].astype(np.float32) / 255.0)
            want = gap_target(x, t) >= 0.5
            got = (torch.sigmoid(model(x)) >= threshold) & (x < 0.5)
            tp += int((got & want).sum())
            fp += int((got & ~want).sum())
            fn += int((~got & want).sum())
    model.train()
    return {
        "recall": tp / max(tp + fn, 1),
        "precision": tp / max(tp + fp, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, nargs="+", default=[Path("data/gaps")],
                        help="data folders whose train splits are pooled")
    parser.add_argument("--val-data", type=Path, default=Path("data/gaps"),
                        help="the folder whose val split is evaluated during training")
    parser.add_argument("--out", type=Path, default=Path("runs/gaps"))
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--crop", type=int, default=192)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--pos-weight", type=float, default=4.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--init", type=Path, default=None, help="start from these weights")
    parser.add_argument(
        "--widths",
        type=int,
        nargs=4,
        default=None,
        help="level widths (default 16 32 48 64, or --init's); wider than --init's widens it",
    )
    parser.add_argument(
        "--short-weight", type=float, default=0.0, help="extra loss weight on short gaps"
    )
    parser.add_argument("--short-limit", type=float, default=5.0)
    parser.add_argument(
        "--gap-balance",
        type=float,
        default=0.0,
        help="extra loss weight per gap, spread over its pixels (thin-line gaps gain most)",
    )
    parser.add_argument(
        "--kind-weight",
        nargs="*",
        default=[],
        metavar="KIND=W",
        help="sample crops of a source kind W times as often (e.g. hershey=2); others 1",
    )
    parser.add_argument(
        "--clean-share",
        type=float,
        default=0.0,
        help="share of samples shown uncut: the input is the drawing as drawn",
    )
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    train = pooled_train(args.data)
    val = load_split(args.val_data, "val")
    ink_all, target_all, intact_all = train["ink"], train["target"], train["intact"]
    labels_all, lengths_all = train["gap_labels"], train["gap_lengths"]
    n, size = len(ink_all), ink_all.shape[-1]
    chance = sampling_chances(train["kind"], args.kind_weight)
    print(f"train crops: {n} of {size}px; val crops: {len(val['ink'])}", flush=True)

    if args.init is None:
        model = GapNet(tuple(args.widths)) if args.widths else GapNet()
    else:
        state = torch.load(args.init, map_location="cpu")
        if args.widths and tuple(args.widths) != widths_of(state):
            model = widen(state, tuple(args.widths), args.seed)
        else:
            model = from_state_dict(state)
    print(
        f"GapNet: {parameter_count(model)} parameters, "
        f"{count_macs_per_megapixel(model) / 1e9:.2f} GMAC/MP",
        flush=True,
    )
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)

    def lr_at(step: int) -> float:
        warm = 100
        if step < warm:
            return args.lr * (step + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / (args.steps - warm)))

    log: list[dict[str, float]] = []
    start = time.time()
    running = 0.0
    for step in range(args.steps):
        if chance is None:
            idx = rng.integers(0, n, args.batch)
        else:
            idx = rng.choice(n, args.batch, p=chance)
        y0, x0 = rng.integers(0, size - args.crop + 1, 2) if size > args.crop else (0, 0)
        window = (idx, slice(y0, y0 + args.crop), slice(x0, x0 + args.crop))
        ink = ink_all[window].copy()
        target = target_all[window]
        clean = rng.random(args.batch) < args.clean_share
        ink[clean] = intact_all[window][clean]
        extra = short_gap_weight(
            labels_all[window], lengths_all[idx], args.short_limit, args.short_weight
        )
        if args.gap_balance:
            extra += gap_balance_weight(labels_all[window], target, args.gap_balance)
        extra[clean] = 0.0
        stacked = np.stack([ink, target], 1).astype(np.float32) / 255.0
        both = augment(np.concatenate([stacked, extra[:, None]], 1), rng)
        x = torch.from_numpy(both[:, :1])
        t = torch.from_numpy(both[:, 1:2])
        w = torch.from_numpy(both[:, 2:]) if args.short_weight or args.gap_balance else None
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        loss = loss_fn(model(x), gap_target(x, t), args.pos_weight, w)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % 50 == 0:
            print(f"step {step} loss {running:.4f} {time.time() - start:.0f}s", flush=True)
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            metrics = evaluate(model, val["ink"], val["target"])
            metrics.update(step=step + 1, loss=running, seconds=time.time() - start)
            log.append(metrics)
            print(json.dumps(metrics), flush=True)
            torch.save(model.state_dict(), args.out / "gapnet.pt")
            (args.out / "log.json").write_text(
                json.dumps(
                    {"args": {k: " ".join(map(str, v)) if isinstance(v, list) else str(v)
                              for k, v in vars(args).items()}, "log": log}, indent=1
                )
            )
    print(f"done in {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
