// Hugging Face token classifiers, masked LMs and sentence-transformers folders served with no manifest: entities
// for every aggregation strategy as tests/fixtures/hf/token-ner/README.md works them out by hand, fill-mask as the
// softmax of V2's logits at the mask, and CLS-pooled normalised embeddings from V2's last_hidden_state.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';
import { HF, expectClose, hfRepo, jsTokenizer, softmax, v2Outputs } from '../helpers/hf-text.ts';

let repo: string;
let app: FastifyInstance;
beforeAll(async () => {
  repo = hfRepo(['token-ner', 'masked-lm', 'st-cls']);
  app = await testApp({ ORTSERVE_MODELS: repo });
});
afterAll(async () => {
  await app?.close();
  fs.rmSync(repo, { recursive: true, force: true });
});

const post = (model: string, route: string, payload: object) => app.inject({ method: 'POST', url: `/v1/models/${model}/${route}`, payload });
const S1 = 'Ada Lovelace visited Kingsbridge';
const S2 = 'Acme Corp is in Paris.';

type Row = [label: string, score: number, word: string, start: number, end: number, index?: number];
/** The README's tables: [entity or entity_group, score, word, start, end, index (none only)]. */
const EXPECTED: Record<string, [Row[], Row[]]> = {
  none: [
    [
      ['B-PER', 0.76, 'ada', 0, 3, 1],
      ['I-PER', 0.5, 'love', 4, 8, 2],
      ['I-ORG', 0.6, '##lace', 8, 12, 3],
      ['B-LOC', 0.45, 'kings', 21, 26, 5],
      ['B-ORG', 0.7, '##bri', 26, 29, 6],
      ['B-PER', 0.4, '##dge', 29, 32, 7],
    ],
    [
      ['B-ORG', 0.85, 'acme', 0, 4, 1],
      ['I-ORG', 0.82, 'corp', 5, 9, 2],
      ['B-LOC', 0.88, 'paris', 16, 21, 5],
    ],
  ],
  simple: [
    [
      ['PER', 0.63, 'ada love', 0, 8],
      ['ORG', 0.6, '##lace', 8, 12],
      ['LOC', 0.45, 'kings', 21, 26],
      ['ORG', 0.7, '##bri', 26, 29],
      ['PER', 0.4, '##dge', 29, 32],
    ],
    [
      ['ORG', 0.835, 'acme corp', 0, 9],
      ['LOC', 0.88, 'paris', 16, 21],
    ],
  ],
  first: [
    [
      ['PER', 0.63, 'ada lovelace', 0, 12],
      ['LOC', 0.45, 'kingsbridge', 21, 32],
    ],
    [
      ['ORG', 0.835, 'acme corp', 0, 9],
      ['LOC', 0.88, 'paris', 16, 21],
    ],
  ],
  max: [
    [
      ['PER', 0.76, 'ada', 0, 3],
      ['ORG', 0.6, 'lovelace', 4, 12],
      ['ORG', 0.7, 'kingsbridge', 21, 32],
    ],
    [
      ['ORG', 0.835, 'acme corp', 0, 9],
      ['LOC', 0.88, 'paris', 16, 21],
    ],
  ],
  average: [
    [
      ['PER', 0.58, 'ada lovelace', 0, 12],
      ['PER', 1 / 3, 'kingsbridge', 21, 32],
    ],
    [
      ['ORG', 0.835, 'acme corp', 0, 9],
      ['LOC', 0.88, 'paris', 16, 21],
    ],
  ],
};

interface Entity {
  entity?: string;
  entity_group?: string;
  score: number;
  word: string;
  start: number;
  end: number;
  index?: number;
}

function expectEntities(actual: Entity[], rows: Row[], strategy: string): void {
  expect(actual.map((e) => [e.entity ?? e.entity_group, e.word, e.start, e.end, e.index])).toEqual(rows.map(([l, , w, s, e, i]) => [l, w, s, e, i]));
  expectClose(
    actual.map((e) => e.score),
    rows.map((r) => r[1]),
    1e-6,
  );
  for (const e of actual) expect(Object.keys(e).sort()).toEqual(strategy === 'none' ? ['end', 'entity', 'index', 'score', 'start', 'word'] : ['end', 'entity_group', 'score', 'start', 'word']);
}

