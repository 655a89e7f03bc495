// text-generation for recurrent models: prompt → token ids → the sequence engine in the model's
// worker (state, prefill, seeded sampling) → new ids once per step → text here: decoding, stop
// strings (a hit stops the sequence in the engine), token by token for SSE and as a whole.
import type { Timing } from '../runtime/policy.ts';
import { randomSeed } from '../runtime/random.ts';
import { ioName, type CallOptions, type ModelContext } from './context.ts';
import { createVocabulary } from './vocabulary.ts';

/** Most prompt tokens prefilled per engine iteration, between two decode steps of the active streams. */
const PREFILL_CHUNK = 16;

export interface GenerateRequest {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed?: number;
  stop: string[];
}

export interface GenerateResult {
  text: string;
  tokens: number;
  finishReason: 'length' | 'stop';
  seed: number;
  /** Queue wait, then the time from admission to the last token; a sequence is one item (batchSize 1). */
  timing: Timing;
}

export interface TextGenerationPipeline {
  task: 'text-generation';
  routes: string[];
  maxTokens: number;
  generate(req: GenerateRequest, options: CallOptions & { onToken?: (text: string) => void }): Promise<GenerateResult>;
  warmup(): Promise<void>;
}

/** Holds back text that may be the start of a stop string, so streamed text never includes one. */
export function stopMatcher(stop: string[]) {
  return (text: string): { hit: number | null; safe: number } => {
    for (const s of stop) {
      const at = text.indexOf(s);
      if (s && at >= 0) return { hit: at, safe: at };
    }
    let hold = 0;
    for (const s of stop) for (let k = Math.min(s.length - 1, text.length); k > hold; k--) if (text.endsWith(s.slice(0, k))) hold = k;
    return { hit: null, safe: text.length - hold };
  };
}

export function textGeneration(ctx: ModelContext): TextGenerationPipeline {
  const { manifest } = ctx.source;
  const { scheduler } = ctx;
  const vocab = createVocabulary(manifest.vocabulary ?? { type: 'bytes' });
  const maxTokens = manifest.max_tokens ?? 1024;
  scheduler.startEngine({
    graph: 'model',
    ids: ioName(ctx, 'model', 'inputs', 'ids'),
    logits: ioName(ctx, 'model', 'outputs', 'logits'),
    states: manifest.state ?? [],
    prefillChunk: PREFILL_CHUNK,
  });

  async function generate(req: GenerateRequest, options: CallOptions & { onToken?: (text: string) => void }): Promise<GenerateResult> {
    const seed = req.seed ?? randomSeed();
    const started = performance.now();
    const decode = vocab.decoder();
    const match = stopMatcher(req.stop);
    let text = '';
    let emitted = 0;
    let count = 0;
    const flush = (upTo: number) => {
      if (upTo > emitted) options.onToken?.(text.slice(emitted, upTo));
      emitted = Math.max(emitted, upTo);
    };
    const sequence = scheduler.generate(
      {
        prompt: vocab.encode(req.prompt.length > 0 ? req.prompt : '\n'),
        sampling: { temperature: req.temperature, topK: req.topK, topP: req.topP },
        seed,
        maxTokens: req.maxTokens,
      },
      (ids) => {
        for (const id of ids) {
          count++;
          text += decode(id);
          const { hit, safe } = match(text);
          if (hit !== null) {
            text = text.slice(0, hit);
            flush(text.length);
            scheduler.stop(sequence.id);
            return;
          }
          flush(safe);
        }
      },
      options,
    );
    const end = await sequence.done;
    flush(text.length);
    const timing = { queueMs: end.queueMs, inferenceMs: performance.now() - started - end.queueMs, batchSize: 1 };
    return { text, tokens: count, finishReason: end.reason === 'stopped' ? 'stop' : 'length', seed, timing };
  }

  return {
    task: 'text-generation',
    routes: ['generate'],
    maxTokens,
    generate,
    async warmup() {
      await generate({ prompt: 'Hello', maxTokens: 2, temperature: 0, topK: 0, topP: 1, stop: [] }, {});
    },
  };
}
