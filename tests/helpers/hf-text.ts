// Zero-config text model tests: a temp repository of Hugging Face fixture folders, token ids from an independent
// tokenizer (@huggingface/tokenizers, not the Rust binding the text heads use), and logits from KServe V2 on them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { FastifyInstance } from 'fastify';
import { ROOT } from './app.ts';

export const HF = path.join(ROOT, 'tests/fixtures/hf');

/** A temp repository holding copies of the named fixture folders, plus `extra` folders given file by file. */
export function hfRepo(fixtures: string[], extra: Record<string, Record<string, string | Buffer>> = {}): string {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-hf-text-'));
  for (const name of fixtures) fs.cpSync(path.join(HF, name), path.join(repo, name), { recursive: true });
  for (const [name, files] of Object.entries(extra)) {
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(repo, name, file)), { recursive: true });
      fs.writeFileSync(path.join(repo, name, file), content);
    }
  }
  return repo;
}

export interface Tokens {
  ids: number[];
  typeIds: number[];
}

/** Encodes a text or a [text, text_pair] pair with @huggingface/tokenizers. */
export function jsTokenizer(file: string): (text: string, pair?: string) => Tokens {
  const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(file, 'utf8')), {});
  return (text, pair) => {
    const enc = tokenizer.encode(text, { text_pair: pair ?? null, return_token_type_ids: true });
    return { ids: enc.ids, typeIds: enc.token_type_ids };
  };
}

/** The model's outputs from POST /v2/models/<model>/infer on one token sequence (inputs the graph lacks are left out). */
export async function v2Outputs(app: FastifyInstance, model: string, t: Tokens): Promise<Record<string, { shape: number[]; data: number[] }>> {
  const meta = (await app.inject(`/v2/models/${model}`)).json<{ inputs: { name: string }[] }>();
  const values: Record<string, number[]> = { input_ids: t.ids, attention_mask: t.ids.map(() => 1), token_type_ids: t.typeIds };
  const inputs = meta.inputs.map(({ name }) => ({ name, datatype: 'INT64', shape: [1, t.ids.length], data: values[name] }));
  const res = await app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, payload: { inputs } });
  if (res.statusCode !== 200) throw new Error(`V2 infer on ${model}: ${res.statusCode} ${res.body}`);
  const outputs = res.json<{ outputs: { name: string; shape: number[]; data: number[] }[] }>().outputs;
  return Object.fromEntries(outputs.map((o) => [o.name, { shape: o.shape, data: o.data }]));
}

export const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Asserts two equal-length number lists agree within `tol`. */
export function expectClose(actual: number[], expected: number[], tol = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]!) <= tol)) throw new Error(`[${i}]: ${a} is not within ${tol} of ${expected[i]} (${JSON.stringify(actual)} vs ${JSON.stringify(expected)})`);
  });
}
