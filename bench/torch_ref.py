"""PyTorch reference for `deno task bench`: times one training step of the
TensorFlow "Image classification" tutorial CNN (--model tutorial, Adam) or of
notebook 5's final recipe (--model better: the residual CNN, AdamW with label
smoothing), the same network and step that bench/bench.ts times on the fast
tfjs backend, without the augmentation layers (PyTorch augments outside the
model).

Usage: /usr/bin/python3 bench/torch_ref.py [--model tutorial|better] [--image-size N] [--steps N] [--warmup N] [--batch N] [--threads N]
Prints one JSON object: {"torch_ms_per_step": ..., "threads": ..., ...}.
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn

NUM_CLASSES = 5  # daisy, dandelion, roses, sunflowers, tulips


class Rescale(nn.Module):
    def forward(self, x):
        return x * (1.0 / 255.0)


def tutorial_cnn(image_size: int) -> nn.Module:
    """Rescaling(1/255) -> 3x [Conv 3x3 same + ReLU -> MaxPool 2] -> Dense 128 -> Dense 5."""
    pooled = image_size // 2 // 2 // 2  # 22 at 180: three 2x2 max-pools, floor division
    return nn.Sequential(
        Rescale(),
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * pooled * pooled, 128), nn.ReLU(),
        nn.Linear(128, NUM_CLASSES),
    )


class BasicBlock(nn.Module):
    """MaxPool 2 -> Conv 3x3 + BN + ReLU -> Conv 3x3 + BN, plus the input
    (through a 1x1 Conv + BN where the channels change), then ReLU."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
        )
        self.shortcut = nn.Identity() if cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        x = self.pool(x)
        return torch.relu(self.body(x) + self.shortcut(x))


def residual_cnn() -> nn.Module:
    """Rescaling(1/255) -> stem Conv 3x3/2 32 + BN + ReLU -> 3 basic blocks
    (32, 64, 128) -> global average pool -> Dropout 0.3 -> Dense 5:
    createResidualCnn()'s defaults (tfjs' "same" padding with stride 2 pads one
    pixel at the bottom and right; the cost is the same)."""
    return nn.Sequential(
        Rescale(),
        nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        BasicBlock(32, 32), BasicBlock(32, 64), BasicBlock(64, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3),
        nn.Linear(128, NUM_CLASSES),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["tutorial", "better"], default="tutorial")
    parser.add_argument("--image-size", type=int, default=None,
                        help="default: 180 for the tutorial, 128 for better (the recipe's size)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads (default: leave torch's default); "
                             "bench.ts always passes the fast backend's thread count")
    args = parser.parse_args()
    if args.image_size is None:
        args.image_size = 180 if args.model == "tutorial" else 128
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    if args.model == "tutorial":
        model = tutorial_cnn(args.image_size)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()  # sparse categorical cross-entropy from logits
    else:
        model = residual_cnn()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()
    x = torch.rand(args.batch, 3, args.image_size, args.image_size) * 255.0
    y = torch.randint(0, NUM_CLASSES, (args.batch,))

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        step()
        elapsed = (time.perf_counter() - start) * 1000.0
        if i >= args.warmup:
            times.append(elapsed)
    print(json.dumps({
        "torch_ms_per_step": statistics.median(times),
        "torch_ms_mean": statistics.mean(times),
        "steps": args.steps,
        "batch": args.batch,
        "model": args.model,
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
    }))


if __name__ == "__main__":
    main()
