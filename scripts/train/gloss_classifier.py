"""Fine-tune bert-mini as a sequence classifier on WordNet noun glosses (bert-mini-topics).

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 scripts/train/gloss_classifier.py \
      --init /tmp/gloss/bert-mini.pt --out /tmp/gloss/run-cls --head cls --lr 1e-4 --epochs 4

Reads data_dir/{train,dev}.jsonl (gloss_data.py) and the token ids of their texts,
data_dir/{train,dev}.{ids,offsets}.bin (bert_mini_encode.ts with models/bert-mini/tokenizer.json).
The encoder starts from --init (bert_mini_from_onnx.py rebuilds it from models/bert-mini). The
head is BERT's: --head cls is pooler dense + tanh on [CLS] then a linear layer, --head mean a
linear layer on the mean of the final hidden states over real tokens; dropout before the linear
layer. AdamW, linear warmup then linear decay to zero over --epochs, batches bucketed by length,
fixed seeds. Dev accuracy after every epoch; out/best.pt keeps the best epoch, out/last.pt the last.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from sklearn.metrics import f1_score

sys.path.insert(0, os.path.dirname(__file__))
from bert_mini_model import BertMini  # noqa: E402

PAD_ID = 0


class GlossClassifier(nn.Module):
    """bert-mini encoder + sequence-classification head; forward gives logits [batch, num_labels]."""

    def __init__(self, config, num_labels, head, dropout):
        super().__init__()
        self.head = head
        self.bert = BertMini(config)
        h = config["hidden"]
        self.pooler = nn.Linear(h, h) if head == "cls" else None
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(h, num_labels)
        for m in (self.pooler, self.classifier):
            if m is not None:
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask, token_type_ids):
        x = self.bert.encode(input_ids, attention_mask, token_type_ids)
        if self.head == "cls":
            pooled = torch.tanh(self.pooler(x[:, 0]))
        else:
            mask = attention_mask.unsqueeze(-1).to(x.dtype)
            pooled = (x * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.classifier(self.drop(pooled))


def load_split(data, name, labels):
    ids = np.fromfile(os.path.join(data, f"{name}.ids.bin"), dtype=np.uint16).astype(np.int64)
    offsets = np.fromfile(os.path.join(data, f"{name}.offsets.bin"), dtype=np.uint32).astype(np.int64)
    with open(os.path.join(data, f"{name}.jsonl")) as f:
        y = [labels.index(json.loads(line)["label"]) for line in f]
    if len(y) != len(offsets) - 1:
        raise RuntimeError(f"{name}: {len(y)} labels but {len(offsets) - 1} encoded texts; re-run bert_mini_encode.ts")
    return [ids[offsets[i]:offsets[i + 1]] for i in range(len(y))], np.array(y)


def collate(seqs):
    t = max(len(s) for s in seqs)
    input_ids = torch.full((len(seqs), t), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(seqs), t), dtype=torch.long)
    for r, s in enumerate(seqs):
        input_ids[r, :len(s)] = torch.from_numpy(s)
        mask[r, :len(s)] = 1
    return input_ids, mask, torch.zeros_like(input_ids)


def batches(seqs, batch_size, rng):
    """Shuffled batches of similar lengths: shuffle, sort chunks of 50 batches by length, shuffle batches."""
    order = rng.permutation(len(seqs))
    chunk = batch_size * 50
    out = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i:i + chunk], key=lambda j: len(seqs[j]))
        out += [part[k:k + batch_size] for k in range(0, len(part), batch_size)]
    rng.shuffle(out)
    return out


@torch.no_grad()
def predict(model, seqs, batch_size=128):
    model.eval()
    order = sorted(range(len(seqs)), key=lambda j: len(seqs[j]))
    pred = np.zeros(len(seqs), dtype=np.int64)
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        pred[idx] = model(*collate([seqs[j] for j in idx])).argmax(-1).numpy()
    model.train()
    return pred


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="/tmp/gloss")
    p.add_argument("--init", required=True, help="bert-mini checkpoint (bert_mini_from_onnx.py)")
    p.add_argument("--out", required=True)
    p.add_argument("--head", choices=("cls", "mean"), default="cls")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup", type=float, default=0.06, help="fraction of the steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--dropout", type=float, default=0.1, help="encoder and head dropout")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.data, "labels.json")) as f:
        labels = json.load(f)
    train_x, train_y = load_split(args.data, "train", labels)
    dev_x, dev_y = load_split(args.data, "dev", labels)
    init = torch.load(args.init, map_location="cpu")
    config = dict(init["config"], dropout=args.dropout)
    model = GlossClassifier(config, len(labels), args.head, args.dropout)
    model.bert.load_state_dict(init["model"])

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "mlm" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 and "mlm" not in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    rng = np.random.default_rng(args.seed)
    steps_per_epoch = -(-len(train_x) // args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = max(1, int(args.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    os.makedirs(args.out, exist_ok=True)
    print(f"train {len(train_x)}, dev {len(dev_x)}, {len(labels)} labels; {vars(args)}; {total} steps", flush=True)

    started, cpu_started, step, best = time.time(), time.process_time(), 0, -1.0
    model.train()
    for epoch in range(1, args.epochs + 1):
        seen_loss, seen = 0.0, 0
        for idx in batches(train_x, args.batch_size, rng):
            logits = model(*collate([train_x[j] for j in idx]))
            loss = F.cross_entropy(logits, torch.from_numpy(train_y[idx]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            seen_loss, seen = seen_loss + loss.item() * len(idx), seen + len(idx)
            if step % 200 == 0:
                print(f"epoch {epoch} step {step}/{total} loss {seen_loss / seen:.4f} lr {sched.get_last_lr()[0]:.2e} "
                      f"{time.time() - started:.0f} s", flush=True)
        pred = predict(model, dev_x)
        acc, f1 = float((pred == dev_y).mean()), float(f1_score(dev_y, pred, average="macro"))
        state = {"model": model.state_dict(), "config": config, "labels": labels, "head": args.head,
                 "epoch": epoch, "dev_accuracy": acc, "dev_macro_f1": f1, "args": vars(args),
                 "elapsed_s": time.time() - started, "cpu_s": time.process_time() - cpu_started}
        torch.save(state, os.path.join(args.out, "last.pt"))
        if acc > best:
            best = acc
            torch.save(state, os.path.join(args.out, "best.pt"))
        print(f"epoch {epoch} train loss {seen_loss / seen:.4f} dev accuracy {acc:.4f} macro-F1 {f1:.4f} "
              f"{time.time() - started:.0f} s (CPU {time.process_time() - cpu_started:.0f} s){' (best)' if acc == best else ''}",
              flush=True)
    print(f"done in {time.time() - started:.0f} s (CPU {time.process_time() - cpu_started:.0f} s), best dev accuracy {best:.4f}")


if __name__ == "__main__":
    main()
