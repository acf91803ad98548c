import { resourceUsage } from 'node:process';
import fc from 'fast-check';
import { InstrumentFileError, parseInstrumentFile } from '#instruments';
import { sample } from '../instrument-imports/expected-values.js';
import { hoursAgo, isolatedBatch, productWithEffectiveSpec } from '../support/fixtures.js';
import { postForm } from '../support/multipart.js';
import { TestApp } from '../support/test-app.js';
import { signInAs } from '../support/users.js';
import { contractProblems, DbWatch } from './support/db-watch.js';
import { craftedHostileFiles, type Mutation, mutationsFor } from './support/mutations.js';

/**
 * Every instrument parser against mutated sample files (truncated, bit-flipped, spliced, huge
 * declared lengths in FCS headers and TEXT, ZIP entries, gzip trailers) and crafted bombs: a
 * typed refusal (422 instrument.*) every time, never a crash, within time and memory bounds.
 * Reproduce with FUZZ_SEED=<seed>; FUZZ_RUNS scales the number of files.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
const LIMIT = 8 * 1024 * 1024;
const CODES = ['instrument.unrecognised_format', 'instrument.truncated', 'instrument.corrupt', 'instrument.too_large', 'instrument.unsupported', 'instrument.missing_content', 'instrument.unknown_channel'];
/** Per sample: the import form that reads it, so mutated files also reach result mapping and storage. */
const SAMPLES: { name: string; assay: string; fields: Record<string, string> }[] = [
  { name: 'nanosight_beads_nta3.2.csv', assay: 'nta', fields: {} },
  { name: 'fortessa_fcs3.0.fcs', assay: 'facs', fields: { channel: 'FSC-A', threshold: '1000', isotypeControlPercent: '2' } },
  { name: 'cyflow_cube_8_fcs3.0.fcs', assay: 'facs', fields: { channel: 'FL1', threshold: '100', isotypeControlPercent: '2' } },
  { name: 'variable_int_example.fcs', assay: 'facs', fields: { channel: 'FSC-H', threshold: '100', isotypeControlPercent: '2' } },
  { name: 'stepone_std.rdml', assay: 'qpcr', fields: { sample: 'pop1_RNase P' } },
  { name: 'test_mca_1_raw_data.rdml', assay: 'qpcr', fields: {} },
  { name: 'tapestation_eukaryotic_rna.xml.gz', assay: 'bioanalyzer', fields: {} },
];

