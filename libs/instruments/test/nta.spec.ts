import { InstrumentFileError, parseNtaExperimentSummary } from '../src/index.js';
import { captureInstrumentError, fixture } from './helpers.js';

// Expected values quoted by eye from nanosight_beads_nta3.2.csv:
//   line 2   "Created with NTA 3.2 Dev Build 3.2.16"
//   line 14  "Filename:" row, 12 video names
//   line 42  "[Results],...,Average,Standard Error" (columns 13 and 14)
//   line 43  dilution factor "Not recorded" for every video
//   line 44  "Concentration (Particles / ml),1430000000,1280000000,...,1180000000,1470000000,107000000"
//   lines 79-84  Mean/Mode/SD/D10/D50/D90 rows of [Size Data]
//   line 187 "99.5,63257620,...,35598715,53468472,3368989" (bin 100 of 1000, lines 88-1087)
const CONCENTRATIONS = [1430000000, 1280000000, 1180000000, 2510000000, 1800000000, 1520000000, 1300000000, 1360000000, 1180000000, 1460000000, 1400000000, 1180000000];
const MEANS = [98.7, 97.9, 99.4, 96.4, 97.2, 97.8, 109.9, 107.1, 104.5, 99.3, 98.7, 98.7];
const D50S = [96, 95, 97, 94.7, 95.1, 95.3, 98, 98.2, 98.7, 96.5, 96.1, 95.9];

