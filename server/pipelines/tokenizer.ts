// The one tokenizer of the text pipelines: a Hugging Face tokenizer.json through the Rust `tokenizers`
// binding, driven from a tokenizer thread (tokenizer-worker.ts; the binding's encode itself runs on
// libuv's thread pool) so that encoding never holds the event loop; the main thread posts a
// request's texts and gets token ids back, one message each way. Every
// text is bounded before it is sent: at most `maxChars` characters (the model's max_length ×
// CHARS_PER_TOKEN), so no request can make the tokenizer work on megabytes. Over it, a text is cut to
// that many characters when the caller truncates, and refused (413) when not; within it, truncation
// to max_length tokens happens inside the tokenizer (longest first for pairs, on the side asked).
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Tokenizer } from 'tokenizers';
import { Errors } from '../errors.ts';
import type { EncodedRow, EncodeJob, EncodeReply } from './tokenizer-worker.ts';

/**
 * Characters a text may have per token of max_length. Text tokenizes to about 4–5 characters per
 * WordPiece or BPE token, so max_length × 10 characters hold more than max_length tokens of
 * ordinary text, and cutting there keeps the tokens a truncation would keep. Not of every text: a
 * run of very long words (WordPiece makes a word over 100 characters one [UNK]) yields fewer.
 */
export const CHARS_PER_TOKEN = 10;

export interface Encoding {
  ids: number[];
  /** Segment ids: 0 for the text, 1 for text_pair (as the tokenizer's post-processor sets them). */
  typeIds: number[];
  tokens: string[];
  /** [start, end) of each token in its own text, in code points; [0, 0] for special tokens. */
  offsets: [number, number][];
  /** Which text each token belongs to: 0, 1, or null for special tokens. */
  sequenceIds: (number | null)[];
  special: boolean[];
  truncated: boolean;
}

/** What most callers need: the ids as the worker takes them (moved, not copied). */
export interface TokenRows {
  ids: Int32Array;
  typeIds: Int32Array;
  truncated: boolean;
}

export type TruncationSide = 'Left' | 'Right';

export interface EncodeOptions {
  truncate: boolean;
  /** Which end a truncated input loses (default Right). */
  side?: TruncationSide;
  /** Names the input in errors. */
  label: string;
  /** Add the model's special tokens ([CLS] … [SEP]); default true. */
  special?: boolean;
}

export interface TextTokenizer {
  /** Most tokens of one input, special tokens included. */
  maxLength: number;
  /** Most characters of one text field (see CHARS_PER_TOKEN). */
  maxChars: number;
  /** Encodes a text or a pair with tokens, offsets and marks; over `maxLength` tokens it throws INPUT_TOO_LONG, or truncates. */
  encode(text: string, pair: string | undefined, options: EncodeOptions): Promise<Encoding>;
  /** The ids of each input of one request (texts or [text, pair]), in one round trip to the tokenizer thread. */
  encodeIds(inputs: (string | [string, string])[], options: Omit<EncodeOptions, 'label'> & { labels: (i: number) => string }): Promise<TokenRows[]>;
  /** Token ids back to text, special tokens left out (unless `skipSpecial` is false). */
  decode(ids: number[], skipSpecial?: boolean): Promise<string>;
  /** Several id lists back to text in one call, special tokens left out. */
  decodeBatch(rows: number[][]): Promise<string[]>;
  /** Token strings back to text, as transformers' convert_tokens_to_string (the tokenizer's decoder). */
  decodeTokens(tokens: string[]): string;
  tokenId(token: string): number | undefined;
  token(id: number): string;
  isSpecial(id: number): boolean;
  maskToken: string;
  /** The subword prefix of a word-aware model (WordPiece's "##"), undefined otherwise. */
  subwordPrefix: string | undefined;
  unknownId: number | undefined;
}

interface TokenizerJson {
  model?: { type?: string; continuing_subword_prefix?: string | null; unk_token?: string | null };
  added_tokens?: { id: number; content: string; special: boolean }[];
}