describe('instrument parsers against mutated and hostile files', () => {
  it('refuses every mutated sample with a typed InstrumentFileError, or parses it, within time and memory bounds', () => {
    const peakBefore = resourceUsage().maxRSS;
    const failures: string[] = [];
    const seen = new Map<string, number>();
    let slowest = 0;
    let biggestJump = 0;
    for (const [i, { name }] of SAMPLES.entries()) {
      const original = sample(name);
      try {
        fc.assert(
          fc.property(mutationsFor(name), (mutation: Mutation) => {
            const bytes = mutation.apply(original);
            const started = performance.now();
            const rss0 = resourceUsage().maxRSS;
            try {
              parseInstrumentFile(bytes, { filename: name, maxBytes: LIMIT });
              seen.set('parsed', (seen.get('parsed') ?? 0) + 1);
            } catch (error) {
              if (!(error instanceof InstrumentFileError)) throw new Error(`${mutation.name}: threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
              if (!CODES.includes(error.code)) throw new Error(`${mutation.name}: unknown code ${error.code}`);
              seen.set(error.code, (seen.get(error.code) ?? 0) + 1);
            }
            const took = performance.now() - started;
            // The process's peak resident set (KiB) may rise by at most 128 MiB plus 16 bytes per input byte for one file.
            const jumpMiB = (resourceUsage().maxRSS - rss0) / 1024;
            if (jumpMiB > 128 + (16 * bytes.length) / 1024 / 1024) throw new Error(`${mutation.name}: peak memory rose ${Math.round(jumpMiB)} MiB for a ${bytes.length}-byte file`);
            biggestJump = Math.max(biggestJump, jumpMiB);
            slowest = Math.max(slowest, took);
            // Time grows with size, never with what a header declares: 5 s plus 1 s per MiB (generous for a loaded CI machine).
            if (took > 5000 + (1000 * bytes.length) / 1024 / 1024) throw new Error(`${mutation.name}: took ${Math.round(took)} ms for ${bytes.length} bytes`);
          }),
          { seed: SEED + i, numRuns: RUNS * 40, endOnFailure: true },
        );
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message.split('\n').slice(0, 3).join(' | ')} ${((error as Error & { cause?: Error }).cause?.message ?? '').slice(0, 300)}`);
      }
    }
    const peakAfterMutations = resourceUsage().maxRSS;
    for (const file of craftedHostileFiles()) {
      const started = performance.now();
      const rss0 = resourceUsage().maxRSS;
      try {
        parseInstrumentFile(file.bytes, { filename: file.filename, maxBytes: LIMIT });
        failures.push(`${file.name}: was accepted`);
      } catch (error) {
        if (!(error instanceof InstrumentFileError) || !CODES.includes(error.code)) failures.push(`${file.name}: threw ${(error as Error)?.name} ${(error as Error)?.message}`);
      }
      if (performance.now() - started > 5000) failures.push(`${file.name}: took ${Math.round(performance.now() - started)} ms`);
      // A bomb is refused at the limit: expanding it may cost about the limit, never what it declares.
      const jumpMiB = (resourceUsage().maxRSS - rss0) / 1024;
      if (jumpMiB > 128 + (4 * LIMIT) / 1024 / 1024) failures.push(`${file.name}: peak memory rose ${Math.round(jumpMiB)} MiB`);
      biggestJump = Math.max(biggestJump, jumpMiB);
    }
    // Garbage from a thousand parses adds up before the collector runs: the whole run may add at most 1 GiB to the peak.
    const peakGrowthMiB = (resourceUsage().maxRSS - peakBefore) / 1024;
    // eslint-disable-next-line no-console
    console.log(`parser fuzz: ${JSON.stringify(Object.fromEntries(seen))}; slowest ${Math.round(slowest)} ms; largest rise of the peak for one file ${Math.round(biggestJump)} MiB; peak RSS growth ${Math.round(peakGrowthMiB)} MiB (${Math.round((peakAfterMutations - peakBefore) / 1024)} MiB after the mutations); FUZZ_SEED=${SEED}`);
    expect(failures).toEqual([]);
    expect(peakGrowthMiB).toBeLessThan(1024);
    expect(seen.size).toBeGreaterThan(3);
  }, 180_000);

  describe('through HTTP', () => {
    let app: TestApp;
    let tech: string;
    let batchId: string;
    let watch: DbWatch;

    beforeAll(async () => {
      app = await TestApp.start({ worker: false, env: { INSTRUMENT_MAX_BYTES: String(LIMIT) } });
      const qa = await signInAs(app, 'qa_manager');
      tech = (await signInAs(app, 'technician')).token;
      batchId = await isolatedBatch(app, tech, (await productWithEffectiveSpec(app, qa)).productId);
      watch = await DbWatch.open(app);
    }, 120_000);
    afterAll(() => app?.close());

    it('answers mutated files on the parse and import routes with 2xx or a clean 4xx problem (422 for a bad file), storing nothing on refusal', async () => {
      const failures: string[] = [];
      const statuses = new Map<string, number>();
      for (const [i, spec] of SAMPLES.entries()) {
        const original = sample(spec.name);
        try {
          await fc.assert(
            fc.asyncProperty(mutationsFor(spec.name), fc.boolean(), async (mutation: Mutation, importIt) => {
              const bytes = mutation.apply(original);
              await watch.settle();
              const before = await watch.snapshot();
              const started = performance.now();
              const res = importIt
                ? await postForm(app, `/batches/${batchId}/results/import`, tech, { assay: spec.assay, performedAt: hoursAgo(1), ...spec.fields }, { filename: spec.name, content: bytes })
                : await postForm(app, '/instrument-files/parse', tech, {}, { filename: spec.name, content: bytes });
              const took = performance.now() - started;
              if (res.status < 400) await watch.settle();
              const after = await watch.snapshot();
              const key = `${res.status} ${res.body?.code ?? ''}`.trim();
              statuses.set(key, (statuses.get(key) ?? 0) + 1);
              const problems = contractProblems(res);
              if (res.status >= 400 && res.status !== 422 && !(res.status === 409 && importIt)) problems.push(`a bad file should be a 422, got ${res.status} ${res.body?.code}`);
              if (res.status === 422 && !String(res.body?.code).startsWith('instrument.')) problems.push(`422 with code ${res.body?.code}`);
              const changed = DbWatch.changed(before, after);
              if ((res.status >= 400 || !importIt) && changed.length) problems.push(`${importIt ? 'refused' : 'parse'} but changed ${changed.join(', ')}`);
              if (took > 5000) problems.push(`took ${Math.round(took)} ms`);
              if (problems.length) throw new Error(`${mutation.name} (${importIt ? 'import' : 'parse'}): ${problems.join('; ')}`);
            }),
            { seed: SEED + 100 + i, numRuns: RUNS * 2, endOnFailure: true },
          );
        } catch (error) {
          failures.push(`${spec.name}: ${(error as Error).message.split('\n').slice(0, 3).join(' | ')} ${((error as Error & { cause?: Error }).cause?.message ?? '').slice(0, 400)}`);
        }
      }
      // eslint-disable-next-line no-console
      console.log(`instrument uploads: ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(failures).toEqual([]);
      expect([...statuses.keys()].some((k) => k.startsWith('422 instrument.'))).toBe(true);
    }, 180_000);

    it('refuses bombs, liars and pathological files with 422 problem+json, quickly, storing nothing', async () => {
      const before = await watch.snapshot();
      const results: string[] = [];
      for (const file of craftedHostileFiles()) {
        for (const url of ['/instrument-files/parse', `/batches/${batchId}/results/import`]) {
          const started = performance.now();
          const res = await postForm(app, url, tech, url.endsWith('import') ? { assay: file.filename.endsWith('.rdml') ? 'qpcr' : file.filename.endsWith('.csv') ? 'nta' : file.filename.endsWith('.fcs') ? 'facs' : 'bioanalyzer', performedAt: hoursAgo(1), channel: 'FSC', threshold: '1', isotypeControlPercent: '1' } : {}, { filename: file.filename, content: file.bytes });
          const took = performance.now() - started;
          const problems = contractProblems(res);
          if (res.status !== 422 || !String(res.body?.code).startsWith('instrument.')) problems.push(`expected 422 instrument.*, got ${res.status} ${res.body?.code}`);
          if (took > 5000) problems.push(`took ${Math.round(took)} ms`);
          if (problems.length) results.push(`${file.name} on ${url}: ${problems.join('; ')}`);
        }
      }
      expect(results).toEqual([]);
      expect(await watch.snapshot()).toEqual(before);
    }, 120_000);
  });
});
