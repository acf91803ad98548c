import { type ComponentProps, lazy, Suspense } from 'react';
import { Loading } from './ui';

const load = () => import('./charts');
const LazyNta = lazy(async () => ({ default: (await load()).NtaChart }));
const LazyTemperature = lazy(async () => ({ default: (await load()).TemperatureChart }));

/** Charts load their library (uPlot) only when a page shows one. */
export function NtaChart(props: ComponentProps<typeof LazyNta>) {
  return <Suspense fallback={<Loading what="chart" />}><LazyNta {...props} /></Suspense>;
}

export function TemperatureChart(props: ComponentProps<typeof LazyTemperature>) {
  return <Suspense fallback={<Loading what="chart" />}><LazyTemperature {...props} /></Suspense>;
}
