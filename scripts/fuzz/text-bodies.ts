// Valid JSON bodies of the Hugging Face text-head routes (text classification on /classify, token-classification,
// TEI's /predict and /rerank) with hostile-but-legal text; jsonBodies() mutates them into invalid ones. Pairs of
// the wrong arity, empty texts and unknown strategies are generated too: their answer is a 4xx.
import fc from 'fast-check';
import { EDGE_CHARS, hostileString } from './strings.ts';
import { longTimeout } from './task-bodies.ts';

const word = fc.constantFrom('ada', 'lovelace', 'paris', 'acme', 'corp', 'kings', '##bri', '[MASK]', '[SEP]', '', ' ', ...EDGE_CHARS);
const text = fc.oneof(
  { weight: 4, arbitrary: fc.array(word, { maxLength: 12 }).map((w) => w.join(' ')) },
  { weight: 2, arbitrary: hostileString.filter((s) => s.length <= 2000) },
  { weight: 1, arbitrary: fc.constantFrom('a '.repeat(600), 'x'.repeat(5000)) },
);
const texts = (max: number) => fc.array(text, { minLength: 1, maxLength: max });

/** A text, [text, text_pair], {text, text_pair}, or a list of the wrong arity. */
const hfInput = fc.oneof(text, fc.tuple(text, text), fc.record({ text, text_pair: text }, { requiredKeys: ['text'] }), texts(3));

export const textClassify = fc.record(
  {
    inputs: fc.oneof(text, fc.array(hfInput, { minLength: 1, maxLength: 6 }), fc.constant(Array(257).fill('a'))),
    top_k: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(null)),
    truncate: fc.boolean(),
    timeout_ms: longTimeout,
  },
  { requiredKeys: ['inputs'] },
);

export const tokenClassification = fc.record(
  {
    inputs: fc.oneof(text, texts(6)),
    aggregation_strategy: fc.constantFrom('none', 'simple', 'first', 'max', 'average', 'longest', 'NONE'),
    ignore_labels: fc.array(fc.constantFrom('O', 'B-PER', 'I-ORG', ''), { maxLength: 4 }),
    truncate: fc.boolean(),
    timeout_ms: longTimeout,
  },
  { requiredKeys: ['inputs'] },
);

const direction = fc.constantFrom('Left', 'Right', 'left', 'middle');

export const predict = fc.record(
  {
    inputs: fc.oneof(text, fc.tuple(text, text), texts(3), fc.array(fc.oneof(texts(3), text), { minLength: 1, maxLength: 6 })),
    truncate: fc.oneof(fc.boolean(), fc.constant(null)),
    truncation_direction: direction,
    raw_scores: fc.boolean(),
  },
  { requiredKeys: ['inputs'] },
);

export const rerank = fc.record(
  {
    query: text,
    texts: fc.oneof(texts(8), fc.constant([])),
    truncate: fc.oneof(fc.boolean(), fc.constant(null)),
    truncation_direction: direction,
    raw_scores: fc.boolean(),
    return_text: fc.boolean(),
  },
  { requiredKeys: ['query', 'texts'] },
);
