// Tokenizer thread entry (TEI tokenizes in workers too): encodes the texts of one request with the Rust
// `tokenizers` binding and posts back plain data. Nothing here runs on the server's event loop.
import { parentPort } from 'node:worker_threads';
import { Tokenizer, type JsEncoding, type TruncationStrategy } from 'tokenizers';
import { setThreadNice } from '../runtime/priority.ts';

if (!parentPort) throw new Error('tokenizer-worker.ts must run in a worker thread');
const port = parentPort;
// This thread's own work (each job's setup and conversions) runs below the event loop, as inference
// does (runtime/worker.ts); the binding's encode runs on libuv's thread pool at the default priority.
setThreadNice(2);

export interface EncodeJob {
  id: number;
  file: string;
  /** The file's modification time and size: a changed file is loaded anew. */
  version: string;
  maxLength: number;
  /** Texts, or [text, text_pair] pairs, each within the character bound already. */
  inputs: (string | [string, string])[];
  truncate: boolean;
  side: 'left' | 'right';
  special: boolean;
  /** Offsets, tokens, sequence ids and special marks as well as the ids (token classification, /tokenize). */
  full: boolean;
}

export interface EncodedRow {
  ids: Int32Array;
  typeIds: Int32Array;
  /** Tokens before truncation (the whole input). */
  length: number;
  truncated: boolean;
  tokens?: string[];
  offsets?: [number, number][];
  sequenceIds?: (number | null)[];
  special?: boolean[];
}

export type EncodeReply = { id: number; rows: EncodedRow[] } | { id: number; error: string };

/** file → its version's tokenizers, by length and side: a new version of a file replaces the old. */
const tokenizers = new Map<string, { version: string; bySetting: Map<string, Tokenizer> }>();

/** One tokenizer per file version, length and side; padding off (the worker pads), truncation as asked. */
function tokenizerFor(job: EncodeJob): Tokenizer {
  let known = tokenizers.get(job.file);
  if (known?.version !== job.version) tokenizers.set(job.file, (known = { version: job.version, bySetting: new Map() }));
  const key = `${job.truncate ? job.maxLength : 0}\u0000${job.side}`;
  let t = known.bySetting.get(key);
  if (!t) {
    t = Tokenizer.fromFile(job.file);
    t.disablePadding();
    if (job.truncate) t.setTruncation(job.maxLength, { strategy: 'LongestFirst' as TruncationStrategy, direction: job.side });
    else t.disableTruncation();
    known.bySetting.set(key, t);
  }
  return t;
}

function row(enc: JsEncoding, full: boolean): EncodedRow {
  const overflow = enc.getOverflowing();
  const out: EncodedRow = {
    ids: Int32Array.from(enc.getIds()),
    typeIds: Int32Array.from(enc.getTypeIds()),
    length: enc.getLength() + overflow.reduce((n, o) => n + o.getLength(), 0),
    truncated: overflow.length > 0,
  };
  if (!full) return out;
  out.tokens = enc.getTokens();
  out.offsets = enc.getOffsets().map(([s = 0, e = 0]) => [s, e]);
  out.sequenceIds = enc.getSequenceIds().map((s) => s ?? null);
  out.special = enc.getSpecialTokensMask().map((m) => m === 1);
  return out;
}

async function encode(job: EncodeJob): Promise<EncodeReply> {
  try {
    const t = tokenizerFor(job);
    const options = { addSpecialTokens: job.special };
    const encodings = await Promise.all(job.inputs.map((input) => (typeof input === 'string' ? t.encode(input, null, options) : t.encode(input[0], input[1], options))));
    return { id: job.id, rows: encodings.map((e) => row(e, job.full)) };
  } catch (err) {
    return { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
}

// The jobs of one main-thread turn come in one message and go back in one.
port.on('message', (jobs: EncodeJob[]) => {
  void Promise.all(jobs.map(encode)).then((replies) => {
    const buffers = replies.flatMap((r) => ('rows' in r ? r.rows.flatMap((row) => [row.ids.buffer as ArrayBuffer, row.typeIds.buffer as ArrayBuffer]) : []));
    port.postMessage(replies, buffers);
  });
});
