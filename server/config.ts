// Every server setting in one table: CLI flag, env var, default, bounds and doc. Parsed once, frozen.
// `node server/server.ts --help` prints the table.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Kind = 'string' | 'int' | 'number';
type ValueOf<K extends Kind> = K extends 'string' ? string : number;

interface Setting<K extends Kind, D extends ValueOf<K> | undefined> {
  flag: string;
  env: string;
  kind: K;
  default: D;
  /** The smallest value accepted, and the largest where there is one (numeric settings). */
  min?: number;
  max?: number;
  doc: string;
}

/**
 * The longest duration a setting, a manifest field or a request may give, in ms: Node's timers
 * keep at most 2^31 − 1 ms (about 24.8 days) and fire after 1 ms for anything longer.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Bounds of the settings that override a manifest field, shared with the manifest schema
 * (repository/manifest.ts) so that both accept the same values.
 */
export const MODEL_BOUNDS = Object.freeze({
  instances: { min: 1 },
  intraOpThreads: { min: 1 },
  maxBatchSize: { min: 1 },
  maxQueueDelayMs: { min: 0, max: MAX_DURATION_MS },
  maxPaddingRatio: { min: 1 },
  maxQueueSize: { min: 1 },
  timeoutMs: { min: 1, max: MAX_DURATION_MS },
});

const PORT = { min: 0, max: 65_535 };
const DURATION = { min: 1, max: MAX_DURATION_MS };

type AnySetting = Setting<Kind, string | number | undefined>;

function setting<K extends Kind, D extends ValueOf<K> | undefined>(s: Setting<K, D>): Setting<K, D> {
  return s;
}

