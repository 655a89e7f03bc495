// The one tokenizer (server/pipelines/tokenizer.ts, in its tokenizer thread): the character bound per text, and a
// text over it cut on the side truncation keeps before it is tokenized.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHARS_PER_TOKEN, loadTokenizer } from '../../server/pipelines/tokenizer.ts';
import { MODELS } from '../helpers/app.ts';

const tokenizer = loadTokenizer(path.join(MODELS, 'bert-mini/tokenizer.json'), 128);
const labels = () => 'text';

describe('the tokenizer', () => {
  it('bounds a text to max_length × CHARS_PER_TOKEN characters: refused without truncation, before it is tokenized', async () => {
    expect(tokenizer.maxChars).toBe(128 * CHARS_PER_TOKEN);
    const huge = 'word '.repeat(1_000_000);
    await expect(tokenizer.encodeIds([huge], { truncate: false, labels })).rejects.toMatchObject({ code: 'ORT_TEXT_TOO_LONG', statusCode: 413 });
  });

  it('cuts a text over the bound on the side truncation keeps: the start from the right, the end from the left', async () => {
    const text = `cat ${'word '.repeat(400)}dog`;
    const id = (w: string) => tokenizer.tokenId(w)!;
    const [right] = await tokenizer.encodeIds([text], { truncate: true, side: 'Right', labels });
    const [left] = await tokenizer.encodeIds([text], { truncate: true, side: 'Left', labels });
    expect(right!.ids.length).toBe(128);
    expect(left!.ids.length).toBe(128);
    expect(right!.truncated && left!.truncated).toBe(true);
    expect(right!.ids[1]).toBe(id('cat'));
    expect(left!.ids.at(-2)).toBe(id('dog'));
    expect(Array.from(left!.ids)).not.toContain(id('cat'));
  });

  it('never cuts between the halves of a surrogate pair', async () => {
    const emoji = '😀'.repeat(tokenizer.maxChars); // twice the bound in UTF-16 units
    const [r] = await tokenizer.encodeIds([emoji], { truncate: true, labels });
    const [l] = await tokenizer.encodeIds([emoji], { truncate: true, side: 'Left', labels });
    expect(r!.ids.length).toBeGreaterThan(2);
    expect(Array.from(l!.ids)).toEqual(Array.from(r!.ids));
  });
});
