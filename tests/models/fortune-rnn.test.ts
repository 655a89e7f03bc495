// fortune-rnn through onnxruntime-node: bits per character on committed held-out fortunes,
// batch and step-by-step consistency of the explicit recurrent state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, type Session } from '../../server/runtime/onnx.ts';
import { bitsPerChar, encode, fortuneManifest, step, zeroState } from '../../scripts/lib/fortune.ts';
import { maxAbsDifference } from '../../scripts/lib/fashion.ts';
import { modelPath } from '../../scripts/lib/paths.ts';
import { loadFortuneFixture } from '../../scripts/lib/fixtures.ts';

describe('fortune-rnn', () => {
  const manifest = fortuneManifest();
  const text = loadFortuneFixture();
  const ids = encode(text, manifest);
  const vocab = manifest.vocabulary.tokens.length;
  let session: Session;

  beforeAll(async () => {
    session = await createSession(modelPath('fortune-rnn'));
  });
  afterAll(async () => {
    await session.release();
  });

  it('has a vocabulary of distinct single characters matching the logits', async () => {
    const tokens = manifest.vocabulary.tokens;
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.every((t) => [...t].length === 1)).toBe(true);
    expect(manifest.vocabulary.unknown).toBeLessThan(vocab);
    const out = await step(session, manifest, [[1, 2, 3]], zeroState(manifest, 1));
    expect(out.logits.length).toBe(3 * vocab);
  });

  it('predicts held-out fortunes at 2.1 bits per character or better', async () => {
    expect(text.length).toBeGreaterThan(100_000);
    const { bpc } = await bitsPerChar(session, manifest, ids, { rows: 16, chunk: 256 });
    expect(bpc).toBeLessThanOrEqual(2.1);
  });

  it('gives the same logits and state at batch 1 and batch 8', async () => {
    const rows = Array.from({ length: 8 }, (_, r) => ids.slice(r * 40, r * 40 + 40));
    const eight = await step(session, manifest, rows, zeroState(manifest, 8));
    const singles = await Promise.all(rows.map((row) => step(session, manifest, [row], zeroState(manifest, 1))));
    const joined = new Float32Array(eight.logits.length);
    singles.forEach((s, r) => joined.set(s.logits, r * s.logits.length));
    expect(maxAbsDifference(joined, eight.logits)).toBeLessThan(1e-4);
    const [layers = 0, , hidden = 0] = eight.state.dims;
    const state8 = eight.state.data as Float32Array;
    singles.forEach((s, r) => {
      const single = s.state.data as Float32Array;
      for (let l = 0; l < layers; l++) {
        const a = single.subarray(l * hidden, (l + 1) * hidden);
        const b = state8.subarray((l * 8 + r) * hidden, (l * 8 + r + 1) * hidden);
        expect(maxAbsDifference(a, b)).toBeLessThan(1e-4);
      }
    });
  });

  it('carries state: one character at a time equals the whole sequence at once', async () => {
    const seq = ids.slice(0, 30);
    const whole = await step(session, manifest, [seq], zeroState(manifest, 1));
    let state = zeroState(manifest, 1);
    const stepped = new Float32Array(whole.logits.length);
    for (let t = 0; t < seq.length; t++) {
      const out = await step(session, manifest, [[seq[t] ?? 0]], state);
      stepped.set(out.logits, t * vocab);
      state = out.state;
    }
    expect(maxAbsDifference(stepped, whole.logits)).toBeLessThan(1e-4);
  });
});
