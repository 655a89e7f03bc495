// Evaluates fashion-dcgan through onnxruntime-node: how often fashion-cnn recognises the requested
// class in generated samples, and how much samples of one class vary compared with real images.
import { createSession } from '../../server/runtime/onnx.ts';
import { argmaxRows, classifierManifest, classify, generate, latentsForSeeds, generatorManifest, loadFashionMnist, meanPairwiseDistance, normalise, toPixels } from '../lib/fashion.ts';
import { modelPath } from '../lib/paths.ts';

const PER_CLASS = 200;
const SEED = 7;
const DIVERSITY_SAMPLES = 50;

export async function evaluate(): Promise<{ model: string; lines: string[]; figures: Record<string, number> }> {
  const gen = generatorManifest();
  const cnn = classifierManifest();
  const classes = gen.labels.length;
  const generator = await createSession(modelPath('fashion-dcgan'));
  const classifier = await createSession(modelPath('fashion-cnn'));
  try {
    // Sample k of class c is what {"count": PER_CLASS, "seed": SEED, "label": c} gives as its image k.
    const labels = Array.from({ length: classes * PER_CLASS }, (_, i) => Math.floor(i / PER_CLASS));
    const latents = latentsForSeeds(
      labels.map((_, i) => SEED + (i % PER_CLASS)),
      gen.latent_dim,
    );
    const pixels = toPixels(await generate(generator, gen, latents, labels, 100), gen.output_range);
    const logits = await classify(classifier, cnn, normalise(pixels, cnn.image), { count: labels.length, batchSize: 100 });
    const predictions = argmaxRows(logits, classes);
    const real = loadFashionMnist('t10k');

    const figures: Record<string, number> = { samples_per_class: PER_CLASS };
    const lines: string[] = [];
    let recognised = 0;
    let diversityGenerated = 0;
    let diversityReal = 0;
    const rows: string[] = [];
    for (let c = 0; c < classes; c++) {
      const own = labels.map((_, i) => i).filter((i) => labels[i] === c);
      const hits = own.filter((i) => predictions[i] === c).length;
      recognised += hits;
      const genSpread = meanPairwiseDistance(pixels, own.slice(0, DIVERSITY_SAMPLES));
      const realIdx = Array.from({ length: real.count }, (_, i) => i).filter((i) => real.labels[i] === c);
      const realSpread = meanPairwiseDistance(real.images, realIdx.slice(0, DIVERSITY_SAMPLES));
      diversityGenerated += genSpread / classes;
      diversityReal += realSpread / classes;
      figures[`class_accuracy_${c}`] = hits / own.length;
      rows.push(`  ${String(c)} ${(gen.labels[c] ?? '').padEnd(12)} ${((100 * hits) / own.length).toFixed(1).padStart(5)} %` + `   spread ${genSpread.toFixed(2)} (real ${realSpread.toFixed(2)})`);
    }
    figures.class_accuracy = recognised / labels.length;
    figures.mean_pairwise_distance_generated = diversityGenerated;
    figures.mean_pairwise_distance_real = diversityReal;
    lines.push(
      `fashion-cnn recognises the requested class in ${((100 * recognised) / labels.length).toFixed(2)} % ` +
        `of ${labels.length} samples (${PER_CLASS} per class, seeds ${SEED}..${SEED + PER_CLASS - 1} as through the API)`,
    );
    lines.push(
      `within-class spread (mean pairwise L2, pixels in 0..1, first ${DIVERSITY_SAMPLES} per class): ` + `generated ${diversityGenerated.toFixed(2)}, real test images ${diversityReal.toFixed(2)}`,
    );
    lines.push(...rows);
    return { model: 'fashion-dcgan', lines, figures };
  } finally {
    await generator.release();
    await classifier.release();
  }
}