describe('zero-config token-classification (token-ner, hand-set scores)', () => {
  for (const strategy of Object.keys(EXPECTED)) {
    it(`aggregation_strategy ${strategy}: the README's entities; two texts in one batch as each alone`, async () => {
      const res = await post('token-ner', 'token-classification', { inputs: [S1, S2], aggregation_strategy: strategy });
      expect(res.statusCode, res.body).toBe(200);
      const [one, two] = res.json().results;
      expectEntities(one.entities, EXPECTED[strategy]![0], strategy);
      expectEntities(two.entities, EXPECTED[strategy]![1], strategy);
      const alone = (await post('token-ner', 'token-classification', { inputs: S1, aggregation_strategy: strategy })).json().results[0].entities;
      expect(alone).toEqual(one.entities);
    });
  }

  it('defaults to none and ignore_labels ["O"]; ignore_labels [] keeps O tokens', async () => {
    const res = (await post('token-ner', 'token-classification', { inputs: S2 })).json().results[0].entities;
    expect(res.map((e: Entity) => e.entity)).toEqual(['B-ORG', 'I-ORG', 'B-LOC']);
    const all = (await post('token-ner', 'token-classification', { inputs: S2, ignore_labels: [] })).json().results[0].entities;
    expect(all.map((e: Entity) => [e.entity, e.word])).toEqual([
      ['B-ORG', 'acme'],
      ['I-ORG', 'corp'],
      ['O', 'is'],
      ['O', 'in'],
      ['B-LOC', 'paris'],
      ['O', '.'],
    ]);
    expectClose([all[2].score], [0.94], 1e-6);
  });

  it('start and end count characters (code points) of the text as sent, past emoji and accents', async () => {
    const text = '😀 Ada  visited Paris';
    const res = await post('token-ner', 'token-classification', { inputs: text, aggregation_strategy: 'simple' });
    expect(res.statusCode, res.body).toBe(200);
    const chars = Array.from(text);
    const slices = res.json().results[0].entities.map((e: Entity) => chars.slice(e.start, e.end).join(''));
    expect(slices).toEqual(['Ada', 'Paris']);
  });

  it('lists the model with its derived manifest; refuses an unknown strategy and empty text', async () => {
    const m = (await app.inject('/v1/models/token-ner')).json();
    expect(m).toMatchObject({ task: 'token-classification', routes: ['/v1/models/token-ner/token-classification', '/v2/models/token-ner/infer'], warnings: [] });
    expect(m.sources.max_length).toMatch(/max_position_embeddings/);
    const bad = await post('token-ner', 'token-classification', { inputs: S1, aggregation_strategy: 'longest' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/aggregation_strategy/);
    const empty = await post('token-ner', 'token-classification', { inputs: ['ok', ''] });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toMatch(/inputs\[1\] is empty/);
  });
});

describe('zero-config fill-mask (one …ForMaskedLM graph)', () => {
  it('top-k = softmax of the V2 logits at the mask', async () => {
    const text = 'ada [MASK] visited paris';
    const res = await post('masked-lm', 'fill-mask', { text, top_k: 3 });
    expect(res.statusCode, res.body).toBe(200);
    const [mask] = res.json().masks;
    const t = jsTokenizer(path.join(HF, 'masked-lm/tokenizer.json'))(text);
    const added = JSON.parse(fs.readFileSync(path.join(HF, 'masked-lm/tokenizer.json'), 'utf8')).added_tokens as { id: number; content: string }[];
    expect(mask.position).toBe(t.ids.indexOf(added.find((a) => a.content === '[MASK]')!.id));
    const { logits } = await v2Outputs(app, 'masked-lm', t);
    const v = logits!.shape.at(-1)!;
    const probs = softmax(logits!.data.slice(mask.position * v, (mask.position + 1) * v));
    const best = probs
      .map((p, i) => [p, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 3);
    expect(mask.predictions.map((p: { token_id: number }) => p.token_id)).toEqual(best.map(([, i]) => i));
    expectClose(
      mask.predictions.map((p: { score: number }) => p.score),
      best.map(([p]) => p),
    );
    expect(mask.predictions[0].sequence).toMatch(/^ada.* visited paris$/);
    expect((await post('masked-lm', 'fill-mask', { text: 'no mask here' })).statusCode).toBe(400);
    expect((await post('masked-lm', 'embed', { inputs: 'x' })).statusCode).toBe(404);
  });
});

describe('zero-config sentence-transformers folder (CLS pooling, Normalize)', () => {
  it('embeds as the normalised CLS row of V2 last_hidden_state; pooling mean on request', async () => {
    const m = (await app.inject('/v1/models/st-cls')).json();
    expect(m.manifest).toMatchObject({ task: 'text-embedding', pooling: 'cls', normalize: true, max_length: 48 });
    expect(m.sources.pooling).toBe('1_Pooling/config.json: pooling_mode_cls_token');
    const texts = ['ada lovelace', 'acme corp is in paris'];
    const res = await post('st-cls', 'embed', { inputs: texts });
    expect(res.statusCode, res.body).toBe(200);
    const tok = jsTokenizer(path.join(HF, 'st-cls/tokenizer.json'));
    const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    for (const [i, text] of texts.entries()) {
      const t = tok(text);
      const { last_hidden_state: h } = await v2Outputs(app, 'st-cls', t);
      const d = h!.shape.at(-1)!;
      expectClose(res.json().embeddings[i], unit(h!.data.slice(0, d)));
      const mean = (await post('st-cls', 'embed', { inputs: text, pooling: 'mean', normalize: false })).json().embeddings[0];
      expectClose(
        mean,
        Array.from({ length: d }, (_, j) => t.ids.reduce((s, _id, r) => s + h!.data[r * d + j]!, 0) / t.ids.length),
      );
    }
  });
});
