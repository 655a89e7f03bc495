// Entity aggregation as transformers' TokenClassificationPipeline does it, on hand-made encodings: the is_subword
// rule of word-aware tokenizers and the fallback of the others, unknown tokens, labels without B-/I- prefixes.
import { describe, expect, it } from 'vitest';
import { entities, preEntities, type EntityOptions } from '../../server/pipelines/entities.ts';
import type { Encoding } from '../../server/pipelines/tokenizer.ts';

const LABELS = ['O', 'B-PER', 'I-PER'];
const row = (o: number, b: number, i: number) => [o, b, i];

/** An encoding of non-special tokens with the given offsets, framed by [CLS] and [SEP]. */
function encoding(tokens: [token: string, start: number, end: number][], unk?: number): Encoding {
  const all: [string, number, number][] = [['[CLS]', 0, 0], ...tokens, ['[SEP]', 0, 0]];
  return {
    ids: all.map(([t], i) => (t === '[UNK]' ? (unk ?? 1) : 100 + i)),
    typeIds: all.map(() => 0),
    tokens: all.map(([t]) => t),
    offsets: all.map(([, s, e]) => [s, e]),
    sequenceIds: all.map((_, i) => (i === 0 || i === all.length - 1 ? null : 0)),
    special: all.map((_, i) => i === 0 || i === all.length - 1),
    truncated: false,
  };
}

const options = (strategy: EntityOptions['strategy'], labels = LABELS): EntityOptions => ({
  labels,
  strategy,
  ignoreLabels: ['O'],
  decode: (tokens) => tokens.join(' ').replaceAll(' ##', ''),
});

describe('preEntities', () => {
  it('a word-aware tokenizer: a token whose length differs from its text is a subword; special tokens are dropped', () => {
    const enc = encoding([
      ['jo', 0, 2],
      ['##hn', 2, 4],
      ['smith', 5, 10],
    ]);
    const pre = preEntities(
      'John Smith',
      enc,
      enc.ids.map(() => row(0, 1, 0)),
      { subwordPrefix: '##' },
    );
    expect(pre.map((p) => [p.word, p.index, p.isSubword])).toEqual([
      ['jo', 1, false],
      ['##hn', 2, true],
      ['smith', 3, false],
    ]);
  });

  it("other tokenizers: a subword when no space precedes it (transformers' fallback); an unknown token takes its text", () => {
    const enc = encoding(
      [
        ['John', 0, 4],
        ['Sm', 5, 7],
        ['ith', 7, 10],
        ['[UNK]', 11, 12],
      ],
      1,
    );
    const pre = preEntities(
      'John Smith 😀',
      enc,
      enc.ids.map(() => row(0, 1, 0)),
      { unknownId: 1 },
    );
    expect(pre.map((p) => [p.word, p.isSubword])).toEqual([
      ['John', false],
      ['Sm', false],
      ['ith', true],
      ['😀', false],
    ]);
  });
});

describe('entities', () => {
  const enc = encoding([
    ['jo', 0, 2],
    ['##hn', 2, 4],
    ['smith', 5, 10],
    ['went', 11, 15],
  ]);
  const scores = [row(1, 0, 0), row(0.1, 0.6, 0.3), row(0.2, 0.1, 0.7), row(0.1, 0.2, 0.7), row(0.9, 0.05, 0.05), row(1, 0, 0)];
  const pre = preEntities('John Smith went', enc, scores, { subwordPrefix: '##' });

  it('first / max / average fold word pieces before grouping; simple groups tokens', () => {
    expect(entities(pre, options('first'))).toEqual([{ entity_group: 'PER', score: (0.6 + 0.7) / 2, word: 'john smith', start: 0, end: 10 }]);
    const max = entities(pre, options('max'));
    // john: the piece with the highest score is ##hn (I-PER .7), so john and smith (I-PER .7) are one group.
    expect(max.map((e) => ['entity_group' in e ? e.entity_group : '', e.word])).toEqual([['PER', 'john smith']]);
    expect(max[0]!.score).toBeCloseTo(0.7, 12);
    const average = entities(pre, options('average'));
    expect(average).toHaveLength(1);
    expect(average[0]!.score).toBeCloseTo(((0.3 + 0.7) / 2 + 0.7) / 2, 12);
    expect(entities(pre, options('simple')).map((e) => e.word)).toEqual(['jo ##hn smith'.replaceAll(' ##', '')]);
  });

  it('a B- tag always starts a group; a label without a prefix continues its own type', () => {
    const b = [row(1, 0, 0), row(0, 1, 0), row(0, 1, 0), row(0, 1, 0), row(1, 0, 0), row(1, 0, 0)];
    expect(entities(preEntities('John Smith went', enc, b, { subwordPrefix: '##' }), options('simple')).map((e) => e.word)).toEqual(['jo', '##hn', 'smith']);
    const plain = entities(pre, options('simple', ['O', 'PER', 'PER']));
    expect(plain.map((e) => ['entity_group' in e ? e.entity_group : '', e.start, e.end])).toEqual([['PER', 0, 10]]);
  });

  it('none keeps one entity per token with its index; ignore_labels filters labels', () => {
    const none = entities(pre, options('none'));
    expect(none.map((e) => ('entity' in e ? [e.entity, e.index] : []))).toEqual([
      ['B-PER', 1],
      ['I-PER', 2],
      ['I-PER', 3],
    ]);
    expect(entities(pre, { ...options('none'), ignoreLabels: [] })).toHaveLength(4);
  });
});
