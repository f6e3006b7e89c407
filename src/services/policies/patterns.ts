import { performance } from 'node:perf_hooks';
import { RE2JS } from 're2js';
import safeRegex from 'safe-regex2';

export const MAX_PATTERN_LENGTH = 2000;
/** What one evaluation may take before it stops and fails closed; no input holds the event loop longer. */
export const EVALUATION_BUDGET_MS = 1000;
/** Counted repetition above this (x{1000}) makes a linear matcher's single pass slow by that factor. */
export const MAX_REPEAT = 100;

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
  for (const m of pattern.matchAll(/(?<!\\)\{(\d+)(?:,(\d*))?\}/g)) {
    if (Number(m[1]) > MAX_REPEAT || Number(m[2] || 0) > MAX_REPEAT) return `must not repeat anything more than ${MAX_REPEAT} times ({n,m} counts up to ${MAX_REPEAT})`;
  }
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
