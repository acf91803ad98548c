import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, Service, Session } from './harness.js';

/**
 * The whole path through the web app, as people click it: QA signs a specification effective;
 * a technician records a harvest, isolation and every result (NTA by file import, one
 * correction); QA signs the release (after a wrong password); the technician fills vials and
 * stores one by scanning its serial and ships one to a clinic chosen from the clinic directory;
 * the clinic receives it and records use; anyone verifies a vial on the public page; QA
 * quarantines the released batch and lifts the hold with a signature; an admin changes a user's
 * role and deactivates and reactivates the account; roles cannot open each other's pages.
 */
const ADMIN = { email: 'ui-admin@exolot.test', password: 'ui-admin-password-1' };
const PASSWORD = 'ui-user-password-1';
const USERS = {
  tech: { email: 'tech@ui.exolot.test', displayName: 'Tina Technician', role: 'technician' },
  qa: { email: 'qa@ui.exolot.test', displayName: 'Quinn QA', role: 'qa_manager' },
  clinic: { email: 'clinic@ui.exolot.test', displayName: 'Clara Clinic', role: 'clinic' },
  mover: { email: 'mover@ui.exolot.test', displayName: 'Morgan Mover', role: 'technician' },
} as const;
const NTA_FILE = 'libs/instruments/test/fixtures/nanosight_beads_nta3.2.csv';

