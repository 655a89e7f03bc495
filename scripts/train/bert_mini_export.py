"""Export a bert-mini checkpoint to the three ONNX graphs of models/bert-mini:
encoder.onnx (ids, mask, types → last_hidden_state), mlm_head.onnx (hidden_states → logits) and
attention.onnx (ids, mask, types → attentions [N, L, heads, T, T]). The graphs share their weights
through one external-data file, weights.bin (each tensor stored once, 4 KiB-aligned), so the
folder holds the ~21 MB of parameters once instead of three times.

  /usr/bin/python3 scripts/train/bert_mini_export.py /tmp/bert-mini/ckpt/best.pt models/bert-mini
"""
import os
import sys
import tempfile

import onnx
import torch

sys.path.insert(0, os.path.dirname(__file__))
from bert_mini_model import BertMini  # noqa: E402

WEIGHTS, ALIGN = "weights.bin", 4096


class Encoder(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m.encode(input_ids, attention_mask, token_type_ids)


class Attention(Encoder):
    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m.encode(input_ids, attention_mask, token_type_ids, with_attentions=True)[1]


class MlmHead(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, hidden_states):
        return self.m.mlm_logits(hidden_states)


def main(ckpt_path, out_dir):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    config = dict(ckpt["config"], dropout=0.0)
    model = BertMini(config)
    model.load_state_dict(ckpt["model"])
    model.eval()
    ids = torch.tensor([[2, 115, 2048, 4, 3], [2, 115, 3, 0, 0]])
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    hidden = model.encode(ids, mask, types)
    nt = {0: "batch", 1: "sequence"}
    specs = {
        "encoder.onnx": (Encoder(model), (ids, mask, types), ["input_ids", "attention_mask", "token_type_ids"],
                         ["last_hidden_state"], {"input_ids": nt, "attention_mask": nt, "token_type_ids": nt, "last_hidden_state": nt}),
        "attention.onnx": (Attention(model), (ids, mask, types), ["input_ids", "attention_mask", "token_type_ids"], ["attentions"],
                           {"input_ids": nt, "attention_mask": nt, "token_type_ids": nt,
                            "attentions": {0: "batch", 3: "sequence", 4: "sequence_k"}}),
        "mlm_head.onnx": (MlmHead(model), (hidden,), ["hidden_states"], ["logits"], {"hidden_states": nt, "logits": nt}),
    }
    os.makedirs(out_dir, exist_ok=True)
    stored = {}  # initializer name → (offset, length, bytes)
    blob = bytearray()
    with tempfile.TemporaryDirectory() as tmp:
        for name, (module, args, inputs, outputs, axes) in specs.items():
            path = os.path.join(tmp, name)
            with torch.no_grad():
                torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                                  opset_version=17, do_constant_folding=False)
            graph = onnx.load(path)
            for tensor in graph.graph.initializer:
                data = tensor.raw_data or onnx.numpy_helper.to_array(tensor).tobytes()
                if tensor.name in stored and stored[tensor.name][2] != data:
                    raise RuntimeError(f"initializer {tensor.name} differs between graphs")
                if tensor.name not in stored:
                    blob.extend(b"\0" * (-len(blob) % ALIGN))
                    stored[tensor.name] = (len(blob), len(data), data)
                    blob.extend(data)
                offset, length, _ = stored[tensor.name]
                tensor.ClearField("raw_data")
                for field in ("float_data", "int64_data", "int32_data", "double_data"):
                    tensor.ClearField(field)
                del tensor.external_data[:]
                for key, value in (("location", WEIGHTS), ("offset", str(offset)), ("length", str(length))):
                    entry = tensor.external_data.add()
                    entry.key, entry.value = key, value
                tensor.data_location = onnx.TensorProto.EXTERNAL
            onnx.save(graph, os.path.join(out_dir, name))
            print(f"{name}: {len(graph.graph.initializer)} initializers, {len(graph.graph.node)} nodes")
    with open(os.path.join(out_dir, WEIGHTS), "wb") as f:
        f.write(blob)
    print(f"{WEIGHTS}: {len(stored)} tensors, {len(blob)} bytes; checkpoint step {ckpt['step']} "
          f"held-out loss {ckpt['held_loss']:.3f} top-1 {ckpt['top1']:.4f} top-5 {ckpt['top5']:.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
