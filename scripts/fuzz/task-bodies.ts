// Valid JSON bodies of the task routes and /v1/embeddings, with hostile-but-legal content (any
// unicode text, extreme-but-allowed numbers). jsonBodies() mutates them into invalid ones.
//
// Two limits keep every case fast and its correct answer a 2xx/4xx: generated max_tokens stay
// small (a mutation may still drop it, giving the default 128), and a valid timeout_ms is never
// below the models' own 30 s deadline, since a 504 is the documented answer to a deadline the
// client set too short (routes.ts also drops mutated cases that ask for one); invalid timeout_ms
// values (0, negative, fractional, huge, strings) are generated.
import fc from 'fast-check';
import { EDGE_CHARS, hostileString } from './strings.ts';

/** The bundled models' deadline (manifest batching.timeout_ms default); a request may only shorten it. */
export const SHORTEST_VALID_TIMEOUT_MS = 30_000;

/** timeout_ms values whose answer is never a 504 by request: at or above the models' deadline. */
export const longTimeout = fc.constantFrom(SHORTEST_VALID_TIMEOUT_MS, 60_000, 2 ** 31 - 1, 2 ** 53 - 1);

const seed = fc.oneof(fc.constantFrom(0, 1, 2 ** 31 - 1), fc.nat({ max: 2 ** 31 - 1 }));
const shortText = fc.oneof(fc.string({ unit: fc.constantFrom(...EDGE_CHARS, 'a', 'the', ' ', 'word', '.'), maxLength: 20 }), fc.string({ maxLength: 30 }));

export const textGenerate = fc.record(
  {
    prompt: fc.oneof(
      hostileString.filter((s) => s.length <= 4096),
      shortText,
    ),
    max_tokens: fc.integer({ min: 1, max: 8 }),
    temperature: fc.oneof(fc.constantFrom(0, 5, 1e-300, Number.MIN_VALUE), fc.double({ min: 0, max: 5, noNaN: true })),
    top_k: fc.oneof(fc.constantFrom(0, 1, 98, 99, 2 ** 31, 2 ** 53 - 1), fc.nat()),
    top_p: fc.oneof(fc.constantFrom(1, Number.MIN_VALUE, 1e-9), fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true })),
    seed,
    stop: fc.oneof(
      shortText.filter((s) => s.length > 0),
      fc.array(
        shortText.filter((s) => s.length > 0),
        { maxLength: 8 },
      ),
    ),
    stream: fc.boolean(),
    timeout_ms: longTimeout,
  },
  { requiredKeys: ['prompt', 'max_tokens'] },
);

export const label = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('T-shirt/top', 'trouser', 'BAG', 'Sneaker', '0', '9', ' 3') },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 9 }) },
  { weight: 1, arbitrary: fc.constantFrom('10', '-1', '1e0', '0x1', 10, 2 ** 53, 1e300) },
  { weight: 1, arbitrary: shortText.filter((s) => s.length > 0) },
);

export const imageGenerate = fc.record(
  { count: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(63, 64) }), seed, label, timeout_ms: longTimeout },
  { requiredKeys: [] },
);

export const interpolate = fc.record(
  { from_seed: seed, to_seed: seed, steps: fc.oneof(fc.integer({ min: 2, max: 6 }), fc.constant(64)), label, timeout_ms: longTimeout },
  { requiredKeys: ['from_seed', 'to_seed'] },
);

const sentence = fc.oneof(
  shortText,
  hostileString.filter((s) => s.length <= 2000),
);

export const embed = fc.record(
  {
    inputs: fc.oneof(sentence, fc.array(sentence, { minLength: 1, maxLength: 6 }), fc.constantFrom(Array(256).fill('a'), Array(257).fill('a'))),
    pooling: fc.constantFrom('mean', 'cls'),
    normalize: fc.boolean(),
    truncate: fc.boolean(),
    timeout_ms: longTimeout,
  },
  { requiredKeys: ['inputs'] },
);

const masked = fc.tuple(shortText, shortText, fc.constantFrom('[MASK]', '[mask]', '[MASK][MASK]', ' [MASK] ', '', '[MASK] '.repeat(126), '[MASK] '.repeat(127))).map(([a, b, m]) => `${a}${m}${b}`);

export const fillMask = fc.record({ text: fc.oneof(masked, sentence), top_k: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(100)), timeout_ms: longTimeout }, { requiredKeys: ['text'] });

export const textOnly = fc.record({ text: fc.oneof(shortText, sentence), truncate: fc.boolean(), timeout_ms: longTimeout }, { requiredKeys: ['text'] });

export const openaiEmbeddings = (models: readonly string[]) =>
  fc.record(
    {
      input: fc.oneof(sentence, fc.array(sentence, { minLength: 1, maxLength: 4 })),
      model: fc.oneof({ weight: 4, arbitrary: fc.constant('bert-mini') }, { weight: 1, arbitrary: fc.constantFrom(...models, 'text-embedding-3-small', '', '../bert-mini') }),
      encoding_format: fc.constantFrom('float', 'base64'),
      dimensions: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 256 }) }, { weight: 1, arbitrary: fc.constantFrom(257, 2 ** 31) }),
      user: hostileString,
    },
    { requiredKeys: ['input', 'model'] },
  );
