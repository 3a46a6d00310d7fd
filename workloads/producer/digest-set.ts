// A set of strings kept as 128-bit digests in one typed array, off the JavaScript heap: the
// replay guard's nonces (hundreds of thousands at a time) as strings in Sets took 38 MB of heap
// for ten minutes at 462 requests/s, which the garbage collector walked and copied; here 16
// bytes per entry at a load of at most one half, in memory the collector does not scan. Two different strings are taken for one only if their
// SHA-256 digests share their first 128 bits. A caller that looks in several sets (the replay
// guard's generations) takes the digest once, with `digestOf`.
import { hash } from 'node:crypto';

/** Words (32-bit) per entry: a 128-bit digest. */
const WORDS = 4;

export class DigestSet {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  /** `capacity`: entries held before the table first grows (rounded up to a power of two). */
  constructor(capacity = 1024) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(2, capacity * 2)));
    this.slots = new Uint32Array(size * WORDS);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a digest (digestOf); false when it was there already. */
  add(d: Uint32Array): boolean {
    if (this.find(d) >= 0) return false;
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.place(d);
    this.count++;
    return true;
  }

  has(d: Uint32Array): boolean {
    return this.find(d) >= 0;
  }

  /** The slot holding `d`, or -1. Linear probing from the digest's first word. */
  private find(d: Uint32Array): number {
    const s = this.slots;
    for (let i = d[0]! & this.mask; ; i = (i + 1) & this.mask) {
      const o = i * WORDS;
      if (!occupied(s, o)) return -1;
      if (s[o] === d[0] && s[o + 1] === d[1] && s[o + 2] === d[2] && s[o + 3] === d[3]) return i;
    }
  }

  private place(d: Uint32Array): void {
    let i = d[0]! & this.mask;
    while (occupied(this.slots, i * WORDS)) i = (i + 1) & this.mask;
    this.slots.set(d, i * WORDS);
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = (this.mask << 1) | 1;
    for (let o = 0; o < old.length; o += WORDS) if (occupied(old, o)) this.place(old.subarray(o, o + WORDS));
  }
}

/** Whether the entry at word `o` holds a digest (an empty one is all zero, which no digest is). */
function occupied(s: Uint32Array, o: number): boolean {
  return s[o] !== 0 || s[o + 1] !== 0 || s[o + 2] !== 0 || s[o + 3] !== 0;
}

/** The first 128 bits of the key's SHA-256, never all zero (the empty slot's mark). */
export function digestOf(key: string): Uint32Array {
  const b = hash('sha256', key, 'buffer');
  const d = new Uint32Array([b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)]);
  if (d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0) d[3] = 1;
  return d;
}
