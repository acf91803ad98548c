import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildFcs, fcsPercentAbove, parseFcs, seededRandom } from '#instruments';
import { type BenchSection, fixed, heading, median, MiB, ratio, table } from './section.js';

const EVENTS = 1_000_000;
const PARAMETERS = 12;
const ROUNDS = 5;
const GATE = { channel: 'FL2-A', threshold: 1000 };

/**
 * (a) FCS parse throughput: parse + decode every channel + % above a gate, on a generated
 * 1,000,000-event × 12-parameter float32 file, against reading the same bytes from disk.
 */
export const fcsSection: BenchSection = {
  name: 'fcs',
  title: `FCS parse throughput (${EVENTS.toLocaleString('en-US')} events × ${PARAMETERS} float32 parameters)`,
  async run() {
    heading(this);
    const { bytes, expectedPercent } = generate();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exolot-bench-fcs-'));
    const file = path.join(dir, 'bench.fcs');
    try {
      fs.writeFileSync(file, bytes);
      const megabytes = bytes.length / MiB;
      let percent = NaN;
      const read: number[] = [];
      const parse: number[] = [];
      const endToEnd: number[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        // Round 0 warms up the JIT and the page cache and is not counted.
        let t0 = performance.now();
        const fromDisk = fs.readFileSync(file);
        const readMs = performance.now() - t0;
        t0 = performance.now();
        percent = parseAll(fromDisk);
        const parseMs = performance.now() - t0;
        if (round === 0) continue;
        read.push(megabytes / (readMs / 1000));
        parse.push(megabytes / (parseMs / 1000));
        endToEnd.push(megabytes / ((readMs + parseMs) / 1000));
      }
      const baseline = median(read);
      table([
        ['file size', `${fixed(megabytes)} MiB`, 'buildFcs, written to a temporary file'],
        ['read from disk (fs.readFileSync, baseline)', `${fixed(baseline)} MiB/s`, `median of ${ROUNDS}; page cache warm`],
        ['parse + decode 12 channels + % above', `${fixed(median(parse))} MiB/s`, `${ratio(median(parse), baseline)} of read`],
        ['read + parse end to end', `${fixed(median(endToEnd))} MiB/s`, `${ratio(median(endToEnd), baseline)} of read`],
        ['check: % above gate', `${fixed(percent, 4)} %`, Math.abs(percent - expectedPercent) < 1e-9 ? 'matches the generator' : `MISMATCH (expected ${expectedPercent})`],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** What an import does with an FCS file: parse, decode every parameter, gate one. */
function parseAll(bytes: Uint8Array): number {
  const file = parseFcs(bytes, { maxBytes: 1024 * MiB });
  let checksum = 0;
  for (let p = 1; p <= file.parameters.length; p++) checksum += file.channel(p)[file.eventCount - 1];
  if (!Number.isFinite(checksum)) throw new Error('decoded values are not finite');
  return fcsPercentAbove(file, GATE.channel, GATE.threshold);
}

function generate(): { bytes: Buffer; expectedPercent: number } {
  const random = seededRandom(42);
  const names = ['FSC-A', 'FSC-H', 'SSC-A', 'SSC-H', 'FL1-A', 'FL2-A', 'FL3-A', 'FL4-A', 'FL5-A', 'FL6-A', 'FL7-A', 'Time'];
  const gateIndex = names.indexOf(GATE.channel);
  const events = new Float32Array(EVENTS * PARAMETERS);
  let above = 0;
  for (let e = 0; e < EVENTS; e++) {
    for (let p = 0; p < PARAMETERS; p++) {
      // Log-uniform over 1 … 262144, like an amplified fluorescence signal.
      const value = Math.fround(p === PARAMETERS - 1 ? e / 100 : 2 ** (random() * 18));
      events[e * PARAMETERS + p] = value;
      if (p === gateIndex && value > GATE.threshold) above++;
    }
  }
  const bytes = buildFcs({ parameters: names.map((shortName) => ({ shortName })), events, keywords: { $CYT: 'exolot-bench' } });
  return { bytes, expectedPercent: (above / EVENTS) * 100 };
}
