import { type FormEvent, useRef, useState } from 'react';
import { Field, FormErrors, formBody, localNow, ProblemAlert, Submit } from '../../components/forms';
import { Empty, Facts } from '../../components/ui';
import { api } from '../../lib/api';
import { dateTime, label, num } from '../../lib/format';
import { useApi, useCommand } from '../../lib/hooks';
import type { BatchDetail, ReagentLot } from './types';

const PARAMS: Record<string, { name: string; label: string; unit?: string; text?: boolean }> = {
  gForce: { name: 'gForce', label: 'Relative centrifugal force', unit: '× g' },
  durationMinutes: { name: 'durationMinutes', label: 'Duration', unit: 'min' },
  temperatureC: { name: 'temperatureC', label: 'Temperature', unit: '°C' },
  sampleVolumeMl: { name: 'sampleVolumeMl', label: 'Sample volume', unit: 'mL' },
  reagentVolumeMl: { name: 'reagentVolumeMl', label: 'Reagent volume', unit: 'mL' },
  resuspensionVolumeMl: { name: 'resuspensionVolumeMl', label: 'Resuspension volume', unit: 'mL' },
  fractionsCollected: { name: 'fractionsCollected', label: 'Fractions collected' },
  membraneCutoffKda: { name: 'membraneCutoffKda', label: 'Membrane cut-off', unit: 'kDa' },
  rotor: { name: 'rotor', label: 'Rotor', text: true },
};

/** Which parameters each step records, and whether it needs a reagent lot. */
const STEP_TYPES: Record<string, { params: string[]; lot: 'required' | 'optional' | 'none' }> = {
  pre_clearing_spin: { params: ['gForce', 'durationMinutes', 'temperatureC'], lot: 'none' },
  precipitation: { params: ['sampleVolumeMl', 'reagentVolumeMl'], lot: 'required' },
  incubation: { params: ['durationMinutes', 'temperatureC'], lot: 'none' },
  pelleting_spin: { params: ['gForce', 'durationMinutes', 'temperatureC'], lot: 'none' },
  resuspension: { params: ['resuspensionVolumeMl'], lot: 'optional' },
  ultracentrifugation: { params: ['gForce', 'durationMinutes', 'temperatureC', 'rotor'], lot: 'none' },
  sec: { params: ['sampleVolumeMl', 'fractionsCollected'], lot: 'required' },
  tff: { params: ['sampleVolumeMl', 'membraneCutoffKda'], lot: 'optional' },
};

export function IsolationPanel({ batch, canEdit, onChanged }: { batch: BatchDetail; canEdit: boolean; onChanged: (message?: string) => void }) {
  const steps = batch.isolationSteps ?? [];
  const open = ['harvested', 'isolation_in_progress'].includes(batch.state);
  return (
    <div>
      <h2>Isolation steps</h2>
      {steps.length === 0 ? <Empty>No isolation step recorded yet.</Empty> : (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">#</th><th scope="col">Step</th><th scope="col">Reagent lot</th><th scope="col">Parameters</th><th scope="col">Performed</th></tr></thead>
            <tbody>
              {steps.map((s) => (
                <tr key={s.id}>
                  <td>{s.sequence}</td>
                  <td>{label(s.stepType)}{s.notes ? <div className="muted small">{s.notes}</div> : null}</td>
                  <td>{s.reagentName ? <>{s.reagentName}<div className="muted small">lot {s.reagentLotNumber}</div></> : '—'}</td>
                  <td>{Object.entries(s.parameters).map(([k, v]) => <div key={k}>{PARAMS[k]?.label ?? k}: {typeof v === 'number' ? num(v, PARAMS[k]?.unit) : v}</div>)}</td>
                  <td>{dateTime(s.performedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {batch.summary ? <Facts items={[['Steps', batch.summary.stepCount], ['Processing time', num(batch.summary.processingMinutes, 'min')], ['Reagent lots', batch.summary.reagentLots.join(', ')]]} /> : null}
      {batch.yieldVolumeMl !== null ? <p>Isolation complete, yield <strong>{num(batch.yieldVolumeMl, 'mL')}</strong>.</p> : null}
      {open && canEdit ? (
        <div className="two-col">
          <StepForm batch={batch} onChanged={onChanged} />
          {batch.state === 'isolation_in_progress' ? <CompleteForm batch={batch} onChanged={onChanged} /> : null}
        </div>
      ) : null}
      {open && !canEdit ? <p className="muted">Technicians record isolation steps.</p> : null}
    </div>
  );
}

function StepForm({ batch, onChanged }: { batch: BatchDetail; onChanged: (message?: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [stepType, setStepType] = useState('pre_clearing_spin');
  const lots = useApi<ReagentLot[]>('/reagent-lots');
  const def = STEP_TYPES[stepType];
  const { execute, pending, error } = useCommand((body: Record<string, unknown>) => api.post(`/batches/${batch.id}/isolation/steps`, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const body = formBody(form);
    body.parameters ??= {};
    if (await execute(body)) {
      form.reset();
      setStepType('pre_clearing_spin');
      onChanged(`Step recorded: ${label(String(body.stepType))}.`);
    }
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="card" aria-labelledby="step-form-title">
      <h3 id="step-form-title">Record an isolation step</h3>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        <Field name="stepType" label="Step" kind="select" required options={Object.keys(STEP_TYPES)} defaultValue="pre_clearing_spin" onChange={setStepType} />
        {def.lot !== 'none' ? (
          <Field key={`lot-${stepType}`} name="reagentLotId" label="Reagent lot" kind="select" required={def.lot === 'required'}
            hint="Scan or pick the lot used; expired, recalled or wrong-source lots are refused"
            options={(lots.data ?? []).map((l) => ({ value: l.id, label: `${l.reagentName} — lot ${l.lotNumber} (${l.status === 'valid' ? `exp. ${l.expiryDate}` : l.status.toUpperCase()})` }))} />
        ) : null}
        <Field name="performedAt" label="Performed at" kind="datetime" required defaultValue={localNow(-5)} />
        {def.params.map((p) => (
          <Field key={`${stepType}-${p}`} name={`parameters.${p}`} label={PARAMS[p].label} kind={PARAMS[p].text ? 'text' : 'number'} unit={PARAMS[p].unit} />
        ))}
        <Field name="notes" label="Notes" kind="textarea" />
      </FormErrors>
      <Submit pending={pending}>Record step</Submit>
    </form>
  );
}

function CompleteForm({ batch, onChanged }: { batch: BatchDetail; onChanged: (message?: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, pending, error } = useCommand((body: Record<string, unknown>) => api.post(`/batches/${batch.id}/isolation/complete`, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (await execute(formBody(e.currentTarget))) onChanged('Isolation complete: the batch is ready for characterization.');
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="card" aria-labelledby="complete-form-title">
      <h3 id="complete-form-title">Complete isolation</h3>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        <Field name="yieldVolumeMl" label="Isolated yield" kind="number" unit="mL" required />
        <Field name="notes" label="Notes" kind="textarea" />
      </FormErrors>
      <Submit pending={pending}>Complete isolation</Submit>
    </form>
  );
}