describe('the web app, harvest to clinic verification, in Chromium', () => {
  let service: Service;
  let browser: Browser;
  const sessions: Session[] = [];
  let qa: Session;
  let tech: Session;
  let clinic: Session;
  let adminToken: string;
  let techToken: string;
  let clinicId: string;
  let lotId: string;
  let batchId: string;
  let batchNumber: string;
  let serials: string[] = [];

  async function open(user: keyof typeof USERS | 'admin', viewport?: { width: number; height: number }): Promise<Session> {
    const s = await Session.open(browser, service.base, viewport);
    sessions.push(s);
    if (user === 'admin') await s.signIn(ADMIN.email, ADMIN.password);
    else await s.signIn(USERS[user].email, PASSWORD);
    return s;
  }

  async function batchState(): Promise<string> {
    return (await service.api<{ state: string }>('GET', `/batches/${batchId}`, techToken)).state;
  }

  async function waitForState(expected: string, timeoutMs = 60_000): Promise<void> {
    const started = Date.now();
    let state = '';
    while (Date.now() - started < timeoutMs) {
      state = await batchState();
      if (state === expected) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`batch is ${state}, expected ${expected}`);
  }

  beforeAll(async () => {
    service = await Service.start(ADMIN);
    browser = await launchChromium();
    adminToken = await service.login(ADMIN.email, ADMIN.password);
    clinicId = (await service.api<{ id: string }>('POST', '/clinics', adminToken, { code: 'CLN-UI-01', name: 'Canal Skin Clinic', country: 'NL' })).id;
    // A second clinic, so that choosing from the directory matters.
    await service.api('POST', '/clinics', adminToken, { code: 'CLN-UI-02', name: 'Harbour Dermatology', country: 'BE' });
    for (const u of Object.values(USERS)) {
      await service.api('POST', '/users', adminToken, { ...u, password: PASSWORD, ...(u.role === 'clinic' ? { clinicId } : {}) });
    }
    const qaToken = await service.login(USERS.qa.email, PASSWORD);
    techToken = await service.login(USERS.tech.email, PASSWORD);
    await service.api('POST', '/products', qaToken, { code: 'EXO-MSC-UI', name: 'Adipose MSC exosome concentrate', shelfLifeDays: 365, gtin: '09506000134352' });
    const reagent = await service.api<{ id: string }>('POST', '/reagents', techToken, { name: 'Total Exosome Isolation (from cell culture media)', manufacturer: 'Invitrogen', catalogueNumber: '4478359', kind: 'precipitation', intendedSource: 'cell_culture_media' });
    const year = new Date().getUTCFullYear();
    lotId = (await service.api<{ id: string }>('POST', `/reagents/${reagent.id}/lots`, techToken, { lotNumber: `TEI-M-${year}A`, expiryDate: `${year + 1}-12-31`, receivedDate: `${year}-01-15` })).id;
  }, 180_000);

  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await browser?.close();
    await service?.stop();
  });

  afterEach(() => {
    for (const s of sessions) expect(s.errors).toEqual([]);
  });

  it('serves the app at / and keeps the API, its docs and the problem+json 404', async () => {
    const root = await fetch(`${service.base}/`);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
    expect(await root.text()).toContain('<div id="root">');
    const unknown = await fetch(`${service.base}/no-such-route`, { headers: { accept: 'application/json' } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await fetch(`${service.base}/docs/openapi.json`)).status).toBe(200);
    const deepLink = await fetch(`${service.base}/lab/worklist`, { headers: { accept: 'text/html' } });
    expect(deepLink.status).toBe(200);
    expect(await deepLink.text()).toContain('<div id="root">');
  });

  it('QA signs the default specification effective', async () => {
    qa = await open('qa');
    const page = qa.page;
    await page.getByRole('link', { name: 'Specifications' }).click();
    await page.getByText('New draft version').click();
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.getByText('Draft version 1 created.').waitFor();
    await page.getByRole('button', { name: 'Sign to make effective…' }).click();
    await expect(page.getByTestId('signature-meaning').textContent()).resolves.toBe('Specification approved');
    await qa.shot('qa-specification-signature-dialog');
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign: Specification approved' }).click();
    await page.getByText('Version 1 is now effective.').waitFor();
    await qa.shot('qa-specifications');
  });

  it('a technician records a harvest (field errors shown on the form first), then isolation', async () => {
    tech = await open('tech');
    const page = tech.page;
    await page.getByRole('link', { name: 'New harvest' }).click();
    await page.getByLabel('Source tissue').selectOption('adipose');
    await page.getByLabel('Culture days').fill('3');
    await page.getByLabel('Conditioned media volume').fill('500');
    await page.getByLabel('Confluence').fill('85');
    await page.getByRole('button', { name: 'Record harvest' }).click();
    // Passage number left empty: the API's field error lands under that field.
    const passage = page.getByLabel('Passage number');
    await page.locator('.field.has-error').filter({ hasText: 'Passage number' }).getByRole('alert').waitFor();
    await expect(passage.getAttribute('aria-invalid')).resolves.toBe('true');
    await tech.shot('tech-harvest-form-errors');
    await passage.fill('4');
    await page.getByRole('button', { name: 'Record harvest' }).click();
    await page.getByText('Harvest recorded: the batch is open.').waitFor();
    batchId = page.url().split('/lab/batches/')[1].split('?')[0];
    batchNumber = (await service.api<{ batchNumber: string }>('GET', `/batches/${batchId}`, techToken)).batchNumber;

    await page.getByLabel('Step', { exact: true }).selectOption('pre_clearing_spin');
    await page.getByLabel('Relative centrifugal force').fill('2000');
    await page.getByLabel('Duration').fill('30');
    await page.getByLabel('Temperature').fill('4');
    await page.getByRole('button', { name: 'Record step' }).click();
    await page.getByText('Step recorded: Pre clearing spin.').waitFor();

    await page.getByLabel('Step', { exact: true }).selectOption('precipitation');
    await page.getByLabel('Reagent lot').selectOption(lotId);
    await page.getByLabel('Sample volume').fill('500');
    await page.getByLabel('Reagent volume').fill('250');
    await page.getByRole('button', { name: 'Record step' }).click();
    await page.getByText('Step recorded: Precipitation.').waitFor();
    await tech.shot('tech-batch-isolation');

    await page.getByLabel('Isolated yield').fill('5');
    await page.getByRole('button', { name: 'Complete isolation' }).click();
    await page.getByText('Isolation complete').waitFor();
    expect(await batchState()).toBe('isolated');
  });

  it('records every result: NTA by importing the instrument file after its preview, the rest by hand, one corrected', async () => {
    const page = tech.page;
    await page.goto(`/lab/batches/${batchId}?tab=results`);
    await page.getByRole('button', { name: 'Import an instrument file' }).click();
    await page.getByLabel('Instrument file', { exact: true }).setInputFiles({ name: 'nanosight_beads_nta3.2.csv', mimeType: 'text/csv', buffer: readFileSync(NTA_FILE) });
    await page.getByLabel('Instrument', { exact: true }).fill('NanoSight NS300 #2');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('import-preview').waitFor();
    await page.getByTestId('nta-chart').locator('canvas').first().waitFor();
    await tech.shot('tech-import-preview-nta');
    await page.getByRole('button', { name: 'Import as result' }).click();
    await page.getByText(/NTA \(nanoparticle tracking\) imported from nanosight_beads_nta3\.2\.csv: within specification/).waitFor();

    const manual: [string, Record<string, string>][] = [
      ['em', { 'data.method': 'tem', 'data.morphology': 'cup_shaped', 'data.sizeRangeMinNm': '40', 'data.sizeRangeMaxNm': '160' }],
      ['western_blot', { 'data.markers.0.result': 'present', 'data.markers.0.bandSizeKda': '53', 'data.markers.1.result': 'present', 'data.markers.3.result': 'absent' }],
      ['facs', { 'data.marker': 'CD63', 'data.percentPositive': '78.5', 'data.isotypeControlPercent': '2.1' }],
      ['protein', { 'data.method': 'micro_bca', 'data.concentrationUgPerMl': '0.5' }],
      ['rna_isolation', { 'data.kitName': 'Total Exosome RNA and Protein Isolation', 'data.yieldNg': '350' }],
      ['bioanalyzer', { 'data.instrumentType': 'bioanalyzer', 'data.concentrationPgPerUl': '850', 'data.smallRnaProfile': 'present' }],
      ['qpcr', { 'data.targets.0.cq': '24.1', 'data.targets.1.cq': '26.7' }],
      ['sterility', { 'data.result': 'no_growth' }],
      ['endotoxin', { 'data.euPerMl': '0.12' }],
      ['mycoplasma', { 'data.result': 'negative' }],
    ];
    for (const [assay, values] of manual) {
      await page.getByRole('button', { name: 'Enter a result' }).click().catch(async (e) => { await tech.shot('debug-enter'); throw e; });
      await page.getByLabel('Assay', { exact: true }).waitFor({ timeout: 5000 }).catch(async (e) => { await tech.shot('debug-assay'); throw e; });
      await page.getByLabel('Assay', { exact: true }).selectOption(assay);
      for (const [name, value] of Object.entries(values)) {
        const field = page.locator(`[name="${name}"]`);
        if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
        else await field.fill(value);
      }
      if (assay === 'protein') {
        // The inline verdict previews the purity ratio from the imported NTA concentration.
        await page.locator('.inline-verdict[data-parameter="purityParticlesPerUg"] [data-verdict="pass"]').waitFor();
        await tech.shot('tech-result-entry-inline-verdict');
      }
      await page.getByRole('button', { name: /^Record / }).click();
      await page.getByRole('heading', { name: 'Enter a result' }).waitFor({ state: 'detached' });
      await page.locator('.alert-success').getByText(/recorded: within specification\./).waitFor();
    }
    // A correction is a new version with its reason.
    const endotoxin = page.locator('article[data-assay="endotoxin"]');
    await endotoxin.getByRole('button', { name: 'Correct' }).click();
    await endotoxin.locator('[name="data.euPerMl"]').fill('0.1');
    await endotoxin.getByLabel('Reason for the correction').fill('Transcription error: the reader printed 0.10 EU/mL');
    await endotoxin.getByRole('button', { name: 'Save correction' }).click();
    await page.getByText('Endotoxin (LAL) corrected: version 2 (pass).').waitFor();
    await tech.shot('tech-batch-results');
    await waitForState('release_pending');
    await page.goto(`/lab/batches/${batchId}?tab=overview`);
    await page.getByTestId('timeline').waitFor();
    await tech.shot('tech-batch-timeline');
    await page.goto('/lab/worklist');
    await page.getByRole('link', { name: new RegExp(batchNumber) }).waitFor();
    await tech.shot('tech-worklist');
    await page.goto('/lab/reagents');
    await page.getByRole('cell', { name: /TEI-M-/ }).waitFor();
    await tech.shot('tech-reagent-lots');
  });

  it('QA reviews the checklist and signs the release; a wrong password is refused with the API message', async () => {
    const page = qa.page;
    await page.getByRole('link', { name: 'Release queue' }).click();
    await page.getByRole('link', { name: `Review ${batchNumber}` }).click();
    await page.getByTestId('checklist').getByText('Every line passes').waitFor();
    await qa.shot('qa-release-review');
    await page.getByRole('button', { name: 'Approve for release…' }).click();
    await expect(page.getByTestId('signature-meaning').textContent()).resolves.toBe('Approved for release');
    await page.getByLabel('Your password').fill('not-my-password');
    await page.getByRole('button', { name: 'Sign: Approved for release' }).click();
    const refusal = page.locator('dialog[open] .alert-error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('password is not correct');
    await qa.shot('qa-signature-wrong-password');
    expect(await batchState()).toBe('release_pending');
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign: Approved for release' }).click();
    await page.getByTestId('decision').getByText(/Released as lot L\d{4}-\d{5}/).waitFor();
    expect(await batchState()).toBe('released');
    await qa.shot('qa-release-signed');
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByTestId('chain-result').getByText('Chain intact').waitFor();
    await qa.shot('qa-audit-trail');
    await page.getByRole('link', { name: 'Investigations' }).click();
    await page.getByRole('heading', { name: 'Investigations' }).waitFor();
    await qa.shot('qa-investigations');
  });

  it('the technician fills vials, prints labels and stores a vial by scanning its serial into the box map', async () => {
    const page = tech.page;
    await page.goto(`/lab/batches/${batchId}?tab=vials`);
    await page.getByLabel('Solution lot').fill('HA-2611-07');
    await page.getByLabel('Number of vials').fill('2');
    await page.getByRole('button', { name: 'Fill vials' }).click();
    await page.getByTestId('vials').locator('tbody tr').nth(1).waitFor();
    serials = await page.getByTestId('vials').locator('tbody tr td:first-child').allTextContents();
    expect(serials).toHaveLength(2);
    await page.getByRole('button', { name: /Print labels/ }).waitFor();
    await page.getByTestId('label-preview').locator('img').waitFor();
    await tech.shot('tech-vials-and-labels');

    const site = await service.api<{ id: string }>('POST', '/storage/sites', techToken, { code: 'AMS-1', name: 'Amsterdam lab' });
    // No grace period, so the short excursion below counts at once.
    const freezer = await service.api<{ id: string }>('POST', '/storage/freezers', techToken, { siteId: site.id, code: 'ULT-01', name: 'Ultra-low freezer 1', setPointC: -80, alarmHighC: -60, graceSeconds: 0 });
    const rack = await service.api<{ id: string }>('POST', `/storage/freezers/${freezer.id}/racks`, techToken, { code: 'R1' });
    await service.api('POST', `/storage/racks/${rack.id}/boxes`, techToken, { code: 'BOX-0001', rows: 9, cols: 9 });

    await page.getByRole('link', { name: 'Storage' }).click();
    await page.getByTestId('box-map').waitFor();
    await page.getByRole('gridcell', { name: 'A1: free' }).click();
    await page.getByLabel('Vial serial').fill(serials[0]);
    await page.getByRole('button', { name: 'Store', exact: true }).click();
    await page.getByText(`Vial ${serials[0]} stored at A1.`).waitFor();
    await page.getByRole('gridcell', { name: new RegExp(`A1: vial ${serials[0]}`) }).waitFor();
    // The same position again: the API's 409 names the occupant.
    await page.getByRole('gridcell', { name: /A1: vial/ }).click();
    await page.getByLabel('Vial serial').fill(serials[1]);
    await page.getByRole('button', { name: 'Store', exact: true }).click();
    await page.locator('.alert-error').getByText(/occupied by vial/).waitFor();

    // The freezer's logger: a day of history, then (after it is attached) a short rise above the limit.
    const registered = await service.api<{ key: string; logger: { attachedAt: string } }>('POST', '/loggers', techToken, { code: 'TL-0042', kind: 'freezer', freezerId: freezer.id });
    const attached = new Date(registered.logger.attachedAt).getTime();
    await new Promise((r) => setTimeout(r, 1500));
    const history = Array.from({ length: 36 }, (_, i) => ({ recordedAt: new Date(attached - (36 - i) * 600_000).toISOString(), temperatureC: -79.6 + (i % 3) * 0.2 }));
    const live = Array.from({ length: 10 }, (_, i) => ({ recordedAt: new Date(attached + 100 + i * 100).toISOString(), temperatureC: i >= 3 && i <= 6 ? -45.5 : -79.4 }));
    const ingest = await fetch(`${service.base}/temperature-readings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Logger ${registered.key}` }, body: JSON.stringify({ readings: [...history, ...live] }) });
    expect(ingest.status).toBeLessThan(300);
    let excursions = 0;
    for (let i = 0; i < 60 && excursions === 0; i++) {
      excursions = (await service.api<{ total: number }>('GET', `/excursions?freezerId=${freezer.id}`, techToken)).total;
      if (excursions === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(excursions).toBe(1);
    await page.reload();
    await page.getByRole('gridcell', { name: new RegExp(`A1: vial ${serials[0]}.*quarantined`) }).waitFor();
    await page.getByTestId('temperature-chart').locator('canvas').first().waitFor();
    await tech.shot('tech-storage-box-map-temperature');

    // QA disposes of the excursion with an e-signature: the held vial is released from quarantine.
    await qa.page.getByRole('link', { name: 'Storage' }).click();
    await qa.page.getByRole('button', { name: 'Disposition…' }).click();
    await expect(qa.page.locator('dialog[open]').getByTestId('signature-meaning').textContent()).resolves.toBe('Excursion disposition');
    await qa.page.getByLabel('Decision').selectOption('release_from_quarantine');
    await qa.page.getByLabel('Justification').fill('Stability data cover 10 min at -40 °C; the peak was -45.5 °C for under a minute.');
    await qa.page.getByLabel('Your password').fill(PASSWORD);
    await qa.page.getByRole('button', { name: 'Sign: Excursion disposition' }).click();
    await qa.page.getByText('Disposition signed.').waitFor();
    await qa.shot('qa-storage-excursion-disposed');
    const vial = await service.api<{ quarantined: boolean }>('GET', `/vials/${serials[0]}`, techToken);
    expect(vial.quarantined).toBe(false);
  });

  it('a clinic confirms receipt of its shipment and records use; the public page verifies the vial', async () => {
    // The technician ships the second vial from the storage page: store it, create, pack by scanning, ship.
    const boxId = (await service.api<{ freezers: { racks: { boxes: { id: string }[] }[] }[] }[]>('GET', '/storage/sites', techToken))[0].freezers[0].racks[0].boxes[0].id;
    await service.api('POST', '/storage/store', techToken, { serial: serials[1], boxId, row: 1, col: 2 });
    const page0 = tech.page;
    await page0.goto('/lab/storage');
    // The clinic comes from the directory (GET /clinics/directory), not a typed id.
    const clinicSelect = page0.getByLabel('Clinic', { exact: true });
    await clinicSelect.locator('option', { hasText: 'CLN-UI-02' }).waitFor({ state: 'attached' });
    expect(await clinicSelect.locator('option').allTextContents()).toEqual(['— choose a clinic —', 'CLN-UI-01 — Canal Skin Clinic (NL)', 'CLN-UI-02 — Harbour Dermatology (BE)']);
    // None chosen: the API's field error lands under the select.
    await page0.getByRole('button', { name: 'Create shipment' }).click();
    await page0.locator('.field.has-error').filter({ hasText: 'Clinic' }).getByRole('alert').waitFor();
    await expect(clinicSelect.getAttribute('aria-invalid')).resolves.toBe('true');
    await clinicSelect.selectOption({ label: 'CLN-UI-01 — Canal Skin Clinic (NL)' });
    await tech.shot('tech-shipment-choose-clinic');
    await page0.getByRole('button', { name: 'Create shipment' }).click();
    await page0.getByText(/Shipment SHP-\d{4}-\d{5} created/).waitFor();
    await page0.getByRole('heading', { name: /^SHP-\d{4}-\d{5} to Canal Skin Clinic$/ }).waitFor();
    const created = await service.api<{ items: { clinicId: string; status: string }[] }>('GET', '/shipments?status=packing', techToken);
    expect(created.items.map((i) => i.clinicId)).toEqual([clinicId]);
    await page0.getByLabel('Scan vial serials').fill(serials[1].toLowerCase());
    await page0.getByRole('button', { name: 'Pack', exact: true }).click();
    await page0.getByText(/1 vial packed into SHP-/).waitFor();
    await page0.getByRole('button', { name: /^Ship SHP-/ }).click();
    await page0.getByText(/SHP-\d{4}-\d{5} shipped\./).waitFor();
    await tech.shot('tech-shipment-shipped');

    clinic = await open('clinic', { width: 390, height: 844 });
    const page = clinic.page;
    await page.getByRole('heading', { name: 'Shipments and vials' }).waitFor();
    await page.getByRole('button', { name: 'Confirm receipt' }).click();
    await page.getByText(/received\./).waitFor();
    await page.getByRole('button', { name: 'Record use' }).click();
    await page.getByText(`Vial ${serials[1]} recorded as used.`).waitFor();
    await clinic.shot('clinic-shipments-phone');

    const visitor = await Session.open(browser, service.base, { width: 390, height: 844 });
    sessions.push(visitor);
    await visitor.page.goto('/verify');
    await visitor.page.locator('#code').fill(serials[0]);
    await visitor.page.getByRole('button', { name: 'Check' }).click();
    await visitor.page.locator('#out .verdict').waitFor();
    expect(await visitor.page.locator('#out .verdict').textContent()).toContain('Verified');
    await visitor.shot('public-verify-phone');
  });

  it('QA quarantines the released batch from the batch page (a too-short reason refused on the form), then lifts the hold with a signature', async () => {
    const page = qa.page;
    await page.goto(`/lab/batches/${batchId}`);
    await page.locator('h1', { hasText: `Batch ${batchNumber}` }).waitFor();
    expect(await page.getByRole('button', { name: 'Lift quarantine…' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Quarantine…', exact: true }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Reason for the quarantine').fill('no');
    await dialog.getByRole('button', { name: 'Quarantine the batch' }).click();
    // The API's 400 names the field: its message shows under the reason, and nothing changed.
    await dialog.locator('.field.has-error').filter({ hasText: 'Reason for the quarantine' }).getByRole('alert').waitFor();
    await expect(dialog.locator('.alert-error').first().textContent()).resolves.toContain('Not quarantined');
    expect(await batchState()).toBe('released');
    await qa.shot('qa-quarantine-reason-refused');
    await dialog.getByLabel('Reason for the quarantine').fill('Customer complaint CC-0042: turbidity reported at the clinic');
    await dialog.getByRole('button', { name: 'Quarantine the batch' }).click();
    await page.getByText(`Batch ${batchNumber} quarantined.`).waitFor();
    await page.locator('h1 .state-quarantined').waitFor();
    await page.getByTestId('quarantine-notice').getByText(/Customer complaint CC-0042/).waitFor();
    expect(await batchState()).toBe('quarantined');
    expect(await page.getByRole('button', { name: 'Quarantine…', exact: true }).count()).toBe(0);
    await qa.shot('qa-batch-quarantined');
    // A technician sees the hold but has no quarantine actions.
    await tech.page.goto(`/lab/batches/${batchId}`);
    await tech.page.getByTestId('quarantine-notice').waitFor();
    expect(await tech.page.getByRole('button', { name: /quarantine/i }).count()).toBe(0);

    await page.getByRole('button', { name: 'Lift quarantine…' }).click();
    await expect(dialog.getByTestId('signature-meaning').textContent()).resolves.toBe('Reviewed');
    await dialog.getByLabel('Reason for lifting the quarantine').fill('Complaint investigated: retained sample clear, no deviation');
    await dialog.getByLabel('Your password').fill('not-my-password');
    await dialog.getByRole('button', { name: 'Sign: Reviewed' }).click();
    await dialog.locator('.alert-error').getByText(/password is not correct/).waitFor();
    expect(await batchState()).toBe('quarantined');
    await dialog.getByLabel('Your password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Sign: Reviewed' }).click();
    await page.getByText(`Quarantine of ${batchNumber} lifted.`).waitFor();
    await page.locator('h1 .state-released').waitFor();
    expect(await page.getByTestId('quarantine-notice').count()).toBe(0);
    expect(await batchState()).toBe('released');
    await page.getByRole('button', { name: 'Quarantine…', exact: true }).waitFor();
    await qa.shot('qa-batch-quarantine-lifted');
    const signatures = await service.api<{ items: { meaning: string; reason: string }[] }>('GET', `/signatures?recordType=batch_quarantine&recordId=${batchId}`, techToken);
    expect(signatures.items.map((x) => [x.meaning, x.reason])).toEqual([['reviewed', 'Complaint investigated: retained sample clear, no deviation']]);
  });

  it('an admin changes a user\'s role (a clinic without a clinic refused on the form), deactivates and reactivates; the next sign-in lands on the new role\'s area', async () => {
    const admin = await open('admin');
    const page = admin.page;
    const row = page.locator(`tr[data-email="${USERS.mover.email}"]`);
    await expect(row.getByTestId('role').textContent()).resolves.toBe('Technician');
    await row.getByRole('button', { name: `Edit ${USERS.mover.displayName}` }).click();
    const dialog = page.locator('dialog[open]');
    // The clinic role without a clinic: the API's field error lands under the clinic select.
    await dialog.getByLabel('Role').selectOption('clinic');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.locator('.field.has-error').filter({ hasText: 'Clinic' }).getByText('A clinic user must belong to a clinic.').waitFor();
    await admin.shot('admin-edit-user-refused');
    await dialog.getByLabel('Role').selectOption('qa_manager');
    expect(await dialog.getByLabel('Clinic', { exact: true }).count()).toBe(0);
    await dialog.getByLabel('Reason for the change').fill('Moved to the QA team');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`${USERS.mover.displayName}: role QA manager.`).waitFor();
    // The list reloads after the change: the row shows the new role.
    await row.locator('[data-testid="role"]', { hasText: /^QA manager$/ }).waitFor();
    await admin.shot('admin-user-role-changed');

    await row.getByRole('button', { name: `Edit ${USERS.mover.displayName}` }).click();
    await dialog.getByLabel('Account active').uncheck();
    await dialog.getByLabel('Reason for the change').fill('On leave');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`${USERS.mover.displayName}: deactivated.`).waitFor();
    await row.getByTestId('status').locator('[data-verdict="fail"]', { hasText: 'Inactive' }).waitFor();
    await expect(service.login(USERS.mover.email, PASSWORD)).rejects.toThrow(/401/);
    await row.getByRole('button', { name: `Edit ${USERS.mover.displayName}` }).click();
    await dialog.getByLabel('Account active').check();
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`${USERS.mover.displayName}: reactivated.`).waitFor();
    await row.getByTestId('status').locator('[data-verdict="pass"]', { hasText: 'Active' }).waitFor();

    const moverId = (await service.api<{ items: { id: string; email: string }[] }>('GET', '/users?limit=200', adminToken)).items.find((u) => u.email === USERS.mover.email)!.id;
    const audit = await service.api<{ items: { action: string; after: Record<string, unknown>; reason: string | null }[] }>('GET', `/audit?entityType=user&entityId=${moverId}&order=asc`, adminToken);
    expect(audit.items.filter((e) => e.action !== 'user.created').map((e) => [e.action, e.after, e.reason])).toEqual([
      ['user.updated', { role: 'qa_manager' }, 'Moved to the QA team'],
      ['user.deactivated', { active: false }, 'On leave'],
      ['user.reactivated', { active: true }, null],
    ]);

    const mover = await open('mover');
    await mover.page.waitForURL(/\/qa\/release$/);
    await mover.page.getByRole('heading', { name: 'Release queue' }).waitFor();
    expect(await mover.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New harvest' }).count()).toBe(0);
    await mover.shot('moved-user-lands-on-qa');
  });

  it('a role cannot reach another role\'s pages, and sign-out ends the session', async () => {
    const page = clinic.page;
    await page.goto('/qa/release');
    await page.getByTestId('forbidden').getByText('Release queue').waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Release queue' }).count()).toBe(0);
    await clinic.shot('clinic-forbidden-release-queue');

    await tech.page.goto('/admin/users');
    await tech.page.getByTestId('forbidden').waitFor();
    await tech.page.goto('/qa/release');
    await tech.page.getByTestId('forbidden').waitFor();
    expect(await tech.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).not.toContain('Audit trail');

    const admin = await open('admin');
    await admin.page.getByRole('heading', { name: 'Users and clinics' }).waitFor();
    await admin.shot('admin-users');
    await admin.page.goto('/lab/worklist');
    await admin.page.getByTestId('forbidden').waitFor();

    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Exolot' }).waitFor();
    await page.goto('/clinic');
    await page.getByRole('heading', { name: 'Sign in to Exolot' }).waitFor();
    await clinic.shot('login');
  });
});
