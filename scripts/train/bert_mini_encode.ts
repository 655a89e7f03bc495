// Tokenizes a one-sentence-a-line corpus with bert-mini's tokenizer.json through
// @huggingface/tokenizers (it gives the same ids as the server's Rust tokenizer: tests/compat), for the Python trainer:
// <out>.ids.bin holds uint16 token ids ([CLS] … [SEP], truncated to MAX_LENGTH) back to back,
// <out>.offsets.bin holds uint32 start offsets (one per sentence, plus the end).
//   node scripts/train/bert_mini_encode.ts models/bert-mini/tokenizer.json /tmp/bert-mini/train.txt /tmp/bert-mini/train
import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync, writeFileSync } from 'node:fs';

const MAX_LENGTH = 128;
const [tokenizerPath, corpus, out] = process.argv.slice(2);
if (!tokenizerPath || !corpus || !out) throw new Error('usage: bert_mini_encode.ts <tokenizer.json> <corpus.txt> <out-prefix>');

const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, 'utf8')), {});
const lines = readFileSync(corpus, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const ids: number[] = [];
const offsets = new Uint32Array(lines.length + 1);
lines.forEach((line, i) => {
  const encoded = tokenizer.encode(line).ids;
  const kept = encoded.length > MAX_LENGTH ? [...encoded.slice(0, MAX_LENGTH - 1), encoded.at(-1) ?? 0] : encoded;
  ids.push(...kept);
  offsets[i + 1] = ids.length;
});
writeFileSync(`${out}.ids.bin`, new Uint16Array(ids));
writeFileSync(`${out}.offsets.bin`, offsets);
console.log(`${lines.length} sentences, ${ids.length} tokens → ${out}.{ids,offsets}.bin`);
