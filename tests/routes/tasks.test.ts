// Happy paths of every task route over the bundled models (inject, no port).
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';
import { fashionPng, fashionSample } from '../helpers/images.ts';
import { multipart } from '../../scripts/lib/multipart.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => {
  await app.close();
});

const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

describe('health and listing', () => {
  it('is live and ready with all five bundled models', async () => {
    expect((await app.inject('/health/live')).statusCode).toBe(200);
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    const { models } = ready.json();
    expect(Object.keys(models).sort()).toEqual(['bert-mini', 'bert-mini-topics', 'fashion-cnn', 'fashion-dcgan', 'fortune-rnn']);
  });

  it('serves the bundled classifier with no manifest: its settings come from the Hugging Face files', async () => {
    const info = (await app.inject('/v1/models/bert-mini-topics')).json();
    expect(info).toMatchObject({ task: 'text-classification', state: 'ready', warnings: [], sources: { task: expect.stringContaining('config.json'), labels: expect.stringContaining('id2label') } });
    expect(info.labels).toHaveLength(19);
    const res = await app.inject({ method: 'POST', url: '/v1/models/bert-mini-topics/classify', payload: { inputs: 'a small furry animal that purrs', top_k: 1 } });
    expect(res.json().results[0].predictions[0].label).toBe('animal');
  });

  it('lists models with task, state, I/O and batching', async () => {
    const res = await app.inject('/v1/models');
    expect(res.json().object).toBe('list');
    const byName = Object.fromEntries(res.json().data.map((m: { id: string; name: string }) => [m.id, m]));
    expect(byName['fashion-cnn']).toMatchObject({ task: 'image-classification', state: 'ready', labels: LABELS });
    expect(byName['fortune-rnn'].routes).toEqual(['/v1/models/fortune-rnn/generate', '/v2/models/fortune-rnn/infer']);
    expect(byName['fortune-rnn']).toMatchObject({ sources: { task: 'manifest.json' }, warnings: [], manifest: { task: 'text-generation' } });
    expect(byName['bert-mini'].batching.max_batch_tokens).toBeGreaterThan(0);
    const one = await app.inject('/v1/models/fashion-dcgan');
    expect(one.json()).toMatchObject({ name: 'fashion-dcgan', task: 'image-generation' });
  });
});

describe('image-classification', () => {
  it('classifies a raw PNG, a multipart upload of several, and JSON base64, in order', async () => {
    const samples = [0, 1, 2, 3].map(fashionSample);
    const pngs = await Promise.all([0, 1, 2, 3].map(fashionPng));
    const raw = await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify?top_k=3', headers: { 'content-type': 'image/png' }, payload: pngs[0] });
    expect(raw.statusCode).toBe(200);
    const first = raw.json().results[0].predictions;
    expect(first).toHaveLength(3);
    expect(first[0].label).toBe(LABELS[samples[0]!.label]);
    expect(first[0].score).toBeGreaterThan(first[1].score);

    const form = await multipart(pngs.map((data, i) => ({ field: 'image', name: `${i}.png`, type: 'image/png', data })));
    const multi = await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', ...form });
    expect(multi.statusCode).toBe(200);
    const labels = multi.json().results.map((r: { predictions: { index: number }[] }) => r.predictions[0]!.index);
    expect(labels).toEqual(samples.map((s) => s.label));

    const json = await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', payload: { images: pngs.map((p) => p.toString('base64')) } });
    expect(json.json().results.map((r: { predictions: { index: number }[] }) => r.predictions[0]!.index)).toEqual(labels);
    expect(Number(json.headers['x-batch-size'])).toBeGreaterThanOrEqual(1);
    expect(json.headers['x-inference-time']).toBeDefined();
  });

  it('converts any size and colour: a large RGB JPEG of a test image still classifies', async () => {
    const s = fashionSample(0);
    const big = await sharp(s.pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .resize(300, 300)
      .toColourspace('srgb')
      .jpeg()
      .toBuffer();
    const res = await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/jpeg' }, payload: big });
    expect(res.statusCode).toBe(200);
    expect(res.json().results[0].predictions[0].label).toBe(LABELS[s.label]);
  });
});

describe('image-classification of photo-like input', () => {
  it('inverts a dark garment on a light background ("invert": "auto") and classifies it', async () => {
    let right = 0;
    const n = 20;
    for (let i = 0; i < n; i++) {
      const s = fashionSample(i);
      const negative = Buffer.from(s.pixels.map((v) => 255 - v));
      const photo = await sharp(negative, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(224, 224)
        .toColourspace('srgb')
        .png()
        .toBuffer();
      const res = await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/png' }, payload: photo });
      if (res.json().results[0].predictions[0].index === s.label) right++;
    }
    expect(right / n).toBeGreaterThanOrEqual(0.8);
  });
});

describe('text-generation', () => {
  it('generates text, reproducibly for a seed', async () => {
    const body = { prompt: 'The ', max_tokens: 40, temperature: 0.8, seed: 42 };
    const a = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: body });
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ model: 'fortune-rnn', tokens: 40, finish_reason: 'length', seed: 42 });
    expect(a.json().text.length).toBeGreaterThan(0);
    const b = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: body });
    expect(b.json().text).toBe(a.json().text);
  });

  it('stops at a stop string, excludes it, and reports finish_reason "stop"', async () => {
    const body = { prompt: 'The ', max_tokens: 200, temperature: 0.8, seed: 11 };
    const free = (await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: body })).json().text as string;
    const stop = free.slice(5, 7);
    const cut = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: { ...body, stop: [stop, 'never-seen-stop'] } });
    expect(cut.json().finish_reason).toBe('stop');
    expect(cut.json().text).toBe(free.slice(0, free.indexOf(stop)));
  });

  it('streams one SSE event per token and a final event with finish_reason', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: { prompt: 'Life ', max_tokens: 20, seed: 1, stream: true } });
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = res.body
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e));
    const final = parsed.at(-1);
    expect(final.finish_reason).toBe('length');
    expect(
      parsed
        .slice(0, -1)
        .map((e: { token: string }) => e.token)
        .join(''),
    ).toBe(final.text);
    const plain = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: { prompt: 'Life ', max_tokens: 20, seed: 1 } });
    expect(plain.json().text).toBe(final.text);
  });
});

