// text-generation for recurrent models: prompt → tokens → continuous-batched steps → sampled
// text, delivered token by token (for SSE) and as a whole. Seeded sampling is reproducible.
import type { TensorValue } from '../inference/onnx.ts';
import { zeroState, gatherState, scatterState, type StateSpec } from '../inference/recurrent-state.ts';
import { StepScheduler, type StepResult } from '../inference/step-scheduler.ts';
import { ioName, output, type CallOptions, type ModelContext } from './context.ts';
import { createRng, randomSeed } from './random.ts';
import { sample } from './sampling.ts';
import { createVocabulary } from './vocabulary.ts';

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
}

export interface TextGenerationPipeline {
  task: 'text-generation';
  routes: string[];
  maxTokens: number;
  generate(req: GenerateRequest, options: CallOptions & { onToken?: (text: string) => void }): Promise<GenerateResult>;
  warmup(): Promise<void>;
  depth(): number;
  activeStreams(): number;
  idle(): Promise<void>;
}

/** Holds back text that may be the start of a stop string, so streamed text never includes one. */
export function stopMatcher(stop: string[]) {
  return (text: string): { hit: number | null; safe: number } => {
    for (const s of stop) {
      const at = text.indexOf(s);
      if (s && at >= 0) return { hit: at, safe: at };
    }
    let hold = 0;
    for (const s of stop)
      for (let k = Math.min(s.length - 1, text.length); k > hold; k--) if (text.endsWith(s.slice(0, k))) hold = k;
    return { hit: null, safe: text.length - hold };
  };
}

export function textGeneration(ctx: ModelContext): TextGenerationPipeline {
  const { manifest, name } = ctx.source;
  const vocab = createVocabulary(manifest.vocabulary ?? { type: 'bytes' });
  const idsName = ioName(ctx, 'model', 'inputs', 'ids');
  const logitsName = ioName(ctx, 'model', 'outputs', 'logits');
  const states: StateSpec[] = manifest.state ?? [];
  const maxTokens = manifest.max_tokens ?? 1024;

  const run = async (tokens: number[][], seqStates: Float32Array[][]): Promise<StepResult> => {
    const n = tokens.length;
    const t = tokens[0]?.length ?? 0;
    const feeds: Record<string, TensorValue> = {
      [idsName]: { type: 'int64', dims: [n, t], data: BigInt64Array.from(tokens.flat(), BigInt) },
    };
    states.forEach((spec, j) => (feeds[spec.input] = gatherState(spec, seqStates.map((s) => s[j]!))));
    const { outputs, ms } = await ctx.pool.run([{ graph: 'model', feeds, fetches: [logitsName, ...states.map((s) => s.output)] }]);
    const logits = output(outputs, logitsName);
    const v = logits.dims.at(-1) ?? vocab.size;
    const data = logits.data as Float32Array;
    const last = Array.from({ length: n }, (_, i) => data.slice((i * t + t - 1) * v, (i * t + t) * v));
    const perState = states.map((spec) => scatterState(spec, output(outputs, spec.output)));
    return { logits: last, states: Array.from({ length: n }, (_, i) => perState.map((s) => s[i]!)), ms };
  };

  const scheduler = new StepScheduler({
    model: name,
    maxActive: ctx.batching.max_batch_size,
    maxQueue: ctx.batching.max_queue_size,
    run,
    hooks: ctx.hooks('generate'),
  });

  function generate(req: GenerateRequest, options: CallOptions & { onToken?: (text: string) => void }): Promise<GenerateResult> {
    const seed = req.seed ?? randomSeed();
    const rng = createRng(seed);
    const decode = vocab.decoder();
    const match = stopMatcher(req.stop);
    const prompt = vocab.encode(req.prompt.length > 0 ? req.prompt : '\n');
    let text = '';
    let emitted = 0;
    let count = 0;
    return new Promise((resolve, reject) => {
      const flush = (upTo: number) => {
        if (upTo > emitted) options.onToken?.(text.slice(emitted, upTo));
        emitted = Math.max(emitted, upTo);
      };
      scheduler.submit({
        prompt,
        state: states.map(zeroState),
        signal: options.signal,
        timeoutMs: Math.min(options.timeoutMs ?? ctx.batching.timeout_ms, ctx.batching.timeout_ms),
        fail: reject,
        advance(logits) {
          const id = sample(logits, req, rng);
          count++;
          text += decode(id);
          const { hit, safe } = match(text);
          if (hit !== null) {
            text = text.slice(0, hit);
            flush(text.length);
            resolve({ text, tokens: count, finishReason: 'stop', seed });
            return null;
          }
          if (count >= req.maxTokens) {
            flush(text.length);
            resolve({ text, tokens: count, finishReason: 'length', seed });
            return null;
          }
          flush(safe);
          return id;
        },
      });
    });
  }

  return {
    task: 'text-generation',
    routes: ['generate'],
    maxTokens,
    generate,
    async warmup() {
      await generate({ prompt: 'Hello', maxTokens: 2, temperature: 0, topK: 0, topP: 1, stop: [] }, {});
    },
    depth: () => scheduler.depth,
    activeStreams: () => scheduler.activeCount,
    idle: () => scheduler.idle(),
  };
}
