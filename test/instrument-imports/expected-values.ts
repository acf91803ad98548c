import { readFileSync } from 'node:fs';

export { STEPONE_CQ, TAPESTATION } from '../../libs/instruments/test/verified-values.js';

/**
 * Values the instrument parser tests verified independently (Python's struct / zipfile /
 * xml.etree and reading the files by eye), copied from libs/instruments/test/*.spec.ts so
 * the HTTP layer is held to the same numbers. Keep in step with those files.
 */
export function sample(name: string): Buffer {
  return readFileSync(new URL(`../../libs/instruments/test/fixtures/${name}`, import.meta.url));
}

/** nta.spec.ts: the Average column and the number-weighted [Size Data] block of nanosight_beads_nta3.2.csv. */
export const NTA = {
  average: { meanNm: 100.5, modeNm: 95.3, sdNm: 19.1, d10Nm: 84.7, d50Nm: 96.4, d90Nm: 113.3, concentrationPerMl: 1470000000, dilutionFactor: null },
  videoCount: 12,
  binCount: 1000,
  bin100: { binCentreNm: 99.5, concentrationPerMl: 53468472 },
  softwareVersion: 'NTA 3.2 Dev Build 3.2.16',
};

/** fcs.spec.ts: event counts and % above threshold counted over all events. */
export const FORTESSA = { eventCount: 11585, parameters: 11, percent: { FSC_A_above_1000: (4962 / 11585) * 100, PE_TexasRed_A_above_100: (47 / 11585) * 100 } };
export const CYFLOW = { eventCount: 725, percent: { FL1_above_100: (16 / 725) * 100, TIME_above_1000: (309 / 725) * 100 } };
export const VARIABLE_INT = { eventCount: 2, parameters: 26 };


