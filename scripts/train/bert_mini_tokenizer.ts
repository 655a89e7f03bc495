// Trains bert-mini's WordPiece vocabulary with Hugging Face `tokenizers` (npm, official Node
// bindings) and writes a BERT-style tokenizer.json. The bindings expose only the default trainer
// (30k vocabulary), whose WordPiece vocabulary is built BPE-style: alphabet first, then merges in
// order, so its first VOCAB_SIZE entries are exactly what a VOCAB_SIZE-limited trainer would keep.
//
// `tokenizers` is a one-off build tool, not a repo dependency: install it outside the repo
//   mkdir -p /tmp/tk && (cd /tmp/tk && npm install --no-save tokenizers@0.23.2)
//   TOKENIZERS_DIR=/tmp/tk node scripts/train/bert_mini_tokenizer.ts /tmp/bert-mini/train.txt models/bert-mini/tokenizer.json
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const VOCAB_SIZE = 8192;
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

const [corpus, out] = process.argv.slice(2);
if (!corpus || !out) throw new Error('usage: bert_mini_tokenizer.ts <corpus.txt> <tokenizer.json>');
const require = createRequire(join(process.env.TOKENIZERS_DIR ?? '/tmp/tk', 'package.json'));
const tk = require('tokenizers');

function configure(tokenizer: any): void {
  tokenizer.setNormalizer(tk.bertNormalizer({ lowercase: true, stripAccents: true, cleanText: true, handleChineseChars: true }));
  tokenizer.setPreTokenizer(tk.bertPreTokenizer());
}

const trainer = new tk.Tokenizer(tk.WordPiece.empty());
configure(trainer);
trainer.train([corpus]);
const fullPath = join(tmpdir(), 'bert-mini-tokenizer-30k.json');
trainer.save(fullPath);
const full = JSON.parse(readFileSync(fullPath, 'utf8')) as { model: { vocab: Record<string, number> } };
const learned = Object.entries(full.model.vocab)
  .sort((a, b) => a[1] - b[1])
  .map(([token]) => token)
  .filter((token) => !SPECIALS.includes(token));

const vocab: Record<string, number> = {};
for (const token of [...SPECIALS, ...learned].slice(0, VOCAB_SIZE)) vocab[token] = Object.keys(vocab).length;

const tokenizer = new tk.Tokenizer(tk.WordPiece.init(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }));
configure(tokenizer);
tokenizer.setPostProcessor(tk.bertProcessing(['[SEP]', vocab['[SEP]']], ['[CLS]', vocab['[CLS]']]));
tokenizer.setDecoder(tk.wordPieceDecoder('##', true));
tokenizer.addSpecialTokens(SPECIALS);
tokenizer.save(out, true);
console.log(`learned ${learned.length} tokens, kept ${Object.keys(vocab).length} in ${out}`);
