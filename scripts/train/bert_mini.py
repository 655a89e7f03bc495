"""Pretrain bert-mini with masked-language modelling (15 % of tokens; 80 % [MASK], 10 % random,
10 % kept) on the corpus from bert_mini_corpus.py, tokenized by bert_mini_encode.ts.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp BERT_THREADS=2 \
    nohup /usr/bin/python3 scripts/train/bert_mini.py > /tmp/bert.log 2>&1 &

(Debian torch links the reference BLAS; OpenBLAS from `apt-get install libopenblas0-openmp` is ~20x
faster and is picked up through LD_LIBRARY_PATH only. Use the OpenMP build with BERT_THREADS=2: the
serial build runs every matrix product on one thread, 1.33 s/step at 2 threads vs 0.77 s/step here.)

Options (env): BERT_DATA=/tmp/bert-mini  BERT_THREADS=1  BERT_MINUTES=45 (wall-time budget: warmup, then
the LR decays linearly to zero at the end of the budget)  BERT_CPU_MINUTES=M (budget in the process's CPU
time instead: a run that shares the machine, or is paused with SIGSTOP, keeps its schedule)
BERT_STEPS=N (a fixed step count instead).
To continue from a checkpoint with a fresh warmup/decay: BERT_INIT=ckpt.pt BERT_SEED=1 BERT_LR=5e-4
(another seed so the data order and masks differ from the first run).
Checkpoints go to BERT_DATA/ckpt: last.pt every few minutes and best.pt (lowest held-out loss).
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from bert_mini_model import CONFIG, BertMini  # noqa: E402

PAD, UNK, CLS, SEP, MASK, FIRST_WORD = 0, 1, 2, 3, 4, 5
DATA = os.environ.get("BERT_DATA", "/tmp/bert-mini")
MINUTES = float(os.environ.get("BERT_MINUTES", "45"))
FIXED_STEPS = int(os.environ.get("BERT_STEPS", "0"))
BATCH_TOKENS = 2048        # padded tokens per step
SHORT_LEN, LONG_LEN = 64, 128
LONG_FRACTION = 0.1        # the last 10 % of steps see sentences up to 128 tokens
PEAK_LR, WARMUP_STEPS, WEIGHT_DECAY = float(os.environ.get("BERT_LR", "1e-3")), 150, 0.01
EVAL_EVERY_S = 300
SEED = int(os.environ.get("BERT_SEED", "0"))
INIT = os.environ.get("BERT_INIT")
THREADS = int(os.environ.get("BERT_THREADS", "1"))
CPU_MINUTES = float(os.environ.get("BERT_CPU_MINUTES", "0"))

torch.set_num_threads(THREADS)
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)


def load(prefix):
    ids = np.fromfile(f"{prefix}.ids.bin", dtype=np.uint16).astype(np.int64)
    offsets = np.fromfile(f"{prefix}.offsets.bin", dtype=np.uint32).astype(np.int64)
    return [ids[a:b] for a, b in zip(offsets[:-1], offsets[1:])]


def truncate(s, max_len):
    return s if len(s) <= max_len else np.concatenate([s[: max_len - 1], s[-1:]])


def batches(sentences, max_len, gen):
    """Length-bucketed batches of about BATCH_TOKENS padded tokens, in random order, forever."""
    while True:
        order = gen.permutation(len(sentences))
        out = []
        for chunk in np.array_split(order, max(1, len(order) // 20000)):
            chunk = sorted(chunk, key=lambda i: len(sentences[i]))
            cur = []
            for i in chunk:
                longest = min(max_len, max(len(sentences[i]), max((min(max_len, len(sentences[j])) for j in cur[-1:]), default=0)))
                if cur and longest * (len(cur) + 1) > BATCH_TOKENS:
                    out.append(cur)
                    cur = []
                cur.append(i)
            if cur:
                out.append(cur)
        for k in gen.permutation(len(out)):
            yield [truncate(sentences[i], max_len) for i in out[k]]


def mask_batch(seqs, gen, vocab_size):
    """Pad, then choose 15 % of word positions (at least one per sentence) to predict."""
    n, t = len(seqs), max(len(s) for s in seqs)
    ids = np.zeros((n, t), dtype=np.int64)
    attn = np.zeros((n, t), dtype=np.int64)
    for r, s in enumerate(seqs):
        ids[r, : len(s)] = s
        attn[r, : len(s)] = 1
    candidates = (ids >= FIRST_WORD)
    chosen = (gen.random((n, t)) < 0.15) & candidates
    for r in range(n):
        if not chosen[r].any() and candidates[r].any():
            chosen[r, gen.choice(np.flatnonzero(candidates[r]))] = True
    labels = np.where(chosen, ids, -100)
    roll = gen.random((n, t))
    inputs = ids.copy()
    inputs[chosen & (roll < 0.8)] = MASK
    rand = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[rand] = gen.integers(FIRST_WORD, vocab_size, size=int(rand.sum()))
    return torch.from_numpy(inputs), torch.from_numpy(attn), torch.from_numpy(labels)


def mlm_loss(model, inputs, attn, labels):
    hidden = model.encode(inputs, attn, torch.zeros_like(inputs))
    sel = labels != -100
    logits = model.mlm_logits(hidden[sel])
    return F.cross_entropy(logits, labels[sel]), logits, labels[sel]


@torch.no_grad()
def evaluate(model, held_batches):
    model.eval()
    total, n, top1, top5 = 0.0, 0, 0, 0
    for inputs, attn, labels in held_batches:
        loss, logits, target = mlm_loss(model, inputs, attn, labels)
        k = logits.topk(5, dim=-1).indices
        total += loss.item() * len(target)
        n += len(target)
        top1 += (k[:, 0] == target).sum().item()
        top5 += (k == target[:, None]).any(-1).sum().item()
    model.train()
    return total / n, top1 / n, top5 / n


def main():
    train = load(f"{DATA}/train")
    held = load(f"{DATA}/heldout")[:1000]
    vocab = CONFIG["vocab_size"]
    counts = np.bincount(np.concatenate(train), minlength=vocab)
    counts[:FIRST_WORD] = 0
    np.save(f"{DATA}/unigram_counts.npy", counts)
    held_gen = np.random.default_rng(1234)
    held_batches = [mask_batch([truncate(s, LONG_LEN) for s in held[i:i + 100]], held_gen, vocab) for i in range(0, len(held), 100)]
    top5_ids = np.argsort(-counts)[:5]
    base_hits = [np.isin(lab[lab != -100].numpy(), top5_ids) for _, _, lab in held_batches]
    base_top1 = np.mean(np.concatenate([lab[lab != -100].numpy() == top5_ids[0] for _, _, lab in held_batches]))
    print(f"train sentences {len(train)} tokens {counts.sum() + 2 * len(train)}; held-out {len(held)}; "
          f"unigram baseline top-1 {base_top1:.4f} top-5 {np.mean(np.concatenate(base_hits)):.4f}", flush=True)

    model = BertMini(CONFIG)
    previous = {"step": 0, "tokens": 0, "elapsed_s": 0.0}
    if INIT:
        init = torch.load(INIT, map_location="cpu")
        model.load_state_dict(init["model"])
        previous = {k: init.get(f"total_{k}", init[k]) for k in previous}
        print(f"continuing from {INIT}: {previous}", flush=True)
    print(f"parameters {sum(p.numel() for p in model.parameters())}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() > 1 and "emb" not in n and "word" not in n and "position" not in n and "token_type" not in n]
    no_decay = [p for n, p in model.named_parameters() if not any(p is q for q in decay)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=PEAK_LR, betas=(0.9, 0.98), eps=1e-6)
    os.makedirs(f"{DATA}/ckpt", exist_ok=True)

    gen = np.random.default_rng(SEED)
    short_stream, long_stream = batches(train, SHORT_LEN, gen), batches(train, LONG_LEN, gen)
    total_steps = FIXED_STEPS or 10**9
    start = last_eval = time.time()
    cpu_start = time.process_time()
    best, step, seen_tokens, running = float("inf"), 0, 0, 0.0

    def progress(s):
        """Fraction of the run done: by steps when BERT_STEPS is set, else by wall time, so a run
        slowed down by other work on the machine still decays its LR to zero within BERT_MINUTES."""
        if FIXED_STEPS:
            return s / total_steps
        if CPU_MINUTES:
            return (time.process_time() - cpu_start) / (CPU_MINUTES * 60)
        return (time.time() - start) / (MINUTES * 60)

    def lr_at(s):
        return PEAK_LR * min(s / WARMUP_STEPS, max(0.0, 1.0 - progress(s)))

    while progress(step) < 1.0:
        stream = long_stream if progress(step) >= 1 - LONG_FRACTION else short_stream
        inputs, attn, labels = mask_batch(next(stream), gen, vocab)
        for g in opt.param_groups:
            g["lr"] = lr_at(step + 1)
        loss, _, _ = mlm_loss(model, inputs, attn, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        seen_tokens += int(attn.sum())
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 100 == 0:
            print(f"step {step} ({progress(step):.1%}) loss {running:.3f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"tokens {seen_tokens} elapsed {time.time() - start:.0f}s", flush=True)
        done = progress(step) >= 1.0
        if time.time() - last_eval > EVAL_EVERY_S or done:
            last_eval = time.time()
            hl, t1, t5 = evaluate(model, held_batches)
            state = {"model": model.state_dict(), "config": CONFIG, "step": step, "held_loss": hl, "top1": t1, "top5": t5,
                     "tokens": seen_tokens, "elapsed_s": time.time() - start,
                     **{f"total_{k}": previous[k] + v for k, v in (("step", step), ("tokens", seen_tokens), ("elapsed_s", time.time() - start))}}
            torch.save(state, f"{DATA}/ckpt/last.pt")
            if hl < best:
                best = hl
                torch.save(state, f"{DATA}/ckpt/best.pt")
            print(f"EVAL step {step} held-out loss {hl:.3f} top-1 {t1:.4f} top-5 {t5:.4f} (best {best:.3f})", flush=True)
    print(f"done: {step} steps, {seen_tokens} tokens, {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
