// The fortune corpus split (same rule as scripts/train/fortune_rnn.py) and the fortune-rnn model
// run through onnxruntime-node: encoding, bits per character, and sampling with the server's engine.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Session, TensorValue } from '../../server/runtime/onnx.ts';
import { FORTUNES_DIR, readManifest } from './paths.ts';
import { SequenceEngine } from '../../server/runtime/engine.ts';

const HOLDOUT_EVERY = 20;

export interface TextGenerationManifest {
  inputs: { ids: string };
  outputs: { logits: string };
  state: { input: string; output: string; shape: number[] }[];
  vocabulary: { type: 'chars'; tokens: string[]; unknown: number };
}

export const fortuneManifest = (): TextGenerationManifest => readManifest<TextGenerationManifest>('fortune-rnn');

function splitFortunes(text: string): string[] {
  const fortunes: string[] = [];
  let lines: string[] = [];
  const hasText = (): boolean => lines.some((l) => l.trim() !== '');
  for (const line of text.split('\n')) {
    if (line === '%') {
      if (hasText()) fortunes.push(`${lines.join('\n')}\n`);
      lines = [];
    } else {
      lines.push(line);
    }
  }
  if (hasText()) fortunes.push(`${lines.join('\n').replace(/\n+$/, '')}\n`);
  return fortunes;
}

/** The held-out split: every 20th fortune of the corpus, each followed by a '%' line. */
export function heldOutFortunes(): string {
  const names = readdirSync(FORTUNES_DIR)
    .filter((n) => !n.endsWith('.dat') && !n.endsWith('.u8') && statSync(`${FORTUNES_DIR}/${n}`).isFile())
    .sort();
  const fortunes = names.flatMap((n) => splitFortunes(readFileSync(`${FORTUNES_DIR}/${n}`, 'utf8')));
  return fortunes
    .filter((_, i) => i % HOLDOUT_EVERY === HOLDOUT_EVERY - 1)
    .map((f) => `${f}%\n`)
    .join('');
}

export function encode(text: string, manifest: TextGenerationManifest): number[] {
  const index = new Map(manifest.vocabulary.tokens.map((t, i) => [t, i]));
  return Array.from(text, (c) => index.get(c) ?? manifest.vocabulary.unknown);
}

function stateSpec(manifest: TextGenerationManifest): { input: string; output: string; shape: number[] } {
  const spec = manifest.state[0];
  if (!spec) throw new Error('fortune-rnn manifest declares no state');
  return spec;
}

export function zeroState(manifest: TextGenerationManifest, batch: number): TensorValue {
  const dims = stateSpec(manifest).shape.map((d) => (d === -1 ? batch : d));
  return { type: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) };
}

/** One run over ids [rows, T] from `state`; returns logits [rows, T, V] and the next state. */
export async function step(session: Session, manifest: TextGenerationManifest, ids: number[][], state: TensorValue): Promise<{ logits: Float32Array; state: TensorValue }> {
  const spec = stateSpec(manifest);
  const t = ids[0]?.length ?? 0;
  const result = await session.run({
    [manifest.inputs.ids]: { type: 'int64', dims: [ids.length, t], data: BigInt64Array.from(ids.flat(), BigInt) },
    [spec.input]: state,
  });
  const logits = result[manifest.outputs.logits];
  const next = result[spec.output];
  if (!logits || !next) throw new Error('fortune-rnn returned no logits or state. This is a bug.');
  return { logits: logits.data as Float32Array, state: next };
}

/** Bits per character of `ids`, cut into `rows` contiguous streams run in chunks of `chunk` steps. */
export async function bitsPerChar(session: Session, manifest: TextGenerationManifest, ids: number[], options: { rows: number; chunk: number }): Promise<{ bpc: number; predicted: number }> {
  const vocab = manifest.vocabulary.tokens.length;
  const length = Math.floor(ids.length / options.rows);
  const streams = Array.from({ length: options.rows }, (_, r) => ids.slice(r * length, (r + 1) * length));
  let state = zeroState(manifest, options.rows);
  let nll = 0;
  let predicted = 0;
  for (let s = 0; s < length - 1; s += options.chunk) {
    const t = Math.min(options.chunk, length - 1 - s);
    const out = await step(
      session,
      manifest,
      streams.map((row) => row.slice(s, s + t)),
      state,
    );
    state = out.state;
    for (let r = 0; r < options.rows; r++) {
      for (let i = 0; i < t; i++) {
        const base = (r * t + i) * vocab;
        const target = streams[r]?.[s + i + 1] ?? 0;
        let max = -Infinity;
        for (let v = 0; v < vocab; v++) max = Math.max(max, out.logits[base + v] ?? 0);
        let sum = 0;
        for (let v = 0; v < vocab; v++) sum += Math.exp((out.logits[base + v] ?? 0) - max);
        nll += Math.log(sum) + max - (out.logits[base + target] ?? 0);
        predicted++;
      }
    }
  }
  return { bpc: nll / predicted / Math.LN2, predicted };
}

/**
 * Generates after `prompt` exactly as the server does for {"prompt", "temperature", "seed"}: the
 * server's sequence engine (prefill, seeded sampling) run here on `session`, until a '%' line or
 * `maxChars` characters.
 */
export function sample(session: Session, manifest: TextGenerationManifest, options: { prompt: string; temperature: number; maxChars: number; seed: number }): Promise<string> {
  const tokens = manifest.vocabulary.tokens;
  let text = '';
  return new Promise((resolve, reject) => {
    const engine: SequenceEngine = new SequenceEngine({
      session,
      spec: { graph: 'model', ids: manifest.inputs.ids, logits: manifest.outputs.logits, states: manifest.state, prefillChunk: 16 },
      post(m) {
        if (m.type === 'seq-error') return reject(new Error(m.message));
        for (const id of m.tokens) {
          text += tokens[id] ?? '';
          if (`\n${text}`.endsWith('\n%\n') || text.length >= options.maxChars) break;
        }
        if (m.finished.length > 0 || `\n${text}`.endsWith('\n%\n') || text.length >= options.maxChars) {
          engine.abort(1);
          resolve(text);
        }
      },
    });
    engine.add({ id: 1, prompt: encode(options.prompt, manifest), sampling: { temperature: options.temperature, topK: 0, topP: 1 }, seed: options.seed, maxTokens: options.maxChars });
  });
}
