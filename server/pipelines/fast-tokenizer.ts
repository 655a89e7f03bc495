// Hugging Face tokenizer.json through the Rust `tokenizers` binding (a "fast" tokenizer, as transformers calls
// it): token ids with segment ids for [text, text_pair], character offsets (Unicode code points, as Python counts
// them) and word ids, longest-first truncation of pairs, and decoding of token strings. Encoding runs off the
// event loop (the binding's encode is async). @huggingface/tokenizers (./tokenizer.ts) has no offsets.
import fs from 'node:fs';
import { Tokenizer, type TruncationStrategy } from 'tokenizers';
import { Errors } from '../errors.ts';

export interface FastEncoding {
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
}

export interface FastTokenizer {
  /** Encodes a text or a pair; over `maxLength` tokens it throws INPUT_TOO_LONG, or truncates (longest first). */
  encode(text: string, pair: string | undefined, options: EncodeOptions): Promise<FastEncoding>;
  /** Token strings back to text, as transformers' convert_tokens_to_string (the tokenizer's decoder). */
  decodeTokens(tokens: string[]): string;
  /** The subword prefix of a word-aware model (WordPiece's "##"), undefined otherwise. */
  subwordPrefix: string | undefined;
  unknownId: number | undefined;
  maxLength: number;
}

interface TokenizerJson {
  model?: { type?: string; continuing_subword_prefix?: string | null; unk_token?: string | null };
}

/** Loads `file` for inputs of at most `maxLength` tokens (special tokens included). */
export function loadFastTokenizer(file: string, maxLength: number): FastTokenizer {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
  const plain = Tokenizer.fromFile(file);
  // A tokenizer.json may carry its own padding or truncation settings: the pipelines pad, and truncate here.
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
  const decoder = plain.getDecoder();
  const unk = json.model?.unk_token;
  return {
    subwordPrefix: json.model?.continuing_subword_prefix || undefined,
    unknownId: unk ? (plain.tokenToId(unk) ?? undefined) : undefined,
    maxLength,
    decodeTokens: (tokens) => (decoder ? decoder.decode(tokens) : tokens.join(' ')),
    async encode(text, pair, { truncate, side = 'Right', label }) {
      let enc = await plain.encode(text, pair ?? null);
      const length = enc.getLength();
      if (length > maxLength) {
        if (!truncate) throw new Errors.INPUT_TOO_LONG(label, length, maxLength);
        enc = await truncatingFrom(side).encode(text, pair ?? null);
      }
      return {
        ids: enc.getIds(),
        typeIds: enc.getTypeIds(),
        tokens: enc.getTokens(),
        offsets: enc.getOffsets().map(([s = 0, e = 0]) => [s, e]),
        sequenceIds: enc.getSequenceIds().map((s) => s ?? null),
        special: enc.getSpecialTokensMask().map((m) => m === 1),
        truncated: length > maxLength,
      };
    },
  };
}
