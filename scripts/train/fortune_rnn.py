"""Train the fortune-rnn character-level GRU on the fortune cookie corpus and export
models/fortune-rnn (ONNX with explicit recurrent state + manifest).

Usage: /usr/bin/python3 scripts/train/fortune_rnn.py [--steps 1100]
       /usr/bin/python3 scripts/train/fortune_rnn.py --resume --steps N ...   (train the checkpoint further)
       /usr/bin/python3 scripts/train/fortune_rnn.py --export-only   (export the last checkpoint)
The bundled model took three runs (see scripts/train/README.md). Every 20th fortune is held out
and written to tests/fixtures/fortune-heldout.txt.
"""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import file_size_mib, model_dir, seed_everything, write_manifest

SEED = 2024
FORTUNE_DIR = "/usr/share/games/fortunes"
HOLDOUT_EVERY = 20
UNKNOWN = "\ufffd"
# Token 0 is the unknown character; then tab, newline and printable ASCII.
TOKENS = [UNKNOWN, "\t", "\n"] + [chr(c) for c in range(32, 127)]
CHECKPOINT = "/tmp/fortune_rnn.pt"
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures",
                       "fortune-heldout.txt")


class CharRNN(nn.Module):
    def __init__(self, vocab, hidden, layers, embed=64, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.GRU(embed, hidden, layers, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, input_ids, state_in):
        out, state_out = self.rnn(self.drop(self.embed(input_ids)), state_in)
        return self.head(self.drop(out)), state_out


def read_fortunes():
    """Every fortune of the corpus (offensive folder and index files excluded), in file order."""
    fortunes = []
    for name in sorted(os.listdir(FORTUNE_DIR)):
        path = os.path.join(FORTUNE_DIR, name)
        if not os.path.isfile(path) or name.endswith((".dat", ".u8")):
            continue
        with open(path, encoding="utf-8") as f:
            lines = []
            for line in f.read().split("\n"):
                if line == "%":
                    if any(l.strip() for l in lines):
                        fortunes.append("\n".join(lines) + "\n")
                    lines = []
                else:
                    lines.append(line)
            if any(l.strip() for l in lines):
                fortunes.append("\n".join(lines).rstrip("\n") + "\n")
    return fortunes


def split_corpus():
    """(train text, held-out text): fortunes in their file format, each followed by a '%' line."""
    fortunes = read_fortunes()
    train = [f for i, f in enumerate(fortunes) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    held = [f for i, f in enumerate(fortunes) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    return "".join(f + "%\n" for f in train), "".join(f + "%\n" for f in held)


def encode(text):
    index = {t: i for i, t in enumerate(TOKENS)}
    return torch.tensor([index.get(c, 0) for c in text], dtype=torch.long)


def streams(ids, n):
    """Cut a 1-D id sequence into n contiguous rows of equal length."""
    length = len(ids) // n
    return ids[:n * length].view(n, length)


@torch.no_grad()
def bits_per_char(model, ids, rows=8, chunk=256):
    model.eval()
    data = streams(ids, rows)
    state = torch.zeros(model.rnn.num_layers, rows, model.rnn.hidden_size)
    nll, count = 0.0, 0
    for s in range(0, data.shape[1] - 1, chunk):
        x = data[:, s:s + chunk]
        y = data[:, s + 1:s + chunk + 1]
        x = x[:, :y.shape[1]]
        logits, state = model(x, state)
        nll += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    model.train()
    return nll / count / math.log(2)


def export(model, out_dir):
    model.eval()
    layers, hidden = model.rnn.num_layers, model.rnn.hidden_size
    path = os.path.join(out_dir, "model.onnx")
    torch.onnx.export(model, (torch.zeros(2, 5, dtype=torch.long), torch.zeros(layers, 2, hidden)), path,
                      input_names=["input_ids", "state_in"], output_names=["logits", "state_out"],
                      opset_version=17,
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "state_in": {1: "batch"},
                                    "logits": {0: "batch", 1: "sequence"}, "state_out": {1: "batch"}})
    manifest = {
        "name": "fortune-rnn",
        "task": "text-generation",
        "description": "Character-level GRU trained on the fortune cookie corpus (fortunes separated by '%' lines)",
        "graphs": {"model": "model.onnx"},
        "inputs": {"ids": "input_ids"},
        "outputs": {"logits": "logits"},
        "state": [{"input": "state_in", "output": "state_out", "shape": [layers, -1, hidden]}],
        "vocabulary": {"type": "chars", "tokens": TOKENS, "unknown": 0},
        "max_tokens": 1024,
        "intra_op_threads": 1,  # the sequence engine runs in the worker: 1 thread leaves a core to HTTP (README, Benchmarks)
        "batching": {"max_batch_size": 32, "max_queue_delay_ms": 2, "max_batch_tokens": 8192},
    }
    write_manifest(out_dir, manifest)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--steps", type=int, default=1100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--dropout", type=float, default=0.0, help="on embeddings and GRU outputs, training only")
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--export-only", action="store_true")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--stop-after", type=int, default=0, help="end after this many steps of the schedule")
    args = parser.parse_args()
    seed_everything(SEED)

    train_text, held_text = split_corpus()
    with open(FIXTURE, "w", encoding="utf-8") as f:
        f.write(held_text)
    print(f"train {len(train_text):,} chars, held-out {len(held_text):,} chars, vocab {len(TOKENS)}", flush=True)
    model = CharRNN(len(TOKENS), args.hidden, args.layers, dropout=args.dropout)
    held_ids = encode(held_text)
    if args.export_only or args.resume:
        model.load_state_dict(torch.load(CHECKPOINT))
    if not args.export_only:
        train(model, encode(train_text), held_ids[:40000], args)
    print(f"held-out bits/char (PyTorch, full split) {bits_per_char(model, held_ids, rows=16):.4f}", flush=True)
    path = export(model, model_dir("fortune-rnn"))
    print(f"exported {path} ({file_size_mib(path):.2f} MiB)", flush=True)


def train(model, train_ids, val_ids, args):
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}", flush=True)
    data = streams(train_ids, args.batch_size)
    chunks = (data.shape[1] - 1) // args.seq
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.05)
    state = torch.zeros(args.layers, args.batch_size, args.hidden)
    start, running = time.time(), 0.0
    for step in range(args.stop_after or args.steps):
        c = step % chunks
        if c == 0:
            state = torch.zeros_like(state)
        x = data[:, c * args.seq:(c + 1) * args.seq]
        y = data[:, c * args.seq + 1:(c + 1) * args.seq + 1]
        logits, state = model(x, state)
        state = state.detach()
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running += loss.item()
        if (step + 1) % args.eval_every == 0 or step + 1 in (args.steps, args.stop_after):
            n = (step % args.eval_every) + 1
            val = bits_per_char(model, val_ids)
            print(f"step {step + 1}/{args.steps} (epoch {(step + 1) / chunks:.2f}) train bpc "
                  f"{running / n / math.log(2):.3f} val bpc {val:.3f} elapsed {time.time() - start:.0f}s", flush=True)
            running = 0.0
            torch.save(model.state_dict(), CHECKPOINT)
    print(f"training took {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