export const SETTINGS = {
  host: setting({ flag: 'host', env: 'HOST', kind: 'string', default: '0.0.0.0', doc: 'Address to listen on' }),
  port: setting({ flag: 'port', env: 'PORT', kind: 'int', default: 8080, ...PORT, doc: 'Port to listen on' }),
  models: setting({ flag: 'models', env: 'ORTSERVE_MODELS', kind: 'string', default: path.join(root, 'models'), doc: 'Model repository: one folder per model' }),
  logLevel: setting({ flag: 'log-level', env: 'ORTSERVE_LOG_LEVEL', kind: 'string', default: 'info', doc: 'pino log level (trace, debug, info, warn, error)' }),
  instances: setting({ flag: 'instances', env: 'ORTSERVE_INSTANCES', kind: 'int', default: undefined, ...MODEL_BOUNDS.instances, doc: 'Worker threads per model (default: manifest, else 1)' }),
  intraOpThreads: setting({
    flag: 'intra-op-threads',
    env: 'ORTSERVE_INTRA_OP_THREADS',
    kind: 'int',
    default: undefined,
    ...MODEL_BOUNDS.intraOpThreads,
    doc: "onnxruntime intra-op threads per worker (default: manifest, else the cores but one — kept for the event loop — shared among every model's workers, at least 1)",
  }),
  maxBatchSize: setting({
    flag: 'max-batch-size',
    env: 'ORTSERVE_MAX_BATCH_SIZE',
    kind: 'int',
    default: undefined,
    ...MODEL_BOUNDS.maxBatchSize,
    doc: "Override every model's batching.max_batch_size",
  }),
  maxQueueDelayMs: setting({
    flag: 'max-queue-delay-ms',
    env: 'ORTSERVE_MAX_QUEUE_DELAY_MS',
    kind: 'int',
    default: undefined,
    ...MODEL_BOUNDS.maxQueueDelayMs,
    doc: "Override every model's batching.max_queue_delay_ms",
  }),
  maxPaddingRatio: setting({
    flag: 'max-padding-ratio',
    env: 'ORTSERVE_MAX_PADDING_RATIO',
    kind: 'number',
    default: undefined,
    ...MODEL_BOUNDS.maxPaddingRatio,
    doc: "Override every model's batching.max_padding_ratio (text batches: padded tokens ≤ this × real tokens)",
  }),
  maxQueueSize: setting({
    flag: 'max-queue-size',
    env: 'ORTSERVE_MAX_QUEUE_SIZE',
    kind: 'int',
    default: undefined,
    ...MODEL_BOUNDS.maxQueueSize,
    doc: "Override every model's batching.max_queue_size",
  }),
  timeoutMs: setting({ flag: 'timeout-ms', env: 'ORTSERVE_TIMEOUT_MS', kind: 'int', default: undefined, ...MODEL_BOUNDS.timeoutMs, doc: "Override every model's batching.timeout_ms" }),
  bodyLimit: setting({ flag: 'body-limit', env: 'ORTSERVE_BODY_LIMIT', kind: 'int', default: 8 * 1024 * 1024, min: 1, doc: 'Largest request body in bytes (→ 413)' }),
  maxImagePixels: setting({ flag: 'max-image-pixels', env: 'ORTSERVE_MAX_IMAGE_PIXELS', kind: 'int', default: 40_000_000, min: 1, doc: 'Largest decoded image, width × height (→ 413)' }),
  maxImages: setting({ flag: 'max-images', env: 'ORTSERVE_MAX_IMAGES', kind: 'int', default: 64, min: 1, doc: 'Most images in one classify request' }),
  adminToken: setting({
    flag: 'admin-token',
    env: 'ORTSERVE_ADMIN_TOKEN',
    kind: 'string',
    default: undefined,
    doc: 'Enables the model repository API (/v2/repository/*) for requests with "Authorization: Bearer <token>"',
  }),
  maxConcurrentRequests: setting({
    flag: 'max-concurrent-requests',
    env: 'ORTSERVE_MAX_CONCURRENT_REQUESTS',
    kind: 'int',
    default: 512,
    min: 1,
    doc: 'Model requests handled at once; more get 429 with Retry-After at once (health, metrics and docs are exempt)',
  }),
  maxHeaderSize: setting({ flag: 'max-header-size', env: 'ORTSERVE_MAX_HEADER_SIZE', kind: 'int', default: 16 * 1024, min: 1, doc: 'Largest request head (request line + headers) in bytes (→ 431)' }),
  headersTimeoutMs: setting({
    flag: 'headers-timeout-ms',
    env: 'ORTSERVE_HEADERS_TIMEOUT_MS',
    kind: 'int',
    default: 10_000,
    ...DURATION,
    doc: 'Time a client has to send the request headers (slowloris guard; → 408 and close)',
  }),
  requestTimeoutMs: setting({
    flag: 'request-timeout-ms',
    env: 'ORTSERVE_REQUEST_TIMEOUT_MS',
    kind: 'int',
    default: 60_000,
    ...DURATION,
    doc: 'Time a client has to send the whole request, body included (→ 408 and close)',
  }),
  keepAliveTimeoutMs: setting({
    flag: 'keep-alive-timeout-ms',
    env: 'ORTSERVE_KEEP_ALIVE_TIMEOUT_MS',
    kind: 'int',
    default: 5_000,
    ...DURATION,
    doc: 'How long an idle keep-alive connection stays open',
  }),
  corsOrigins: setting({
    flag: 'cors-origins',
    env: 'ORTSERVE_CORS_ORIGINS',
    kind: 'string',
    default: undefined,
    doc: 'CORS: comma-separated allowed origins, or * (default: CORS off, no CORS headers)',
  }),
  rateLimitMax: setting({
    flag: 'rate-limit-max',
    env: 'ORTSERVE_RATE_LIMIT_MAX',
    kind: 'int',
    default: undefined,
    min: 1,
    doc: 'Rate limit: requests per client IP per window (default: off); over it → 429 with Retry-After',
  }),
  rateLimitWindowMs: setting({ flag: 'rate-limit-window-ms', env: 'ORTSERVE_RATE_LIMIT_WINDOW_MS', kind: 'int', default: 60_000, ...DURATION, doc: 'Rate limit window' }),
  grpcPort: setting({
    flag: 'grpc-port',
    env: 'ORTSERVE_GRPC_PORT',
    kind: 'int',
    default: 8081,
    ...PORT,
    doc: 'Port of the gRPC server (KServe V2 inference.GRPCInferenceService and grpc.health.v1, on --host); 0 turns gRPC off',
  }),
  grpcTlsCert: setting({
    flag: 'grpc-tls-cert',
    env: 'ORTSERVE_GRPC_TLS_CERT',
    kind: 'string',
    default: undefined,
    doc: 'gRPC over TLS: PEM certificate chain file, with --grpc-tls-key (default: plaintext HTTP/2)',
  }),
  grpcTlsKey: setting({ flag: 'grpc-tls-key', env: 'ORTSERVE_GRPC_TLS_KEY', kind: 'string', default: undefined, doc: 'gRPC over TLS: PEM private key file of --grpc-tls-cert' }),
  drainTimeoutMs: setting({
    flag: 'drain-timeout-ms',
    env: 'ORTSERVE_DRAIN_TIMEOUT_MS',
    kind: 'int',
    default: 30_000,
    min: 0,
    max: MAX_DURATION_MS,
    doc: 'On SIGTERM/SIGINT, how long queued and in-flight work may take before exit',
  }),
} as const;

