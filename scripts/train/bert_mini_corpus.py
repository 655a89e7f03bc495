"""Build the bert-mini text corpus from Debian English text: WordNet glosses and examples,
GCIDE definitions and quotations, and fortunes. Deterministic: sentences are deduplicated and
split into train / held-out by a hash of their text (1 % held out).

Usage: /usr/bin/python3 scripts/train/bert_mini_corpus.py [out_dir=/tmp/bert-mini] [--extended]
Writes out_dir/train.txt (one sentence a line, shuffled with a fixed seed) and
out_dir/heldout.txt (all held-out sentences, sorted by hash).

--extended (run 9 on) adds more English prose that Debian ships after the three base
sources: the King James Bible (`bible-kjv`), Bierce's Devil's Dictionary (`dict-devil`), the
Jargon File (`dict-jargon`), FOLDOC (`dict-foldoc`) and `fortune-anarchism`. Base sentences keep
their train / held-out assignment (the hash decides), so held-out figures stay comparable.
"""
import glob
import gzip
import hashlib
import os
import random
import re
import subprocess
import sys
import unicodedata

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
OUT = ARGS[0] if ARGS else "/tmp/bert-mini"
MIN_WORDS, MAX_WORDS = 4, 60
SENTENCE_BREAK = r"(?<=[.!?])\s+(?=[A-Z\"])"


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


EXTRA_FORTUNES = {"anarchism"}  # fortune-anarchism: an --extended source, not part of the base corpus


def fortunes(only=None):
    """Fortune files: all but EXTRA_FORTUNES, or only the named ones."""
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        base = os.path.basename(path)
        if "." in base or "ascii-art" in path or os.path.isdir(path):
            continue
        if (base not in only) if only else (base in EXTRA_FORTUNES):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for entry in f.read().split("\n%\n"):
                body = re.split(r"\n\s*--", entry)[0]  # drop attribution
                body = clean(body)
                # long fortunes become sentences
                for s in re.split(SENTENCE_BREAK, body) if len(body.split()) > MAX_WORDS else [body]:
                    yield s


def sentences(text):
    """Prose paragraphs -> sentences (a paragraph of up to MAX_WORDS words stays whole)."""
    for para in re.split(r"\n\s*\n", text):
        para = clean(re.sub(r"[{}_]|<[^>]*>|\[[^\]]*\]", " ", para))
        yield from re.split(SENTENCE_BREAK, para) if len(para.split()) > MAX_WORDS else [para]


def dictd(name):
    def source():
        text = gzip.open(f"/usr/share/dictd/{name}.dict.dz").read().decode("utf-8", "replace")
        body = "\n".join(l for l in text.split("\n") if not l.startswith("00-database"))
        yield from sentences(body)
    return source


def kjv():
    """Every verse of the King James Bible, from the `bible` program (package bible-kjv)."""
    out = subprocess.run(["bible", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True).stdout
    out = re.sub(r"^\S.* \d+$", "", out, flags=re.M)     # chapter headings ("Genesis 1")
    for verse in re.split(r"\n\s+\d+ ", out)[1:]:         # verses start "  12 "; wrapped lines don't
        yield from sentences(" ".join(verse.split()))


BASE = (("wordnet", wordnet), ("gcide", gcide), ("fortunes", fortunes))
EXTENDED = (("kjv", kjv), ("devil", dictd("devil")), ("jargon", dictd("jargon")),
            ("foldoc", dictd("foldoc")), ("anarchism", lambda: fortunes(EXTRA_FORTUNES)))


def main():
    os.makedirs(OUT, exist_ok=True)
    seen, train, held = set(), [], []
    counts = {}
    for name, source in BASE + (EXTENDED if "--extended" in sys.argv else ()):
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
