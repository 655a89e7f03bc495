"""Train the fashion-dcgan class-conditional generator (AC-GAN with a projection discriminator)
on Fashion-MNIST and export models/fashion-dcgan (ONNX + manifest). The sample grid of the model
card is drawn through onnxruntime-node afterwards: node scripts/dcgan-grid.ts

Usage: /usr/bin/python3 scripts/train/fashion_dcgan.py [--epochs 10]
       /usr/bin/python3 scripts/train/fashion_dcgan.py --export-only [--checkpoint /tmp/fashion_dcgan_g_N.pt]
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

from common import (FASHION_LABELS, FASHION_MEAN, FASHION_STD, file_size_mib, load_fashion, model_dir,
                    seed_everything, write_manifest)
from fashion_cnn import FashionCNN

SEED = 4321
LATENT = 64
CLASSES = 10
CHECKPOINT = "/tmp/fashion_dcgan_g.pt"
JUDGE_CHECKPOINT = "/tmp/fashion_cnn.pt"


class Generator(nn.Module):
    """z [N,64] + label [N] → image [N,1,28,28] in [-1,1]."""

    def __init__(self, ngf):
        super().__init__()
        self.ngf = ngf
        self.embed = nn.Embedding(CLASSES, 32)
        self.fc = nn.Sequential(nn.Linear(LATENT + 32, 2 * ngf * 7 * 7, bias=False),
                                nn.BatchNorm1d(2 * ngf * 7 * 7), nn.ReLU(inplace=True))
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z, label):
        h = self.fc(torch.cat([z, self.embed(label)], dim=1))
        return self.up(h.view(-1, 2 * self.ngf, 7, 7))


class Discriminator(nn.Module):
    """Spectral-norm conv net with a projection (real/fake) head and an auxiliary class head."""

    def __init__(self, ndf):
        super().__init__()
        self.features = nn.Sequential(
            spectral_norm(nn.Conv2d(1, ndf, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(ndf, 2 * ndf, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(), spectral_norm(nn.Linear(2 * ndf * 7 * 7, 256)), nn.LeakyReLU(0.2, inplace=True))
        self.adv = spectral_norm(nn.Linear(256, 1))
        self.proj = spectral_norm(nn.Embedding(CLASSES, 256))
        self.aux = nn.Linear(256, CLASSES)

    def forward(self, x, label):
        h = self.features(x)
        adv = self.adv(h).squeeze(1) + (self.proj(label) * h).sum(1)
        return adv, self.aux(h)


def load_judge():
    """The fashion-cnn PyTorch weights fashion_cnn.py left in /tmp, if any: monitoring only."""
    if not os.path.exists(JUDGE_CHECKPOINT):
        return None
    judge = FashionCNN()
    judge.load_state_dict(torch.load(JUDGE_CHECKPOINT))
    return judge.eval()


@torch.no_grad()
def monitor(gen, judge, per_class=50):
    """How often fashion-cnn recognises the requested class in eval-mode samples (fixed latents)."""
    if judge is None:
        return ""
    gen.eval()
    rng = torch.Generator().manual_seed(99)
    labels = torch.arange(CLASSES).repeat_interleave(per_class)
    images = gen(torch.randn(len(labels), LATENT, generator=rng), labels)
    pixels = (images + 1) * 127.5 / 255.0
    preds = judge((pixels - FASHION_MEAN) / FASHION_STD).argmax(1)
    gen.train()
    return f"judged acc {(preds == labels).float().mean().item():.3f} "


def export(gen, out_dir):
    gen.eval()
    path = os.path.join(out_dir, "model.onnx")
    torch.onnx.export(gen, (torch.zeros(2, LATENT), torch.zeros(2, dtype=torch.long)), path,
                      input_names=["z", "label"], output_names=["image"], opset_version=17,
                      dynamic_axes={"z": {0: "batch"}, "label": {0: "batch"}, "image": {0: "batch"}})
    manifest = {
        "name": "fashion-dcgan",
        "task": "image-generation",
        "description": "Class-conditional DCGAN generator of 28x28 Fashion-MNIST-style clothing images",
        "graphs": {"model": "model.onnx"},
        "inputs": {"latent": "z", "label": "label"},
        "outputs": {"image": "image"},
        "latent_dim": LATENT,
        "labels": FASHION_LABELS,
        "output_range": [-1, 1],
        "batching": {"max_batch_size": 64, "max_queue_delay_ms": 2},
    }
    write_manifest(out_dir, manifest)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--ngf", type=int, default=48)
    parser.add_argument("--ndf", type=int, default=32)
    parser.add_argument("--max-steps", type=int, default=0, help="stop early (timing runs)")
    parser.add_argument("--export-only", action="store_true")
    parser.add_argument("--checkpoint", default=CHECKPOINT, help="generator weights for --export-only")
    args = parser.parse_args()
    seed_everything(SEED)
    if args.export_only:
        gen = Generator(args.ngf)
        gen.load_state_dict(torch.load(args.checkpoint))
        print(f"exported {export(gen, model_dir('fashion-dcgan'))}", flush=True)
        return
    rng = torch.Generator().manual_seed(SEED)

    images, labels = load_fashion("train")
    x_all = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    y_all = torch.from_numpy(labels)
    gen, disc = Generator(args.ngf), Discriminator(args.ndf)
    print(f"G parameters: {sum(p.numel() for p in gen.parameters()):,}, "
          f"D parameters: {sum(p.numel() for p in disc.parameters()):,}", flush=True)
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    judge = load_judge()
    bs = args.batch_size
    steps = len(x_all) // bs
    start, step = time.time(), 0
    for epoch in range(args.epochs):
        gen.train()
        perm = torch.randperm(len(x_all), generator=rng)
        sums = np.zeros(4)
        for s in range(steps):
            idx = perm[s * bs:(s + 1) * bs]
            real, y = x_all[idx], y_all[idx]
            z = torch.randn(bs, LATENT, generator=rng)
            y_fake = torch.randint(0, CLASSES, (bs,), generator=rng)
            fake = gen(z, y_fake)

            adv_real, cls_real = disc(real, y)
            adv_fake, cls_fake = disc(fake.detach(), y_fake)
            loss_d = (F.binary_cross_entropy_with_logits(adv_real, torch.full_like(adv_real, 0.9))
                      + F.binary_cross_entropy_with_logits(adv_fake, torch.zeros_like(adv_fake))
                      + F.cross_entropy(cls_real, y) + F.cross_entropy(cls_fake, y_fake))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()

            adv_fake, cls_fake = disc(fake, y_fake)
            loss_adv = F.binary_cross_entropy_with_logits(adv_fake, torch.ones_like(adv_fake))
            loss_cls = F.cross_entropy(cls_fake, y_fake)
            opt_g.zero_grad()
            (loss_adv + loss_cls).backward()
            opt_g.step()

            real_acc = (cls_real.argmax(1) == y).float().mean().item()
            sums += [loss_d.item(), loss_adv.item(), loss_cls.item(), real_acc]
            step += 1
            if args.max_steps and step >= args.max_steps:
                print(f"{step} steps in {time.time() - start:.1f}s", flush=True)
                return
        m = sums / steps
        print(f"epoch {epoch + 1}/{args.epochs} D {m[0]:.3f} G adv {m[1]:.3f} G cls {m[2]:.3f} "
              f"D real acc {m[3]:.3f} {monitor(gen, judge)}elapsed {time.time() - start:.0f}s", flush=True)
        torch.save(gen.state_dict(), CHECKPOINT)
        torch.save(gen.state_dict(), CHECKPOINT.replace(".pt", f"_{epoch + 1}.pt"))

    out_dir = model_dir("fashion-dcgan")
    path = export(gen, out_dir)
    print(f"exported {path} ({file_size_mib(path):.2f} MiB), training took {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
