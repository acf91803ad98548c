/** Values verified independently of the parsers (see each comment); shared by the parser and HTTP tests. */

// Expected values extracted independently with Python (zipfile + xml.etree.ElementTree, the
// http://www.rdml.org namespace): version attribute, <target>/<sample> ids, and for every
// <react> the <sample id>, each <data>'s <tar id> and <cq> text.
export const STEPONE_CQ: [string, string, number][] = [
  ['A1', 'NTC_RNase P', 40.0], ['A2', 'NTC_RNase P', 40.0], ['A3', 'NTC_RNase P', 40.0],
  ['A4', 'pop1_RNase P', 28.96287], ['A5', 'pop1_RNase P', 28.838797], ['A6', 'pop1_RNase P', 28.96972],
  ['A7', 'pop2_RNase P', 27.976233], ['A8', 'pop2_RNase P', 27.968481], ['B1', 'pop2_RNase P', 27.931858],
  ['B2', 'STD_RNase P_10000.0', 26.874498], ['B3', 'STD_RNase P_10000.0', 26.834158], ['B4', 'STD_RNase P_10000.0', 26.867296],
  ['B5', 'STD_RNase P_5000.0', 27.843782], ['B6', 'STD_RNase P_5000.0', 27.907658], ['B7', 'STD_RNase P_5000.0', 27.931719],
  ['B8', 'STD_RNase P_2500.0', 28.973732], ['C1', 'STD_RNase P_2500.0', 29.005375], ['C2', 'STD_RNase P_2500.0', 28.965023],
  ['C3', 'STD_RNase P_1250.0', 29.93595], ['C4', 'STD_RNase P_1250.0', 29.9701], ['C5', 'STD_RNase P_1250.0', 30.050293],
  ['C6', 'STD_RNase P_625.0', 31.05255], ['C7', 'STD_RNase P_625.0', 31.052055], ['C8', 'STD_RNase P_625.0', 31.035166],
];

// Expected rows extracted independently with Python (gzip + xml.etree.ElementTree):
// for each File/Samples/Sample: WellNumber, Comment, Concentration, RNA/RINe;
// the unit is File/Assay/Units/ConcentrationUnit ("ng/µl").
export const TAPESTATION: [string, string, number, number | null][] = [
  ['A1', 'Ladder', 132, null],
  ['B1', 'rat kidney 0min 94°C', 363, 8.6],
  ['C1', 'rat kidney 5min 94°C', 348, 6.9],
  ['D1', 'rat kidney 5min 94°C', 319, 6.7],
  ['E1', 'rat kidney 10min 94°C', 335, 5.0],
  ['F1', 'rat kidney 10min 94°C', 335, 5.0],
  ['G1', 'rat kidney 15min 94°C', 318, 3.2],
  ['H1', 'Ladder', 105, 8.7],
  ['A2', 'rat kidney 0min 94°C', 397, 8.8],
  ['B2', 'rat kidney 0min 94°C', 399, 8.7],
  ['C2', 'rat kidney 5min 94°C', 372, 7.0],
  ['D2', 'rat kidney 5min 94°C', 379, 7.0],
  ['E2', 'rat kidney 10min 94°C', 358, 5.0],
  ['F2', 'rat kidney 10min 94°C', 344, 5.0],
  ['G2', 'rat kidney 15min 94°C', 325, 3.2],
  ['H2', 'rat kidney 15min 94°C', 349, 3.2],
];
