// kafkajs compresses with zlib's default gzip level (6). On the SDK's JSON batches level 1 is
// within 2% of its size at about a quarter of the CPU (docs/benchmarks.md), and CPU is what
// limits a producer process. Any gzip level decodes the same, so consumers are unaffected.
import { promisify } from 'node:util';
import { gzip, gzipSync, unzip } from 'node:zlib';
// kafkajs is CommonJS and its codec table is not a static named export: take it from the default.
import kafkajs from 'kafkajs';

const { CompressionCodecs, CompressionTypes } = kafkajs;

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);
/** Above this, compression goes to the thread pool (about 0.2 ms of CPU at level 1). */
const SYNC_LIMIT = 128 * 1024;

/** Makes every kafkajs producer in this process compress GZIP batches at `level` (1-9). */
export function useKafkaGzipLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`gzip level must be 1-9 (got ${level})`);
  CompressionCodecs[CompressionTypes.GZIP] = () => ({
    // Small batches on the calling thread: handing a few KB to the thread pool and back costs
    // more than compressing them (measured: docs/benchmarks.md).
    compress: (encoder: { buffer: Buffer }) =>
      encoder.buffer.length <= SYNC_LIMIT ? Promise.resolve(gzipSync(encoder.buffer, { level })) : gzipAsync(encoder.buffer, { level }),
    decompress: (buffer: Buffer) => unzipAsync(buffer),
  });
}
