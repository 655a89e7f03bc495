// Evaluates fortune-rnn through onnxruntime-node: bits per character on the held-out fortunes
// (every 20th fortune of the corpus) and five samples generated one character at a time.
import { createSession } from '../../server/runtime/onnx.ts';
import { bitsPerChar, encode, fortuneManifest, heldOutFortunes, sample } from '../lib/fortune.ts';
import { modelPath } from '../lib/paths.ts';

const SAMPLES = 5;
const TEMPERATURE = 0.8;
/** The end of a previous fortune: the model starts a new one (from the zero state it was trained mid-stream). */
const PROMPT = '\n%\n';

export async function evaluate(): Promise<{ model: string; lines: string[]; figures: Record<string, number> }> {
  const manifest = fortuneManifest();
  const session = await createSession(modelPath('fortune-rnn'));
  try {
    const held = heldOutFortunes();
    const { bpc, predicted } = await bitsPerChar(session, manifest, encode(held, manifest), { rows: 16, chunk: 256 });
    const lines = [`held-out bits per character: ${bpc.toFixed(4)} (${predicted} characters predicted, 16 streams)`];
    for (let s = 0; s < SAMPLES; s++) {
      const text = await sample(session, manifest, {
        prompt: PROMPT,
        temperature: TEMPERATURE,
        maxChars: 400,
        seed: 100 + s,
      });
      lines.push(`--- sample ${s + 1} (seed ${100 + s}, temperature ${TEMPERATURE}) ---`, ...text.replace(/%\n$/, '').trimEnd().split('\n'));
    }
    return { model: 'fortune-rnn', lines, figures: { heldout_bits_per_char: bpc, heldout_chars: predicted } };
  } finally {
    await session.release();
  }
}
