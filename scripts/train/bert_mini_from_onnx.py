"""Rebuild a bert-mini training checkpoint from the shipped ONNX graphs, so pretraining can
continue from the committed model when the earlier run's checkpoints are gone.

  /usr/bin/python3 scripts/train/bert_mini_from_onnx.py models/bert-mini /tmp/bert-mini/ckpt-shipped/last.pt STEPS TOKENS SECONDS

The encoder and MLM-head graphs name their initializers after the PyTorch parameters (prefixed
"m."), and both read them from weights.bin, so the state dict is a rename. STEPS, TOKENS and
SECONDS are the shipped model's training totals (from its model card) carried into the
checkpoint so a continued run reports cumulative figures. Optimizer state is not recoverable:
continue with a fresh warmup (BERT_INIT=... BERT_LR=...).
"""
import os
import sys

import onnx
import onnx.numpy_helper
import torch

sys.path.insert(0, os.path.dirname(__file__))
from bert_mini_model import CONFIG, BertMini  # noqa: E402


def main(model_dir, out_path, steps, tokens, seconds):
    weights = {}
    for graph in ("encoder.onnx", "mlm_head.onnx"):
        proto = onnx.load(os.path.join(model_dir, graph), load_external_data=True)
        for tensor in proto.graph.initializer:
            if tensor.name.startswith("m."):
                weights[tensor.name[2:]] = torch.from_numpy(onnx.numpy_helper.to_array(tensor).copy())
    model = BertMini(CONFIG)
    missing = set(model.state_dict()) - set(weights)
    if missing:
        raise RuntimeError(f"parameters not found in the graphs: {sorted(missing)}")
    model.load_state_dict({k: weights[k] for k in model.state_dict()})
    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    torch.save({"model": model.state_dict(), "config": CONFIG, "step": int(steps), "tokens": int(tokens),
                "elapsed_s": float(seconds)}, out_path)
    print(f"wrote {out_path}: {len(weights)} tensors, totals step={steps} tokens={tokens} elapsed_s={seconds}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
