// The web playground in a real headless Chromium (Debian's, driven by playwright-core) against the
// real server on loopback: classify an upload, watch a stream grow and stop it, generate a grid,
// draw an attention map. Screenshots go to tests/artifacts/ (README's: docs/playground.png).
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/app.ts';
import { fashionPng, fashionSample } from '../helpers/images.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const HAVE = fs.existsSync(CHROMIUM);
if (!HAVE) console.warn(`\n*** SKIPPED: ${CHROMIUM} is absent (apt-get install chromium), so the playground test did not run ***\n`);

/** A Fashion-MNIST test image the bundled CNN gets right with a wide margin. */
const FASHION_INDEX = 0;

let server: ServerProcess;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  if (!HAVE) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${server.url}/`) && !url.startsWith('data:') && !url.startsWith(`blob:${server.url}/`)) foreignRequests.push(url);
  });
  await page.goto(server.url);
  await page.locator('body[data-ready]').waitFor();
});

afterAll(async () => {
  await browser?.close();
  server?.proc.kill('SIGTERM');
  await server?.exited;
});

describe.skipIf(!HAVE)('web playground', () => {
  it('shows every model under its task panel, and each in the server table', async () => {
    const { data: models } = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { name: string; task: string | null }[] };
    const panels: Record<string, string> = {
      'image-classification': '#classify',
      'text-classification': '#text-classify',
      'text-generation': '#text',
      'image-generation': '#images',
      'text-embedding': '#embeddings',
    };
    for (const m of models) {
      await expect.poll(() => page.locator(`#server tr[data-model="${m.name}"]`).count()).toBe(1);
      if (m.task && panels[m.task]) expect(await page.locator(`${panels[m.task]} option[value="${m.name}"]`).count()).toBe(1);
    }
  });

  it('classifies an uploaded Fashion-MNIST test image with its true label first', async () => {
    const { label } = fashionSample(FASHION_INDEX);
    const { data: models } = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { name: string; labels?: string[] }[] };
    const truth = models.find((m) => m.name === 'fashion-cnn')!.labels![label]!;
    const panel = page.locator('#classify');
    await panel.locator('input[type="file"]').setInputFiles({ name: 'upload.png', mimeType: 'image/png', buffer: await fashionPng(FASHION_INDEX) });
    await panel.locator('.classify-result[data-state="done"]').waitFor();
    expect(await panel.locator('.bars li').first().getAttribute('data-label')).toBe(truth);
    expect(await panel.locator('.bars li').count()).toBe(5);
    expect(await panel.locator('img.preview').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(28);
  });

  it('classifies typed text and shows every label as a bar (bert-mini-topics: a purring animal)', async () => {
    const { data: models } = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { name: string; task: string | null; labels?: string[] }[] };
    const model = models.find((m) => m.name === 'bert-mini-topics') ?? models.find((m) => m.task === 'text-classification');
    if (!model) {
      console.warn('\n*** SKIPPED: no text-classification model is bundled, so the text-classification panel was not driven ***\n');
      return;
    }
    const panel = page.locator('#text-classify');
    await panel.locator('select').selectOption(model.name);
    await panel.getByLabel('Text', { exact: true }).fill('a small furry animal that purrs');
    await panel.getByRole('button', { name: 'Classify' }).click();
    await panel.locator('.text-classify-out[data-state="done"]').waitFor();
    expect(await panel.locator('.bars li').count()).toBe(model.labels!.length);
    if (model.name === 'bert-mini-topics') expect(await panel.locator('.bars li').first().getAttribute('data-label')).toBe('animal');
    await expect.poll(() => panel.locator('p.status').textContent()).toMatch(/^Top label: /);
    expect(await panel.locator('.api-call code').textContent()).toContain('/classify');
  });

  it('Stop aborts a stream, and the server drops it', async () => {
    const panel = page.locator('#text');
    await panel.getByLabel('Max tokens').fill('1024');
    // Press Stop from inside the page as soon as the first tokens show.
    await page.evaluate(() => {
      const out = document.querySelector('#text .stream-output') as HTMLElement;
      const stop = [...document.querySelectorAll<HTMLButtonElement>('#text button')].find((b) => b.textContent === 'Stop')!;
      const observer = new MutationObserver(() => {
        if (out.dataset.state === 'streaming' && out.querySelector('.generated')!.textContent.length > 0) {
          observer.disconnect();
          stop.click();
        }
      });
      observer.observe(out, { subtree: true, childList: true, characterData: true });
    });
    const model = await panel.locator('.panel-body').getAttribute('data-model');
    const abortedOnServer = async () => {
      const info = (await (await fetch(`${server.url}/v1/models/${model}`)).json()) as { stats: { dropped_aborted: number } };
      return info.stats.dropped_aborted;
    };
    const before = await abortedOnServer();
    await panel.getByRole('button', { name: 'Generate' }).click();
    await panel.locator('.stream-output[data-state="stopped"]').waitFor();
    expect((await panel.locator('.generated').textContent())!.length).toBeLessThan(1024);
    expect(await panel.getByRole('button', { name: 'Generate' }).isEnabled()).toBe(true);
    await expect.poll(abortedOnServer, { timeout: 5000 }).toBe(before + 1);
  });

  it('streams generated text that grows token by token', async () => {
    const panel = page.locator('#text');
    await panel.getByLabel('Max tokens').fill('1024');
    await panel.getByLabel('Seed').fill('7');
    // Sample the output's length at every DOM change while the stream is open.
    await page.evaluate(() => {
      const out = document.querySelector('#text .stream-output') as HTMLElement;
      const w = window as unknown as { lengths: number[] };
      w.lengths = [];
      new MutationObserver(() => {
        if (out.dataset.state === 'streaming') w.lengths.push(out.querySelector('.generated')!.textContent.length);
      }).observe(out, { subtree: true, childList: true, characterData: true });
    });
    await panel.getByRole('button', { name: 'Generate' }).click();
    await panel.locator('.stream-output[data-state="done"]').waitFor();
    const lengths = await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
    const growing = [...new Set(lengths.filter((n) => n > 0))];
    expect(growing.length, `lengths seen while streaming: ${lengths.join(',')}`).toBeGreaterThanOrEqual(2);
    expect(growing).toEqual([...growing].sort((a, b) => a - b));
    const final = await panel.locator('.generated').textContent();
    expect(final!.length).toBeGreaterThanOrEqual(growing.at(-1)!);
    await expect.poll(() => panel.locator('p.status').textContent()).toMatch(/^Done \((length|stop)\): \d+ tokens/);
  });

  it('generates a grid of 16 images and a latent walk', async () => {
    const panel = page.locator('#images');
    await panel.getByLabel('Count').fill('16');
    await panel.getByLabel('Seed', { exact: true }).fill('3');
    await panel.getByRole('button', { name: 'Generate' }).click();
    await panel.locator('.image-grid[data-count="16"]').waitFor();
    const sizes = await panel.locator('.image-grid img').evaluateAll((imgs: HTMLImageElement[]) => imgs.map((i) => `${i.naturalWidth}x${i.naturalHeight}`));
    expect(sizes).toEqual(Array(16).fill('28x28'));
    await panel.getByLabel('Steps').fill('8');
    await panel.getByRole('button', { name: 'Interpolate' }).click();
    await panel.locator('.image-strip[data-count="8"]').waitFor();
  });

  it('draws an attention heatmap with one row and column per token; similarity and fill-mask answer', async () => {
    const panel = page.locator('#embeddings');
    const text = 'the quick brown fox jumps over the lazy dog';
    await panel.getByLabel('Sentence', { exact: true }).fill(text);
    await panel.getByRole('button', { name: 'Show attention' }).click();
    const canvas = panel.locator('canvas.heatmap[data-rows]');
    await canvas.waitFor();
    const model = await panel.locator('.panel-body').getAttribute('data-model');
    const res = await fetch(`${server.url}/v1/models/${model}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    const { tokens } = (await res.json()) as { tokens: string[] };
    expect(Number(await canvas.getAttribute('data-rows'))).toBe(tokens.length);
    expect(Number(await canvas.getAttribute('data-cols'))).toBe(tokens.length);
    const box = (await canvas.boundingBox())!;
    expect(box.width).toBeGreaterThan(tokens.length * 10);
    await panel.getByLabel('Head', { exact: true }).selectOption('mean');
    await panel.getByLabel('Layer', { exact: true }).selectOption({ index: 1 });
    expect(Number(await canvas.getAttribute('data-rows'))).toBe(tokens.length);

    await panel.getByRole('button', { name: 'Compare' }).click();
    const sentences = (await panel.getByLabel('Sentences, one per line').inputValue()).split('\n').filter(Boolean).length;
    await expect.poll(() => panel.locator('table.matrix tbody td').count()).toBe(sentences * sentences);
    await panel.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => panel.locator('.fill-mask-out .bars li').count()).toBe(5);
  });

  it('saves screenshots at 1280×800 and 390×844, with no console errors and no foreign requests', async () => {
    await expect.poll(() => page.locator('#server tr[data-model="fashion-cnn"] td').nth(3).textContent()).toMatch(/\d/);
    // A sticky header would be painted mid-page in a full-page capture.
    const style = '.site-header { position: static !important; }';
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground-1280x800.png') });
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground-1280-full.png'), fullPage: true, style });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground-390x844.png') });
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground-390-full.png'), fullPage: true, style });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
