// What the sinks can never store, checked before anything is acknowledged: PostgreSQL text
// cannot hold the NUL character (U+0000), and MongoDB (and FerretDB) refuse field names that
// start with `$` or contain `.` or NUL. A record carrying either would be accepted, then
// refused by the database for ever; the Producer API refuses it up front instead. The same
// walk bounds nesting depth, because deeper values overflow the stack of every recursive
// consumer of the data (JSON.stringify, the BSON serialiser).
//
// Two more kinds of value would be acknowledged and then stored as something else: a string
// holding a lone UTF-16 surrogate (JSON allows `"\ud800"`; UTF-8, and so both databases, cannot
// hold it, and the drivers write U+FFFD in its place) and a number beyond a double's range
// (`1e400` parses as Infinity, which JSON.stringify writes as null). They are refused too.

/** Deepest nesting of objects and arrays a request body may have (the body itself is depth 1). */
export const MAX_JSON_DEPTH = 32;

export interface Unstorable {
  /** Where, as `body.records[3].meta.$where`. */
  path: string;
  problem: 'too-deep' | 'nul-in-string' | 'bad-key' | 'lone-surrogate' | 'non-finite-number';
  message: string;
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
const BAD_KEY = /^\$|[.\u0000]/;

const child = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/**
 * The first value in a parsed JSON document that no sink could store, or undefined. Iterative
 * (an explicit stack), so a maliciously deep document cannot overflow the call stack here.
 * Every request body goes through this, nearly always storable: a first pass only answers
 * whether anything is wrong, building no paths (most of the walk's cost), and only then does
 * the second, which names the first problem.
 */
export function findUnstorable(root: unknown, rootPath = 'body', maxDepth = MAX_JSON_DEPTH): Unstorable | undefined {
  return isStorable(root, maxDepth) ? undefined : locateUnstorable(root, rootPath, maxDepth);
}

const DOLLAR = 0x24;

/** String.prototype.isWellFormed (Node 20; ES2024, past this project's lib): false for a lone surrogate. */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
/** A string the sinks store as it is. */
const storableString = (s: string): boolean => !s.includes('\u0000') && wellFormed(s);
const badNumber = (v: unknown): boolean => typeof v === 'number' && !Number.isFinite(v);

/** The key test of BAD_KEY without the regular expression. */
const badKey = (k: string) => k.charCodeAt(0) === DOLLAR || k.includes('.') || k.includes('\u0000');

/** Whether findUnstorable finds nothing: the same checks, in any order, with depths in a parallel stack. */
export function isStorable(root: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  const values: unknown[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      if (!storableString(value)) return false;
      continue;
    }
    if (value === null || typeof value !== 'object') {
      if (badNumber(value)) return false;
      continue;
    }
    if (depth > maxDepth) return false;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        // Scalars need no visit of their own.
        if (typeof v === 'string') {
          if (!storableString(v)) return false;
        } else if (v !== null && typeof v === 'object') {
          values.push(v);
          depths.push(depth + 1);
        } else if (badNumber(v)) return false;
      }
      continue;
    }
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (badKey(k) || !wellFormed(k)) return false;
      const v = obj[k];
      if (typeof v === 'string') {
        if (!storableString(v)) return false;
      } else if (v !== null && typeof v === 'object') {
        values.push(v);
        depths.push(depth + 1);
      } else if (badNumber(v)) return false;
    }
  }
  return true;
}

const LONE_SURROGATE = 'must not contain an unpaired UTF-16 surrogate (UTF-8 cannot hold it)';

/** The first problem, with its path, in the documented walk order. */
export function locateUnstorable(root: unknown, rootPath = 'body', maxDepth = MAX_JSON_DEPTH): Unstorable | undefined {
  const stack: [unknown, string, number][] = [[root, rootPath, 1]];
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { path, problem: 'nul-in-string', message: 'must not contain the NUL character (U+0000)' };
      if (!wellFormed(value)) return { path, problem: 'lone-surrogate', message: LONE_SURROGATE };
      continue;
    }
    if (badNumber(value)) return { path, problem: 'non-finite-number', message: 'is a number beyond the range of a 64-bit float (it would be stored as null)' };
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) return { path, problem: 'too-deep', message: `nests deeper than ${maxDepth} levels` };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], child(path, i), depth + 1]);
      continue;
    }
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, v] = entries[i]!;
      if (BAD_KEY.test(k))
        return { path: child(path, k), problem: 'bad-key', message: 'field names must not start with "$" or contain "." or the NUL character' };
      if (!wellFormed(k)) return { path: child(path, k), problem: 'lone-surrogate', message: `field names ${LONE_SURROGATE}` };
      stack.push([v, child(path, k), depth + 1]);
    }
  }
  return undefined;
}
