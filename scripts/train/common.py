"""Shared helpers for the ortserve training scripts: seeding, datasets, ONNX export checks."""
import gzip
import json
import os
import random
import struct

import numpy as np
import torch

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_LABELS = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
# Normalisation of the fashion-cnn input: (v / 255 - MEAN) / STD (also in its manifest).
FASHION_MEAN = 0.286
FASHION_STD = 0.353
MODELS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)


def model_dir(name):
    path = os.path.normpath(os.path.join(MODELS_DIR, name))
    os.makedirs(path, exist_ok=True)
    return path


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion(split):
    """Fashion-MNIST as (uint8 images [N,28,28], int64 labels [N]); split is 'train' or 't10k'."""
    images = _read_idx(os.path.join(FASHION_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(FASHION_DIR, f"{split}-labels-idx1-ubyte.gz"))
    return images, labels.astype(np.int64)


def normalise_fashion(images_u8):
    """uint8 [N,28,28] → float32 tensor [N,1,28,28] normalised like the manifest says."""
    x = torch.from_numpy(images_u8.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - FASHION_MEAN) / FASHION_STD


def file_size_mib(path):
    return os.path.getsize(path) / (1024 * 1024)


def write_manifest(out_dir, manifest):
    """Writes models/<name>/manifest.json (the serving contract described in models/README.md)."""
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
