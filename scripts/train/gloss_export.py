"""Export a gloss_classifier.py checkpoint to models/bert-mini-topics/ in the layout that
`optimum-cli export onnx --task text-classification` produces, with no manifest.json:

  /usr/bin/python3 scripts/train/gloss_export.py /tmp/gloss/run-cls/best.pt models/bert-mini-topics

model.onnx (input_ids, attention_mask, token_type_ids int64 [batch, sequence] -> logits float32
[batch, num_labels], opset 17, weights inline), config.json as transformers writes it for
BertForSequenceClassification, tokenizer.json (bert-mini's), tokenizer_config.json and
special_tokens_map.json. The model card (README.md) is hand-written from the evaluation.
"""
import json
import os
import shutil
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(__file__))
from gloss_classifier import GlossClassifier  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOKENIZER = os.path.join(REPO, "models", "bert-mini", "tokenizer.json")
SPECIAL = {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]", "unk_token": "[UNK]"}


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def hf_config(config, labels, head, dropout):
    return {
        "_name_or_path": "bert-mini",
        "architectures": ["BertForSequenceClassification"],
        "attention_probs_dropout_prob": dropout,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": dropout,
        "hidden_size": config["hidden"],
        "id2label": {str(i): label for i, label in enumerate(labels)},
        "initializer_range": 0.02,
        "intermediate_size": config["intermediate"],
        "label2id": {label: i for i, label in enumerate(labels)},
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": config["max_length"],
        "model_type": "bert",
        "num_attention_heads": config["heads"],
        "num_hidden_layers": config["layers"],
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "problem_type": "single_label_classification",
        "torch_dtype": "float32",
        "transformers_version": "4.46.0",
        "type_vocab_size": config["type_vocab"],
        "use_cache": True,
        "vocab_size": config["vocab_size"],
        # Not transformers fields: bert-mini is pre-LN (a final LayerNorm) and the head pools as below,
        # so these weights run through model.onnx, not through transformers' BertModel.
        "ortserve_pooling": "cls_dense_tanh" if head == "cls" else "mean",
        "ortserve_layer_norm": "pre",
    }


def main(ckpt_path, out_dir):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    labels = ckpt["labels"]
    model = GlossClassifier(dict(ckpt["config"], dropout=0.0), len(labels), ckpt["head"], 0.0)
    model.load_state_dict(ckpt["model"])
    model.eval()
    ids = torch.tensor([[2, 115, 2048, 700, 3], [2, 115, 3, 0, 0]])
    mask = (ids != 0).long()
    axes = {0: "batch_size", 1: "sequence_length"}
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, (ids, mask, torch.zeros_like(ids)), path,
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "logits": {0: "batch_size"}},
                          opset_version=17, do_constant_folding=True)
    graph = onnx.load(path)
    onnx.checker.check_model(graph)
    external = [t.name for t in graph.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        raise RuntimeError(f"weights stored outside model.onnx: {external[:3]}")
    write_json(os.path.join(out_dir, "config.json"), hf_config(ckpt["config"], labels, ckpt["head"], ckpt["args"]["dropout"]))
    shutil.copyfile(TOKENIZER, os.path.join(out_dir, "tokenizer.json"))
    write_json(os.path.join(out_dir, "tokenizer_config.json"), {
        "clean_up_tokenization_spaces": True,
        "do_basic_tokenize": True,
        "do_lower_case": True,
        **SPECIAL,
        "model_max_length": ckpt["config"]["max_length"],
        "never_split": None,
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "tokenizer_class": "BertTokenizer",
    })
    write_json(os.path.join(out_dir, "special_tokens_map.json"), SPECIAL)
    print(f"{path}: {len(graph.graph.node)} nodes, {os.path.getsize(path) / 2**20:.1f} MiB; epoch {ckpt['epoch']}, "
          f"dev accuracy {ckpt['dev_accuracy']:.4f}, macro-F1 {ckpt['dev_macro_f1']:.4f}, head {ckpt['head']}; "
          f"{len(labels)} labels")


if __name__ == "__main__":
    main(*sys.argv[1:3])
