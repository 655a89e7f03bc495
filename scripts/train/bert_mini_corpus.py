"""Build the bert-mini text corpus from Debian English text: WordNet glosses and examples,
GCIDE definitions and quotations, and fortunes. Deterministic: sentences are deduplicated and
split into train / held-out by a hash of their text (1 % held out).

Usage: /usr/bin/python3 scripts/train/bert_mini_corpus.py [out_dir=/tmp/bert-mini]
Writes out_dir/train.txt (one sentence a line, shuffled with a fixed seed) and
out_dir/heldout.txt (all held-out sentences, sorted by hash).
"""
import glob
import gzip
import hashlib
import os
import random
import re
import sys
import unicodedata

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/bert-mini"
MIN_WORDS, MAX_WORDS = 4, 60


def clean(s):
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("`", "'").replace("''", '"')
    s = re.sub(r"\s+", " ", s).strip()
    return s


def ok(s):
    words = s.split()
    if not (MIN_WORDS <= len(words) <= MAX_WORDS):
        return False
    letters = sum(c.isalpha() for c in s)
    return letters >= 0.7 * len(s.replace(" ", "")) and all(ord(c) < 0x250 for c in s)


def wordnet():
    for pos in ("noun", "verb", "adj", "adv"):
        with open(f"/usr/share/wordnet/data.{pos}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue
                gloss = line.split("|", 1)[1]
                for part in gloss.split(";"):
                    part = part.strip().strip('"').strip()
                    if part:
                        yield part


def gcide():
    text = gzip.open("/usr/share/dictd/gcide.dict.dz").read().decode("utf-8", "replace")
    for block in text.split("\n\n"):
        lines = [l for l in block.split("\n") if not re.match(r"^\S.*\\.*\\", l)]
        s = " ".join(l.strip() for l in lines)
        if s.startswith(("Syn:", "Note:")):
            s = s.split(":", 1)[1] if s.startswith("Note:") else ""
        s = re.sub(r"\[[^\]]*\]", " ", s)          # [1913 Webster], [Obs.], etymologies
        s = re.sub(r"--\s*[A-Z][^.]*\.?\s*$", " ", s)  # --Author. citations
        s = re.sub(r"[{}]", "", s)
        s = re.sub(r"^\s*\d+\.\s*", "", s)
        s = re.sub(r"^\s*\([a-z]\)\s*", "", s)
        s = clean(s)
        if s:
            yield s


def fortunes():
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        if "." in os.path.basename(path) or "ascii-art" in path or os.path.isdir(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for entry in f.read().split("\n%\n"):
                body = re.split(r"\n\s*--", entry)[0]  # drop attribution
                body = clean(body)
                # long fortunes become sentences
                for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", body) if len(body.split()) > MAX_WORDS else [body]:
                    yield s


def main():
    os.makedirs(OUT, exist_ok=True)
    seen, train, held = set(), [], []
    counts = {}
    for name, source in (("wordnet", wordnet), ("gcide", gcide), ("fortunes", fortunes)):
        n = 0
        for s in source():
            s = clean(s)
            key = s.lower()
            if not ok(s) or key in seen:
                continue
            seen.add(key)
            h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
            (held if h % 100 == 0 else train).append((h, s))
            n += 1
        counts[name] = n
    random.Random(0).shuffle(train)
    with open(f"{OUT}/train.txt", "w") as f:
        f.writelines(s + "\n" for _, s in train)
    with open(f"{OUT}/heldout.txt", "w") as f:
        f.writelines(s + "\n" for _, s in sorted(held))
    print("sentences per source", counts, "train", len(train), "held-out", len(held))


if __name__ == "__main__":
    main()
