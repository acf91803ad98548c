import { useMemo } from 'react';
import type { CriterionLine } from '../../lib/assays';
import { useApi } from '../../lib/hooks';
import type { BatchDetail, Specification } from './types';

export interface BatchSpec {
  spec: Specification | undefined;
  /** Criteria that apply to this batch's source, by assay. */
  byAssay: Record<string, CriterionLine[]>;
  /** True when the product has no effective specification yet (results cannot be recorded). */
  missing: boolean;
}

/** The specification bound to the batch, or the product's effective one before binding. */
export function useBatchSpecification(b: BatchDetail | undefined): BatchSpec {
  const list = useApi<Specification[]>(b && !b.specificationId ? `/products/${b.productId}/specifications` : null);
  const effectiveId = b?.specificationId ?? list.data?.find((s) => s.status === 'effective')?.id ?? null;
  const spec = useApi<Specification>(effectiveId ? `/specifications/${effectiveId}` : null);
  return useMemo(() => {
    const byAssay: Record<string, CriterionLine[]> = {};
    for (const c of spec.data?.criteria ?? []) {
      if (c.appliesToSource && b && c.appliesToSource !== b.sourceType) continue;
      (byAssay[c.assay] ??= []).push(c);
    }
    return { spec: spec.data, byAssay, missing: !!b && !b.specificationId && !!list.data && !effectiveId };
  }, [spec.data, b, list.data, effectiveId]);
}