describe('image-generation', () => {
  it('generates labelled images; the same seed gives byte-identical PNGs', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/models/fashion-dcgan/generate', payload: { count: 3, seed: 7, label: 'Sneaker' } });
    expect(res.statusCode).toBe(200);
    const { images } = res.json();
    expect(images).toHaveLength(3);
    expect(images.map((i: { seed: number }) => i.seed)).toEqual([7, 8, 9]);
    expect(images[0].label).toBe('Sneaker');
    const meta = await sharp(Buffer.from(images[0].png, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([28, 28]);
    const again = await app.inject({ method: 'POST', url: '/v1/models/fashion-dcgan/generate', payload: { count: 1, seed: 8, label: 7 } });
    expect(again.json().images[0].png).toBe(images[1].png);
  });

  it('answers Accept: image/png with one PNG grid', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/models/fashion-dcgan/generate', headers: { accept: 'image/png' }, payload: { count: 4, seed: 1 } });
    expect(res.headers['content-type']).toBe('image/png');
    const meta = await sharp(res.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([56, 56]);
  });

  it('interpolates between two seeds', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/models/fashion-dcgan/interpolate', payload: { from_seed: 1, to_seed: 2, steps: 5, label: 'Bag' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().images).toHaveLength(5);
    const ends = await app.inject({ method: 'POST', url: '/v1/models/fashion-dcgan/generate', payload: { seed: 1, label: 'Bag' } });
    expect(res.json().images[0].png).toBe(ends.json().images[0].png);
  });
});

describe('text-embedding', () => {
  it('embeds one or many inputs, unit-normalised by default', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: ['a cat sat on the mat', 'stock markets fell sharply today'] } });
    expect(res.statusCode).toBe(200);
    const { embeddings, dimensions, usage } = res.json();
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]).toHaveLength(dimensions);
    expect(Math.hypot(...embeddings[0])).toBeCloseTo(1, 5);
    expect(usage.tokens).toBeGreaterThan(8);
    const single = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: 'a cat sat on the mat', pooling: 'cls', normalize: false } });
    expect(Math.hypot(...single.json().embeddings[0])).not.toBeCloseTo(1, 3);
  });

  it('batch of one and batch of many agree (padding does not leak)', async () => {
    const texts = ['short', 'a considerably longer sentence with many more words in it than the first'];
    const together = (await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: texts } })).json().embeddings;
    for (const [i, t] of texts.entries()) {
      const alone = (await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: t } })).json().embeddings[0];
      alone.forEach((v: number, d: number) => expect(v).toBeCloseTo(together[i][d], 4));
    }
  });

  it('fills a mask, returns attention maps sized by tokens, and tokenizes', async () => {
    const fm = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/fill-mask', payload: { text: 'the cat sat on the [MASK].', top_k: 3 } });
    expect(fm.statusCode).toBe(200);
    const preds = fm.json().masks[0].predictions;
    expect(preds).toHaveLength(3);
    expect(preds[0].sequence).toContain(preds[0].token.replace(/^##/, ''));
    const tok = (await app.inject({ method: 'POST', url: '/v1/models/bert-mini/tokenize', payload: { text: 'hello world' } })).json();
    expect(tok.tokens[0]).toBe('[CLS]');
    expect(tok.tokens.at(-1)).toBe('[SEP]');
    const att = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/attention', payload: { text: 'hello world' } });
    const { tokens, attentions } = att.json();
    expect(tokens).toEqual(tok.tokens);
    const head = attentions[0][0];
    expect(head).toHaveLength(tokens.length);
    expect(head[0]).toHaveLength(tokens.length);
    expect(head[0].reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
  });
});