/** `text` cut to `max` UTF-16 units on the side truncation keeps, never between the two halves of a surrogate pair. */
function cutTo(text: string, max: number, side: TruncationSide): string {
  if (text.length <= max) return text;
  if (side === 'Left') {
    // Keep the end, as truncation from the left does: never start on the second half of a pair.
    const code = text.charCodeAt(text.length - max);
    return text.slice(code >= 0xdc00 && code <= 0xdfff ? text.length - max + 1 : text.length - max);
  }
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * The tokenizer thread, started on first use; a thread that dies fails what it held and is replaced.
 * The jobs of one event-loop turn go in one message and come back in one: under load, many requests
 * share one wake-up of the thread instead of paying one each.
 */
class TokenizerThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (rows: EncodedRow[]) => void; reject: (err: Error) => void }>();
  private queued: EncodeJob[] = [];
  private nextId = 1;

  run(job: Omit<EncodeJob, 'id'>): Promise<EncodedRow[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.queued.push({ ...job, id }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const jobs = this.queued;
    this.queued = [];
    const worker = this.start();
    worker.ref();
    worker.postMessage(jobs);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./tokenizer-worker.ts', import.meta.url), { name: 'ortserve:tokenizer' });
    worker.unref();
    worker.on('message', (replies: EncodeReply[]) => {
      for (const reply of replies) {
        const p = this.pending.get(reply.id);
        if (!p) continue;
        this.pending.delete(reply.id);
        if ('rows' in reply) p.resolve(reply.rows);
        else p.reject(new Error(`tokenizer: ${reply.error}`));
      }
      if (this.pending.size === 0 && this.queued.length === 0) worker.unref();
    });
    worker.on('error', () => {});
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`the tokenizer thread exited with code ${code}`));
      this.pending.clear();
    });
    this.worker = worker;
    return worker;
  }
}

const thread = new TokenizerThread();

/** Loads `file` for inputs of at most `maxLength` tokens (special tokens included). */
export function loadTokenizer(file: string, maxLength: number): TextTokenizer {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
  // Vocabulary look-ups and decoding stay here: they are cheap, and rare (fill-mask, entities).
  const local = Tokenizer.fromFile(file);
  const maxChars = maxLength * CHARS_PER_TOKEN;
  const decoder = local.getDecoder();
  const added = json.added_tokens ?? [];
  const specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
  const unk = json.model?.unk_token;

  /** The text within maxChars: cut (on the side truncation keeps) when truncating, else refused. */
  const bounded = (text: string, label: string, truncate: boolean, side: TruncationSide) => {
    if (text.length <= maxChars) return text;
    if (!truncate) throw new Errors.TEXT_TOO_LONG(label, text.length, maxChars);
    return cutTo(text, maxChars, side);
  };
  // The tokenizer thread caches tokenizers by file: the file's version keys it too, so a model
  // reloaded with a new tokenizer.json in the same place never encodes with the old one.
  const { mtimeMs, size } = fs.statSync(file);
  const version = `${mtimeMs}:${size}`;

  async function encodeRows(inputs: (string | [string, string])[], o: Omit<EncodeOptions, 'label'> & { labels: (i: number) => string; full: boolean }): Promise<(EncodedRow & { cut: boolean })[]> {
    const { truncate, side = 'Right', special = true, labels, full } = o;
    const cut = inputs.map(() => false);
    const sent = inputs.map((input, i) => {
      const pair = typeof input === 'string' ? undefined : input;
      const a = bounded(pair ? pair[0] : (input as string), labels(i), truncate, side);
      const b = pair ? bounded(pair[1], labels(i), truncate, side) : undefined;
      cut[i] = a.length < (pair ? pair[0] : (input as string)).length || (pair !== undefined && b!.length < pair[1].length);
      return b === undefined ? a : ([a, b] as [string, string]);
    });
    const rows = await thread.run({ file, version, maxLength, inputs: sent, truncate, side: side === 'Left' ? 'left' : 'right', special, full });
    rows.forEach((r, i) => {
      if (!truncate && r.length > maxLength) throw new Errors.INPUT_TOO_LONG(labels(i), r.length, maxLength);
    });
    return rows.map((r, i) => ({ ...r, cut: cut[i]! }));
  }

  return {
    maxLength,
    maxChars,
    maskToken: added.find((t) => /mask/i.test(t.content))?.content ?? '[MASK]',
    subwordPrefix: json.model?.continuing_subword_prefix || undefined,
    unknownId: unk ? (local.tokenToId(unk) ?? undefined) : undefined,
    async encode(text, pair, { label, ...options }) {
      const [r] = await encodeRows([pair === undefined ? text : [text, pair]], { ...options, labels: () => label, full: true });
      return {
        ids: Array.from(r!.ids),
        typeIds: Array.from(r!.typeIds),
        tokens: r!.tokens ?? [],
        offsets: r!.offsets ?? [],
        sequenceIds: r!.sequenceIds ?? [],
        special: r!.special ?? [],
        truncated: r!.truncated || r!.cut,
      };
    },
    async encodeIds(inputs, options) {
      const rows = await encodeRows(inputs, { ...options, full: false });
      return rows.map((r) => ({ ids: r.ids, typeIds: r.typeIds, truncated: r.truncated || r.cut }));
    },
    decode: (ids, skipSpecial = true) => local.decode(ids, skipSpecial),
    decodeBatch: (rows) => local.decodeBatch(rows, true),
    decodeTokens: (tokens) => (decoder ? decoder.decode(tokens) : tokens.join(' ')),
    tokenId: (token) => local.tokenToId(token) ?? undefined,
    token: (id) => local.idToToken(id) ?? '',
    isSpecial: (id) => specialIds.has(id),
  };
}
