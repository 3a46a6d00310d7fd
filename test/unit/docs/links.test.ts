// Every relative link in README.md and docs/ must lead to a file inside the repository, and a
// link to a heading (file.md#anchor) to a heading that exists: the docs are read on GitHub and
// in a clone, and nothing they point to may live outside the repository.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { packageRoot } from '../../../operator/util/repo-root.js';

const root = packageRoot();

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(path);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

const DOCS = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

/** The text outside fenced code blocks, line by line (links and headings in code are not links). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  const lines: string[] = [];
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence === undefined) lines.push(line);
  }
  return lines;
}

const withoutCodeSpans = (line: string) => line.replace(/`[^`]*`/g, '');

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`. */
function linkTargets(markdown: string): string[] {
  return proseLines(markdown).flatMap((line) => {
    const prose = withoutCodeSpans(line);
    const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)].map((m) => m[1]!);
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose)?.[1];
    return definition ? [...inline, definition] : inline;
  });
}

/** The anchor GitHub gives a heading: its text, lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a Markdown file's headings define (a repeated heading gets -1, -2, ...). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(markdown)) {
    const text = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (text === undefined) continue;
    const base = slug(text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target); // http:, https:, mailto:, ...

/** What is wrong with one link of `file`, or undefined when it resolves. */
function problem(file: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const pathPart = decodeURI(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const resolved = pathPart.startsWith('/') ? join(root, pathPart) : resolve(dirname(file), pathPart);
  const inRepo = relative(root, resolved);
  if (inRepo.startsWith('..') || isAbsolute(inRepo)) return 'leads outside the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (anchor === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory()) return undefined;
  return anchors(readFileSync(resolved, 'utf8')).has(anchor) ? undefined : `no heading #${anchor} in ${inRepo}`;
}

describe('links in README.md and docs/', () => {
  test('the docs are found', () => {
    expect(DOCS.map((f) => relative(root, f))).toEqual(expect.arrayContaining(['README.md', join('docs', 'api.md')]));
  });

  test('slugs are GitHub-style', () => {
    expect(slug('Schema migration and partition maintenance')).toBe('schema-migration-and-partition-maintenance');
    expect(slug('Consumer: `npm run bench:consumer`')).toBe('consumer-npm-run-benchconsumer');
    expect(slug('The `DI_*` variables')).toBe('the-di_-variables');
    expect(slug('The [DAU](api.md) ladder, v1.2 (draft)')).toBe('the-dau-ladder-v12-draft');
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n## B #\n')]).toEqual(['a', 'a-1', 'b']);
  });

  test.each(DOCS.map((f) => [relative(root, f), f] as const))('%s: every relative link resolves inside the repository', (_name, file) => {
    const broken = linkTargets(readFileSync(file, 'utf8'))
      .filter((t) => !isExternal(t) && !t.startsWith('#'))
      .flatMap((t) => {
        const why = problem(file, t);
        return why ? [`${t}: ${why}`] : [];
      });
    expect(broken).toEqual([]);
  });
});
