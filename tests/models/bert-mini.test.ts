// bert-mini model checks on committed fixtures: tokenizer round trip, fill-mask, batch-1 vs
// batch-8 agreement on real positions, and attention rows that are probability distributions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BertMini, type FillMaskCases, fillMaskCases, fixture, lastHidden, loadBertMini, encoderFeeds, tokenize } from '../../scripts/eval/bert-mini.ts';

const cases = JSON.parse(fixture('bert-mini-cases.json')) as FillMaskCases & { roundtrip: string[]; batch: string[] };

let model: BertMini;
beforeAll(async () => {
  model = await loadBertMini();
});
afterAll(async () => {
  await model.release();
});

describe('bert-mini', () => {
  it('tokenizer loads in @huggingface/tokenizers and round-trips ordinary sentences', () => {
    for (const text of cases.roundtrip) {
      const encoded = model.tokenizer.encode(text);
      expect(encoded.tokens[0]).toBe('[CLS]');
      expect(encoded.tokens.at(-1)).toBe('[SEP]');
      expect(encoded.ids).not.toContain(model.tokenizer.token_to_id('[UNK]'));
      expect(model.tokenizer.decode(encoded.ids, { skip_special_tokens: true })).toBe(text.toLowerCase());
    }
  });

  it('fill-mask puts the expected word in the top 5 for at least min_fill_mask_hits sentences', async () => {
    const hits = (await fillMaskCases(model, cases.fill_mask)).filter((c) => c.hit);
    expect(hits.length).toBeGreaterThanOrEqual(cases.min_fill_mask_hits);
  });

  it('batch 1 and padded batch 8 agree on the real positions', async () => {
    const batch = cases.batch.map((t) => tokenize(model, t));
    const together = await lastHidden(model, batch);
    const [, t = 0, h = 0] = together.dims;
    const all = together.data as Float32Array;
    for (const [r, ids] of batch.entries()) {
      const alone = (await lastHidden(model, [ids])).data as Float32Array;
      let worst = 0;
      for (let i = 0; i < ids.length * h; i++) worst = Math.max(worst, Math.abs(alone[i]! - all[r * t * h + i]!));
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it('attention graph returns softmax rows that sum to 1 and ignore padding', async () => {
    const batch = cases.batch.map((t) => tokenize(model, t));
    const out = await model.attention.run(encoderFeeds(batch));
    const attentions = out['attentions'];
    expect(attentions).toBeDefined();
    const [n = 0, layers = 0, heads = 0, t = 0, t2 = 0] = attentions!.dims;
    expect([n, layers, heads, t2]).toEqual([batch.length, 4, 4, t]);
    const p = attentions!.data as Float32Array;
    for (let row = 0; row < n * layers * heads * t; row++) {
      const length = batch[Math.floor(row / (layers * heads * t))]!.length;
      let sum = 0;
      let padded = 0;
      for (let k = 0; k < t; k++) {
        sum += p[row * t + k]!;
        if (k >= length) padded += p[row * t + k]!;
      }
      expect(sum).toBeCloseTo(1, 4);
      expect(padded).toBeLessThan(1e-6);
    }
  });
});
