"""Unsupervised SimCSE fine-tune of a bert-mini checkpoint: each sentence is encoded twice with
dropout on (p=0.1), and the two mean-pooled embeddings must find each other among the batch
(InfoNCE, temperature 0.05). An MLM loss on a masked copy of the batch keeps the fill-mask head
usable.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-serial /usr/bin/python3 \
    scripts/train/bert_mini_simcse.py /tmp/bert-mini/ckpt/best.pt /tmp/bert-mini/ckpt/simcse.pt
Env: BERT_DATA=/tmp/bert-mini  SIMCSE_STEPS=300  SIMCSE_BATCH=64  SIMCSE_LR=5e-5
"""
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from bert_mini import evaluate, load, mask_batch, mlm_loss, truncate  # noqa: E402
from bert_mini_model import BertMini  # noqa: E402

DATA = os.environ.get("BERT_DATA", "/tmp/bert-mini")
STEPS = int(os.environ.get("SIMCSE_STEPS", "300"))
BATCH = int(os.environ.get("SIMCSE_BATCH", "64"))
LR = float(os.environ.get("SIMCSE_LR", "5e-5"))
TEMPERATURE, MAX_LEN, SEED = 0.05, 64, 1

torch.set_num_threads(1)
torch.manual_seed(SEED)


def pad(seqs):
    t = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), t), dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, : len(s)] = torch.from_numpy(s)
    return ids, (ids != 0).long()


def pooled(model, ids, mask):
    hidden = model.encode(ids, mask, torch.zeros_like(ids))
    m = mask.unsqueeze(-1).float()
    return (hidden * m).sum(1) / m.sum(1)


def main(src, dst):
    ckpt = torch.load(src, map_location="cpu")
    model = BertMini(dict(ckpt["config"], dropout=0.1))
    model.load_state_dict(ckpt["model"])
    model.train()
    train = load(f"{DATA}/train")
    held = load(f"{DATA}/heldout")[:1000]
    gen = np.random.default_rng(SEED)
    held_batches = [mask_batch([truncate(s, 128) for s in held[i:i + 100]], np.random.default_rng(1234), ckpt["config"]["vocab_size"])
                    for i in range(0, len(held), 100)]
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    start = time.time()
    for step in range(1, STEPS + 1):
        for g in opt.param_groups:
            g["lr"] = LR * min(1.0, step / 30) * (1 - step / (STEPS + 1))
        seqs = [truncate(train[i], MAX_LEN) for i in gen.choice(len(train), BATCH, replace=False)]
        ids, mask = pad(seqs)
        a, b = pooled(model, ids, mask), pooled(model, ids, mask)
        sim = F.cosine_similarity(a.unsqueeze(1), b.unsqueeze(0), dim=-1) / TEMPERATURE
        contrastive = F.cross_entropy(sim, torch.arange(len(seqs)))
        mlm, _, _ = mlm_loss(model, *mask_batch(seqs, gen, ckpt["config"]["vocab_size"]))
        loss = contrastive + mlm
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 25 == 0:
            print(f"step {step}/{STEPS} contrastive {contrastive.item():.3f} mlm {mlm.item():.3f} elapsed {time.time() - start:.0f}s", flush=True)
    hl, t1, t5 = evaluate(model, held_batches)
    print(f"EVAL held-out loss {hl:.3f} top-1 {t1:.4f} top-5 {t5:.4f}", flush=True)
    torch.save(dict(ckpt, model=model.state_dict(), held_loss=hl, top1=t1, top5=t5,
                    simcse={"steps": STEPS, "batch": BATCH, "lr": LR, "elapsed_s": time.time() - start}), dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
