"""Train the fashion-cnn classifier on Fashion-MNIST and export models/fashion-cnn (ONNX + manifest).

Usage: /usr/bin/python3 scripts/train/fashion_cnn.py [--epochs 10]
Also writes the test fixture tests/fixtures/fashion-mnist-test-1000.bin (first 1,000 test images).
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import (FASHION_LABELS, FASHION_MEAN, FASHION_STD, file_size_mib, load_fashion,
                    model_dir, normalise_fashion, seed_everything, write_manifest)

SEED = 1234
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures",
                       "fashion-mnist-test-1000.bin")


def conv_block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.MaxPool2d(2)]


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*conv_block(1, 32), *conv_block(32, 64), *conv_block(64, 128),
                                      nn.Dropout(0.3))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(128 * 3 * 3, 256), nn.ReLU(inplace=True),
                                  nn.Dropout(0.4), nn.Linear(256, 10))

    def forward(self, pixel_values):
        return self.head(self.features(pixel_values))


def augment(x, gen):
    """Random 28×28 crop of the 2-pixel zero-padded image (in normalised units) and horizontal flip."""
    n = x.shape[0]
    background = -FASHION_MEAN / FASHION_STD
    padded = F.pad(x, (2, 2, 2, 2), value=background)
    offsets = torch.randint(0, 5, (n, 2), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = int(offsets[i, 0]), int(offsets[i, 1])
        out[i] = padded[i, :, dy:dy + 28, dx:dx + 28]
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    correct = 0
    for i in range(0, len(x), 500):
        correct += (model(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum().item()
    return correct / len(x)


def write_fixture(images, labels):
    """1,000 test images then their 1,000 labels, as raw uint8."""
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "wb") as f:
        f.write(images[:1000].tobytes())
        f.write(labels[:1000].astype(np.uint8).tobytes())


def export(model, out_dir):
    model.eval()
    path = os.path.join(out_dir, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=["pixel_values"],
                      output_names=["logits"], opset_version=17,
                      dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}})
    manifest = {
        "name": "fashion-cnn",
        "task": "image-classification",
        "description": "Small CNN classifying 28x28 greyscale clothing images (Fashion-MNIST, 10 classes)",
        "graphs": {"model": "model.onnx"},
        "inputs": {"pixels": "pixel_values"},
        "outputs": {"scores": "logits"},
        "scores": "logits",
        "labels": FASHION_LABELS,
        "image": {
            "width": 28, "height": 28, "channels": 1, "layout": "NCHW",
            "fit": "contain", "background": [0, 0, 0], "invert": "auto",
            "scale": 1 / 255, "mean": [FASHION_MEAN], "std": [FASHION_STD],
        },
        "batching": {"max_batch_size": 64, "max_queue_delay_ms": 2},
    }
    write_manifest(out_dir, manifest)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()
    seed_everything(SEED)
    gen = torch.Generator().manual_seed(SEED)

    train_u8, train_y = load_fashion("train")
    test_u8, test_y = load_fashion("t10k")
    write_fixture(test_u8, test_y)
    x_train, y_train = normalise_fashion(train_u8), torch.from_numpy(train_y)
    x_test, y_test = normalise_fashion(test_u8), torch.from_numpy(test_y)

    model = FashionCNN()
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}", flush=True)
    steps = (len(x_train) + args.batch_size - 1) // args.batch_size
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for s in range(steps):
            idx = perm[s * args.batch_size:(s + 1) * args.batch_size]
            xb = augment(x_train[idx], gen)
            loss = F.cross_entropy(model(xb), y_train[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        acc = accuracy(model, x_test, y_test)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / steps:.4f} test acc {acc:.4f} "
              f"elapsed {time.time() - start:.0f}s", flush=True)

    out_dir = model_dir("fashion-cnn")
    torch.save(model.state_dict(), "/tmp/fashion_cnn.pt")
    path = export(model, out_dir)
    print(f"exported {path} ({file_size_mib(path):.2f} MiB), training took {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
