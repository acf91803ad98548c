import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ProductService } from '#batches';
import { HarvestService } from '#harvest';
import { AdminBootstrap, UserAdministration } from '#identity';
import { IsolationService, ReagentService } from '#isolation';
import { ResultsService } from '#characterization';
import { ReleaseGateJob, ReleaseService } from '#release';
import { SpecificationService } from '#specifications';
import type { AppConfig, CommandContext, Role } from '#platform';

/** Creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD when no admin exists yet. */
export async function bootstrapAdmin(app: INestApplicationContext, _config: AppConfig, logger: Logger): Promise<void> {
  const created = await app.get(AdminBootstrap).ensureAdmin();
  if (created) logger.info({ email: created }, 'created the first admin from ADMIN_EMAIL');
}

/** Results that pass the default specification (a cell-culture batch). */
const DEMO_RESULTS: Record<string, Record<string, unknown>> = {
  nta: { meanNm: 121.4, modeNm: 104.2, d10Nm: 78, d50Nm: 110, d90Nm: 198, concentrationPerMl: 3.1e11, dilutionFactor: 1000, videoCount: 5 },
  em: { method: 'tem', morphology: 'cup_shaped', sizeRangeMinNm: 40, sizeRangeMaxNm: 160 },
  western_blot: { markers: [{ marker: 'CD63', result: 'present', bandSizeKda: 53 }, { marker: 'TSG101', result: 'present', bandSizeKda: 44 }, { marker: 'calnexin', result: 'absent' }, { marker: 'CD9', result: 'present' }] },
  facs: { marker: 'CD63', percentPositive: 78.5, isotypeControlPercent: 2.1 },
  protein: { method: 'micro_bca', concentrationUgPerMl: 120 },
  rna_isolation: { kitName: 'Total Exosome RNA and Protein Isolation', yieldNg: 350 },
  bioanalyzer: { instrumentType: 'bioanalyzer', concentrationPgPerUl: 850, smallRnaFractionPercent: 62, smallRnaProfile: 'present' },
  qpcr: { targets: [{ target: 'miR-16-5p', cq: 24.1, isReference: true }, { target: 'miR-21-5p', cq: 26.7, isReference: false }] },
  sterility: { result: 'no_growth', method: 'USP <71>, 14 days' },
  endotoxin: { euPerMl: 0.12, method: 'kinetic_chromogenic' },
  mycoplasma: { result: 'negative', method: 'pcr' },
};

const DEMO_USERS: { role: Role; email: string; displayName: string }[] = [
  { role: 'technician', email: 'tech@demo.exolot.test', displayName: 'Demo Technician' },
  { role: 'qa_manager', email: 'qa@demo.exolot.test', displayName: 'Demo QA Manager' },
  { role: 'admin', email: 'admin@demo.exolot.test', displayName: 'Demo Admin' },
  { role: 'clinic', email: 'clinic@demo.exolot.test', displayName: 'Demo Clinic User' },
];

/**
 * A realistic demo: one user per role (credentials printed once), a product, reagent lots
 * (one expired), and batches at different stages. Refuses to run in production.
 */
