// Hugging Face tokenizer.json loading (@huggingface/tokenizers) and truncation that keeps the
// trailing special token ([SEP]) in place.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { Errors } from '../errors.ts';

export interface Encoded {
  ids: number[];
  tokens: string[];
  truncated: boolean;
}

export interface TextTokenizer {
  encode(text: string, options: { maxLength: number; truncate: boolean; label: string; special?: boolean }): Encoded;
  decode(ids: number[]): string;
  tokenId(token: string): number | undefined;
  token(id: number): string;
  isSpecial(id: number): boolean;
  maskToken: string;
}

export function loadTokenizer(file: string): TextTokenizer {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { added_tokens?: { id: number; content: string; special: boolean }[] };
  const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
  const config = fs.existsSync(configFile) ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as object) : {};
  const tokenizer = new Tokenizer(json, config);
  const specialIds = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.id));
  const maskToken = (json.added_tokens ?? []).find((t) => /mask/i.test(t.content))?.content ?? '[MASK]';
  return {
    maskToken,
    encode(text, { maxLength, truncate, label, special = true }) {
      const enc = tokenizer.encode(text, { add_special_tokens: special });
      let ids = enc.ids;
      let tokens = enc.tokens;
      if (ids.length <= maxLength) return { ids, tokens, truncated: false };
      if (!truncate) throw new Errors.INPUT_TOO_LONG(label, ids.length, maxLength);
      const lastSpecial = specialIds.has(ids.at(-1) ?? -1);
      const keep = lastSpecial ? maxLength - 1 : maxLength;
      ids = [...ids.slice(0, keep), ...(lastSpecial ? ids.slice(-1) : [])];
      tokens = [...tokens.slice(0, keep), ...(lastSpecial ? tokens.slice(-1) : [])];
      return { ids, tokens, truncated: true };
    },
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
    tokenId: (token) => tokenizer.token_to_id(token),
    token: (id) => tokenizer.id_to_token(id) ?? '',
    isSpecial: (id) => specialIds.has(id),
  };
}
