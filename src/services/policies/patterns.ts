import { performance } from 'node:perf_hooks';
import { RE2JS } from 're2js';
import safeRegex from 'safe-regex2';

export const MAX_PATTERN_LENGTH = 2000;
/** What one evaluation may take before it stops and fails closed; no input holds the event loop longer. */
export const EVALUATION_BUDGET_MS = 1000;
/** Counted repetition above this (x{1000}) makes a linear matcher's single pass slow by that factor. */
export const MAX_REPEAT = 100;
/**
 * What a pattern may expand to (each atom once, a repeated group once per repetition): a linear matcher's pass
 * costs about this many steps per character of text, so this bounds one pass over the largest text.
 */
export const MAX_EXPANDED = 2000;

/**
 * The pattern's size once counted repetitions are spelled out, or 'repeat' for a count above MAX_REPEAT.
 * Escapes and classes are one atom each, so an escaped brace or a brace inside a class counts nothing.
 */
function expandedSize(pattern: string): number | 'repeat' {
  const frames: number[] = [0];
  let last = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      last = 1;
      frames[frames.length - 1] += 1;
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      for (; j < pattern.length && pattern[j] !== ']'; j++) if (pattern[j] === '\\') j++;
      i = j;
      last = 1;
      frames[frames.length - 1] += 1;
    } else if (c === '(') {
      frames.push(0);
      last = 0;
    } else if (c === ')') {
      last = frames.pop() ?? 0;
      if (frames.length === 0) frames.push(0);
      frames[frames.length - 1] += last;
    } else if (c === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i));
      if (!m) {
        last = 1;
        frames[frames.length - 1] += 1;
        continue;
      }
      const count = Math.max(Number(m[1]), Number(m[2] || 0));
      if (count > MAX_REPEAT) return 'repeat';
      frames[frames.length - 1] += last * (count - 1);
      last *= count;
      i += m[0].length - 1;
    } else if (c === '*' || c === '+' || c === '?' || c === '|') {
      if (c === '|') last = 0;
    } else {
      last = 1;
      frames[frames.length - 1] += 1;
    }
  }
  return frames.reduce((a, b) => a + b, 0);
}

/**
 * RE2 spellings JavaScript lacks, in JavaScript's terms: safe-regex2 parses JavaScript syntax, and judges the
 * shape (quantifiers and groups), which these rewrites keep.
 */
function asJavaScript(pattern: string): string {
  return pattern
    .replace(/\(\?[imsU]+\)/g, '')
    .replace(/\(\?[imsU-]+:/g, '(?:')
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\\[Az]/g, '')
    .replace(/\[:\^?[a-z]+:\]/g, 'a');
}

// Texts on which a pattern that can match nothing but the empty string shows it.
const EMPTY_PROBES = ['', 'a', 'a b', '0', ' ', '-'];

/**
 * Why a pattern cannot be saved, or null. Patterns are RE2 (re2js): matching is linear in the text whatever
 * the pattern, so no pattern can hang the server. Nested repetition is still refused at save time (safe-regex2):
 * it is the mark of a pattern written for a backtracking engine, slow even in a linear one, and a
 * runtime that evaluates with a backtracking engine would hang on it.
 */
export function patternProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'must not be empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (err) {
    const detail = (err as Error).message.replace(/^error parsing regexp: /, '');
    return `is not a valid regular expression (RE2 syntax: no backreferences or lookaround): ${detail}`;
  }
  const size = expandedSize(pattern);
  if (size === 'repeat') return `must not repeat anything more than ${MAX_REPEAT} times ({n,m} counts up to ${MAX_REPEAT})`;
  if (size > MAX_EXPANDED) return `expands to more than ${MAX_EXPANDED} matching steps (a repeated group counts once per repetition): make it smaller`;
  const js = asJavaScript(pattern);
  try {
    new RegExp(js);
  } catch {
    return 'uses RE2 syntax that cannot be checked for catastrophic backtracking: write it in syntax RE2 and JavaScript share';
  }
  if (!safeRegex(js, { limit: 25 })) {
    return 'could backtrack catastrophically (a quantified group that contains a quantifier, such as (a+)+), or has more than 25 quantifiers: write it without nesting them';
  }
  for (const probe of EMPTY_PROBES) {
    const m = compiled.matcher(probe);
    while (m.find()) if (m.start() === m.end()) return 'can match the empty text, so it would match everywhere (or, like \\b alone, nowhere)';
  }
  return null;
}

export interface PatternMatches {
  /** [start, end) in UTF-16 code units, at most `limit` of them. */
  ranges: [number, number][];
  count: number;
}

/** Compiled patterns, kept across requests: compiling is the costly part of a short text's evaluation. */
export class PatternCache {
  private readonly compiled = new Map<string, RE2JS>();

  constructor(private readonly maxEntries = 10_000) {}

  get(pattern: string): RE2JS {
    let re = this.compiled.get(pattern);
    if (!re) {
      if (this.compiled.size >= this.maxEntries) this.compiled.clear();
      re = RE2JS.compile(pattern);
      this.compiled.set(pattern, re);
    }
    return re;
  }

  /** Every match of `pattern` in `text`; null when the deadline (a performance.now() value) passed first. */
  matches(pattern: string, text: string, deadline: number, limit: number): PatternMatches | null {
    if (performance.now() > deadline) return null;
    const m = this.get(pattern).matcher(text);
    const ranges: [number, number][] = [];
    let count = 0;
    while (m.find()) {
      if (performance.now() > deadline) return null;
      const start = m.start();
      const end = m.end();
      if (end === start) continue;
      count++;
      if (ranges.length < limit) ranges.push([start, end]);
    }
    return performance.now() > deadline ? null : { ranges, count };
  }
}
