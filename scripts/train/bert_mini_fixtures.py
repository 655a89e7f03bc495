"""Write bert-mini's committed eval data: the first 500 held-out sentences (held out by hash in
bert_mini_corpus.py, never trained on) and the 20 most frequent training tokens with their counts
(the unigram baseline of the masked-token eval).

  /usr/bin/python3 scripts/train/bert_mini_fixtures.py /tmp/bert-mini tests/fixtures
"""
import json
import sys

import numpy as np

data, out = sys.argv[1], sys.argv[2]
tokenizer = json.load(open("models/bert-mini/tokenizer.json"))
id_to_token = {i: t for t, i in tokenizer["model"]["vocab"].items()}
with open(f"{data}/heldout.txt") as f:
    held = [line for line in f][:500]
with open(f"{out}/bert-mini-heldout.txt", "w") as f:
    f.writelines(held)
counts = np.load(f"{data}/unigram_counts.npy")
top = np.argsort(-counts, kind="stable")[:20]
json.dump({"total": int(counts.sum()), "top": [{"id": int(i), "token": id_to_token[int(i)], "count": int(counts[i])} for i in top]},
          open(f"{out}/bert-mini-unigram.json", "w"), indent=1)
print(f"{len(held)} held-out sentences; top tokens {[id_to_token[int(i)] for i in top[:5]]}")
