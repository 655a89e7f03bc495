import { describe, expect, it } from 'vitest';
import { gatherState, scatterState, zeroState } from '../../server/runtime/recurrent-state.ts';
import { createRng } from '../../server/runtime/random.ts';
import { sample } from '../../server/runtime/sampling.ts';
import { stopMatcher } from '../../server/pipelines/text-generation.ts';
import { createVocabulary } from '../../server/pipelines/vocabulary.ts';

describe('recurrent state', () => {
  const spec = { input: 'h', output: 'h_out', shape: [2, -1, 3] };
  it('gathers along the batch axis and scatters back unchanged', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float32Array.from([7, 8, 9, 10, 11, 12]);
    const t = gatherState(spec, [a, b]);
    expect(t.dims).toEqual([2, 2, 3]);
    // layer 0: a[0..3], b[0..3]; layer 1: a[3..6], b[3..6]
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12]);
    const [a2, b2] = scatterState(spec, t);
    expect(Array.from(a2!)).toEqual(Array.from(a));
    expect(Array.from(b2!)).toEqual(Array.from(b));
  });
  it('starts from zeros', () => {
    expect(zeroState(spec)).toEqual(new Float32Array(6));
  });
  it('rejects a shape without a batch axis', () => {
    expect(() => zeroState({ ...spec, shape: [2, 3] })).toThrow(/-1/);
  });
});

describe('sampling', () => {
  const logits = Float32Array.from([0, 3, 1, 2]);
  it('is greedy at temperature 0', () => {
    expect(sample(logits, { temperature: 0, topK: 0, topP: 1 }, createRng(1))).toBe(1);
  });
  it('is reproducible for a seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20 }, () => sample(logits, { temperature: 1, topK: 0, topP: 1 }, rng));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
  it('top_k 1 and a tiny top_p are greedy', () => {
    const rng = createRng(3);
    for (let i = 0; i < 20; i++) {
      expect(sample(logits, { temperature: 1, topK: 1, topP: 1 }, rng)).toBe(1);
      expect(sample(logits, { temperature: 1, topK: 0, topP: 0.01 }, rng)).toBe(1);
    }
  });
  it('top_k 2 only draws the two best', () => {
    const rng = createRng(5);
    const seen = new Set(Array.from({ length: 200 }, () => sample(logits, { temperature: 2, topK: 2, topP: 1 }, rng)));
    expect([...seen].sort()).toEqual([1, 3]);
  });
});

describe('stop strings', () => {
  const m = stopMatcher(['\n%', 'END']);
  it('finds a completed stop string', () => {
    expect(m('hello\n%')).toEqual({ hit: 5, safe: 5 });
  });
  it('holds back a possible start of a stop string', () => {
    expect(m('hello\n')).toEqual({ hit: null, safe: 5 });
    expect(m('the EN')).toEqual({ hit: null, safe: 4 });
    expect(m('plain')).toEqual({ hit: null, safe: 5 });
  });
});

describe('vocabulary', () => {
  it('maps characters and unknowns', () => {
    const v = createVocabulary({ type: 'chars', tokens: ['?', 'a', 'b'], unknown: 0 });
    expect(v.encode('abz')).toEqual([1, 2, 0]);
    const d = v.decoder();
    expect([1, 2].map(d).join('')).toBe('ab');
  });
  it('decodes UTF-8 bytes split across tokens', () => {
    const v = createVocabulary({ type: 'bytes' });
    const ids = v.encode('é!');
    expect(ids.length).toBe(3);
    const d = v.decoder();
    expect(ids.map(d).join('')).toBe('é!');
  });
});
