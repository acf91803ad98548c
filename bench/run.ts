import { performance } from 'node:perf_hooks';
import { coldChainSection } from './cold-chain.js';
import { fcsSection } from './fcs-parse.js';
import { gateLatencySection } from './gate-latency.js';
import { lookupSection } from './lookup.js';
import { recordingSection } from './result-recording.js';
import { type BenchSection, fixed } from './section.js';

/**
 * `npm run bench` runs every section; `npm run bench -- fcs recording` runs the named ones.
 * A new section is one file exporting a BenchSection, added to this list.
 */
const SECTIONS: BenchSection[] = [fcsSection, recordingSection, coldChainSection, gateLatencySection, lookupSection];

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const unknown = names.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length) {
    console.error(`Unknown bench section(s): ${unknown.join(', ')}. Available: ${SECTIONS.map((s) => s.name).join(', ')}.`);
    process.exit(2);
  }
  const chosen = names.length ? SECTIONS.filter((s) => names.includes(s.name)) : SECTIONS;
  console.log(`Exolot bench — node ${process.version}, ${process.platform}/${process.arch}; sections: ${chosen.map((s) => s.name).join(', ')}`);
  const started = performance.now();
  for (const section of chosen) await section.run();
  console.log(`\nTotal ${fixed((performance.now() - started) / 1000, 1)} s`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
