/**
 * A fixed, preallocated latency histogram in microseconds: exact below 1,024 us, then 512 buckets
 * per power of two (relative error under 0.2%), up to 2^31 us. Recording is a few integer ops and
 * allocates nothing.
 */
const LINEAR = 1024;
const SUB_BUCKETS = 512;
const SUB_BITS = 9;
const MAX_US = 2 ** 31 - 1;
const OCTAVES = 31 - 10 + 1;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(LINEAR + OCTAVES * SUB_BUCKETS);
  count = 0;
  maxUs = 0;

  record(us: number): void {
    const v = us < 0 ? 0 : us > MAX_US ? MAX_US : Math.round(us);
    this.counts[bucketOf(v)]!++;
    this.count++;
    if (v > this.maxUs) this.maxUs = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.maxUs = 0;
  }

  /** The value (us, bucket midpoint) at quantile q in [0, 1]; 0 when empty. */
  quantileUs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketValue(i), this.maxUs);
    }
    return this.maxUs;
  }
}

function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  const exponent = 31 - Math.clz32(v); // >= 10
  const shift = exponent - SUB_BITS;
  return LINEAR + (exponent - 10) * SUB_BUCKETS + ((v >>> shift) - SUB_BUCKETS);
}

function bucketValue(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const octave = Math.floor((bucket - LINEAR) / SUB_BUCKETS);
  const sub = (bucket - LINEAR) % SUB_BUCKETS;
  const shift = octave + 10 - SUB_BITS;
  return (SUB_BUCKETS + sub) * 2 ** shift + 2 ** (shift - 1);
}