describe('NanoSight NTA experiment summary', () => {
  const summary = parseNtaExperimentSummary(fixture('nanosight_beads_nta3.2.csv'));

  it('reads version, videos and per-video results', () => {
    expect(summary.softwareVersion).toBe('NTA 3.2 Dev Build 3.2.16');
    expect(summary.ntaVersion).toBe('3.2');
    expect(summary.experimentName).toBe('std_combined.nano');
    expect(summary.videoCount).toBe(12);
    expect(summary.videos[0].name).toBe('std_10000_yes_2_00');
    expect(summary.videos[11].name).toBe('std_10000_no_1_02');
    expect(summary.videos.map((v) => v.concentrationPerMl)).toEqual(CONCENTRATIONS);
    expect(summary.videos.map((v) => v.meanNm)).toEqual(MEANS);
    expect(summary.videos.map((v) => v.d50Nm)).toEqual(D50S);
    expect(summary.videos[6]).toMatchObject({ modeNm: 96.3, sdNm: 55.2, d10Nm: 85.6, d90Nm: 119.4, dilutionFactor: null });
  });

  it('reads the Average and Standard Error columns', () => {
    expect(summary.average).toEqual({
      meanNm: 100.5, modeNm: 95.3, sdNm: 19.1, d10Nm: 84.7, d50Nm: 96.4, d90Nm: 113.3, concentrationPerMl: 1470000000, dilutionFactor: null,
    });
    expect(summary.standardError).toEqual({
      meanNm: 1.2, modeNm: 0.5, sdNm: 3.8, d10Nm: 0.8, d50Nm: 0.4, d90Nm: 1.2, concentrationPerMl: 107000000, dilutionFactor: null,
    });
    expect(summary.dilutionFactor).toBeNull();
  });

  it('reads the number-weighted size distribution', () => {
    const distribution = summary.sizeDistribution;
    expect(distribution?.weighting).toBe('Number');
    expect(distribution?.bins).toHaveLength(1000);
    expect(distribution?.bins[0]).toMatchObject({ binCentreNm: 0.5, concentrationPerMl: 0 });
    expect(distribution?.bins[99]).toEqual({
      binCentreNm: 99.5,
      concentrationPerMl: 53468472,
      standardError: 3368989,
      perVideo: [63257620, 52489530, 56018232, 82438382, 55735405, 51276335, 45774667, 49084787, 46503210, 44889653, 58555127, 35598715],
    });
    expect(distribution?.bins[999].binCentreNm).toBe(999.5);
  });

  it('reports the warning table and no warnings when all are OK', () => {
    expect(summary.concentrationWarnings.map((row) => row.label)).toContain('Validity of concentration measurement');
    expect(summary.warnings).toEqual([]);
  });

  it('matches rows by label regardless of order, case, BOM, CRLF and quoting (3.3/3.4-style layout)', () => {
    // A hand-written 2-video file in the NTA 3.4 shape: stats per weighting block, rows reordered,
    // labels in other case, quoted cells, a BOM, a warning and a numeric dilution.
    const csv = [
      'NTA Experiment Summary File',
      'Created with NTA 3.4 Build 3.4.4',
      '[Experiment Details]',
      'Software Version,3.4.4',
      'Sample Name,"EV prep, lot 7"',
      'Filename:,vid_a,vid_b',
      '[Results],,,Average,Standard Error',
      'CONCENTRATION (PARTICLES / ML),"2.0E+09",4.0E+09,3.0E+09,1.0E+09',
      'Dilution factor (concentrations adjusted for this factor),100,100,100,',
      '[Concentration Warnings]',
      'Particles per frame,OK,Too low',
      '[Size Data]',
      'Weighting,Volume',
      'Filename,vid_a,vid_b,Average,Standard Error',
      'Mean,500,500,500,0',
      '',
      'Weighting,Number',
      'Filename,vid_a,vid_b,Average,Standard Error',
      'd90,140,150,145,5',
      'Mode,95,105,100,5',
      '  mean ,110,120,115,5',
      'Bin centre (nm),Concentration (particles / ml),Concentration (particles / ml),Concentration average,Standard Error',
      '50,1,3,2,1',
      '150,5,7,6,1',
      '',
    ].join('\r\n');
    const parsed = parseNtaExperimentSummary(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]));
    expect(parsed.softwareVersion).toBe('3.4.4');
    expect(parsed.ntaVersion).toBe('3.4');
    expect(parsed.sampleName).toBe('EV prep, lot 7');
    expect(parsed.videos.map((v) => [v.name, v.meanNm, v.modeNm, v.d90Nm, v.concentrationPerMl, v.dilutionFactor])).toEqual([
      ['vid_a', 110, 95, 140, 2e9, 100],
      ['vid_b', 120, 105, 150, 4e9, 100],
    ]);
    expect(parsed.average).toMatchObject({ meanNm: 115, concentrationPerMl: 3e9, dilutionFactor: 100, d10Nm: null });
    expect(parsed.dilutionFactor).toBe(100);
    expect(parsed.sizeDistribution?.weighting).toBe('Number');
    expect(parsed.sizeDistribution?.bins.map((b) => [b.binCentreNm, b.concentrationPerMl])).toEqual([[50, 2], [150, 6]]);
    expect(parsed.warnings).toEqual(['Particles per frame: Too low (video 2, vid_b)']);
  });

  it('refuses other CSV files and summaries without results', () => {
    const other = captureInstrumentError(() => parseNtaExperimentSummary(Buffer.from('a,b,c\n1,2,3\n')));
    expect(other.code).toBe('instrument.unrecognised_format');
    expect(other.where.line).toBe(1);
    const noResults = captureInstrumentError(() => parseNtaExperimentSummary(Buffer.from('NTA Experiment Summary File\n[Experiment Details]\n')));
    expect(noResults.code).toBe('instrument.missing_content');
    expect(noResults.where.section).toBe('[Results]');
  });

  it('reports an unterminated quoted field with its line', () => {
    const error = captureInstrumentError(() => parseNtaExperimentSummary(Buffer.from('NTA Experiment Summary File\n[Results]\nRemarks,"never closed\n')));
    expect(error).toBeInstanceOf(InstrumentFileError);
    expect(error.code).toBe('instrument.truncated');
    expect(error.where.line).toBe(3);
  });
});
