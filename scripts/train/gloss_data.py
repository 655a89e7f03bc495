"""WordNet noun glosses labelled with their lexicographer file: the data of bert-mini-topics.

  /usr/bin/python3 scripts/train/gloss_data.py [out_dir=/tmp/gloss] [--examples]

Reads /usr/share/wordnet/data.noun (package wordnet-base). Each noun synset is one example: the
text is its gloss (the definition; with --examples also the quoted usage examples that follow
it), the label its lexicographer file without the "noun." prefix (animal, artifact, person, ...).
Files with fewer than MIN_SYNSETS synsets (Tops, motive, shape, feeling, relation, phenomenon,
process) are dropped. Each synset goes to train / dev / test by a hash of its offset (80/10/10).

Writes out_dir/{train,dev,test}.jsonl ({"synset", "text", "label"} a line), out_dir/{train,dev}.txt
(the texts alone, for bert_mini_encode.ts), out_dir/labels.json, and the committed fixture
tests/fixtures/gloss-test.jsonl: FIXTURE_SIZE test synsets in hash order, the test set that the
baseline and the model are scored on (the rest of the test split is never used).
"""
import collections
import gzip
import hashlib
import json
import os
import re
import sys

DATA = "/usr/share/wordnet/data.noun"
# Debian's wordnet-base ships no lexnames file, only its man page (same table).
LEXNAMES = ("/usr/share/wordnet/lexnames", "/usr/share/man/man5/lexnames.5WN.gz")
MIN_SYNSETS = 1000
FIXTURE_SIZE = 3000
REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURE = os.path.join(REPO, "tests", "fixtures", "gloss-test.jsonl")


def lexnames():
    """Lexicographer file number -> name ("05" -> "noun.animal")."""
    for path in LEXNAMES:
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="latin-1") as f:
                return {m[1]: m[2] for m in re.finditer(r"^(\d\d)\s+([a-z]+\.[A-Za-z]+)\s", f.read(), re.M)}
    raise FileNotFoundError(f"no lexnames table in {LEXNAMES}: apt-get install -y wordnet-base")


def text_of(gloss, examples):
    """The gloss as text: the definition, and with examples=True the quoted usage examples too."""
    parts = [p.strip() for p in gloss.split(";")]
    if not examples:
        parts = [p for p in parts if not p.startswith('"')]
    return re.sub(r"\s+", " ", "; ".join(p for p in parts if p)).strip()


def bucket(offset):
    """(split, order key): a hash of the synset offset decides both."""
    digest = hashlib.sha256(offset.encode()).hexdigest()
    b = int(digest[:8], 16) % 10
    return ("train" if b < 8 else "dev" if b == 8 else "test"), digest


def synsets(examples):
    names = lexnames()
    with open(DATA, encoding="latin-1") as f:
        for line in f:
            if line.startswith("  ") or "|" not in line:
                continue
            fields, gloss = line.split("|", 1)
            offset, lex = fields.split()[:2]
            text = text_of(gloss, examples)
            if text:
                yield offset, names[lex].split(".", 1)[1], text


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else "/tmp/gloss"
    examples = "--examples" in sys.argv
    rows = list(synsets(examples))
    counts = collections.Counter(label for _, label, _ in rows)
    labels = sorted(l for l, n in counts.items() if n >= MIN_SYNSETS)
    dropped = sorted((l, n) for l, n in counts.items() if n < MIN_SYNSETS)
    splits = {"train": [], "dev": [], "test": []}
    for offset, label, text in rows:
        if label in labels:
            split, key = bucket(offset)
            splits[split].append((key, {"synset": f"{offset}-n", "text": text, "label": label}))
    os.makedirs(out, exist_ok=True)
    for name, items in splits.items():
        items.sort(key=lambda kv: kv[0])
        write_jsonl(os.path.join(out, f"{name}.jsonl"), [r for _, r in items])
        if name != "test":
            with open(os.path.join(out, f"{name}.txt"), "w") as f:
                f.writelines(r["text"] + "\n" for _, r in items)
    fixture = [r for _, r in splits["test"][:FIXTURE_SIZE]]
    write_jsonl(FIXTURE, fixture)
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(labels, f)

    per = {name: collections.Counter(r["label"] for _, r in items) for name, items in splits.items()}
    per["fixture"] = collections.Counter(r["label"] for r in fixture)
    print(f"{len(rows)} noun synsets, text = {'gloss with examples' if examples else 'definition only'}; "
          f"dropped (< {MIN_SYNSETS}): {', '.join(f'{l} {n}' for l, n in dropped)}")
    print(f"{'label':<14}{'all':>7}" + "".join(f"{s:>9}" for s in per))
    for l in labels:
        print(f"{l:<14}{counts[l]:>7}" + "".join(f"{per[s][l]:>9}" for s in per))
    print(f"{'total':<14}{sum(counts[l] for l in labels):>7}" + "".join(f"{sum(c.values()):>9}" for c in per.values()))
    train_texts = {r["text"] for _, r in splits["train"]}
    print(f"fixture texts also in train verbatim: {sum(r['text'] in train_texts for r in fixture)}; "
          f"{FIXTURE}: {os.path.getsize(FIXTURE) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
