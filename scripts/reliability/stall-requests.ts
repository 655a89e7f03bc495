// The single requests of the stall scenario (scripts/stall.ts): each the largest of its kind a
// client may send — bodies sized to the server's body limit, texts of the longest allowed
// length, an image of 25 megapixels — with a line saying exactly what was sent. `scale` < 1
// shrinks each (more inputs or characters are cut, never the shape), for a quick run.
import sharp from 'sharp';
import { Tokenizer } from 'tokenizers';
import type { RouteLoad } from '../bench/requests.ts';
import { SENTENCES } from '../bench/sentences.ts';
import { modelPath, readManifest } from '../lib/paths.ts';
import { multipart } from '../lib/multipart.ts';

export interface StallRequest {
  name: string;
  /** What was sent, in words. */
  sent: string;
  body_bytes: number;
  load: RouteLoad;
}

const json = { 'content-type': 'application/json' };
const MiB = 1024 * 1024;
const PROSE = SENTENCES.join(' ');
const count = (n: number) => n.toLocaleString('en-US');

/** `chars` characters of English prose (ASCII, so one byte each), the benchmark's sentences repeated. */
function prose(chars: number): string {
  return PROSE.repeat(Math.ceil(chars / PROSE.length)).slice(0, chars);
}

/** A JSON request to bert-mini whose one big string is as long as keeps the whole body at exactly `bytes`. */
function filling(path: string, bytes: number, envelope: (text: string) => object, text: (chars: number) => string): { load: RouteLoad; body: string; chars: number } {
  const chars = bytes - Buffer.byteLength(JSON.stringify(envelope('')));
  const body = JSON.stringify(envelope(text(chars)));
  return { load: { model: 'bert-mini', path, headers: json, bodies: [body] }, body, chars };
}

/** The longest text bert-mini takes without truncation: words of the sentence list up to max_length tokens, special tokens included. */
async function longestText(): Promise<{ text: string; tokens: number }> {
  const { max_length, tokenizer } = readManifest<{ max_length: number; tokenizer: string }>('bert-mini');
  const t = Tokenizer.fromFile(modelPath('bert-mini', tokenizer));
  const words = PROSE.split(' ');
  let best = { text: '', tokens: 0 };
  for (let n = 1; n <= words.length; n++) {
    const text = words.slice(0, n).join(' ');
    const tokens = (await t.encode(text)).getLength();
    if (tokens > max_length) break;
    best = { text, tokens };
  }
  return best;
}

/** A 8-bit grey PNG of `side` × `side` pixels, an XOR pattern (it compresses, so the body stays small). */
function bigPng(side: number): Promise<Buffer> {
  const pixels = Buffer.alloc(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) pixels[y * side + x] = (x ^ y) & 255;
  return sharp(pixels, { raw: { width: side, height: side, channels: 1 } })
    .png()
    .toBuffer();
}

export async function stallRequests(o: { bodyLimit: number; scale: number }): Promise<StallRequest[]> {
  const limit = Math.floor(o.bodyLimit * o.scale);
  const out: StallRequest[] = [];
  const add = (name: string, sent: string, load: RouteLoad, body: string | Buffer) => out.push({ name, sent, load, body_bytes: Buffer.byteLength(body) });

  const embed = filling('/v1/models/bert-mini/embed', limit, (text) => ({ inputs: text }), prose);
  const ofLimit = o.scale === 1 ? `exactly the body limit (${o.bodyLimit / MiB} MiB)` : `the body limit × ${o.scale}`;
  add('embed one huge string', `{"inputs": <one string of ${count(embed.chars)} characters>}: ${count(limit)} bytes, ${ofLimit}`, embed.load, embed.body);

  const inputs = Math.round(2048 * o.scale);
  const openai = JSON.stringify({ model: 'bert-mini', input: Array.from({ length: inputs }, (_, i) => prose(4000 + i).slice(i)) });
  add(
    'OpenAI embeddings, many long inputs',
    `{"model": "bert-mini", "input": [${count(inputs)} strings of 4,000 characters]}`,
    { model: 'bert-mini', path: '/v1/embeddings', headers: json, bodies: [openai] },
    openai,
  );

  const mask = 'The [MASK] ';
  const fill = filling(
    '/v1/models/bert-mini/fill-mask',
    limit,
    (text) => ({ text }),
    (chars) => mask + prose(chars - mask.length),
  );
  add('fill-mask one huge text', `{"text": "${mask}" + prose, ${count(fill.chars)} characters}: ${count(limit)} bytes, ${ofLimit}`, fill.load, fill.body);

  const texts = Math.round(64 * o.scale);
  const topics = JSON.stringify({ inputs: Array.from({ length: texts }, (_, i) => prose(100_000 + i).slice(i)) });
  add(
    'text classifier, many 100k-character texts',
    `{"inputs": [${count(texts)} strings of 100,000 characters]} to bert-mini-topics: ${count(Buffer.byteLength(topics))} bytes, under the body limit`,
    { model: 'bert-mini-topics', path: '/v1/models/bert-mini-topics/classify', headers: json, bodies: [topics] },
    topics,
  );

  const longest = await longestText();
  const attention = JSON.stringify({ text: longest.text });
  add(
    'attention on the longest allowed text',
    `{"text": <${count(longest.text.length)} characters, ${longest.tokens} bert-mini tokens with [CLS] and [SEP] = max_length>}`,
    { model: 'bert-mini', path: '/v1/models/bert-mini/attention', headers: json, bodies: [attention] },
    attention,
  );

  const side = Math.round(5000 * Math.sqrt(o.scale));
  const form = await multipart([{ field: 'image', name: 'big.png', type: 'image/png', data: await bigPng(side) }]);
  add(
    'classify a huge PNG',
    `multipart "image": a ${count(side)} × ${count(side)} 8-bit grey PNG (${count(side * side)} pixels), ${count(form.payload.length)} bytes with the form`,
    { model: 'fashion-cnn', path: '/v1/models/fashion-cnn/classify', headers: {}, bodies: [form.payload], bodyHeaders: [form.headers] },
    form.payload,
  );
  return out;
}
