// The one tokenizer of the text pipelines: a Hugging Face tokenizer.json through the Rust `tokenizers`
// binding, whose encode and decode run on libuv's thread pool, off the event loop. Every text is
// bounded before it is tokenized: at most `maxChars` characters (the model's max_length × CHARS_PER_TOKEN),
// so no request can make the tokenizer work on megabytes. Over it, a text is cut to that many
// characters when the caller truncates, and refused (413) when not; within it, truncation to
// max_length tokens happens inside the tokenizer (longest first for pairs, on the side asked).
import fs from 'node:fs';
import { Tokenizer, type JsEncoding, type TruncationStrategy } from 'tokenizers';
import { Errors } from '../errors.ts';

/**
 * Characters a text may have per token of max_length. Text tokenizes to about 4–5 characters per
 * WordPiece or BPE token, so max_length × 10 characters always hold more than max_length tokens
 * of ordinary text: cutting there keeps every token a truncation would keep.
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
  /** Encodes a text or a pair; over `maxLength` tokens it throws INPUT_TOO_LONG, or truncates. */
  encode(text: string, pair: string | undefined, options: EncodeOptions): Promise<Encoding>;
  /** Token ids back to text, special tokens left out. */
  decode(ids: number[]): Promise<string>;
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

/** `text` cut to `max` UTF-16 units, never between the two halves of a surrogate pair. */
function cutTo(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function encoding(enc: JsEncoding, truncated: boolean): Encoding {
  return {
    ids: enc.getIds(),
    typeIds: enc.getTypeIds(),
    tokens: enc.getTokens(),
    offsets: enc.getOffsets().map(([s = 0, e = 0]) => [s, e]),
    sequenceIds: enc.getSequenceIds().map((s) => s ?? null),
    special: enc.getSpecialTokensMask().map((m) => m === 1),
    truncated,
  };
}

/** Loads `file` for inputs of at most `maxLength` tokens (special tokens included). */
export function loadTokenizer(file: string, maxLength: number): TextTokenizer {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
  const plain = Tokenizer.fromFile(file);
  // A tokenizer.json may carry its own padding or truncation settings: the worker pads, and truncation is ours.
  plain.disablePadding();
  plain.disableTruncation();
  const truncating = new Map<TruncationSide, Tokenizer>();
  const truncatingFrom = (side: TruncationSide) => {
    let t = truncating.get(side);
    if (!t) {
      t = Tokenizer.fromFile(file);
      t.disablePadding();
      t.setTruncation(maxLength, { strategy: 'LongestFirst' as TruncationStrategy, direction: side.toLowerCase() });
      truncating.set(side, t);
    }
    return t;
  };
  const maxChars = maxLength * CHARS_PER_TOKEN;
  const decoder = plain.getDecoder();
  const added = json.added_tokens ?? [];
  const specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
  const unk = json.model?.unk_token;

  /** The text within maxChars: cut when truncating, else refused. */
  const bounded = (text: string, label: string, truncate: boolean) => {
    if (text.length <= maxChars) return text;
    if (!truncate) throw new Errors.TEXT_TOO_LONG(label, text.length, maxChars);
    return cutTo(text, maxChars);
  };

  return {
    maxLength,
    maxChars,
    maskToken: added.find((t) => /mask/i.test(t.content))?.content ?? '[MASK]',
    subwordPrefix: json.model?.continuing_subword_prefix || undefined,
    unknownId: unk ? (plain.tokenToId(unk) ?? undefined) : undefined,
    async encode(text, pair, { truncate, side = 'Right', label, special = true }) {
      const a = bounded(text, label, truncate);
      const b = pair === undefined ? null : bounded(pair, label, truncate);
      const options = { addSpecialTokens: special };
      if (truncate) {
        const enc = await truncatingFrom(side).encode(a, b, options);
        return encoding(enc, enc.getOverflowing().length > 0 || a.length < text.length || (b !== null && b.length < (pair ?? '').length));
      }
      const enc = await plain.encode(a, b, options);
      if (enc.getLength() > maxLength) throw new Errors.INPUT_TOO_LONG(label, enc.getLength(), maxLength);
      return encoding(enc, false);
    },
    decode: (ids) => plain.decode(ids, true),
    decodeTokens: (tokens) => (decoder ? decoder.decode(tokens) : tokens.join(' ')),
    tokenId: (token) => plain.tokenToId(token) ?? undefined,
    token: (id) => plain.idToToken(id) ?? '',
    isSpecial: (id) => specialIds.has(id),
  };
}
