"""TF-IDF + logistic regression baseline for bert-mini-topics (WordNet gloss -> lexicographer file).

  /usr/bin/python3 scripts/train/gloss_baseline.py [data_dir=/tmp/gloss]

Fits on data_dir/train.jsonl (written by gloss_data.py), picks the features (FEATURES) and C (CS)
by accuracy on data_dir/dev.jsonl (multinomial logistic regression, saga solver, tol 1e-3, fixed
random_state; lbfgs reached the same dev accuracy 30x slower), then scores the committed test
fixture tests/fixtures/gloss-test.jsonl once with the chosen setting and writes
tests/fixtures/gloss-baseline-predictions.json (synset -> predicted label), which
scripts/eval/bert-mini-topics.ts scores with the same code as the model.
"""
import itertools
import json
import os
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion, make_pipeline

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURE = os.path.join(REPO, "tests", "fixtures", "gloss-test.jsonl")
PREDICTIONS = os.path.join(REPO, "tests", "fixtures", "gloss-baseline-predictions.json")
FEATURES = {
    "word 1": lambda: TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True, min_df=1),
    "word 1-2": lambda: TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
    "word 1-2 + char_wb 2-5": lambda: FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
    ]),
}
CS = (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)


def load(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return [r["text"] for r in rows], [r["label"] for r in rows], rows


def fit(features, c, texts, labels):
    classifier = LogisticRegression(C=c, solver="saga", tol=1e-3, max_iter=1000, random_state=0)
    model = make_pipeline(FEATURES[features](), classifier)
    return model.fit(texts, labels)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gloss"
    train_x, train_y, _ = load(os.path.join(data, "train.jsonl"))
    dev_x, dev_y, _ = load(os.path.join(data, "dev.jsonl"))
    best = None
    for features, c in itertools.product(FEATURES, CS):
        started = time.time()
        pred = fit(features, c, train_x, train_y).predict(dev_x)
        acc, f1 = accuracy_score(dev_y, pred), f1_score(dev_y, pred, average="macro")
        print(f"dev  {features:<24} C={c:<6g} accuracy {acc:.4f}  macro-F1 {f1:.4f}  ({time.time() - started:.0f} s)",
              flush=True)
        if best is None or acc > best[0]:
            best = (acc, f1, features, c)
    acc, f1, features, c = best
    print(f"chosen on dev: {features}, C={c:g} (dev accuracy {acc:.4f}, macro-F1 {f1:.4f})")
    model = fit(features, c, train_x, train_y)
    test_x, test_y, rows = load(FIXTURE)
    pred = model.predict(test_x)
    print(f"test {len(test_y)} examples: accuracy {accuracy_score(test_y, pred):.4f}  "
          f"macro-F1 {f1_score(test_y, pred, average='macro'):.4f}")
    with open(PREDICTIONS, "w") as f:
        json.dump({"model": f"TF-IDF ({features}, sublinear tf) + logistic regression C={c:g}",
                   "dev_accuracy": round(acc, 4), "dev_macro_f1": round(f1, 4),
                   "predictions": {r["synset"]: str(p) for r, p in zip(rows, pred)}}, f, indent=0)
        f.write("\n")
    print(f"wrote {PREDICTIONS}")


if __name__ == "__main__":
    main()