export async function seedDemo(app: INestApplicationContext, config: AppConfig, logger: Logger): Promise<void> {
  if (config.env === 'production') throw new Error('The demo seed refuses to run with NODE_ENV=production.');
  const dataSource = app.get(DataSource);
  const [existing] = await dataSource.query(`SELECT 1 FROM products WHERE code = 'EXO-MSC-AD'`);
  if (existing) {
    logger.info('demo data already present; nothing seeded');
    return;
  }
  const users = app.get(UserAdministration);
  const [clinic] = await dataSource.query(`INSERT INTO clinics (code, name, country) VALUES ('DEMO-CLINIC', 'Demo Aesthetic Clinic', 'NL') ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id`);
  const credentials: { role: Role; email: string; password: string; id: string }[] = [];
  for (const user of DEMO_USERS) {
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    const id = await users.createSeedUser({ ...user, password, clinicId: user.role === 'clinic' ? clinic.id : null });
    credentials.push({ role: user.role, email: user.email, password, id });
  }
  const tech = credentials.find((c) => c.role === 'technician')!;
  const qa = credentials.find((c) => c.role === 'qa_manager')!;
  const techCtx: CommandContext = { actor: { userId: tech.id, displayName: 'Demo Technician', role: 'technician', clinicId: null, sessionId: '' }, requestId: 'demo-seed' };
  const qaCtx: CommandContext = { actor: { userId: qa.id, displayName: 'Demo QA Manager', role: 'qa_manager', clinicId: null, sessionId: '' }, requestId: 'demo-seed' };

  const product = (await app.get(ProductService).create(qaCtx, {
    code: 'EXO-MSC-AD', name: 'Adipose MSC exosome concentrate', shelfLifeDays: 365, gtin: '09506000134352',
    description: 'Small EVs from adipose-derived mesenchymal stromal cell conditioned media, for topical use after microneedling or laser.',
  })) as { id: string };
  const reagents = app.get(ReagentService);
  const teiMedia = (await reagents.createReagent(techCtx, { name: 'Total Exosome Isolation (from cell culture media)', manufacturer: 'Invitrogen', catalogueNumber: '4478359', kind: 'precipitation', intendedSource: 'cell_culture_media' })) as { id: string };
  const teiSerum = (await reagents.createReagent(techCtx, { name: 'Total Exosome Isolation (from serum)', manufacturer: 'Invitrogen', catalogueNumber: '4478360', kind: 'precipitation', intendedSource: 'serum' })) as { id: string };
  const pbs = (await reagents.createReagent(techCtx, { name: 'PBS, sterile-filtered', manufacturer: 'Gibco', catalogueNumber: '10010023', kind: 'buffer', intendedSource: 'any' })) as { id: string };
  const year = new Date().getUTCFullYear();
  const mediaLot = (await reagents.createLot(techCtx, teiMedia.id, { lotNumber: `TEI-M-${year}A`, expiryDate: `${year + 1}-12-31`, receivedDate: `${year}-01-15` })) as { id: string };
  await reagents.createLot(techCtx, teiMedia.id, { lotNumber: `TEI-M-${year - 2}X`, expiryDate: `${year - 1}-06-30`, receivedDate: `${year - 2}-05-01` });
  const serumLot = (await reagents.createLot(techCtx, teiSerum.id, { lotNumber: `TEI-S-${year}B`, expiryDate: `${year + 1}-09-30`, receivedDate: `${year}-02-01` })) as { id: string };
  const pbsLot = (await reagents.createLot(techCtx, pbs.id, { lotNumber: `PBS-${year}-07`, expiryDate: `${year + 2}-07-31`, receivedDate: `${year}-07-01` })) as { id: string };

  const harvests = app.get(HarvestService);
  const isolation = app.get(IsolationService);
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString();
  const cellCulture = { producingCellType: 'msc' as const, sourceTissue: 'adipose' as const, passageNumber: 4, confluencePercent: 85, cultureDays: 3, mediaVolumeMl: 500, evDepletedMedia: true };
  await harvests.recordHarvest(techCtx, { productId: product.id, sourceType: 'cell_culture_media', originClass: 'human_cell_derived', harvestedAt: at(2), cellCulture });
  const inIsolation = (await harvests.recordHarvest(techCtx, { productId: product.id, sourceType: 'serum', originClass: 'human_serum', harvestedAt: at(30), serum: { donorPseudonym: 'DNR-7F3K2', consentReference: 'CONSENT-2026-0042', collectionDate: at(40).slice(0, 10), volumeMl: 20, haemolysisCheck: 'passed' } })) as { id: string };
  await isolation.recordStep(techCtx, inIsolation.id, { stepType: 'pre_clearing_spin', performedAt: at(29), parameters: { gForce: 2000, durationMinutes: 30, temperatureC: 4 } });
  await isolation.recordStep(techCtx, inIsolation.id, { stepType: 'precipitation', reagentLotId: serumLot.id, performedAt: at(28), parameters: { sampleVolumeMl: 20, reagentVolumeMl: 4 } });
  const isolated = (await harvests.recordHarvest(techCtx, { productId: product.id, sourceType: 'cell_culture_media', originClass: 'human_cell_derived', harvestedAt: at(72), cellCulture: { ...cellCulture, passageNumber: 5 } })) as { id: string };
  const steps = [
    { stepType: 'pre_clearing_spin' as const, performedAt: at(71), parameters: { gForce: 2000, durationMinutes: 30, temperatureC: 4 } },
    { stepType: 'precipitation' as const, reagentLotId: mediaLot.id, performedAt: at(70), parameters: { sampleVolumeMl: 500, reagentVolumeMl: 250 } },
    { stepType: 'incubation' as const, performedAt: at(69), parameters: { durationMinutes: 720, temperatureC: 4 } },
    { stepType: 'pelleting_spin' as const, performedAt: at(57), parameters: { gForce: 10000, durationMinutes: 60, temperatureC: 4 } },
    { stepType: 'resuspension' as const, reagentLotId: pbsLot.id, performedAt: at(56), parameters: { resuspensionVolumeMl: 5 } },
  ];
  for (const step of steps) await isolation.recordStep(techCtx, isolated.id, step);
  await isolation.completeIsolation(techCtx, isolated.id, { yieldVolumeMl: 5 });

  // The default specification, signed effective by the demo QA manager.
  const specs = app.get(SpecificationService);
  const spec = await specs.createDraft(qaCtx, product.id, { fromTemplate: 'misev-default' });
  await specs.approve(qaCtx, spec.id, qa.password, 'Initial release specification (demo)');

  // Two more batches through characterization: one waits for QA release, one is released.
  const results = app.get(ResultsService);
  const gate = app.get(ReleaseGateJob);
  const pendingIds: string[] = [];
  for (const passage of [6, 7]) {
    const batch = (await harvests.recordHarvest(techCtx, { productId: product.id, sourceType: 'cell_culture_media', originClass: 'human_cell_derived', harvestedAt: at(200 + passage), cellCulture: { ...cellCulture, passageNumber: passage } })) as { id: string };
    for (const step of steps) await isolation.recordStep(techCtx, batch.id, { ...step, performedAt: at(190 + passage) });
    await isolation.completeIsolation(techCtx, batch.id, { yieldVolumeMl: 5 });
    for (const [assay, data] of Object.entries(DEMO_RESULTS)) await results.record(techCtx, batch.id, assay as never, { performedAt: at(150), instrument: 'demo', data });
    await gate.evaluate(batch.id);
    pendingIds.push(batch.id);
  }
  await app.get(ReleaseService).approve(qaCtx, pendingIds[1], qa.password);

  logger.info('demo data seeded: 1 product with an effective specification, 4 reagent lots (1 expired), 5 batches (harvested, isolation in progress, isolated, release pending, released)');
  // Printed once, to the console only; they are never stored in clear.
  console.log('\nDemo users (printed once; change them in production-like use):');
  for (const c of credentials) console.log(`  ${c.role.padEnd(11)} ${c.email.padEnd(28)} ${c.password}`);
  console.log('');
}
