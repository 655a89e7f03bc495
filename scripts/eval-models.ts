// Entry of `npm run eval:models`: runs every evaluation module in scripts/eval/ through
// onnxruntime-node and prints its lines and figures. Optional arguments pick models by name.
import { readdirSync } from 'node:fs';

interface Evaluation {
  model: string;
  lines: string[];
  figures: Record<string, number>;
}

const dir = new URL('./eval/', import.meta.url);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.ts$/, '')))
  .sort();

let failed = 0;
for (const file of files) {
  const started = performance.now();
  try {
    const module = (await import(new URL(file, dir).href)) as { evaluate?: () => Promise<Evaluation> };
    if (typeof module.evaluate !== 'function') throw new Error(`scripts/eval/${file} exports no evaluate()`);
    const result = await module.evaluate();
    console.log(`== ${result.model} (${((performance.now() - started) / 1000).toFixed(1)} s) ==`);
    for (const line of result.lines) console.log(line);
    console.log(`figures: ${JSON.stringify(result.figures)}`);
  } catch (error) {
    failed++;
    console.error(`== ${file}: FAILED ==`);
    console.error(error);
  }
  console.log('');
}
process.exitCode = failed ? 1 : 0;
