import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/**
 * Relative links in Markdown and the anchors they may point to, for the docs' link
 * test: what a reader clicking a link on GitHub or in Jupyter would reach.
 */

/** One link as written, with the 1-based line it is on. */
export interface MarkdownLink {
  line: number;
  target: string;
}

/** A link that does not lead where it says. */
export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

const FENCE = /^\s*(```|~~~)/;
const INLINE_CODE = /`[^`\n]*`/g;
/** `[text](target)` and `![alt](target "title")`; the target stops at a space or `)`. */
const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
/** `[label]: target` reference definitions. */
const REFERENCE_DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/;
const EXPLICIT_ANCHOR = /<a\s+(?:id|name)\s*=\s*"([^"]+)"/g;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;

/** The links of a Markdown text, outside fenced code blocks and inline code. */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let inFence = false;
  text.split('\n').forEach((raw, i) => {
    if (FENCE.test(raw)) {
      inFence = !inFence;
      return;
    }
    if (inFence) return;
    const line = raw.replace(INLINE_CODE, '');
    const definition = REFERENCE_DEFINITION.exec(line);
    if (definition) links.push({ line: i + 1, target: definition[1] });
    for (const m of line.matchAll(INLINE_LINK)) links.push({ line: i + 1, target: m[1] });
  });
  return links;
}

/**
 * GitHub's anchor for a heading: the rendered text lower-cased, everything but letters,
 * digits, spaces, hyphens and underscores dropped, spaces turned into hyphens.
 */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/`/g, '');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown text defines: heading slugs (deduplicated as GitHub does) and `<a id>`s. */
export function markdownAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    for (const m of line.matchAll(EXPLICIT_ANCHOR)) anchors.add(m[1]);
    const heading = HEADING.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[2]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Whether a link leaves the repository (a URL with a scheme, or protocol-relative). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * The broken relative links of `file` (an absolute path): a target file that does not
 * exist, or an anchor that the target Markdown file does not define. Links resolve
 * against `baseDir` (default: the file's folder), so that a notebook source can be
 * checked from the folder its notebook is read in.
 */
export function brokenLinks(
  file: string,
  { root, baseDir = dirname(file) }: { root: string; baseDir?: string },
): BrokenLink[] {
  const text = readFileSync(file, 'utf8');
  const broken: BrokenLink[] = [];
  const where = relative(root, file);
  for (const { line, target } of markdownLinks(text)) {
    if (isExternal(target)) continue;
    const hash = target.indexOf('#');
    const pathPart = decodeURI(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === '' ? file : resolve(baseDir, pathPart);
    if (relative(root, resolved).startsWith('..')) {
      broken.push({ file: where, line, target, problem: 'leaves the repository' });
      continue;
    }
    if (!existsSync(resolved)) {
      broken.push({ file: where, line, target, problem: `no file ${relative(root, resolved)}` });
      continue;
    }
    if (!anchor) continue;
    if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
      broken.push({
        file: where,
        line,
        target,
        problem: 'an anchor on a file that is not Markdown',
      });
      continue;
    }
    if (!markdownAnchors(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push({
        file: where,
        line,
        target,
        problem: `${relative(root, resolved)} has no heading or <a id> "${anchor}"`,
      });
    }
  }
  return broken;
}
