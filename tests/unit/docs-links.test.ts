// Every relative link of README.md and docs/**/*.md resolves to a file or folder of the repository,
// and every #anchor to a heading of the page it points at (GitHub's anchors); README.md stays a
// front door of at most 300 lines.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { docPages, headingAnchors, readPage, relativeLinks, ROOT } from '../helpers/markdown.ts';

describe('the links of README.md and docs/', () => {
  const pages = docPages();

  it('finds the pages and their links', () => {
    expect(pages).toContain('docs/design.md');
    expect(pages.flatMap((p) => relativeLinks(readPage(p))).length).toBeGreaterThan(50);
  });

  for (const page of pages) {
    it(`${page}: every relative link and anchor resolves`, () => {
      const broken: string[] = [];
      for (const link of relativeLinks(readPage(page))) {
        const [target = '', anchor] = link.split('#');
        const file = target ? path.resolve(ROOT, path.dirname(page), decodeURIComponent(target)) : path.join(ROOT, page);
        if (!file.startsWith(ROOT + path.sep) || !fs.existsSync(file)) broken.push(`${link}: no such file`);
        else if (anchor && file.endsWith('.md') && !headingAnchors(fs.readFileSync(file, 'utf8')).has(anchor)) broken.push(`${link}: no heading with that anchor`);
      }
      expect(broken).toEqual([]);
    });
  }

  it('README.md is at most 300 lines', () => {
    expect(readPage('README.md').split('\n').length).toBeLessThanOrEqual(300);
  });
});