type Settings = typeof SETTINGS;
export type Config = {
  readonly [N in keyof Settings]: Settings[N]['default'] extends undefined ? ValueOf<Settings[N]['kind']> | undefined : ValueOf<Settings[N]['kind']>;
};

export class ConfigError extends Error {}

/** A numeric setting's bounds for messages and --help: "≥ 1" or "1 to 2147483647". */
function bounds(s: { min?: number; max?: number }): string | undefined {
  if (s.min === undefined) return undefined;
  return s.max === undefined ? `≥ ${s.min}` : `${s.min} to ${s.max}`;
}

function convert(s: AnySetting, raw: string): number | string {
  if (s.kind === 'string') return raw;
  const n = Number(raw);
  const name = `--${s.flag} (${s.env})`;
  if (s.kind === 'int' ? !Number.isInteger(n) : !Number.isFinite(n)) throw new ConfigError(`${name} must be ${s.kind === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
  if ((s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max)) throw new ConfigError(`${name} must be ${bounds(s)}, got '${raw}'`);
  return n;
}

/** Builds the config from flags, then env vars, then defaults. */
export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Config {
  const options = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]));
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    const flag = values[s.flag];
    const raw = flag !== undefined ? String(flag) : env[s.env];
    out[key] = raw !== undefined && raw !== '' ? convert(s, raw) : s.default;
  }
  if (Boolean(out.grpcTlsCert) !== Boolean(out.grpcTlsKey)) throw new Error('--grpc-tls-cert and --grpc-tls-key go together: give both, or neither for plaintext gRPC');
  return Object.freeze(out) as Config;
}

export function helpText(): string {
  const rows = Object.values(SETTINGS).map((s: AnySetting) => {
    const notes = [s.default === undefined ? undefined : `default: ${String(s.default)}`, bounds(s)].filter(Boolean);
    return `  --${s.flag.padEnd(20)} ${s.env.padEnd(28)} ${s.doc}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  });
  return ['Usage: node server/server.ts [options]', '', '  flag                   env var                      meaning', ...rows, '  --help                 show this help'].join('\n');
}

/**
 * Intra-op threads of a worker that neither the config nor its manifest sets: one core is left to
 * the event loop (HTTP, tokenizing, answering), the others are shared among all the workers of
 * all the models. On 2 cores that is 1 (scripts/bench/tune.ts sweeps the alternatives; docs/performance.md).
 */
export function defaultIntraOpThreads(totalInstances: number, cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor((cores - 1) / Math.max(1, totalInstances)));
}
