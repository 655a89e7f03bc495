// The documentation as data for its tests: the pages (README.md and docs/**/*.md), their fenced code
// blocks with the marker that says a block is not run here, the shell commands of a block with the
// output their `# →` comments promise, and the links and heading anchors of a page.
import fs from 'node:fs';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** README.md and every page under docs/, as paths from the repository root. */
export function docPages(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md'));
  return ['README.md', ...docs.map((f) => path.join('docs', f)).sort()];
}

export function readPage(page: string): string {
  return fs.readFileSync(path.join(ROOT, page), 'utf8');
}

export interface CodeBlock {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language (first word of its info string), '' when none. */
  lang: string;
  body: string;
  /** `<!-- not run: why -->` on the line before the fence (blank lines between allowed). */
  notRun?: string;
}

const FENCE = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm;
const NOT_RUN = /<!--\s*not run:\s*((?:(?!-->)[\s\S])*?)\s*-->\s*$/;

export function codeBlocks(page: string, markdown = readPage(page)): CodeBlock[] {
  return [...markdown.matchAll(FENCE)].map((m) => {
    const before = markdown.slice(0, m.index).trimEnd();
    return {
      page,
      line: before.split('\n').length + (before ? 1 : 0),
      lang: m[1]!.trim().split(/\s+/)[0] ?? '',
      body: m[2]!,
      notRun: NOT_RUN.exec(before)?.[1],
    };
  });
}

export interface ShellCommand {
  /** One logical line: backslash-newlines and newlines inside quotes joined, comments dropped. */
  text: string;
  /** The `# → …` comments after it (same line or the lines that follow), without the arrow. */
  expect: string[];
}

/** The commands of a shell block, each with the output its `# →` comments promise. */
export function shellCommands(block: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let line = '';
  let quote: string | undefined;
  let pending: string[] = [];
  const comment = (text: string) => {
    const arrow = /^#\s*→\s?(.*)$/.exec(text.trim());
    const last = commands.at(-1);
    if (arrow && line.trim() === '' && last) last.expect.push(arrow[1]!);
    else if (arrow) pending.push(arrow[1]!);
  };
  const end = () => {
    if (line.trim()) commands.push({ text: line.trim(), expect: pending });
    else if (pending.length && commands.at(-1)) commands.at(-1)!.expect.push(...pending);
    line = '';
    pending = [];
  };
  for (let i = 0; i < block.length; i++) {
    const c = block[i]!;
    if (quote) {
      if (c === '\\' && quote === '"' && i + 1 < block.length) {
        line += c + block[++i]!;
        continue;
      }
      if (c === quote) quote = undefined;
      line += c === '\n' ? ' ' : c;
    } else if (c === "'" || c === '"') {
      quote = c;
      line += c;
    } else if (c === '\\' && block[i + 1] === '\n') {
      i++;
    } else if (c === '#' && (line === '' || /\s$/.test(line))) {
      let text = '';
      while (i < block.length && block[i] !== '\n') text += block[i++];
      i--;
      comment(text);
    } else if (c === '\n') {
      end();
    } else {
      line += c;
    }
  }
  end();
  return commands;
}

const blank = (m: string) => m.replace(/[^\n]/g, ' ');

/** The text with fenced blocks and inline code blanked out (links in code are not links). */
function prose(markdown: string): string {
  return markdown.replace(FENCE, blank).replace(/`[^`\n]*`/g, blank);
}

/** Relative link targets of a page (inline links and images; web addresses left out). */
export function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** GitHub's anchors for a page's headings: lowercased, punctuation dropped, spaces to '-', repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of markdown
    .replace(FENCE, blank)
    .replace(/`/g, '')
    .matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}
