/**
 * Maps domain error codes to HTTP statuses. A code matches its exact entry first, then the
 * entry for its last segment (".not_found", ".conflict" ...), then its first segment.
 */
const EXACT: Record<string, number> = {
  'validation.failed': 400,
  'request.malformed': 400,
  'request.too_large': 413,
  'request.unsupported_media_type': 415,
  'auth.unauthenticated': 401,
  'auth.invalid_credentials': 401,
  'auth.locked': 423,
  'auth.forbidden': 403,
  'auth.no_access_rule': 403,
  'route.not_found': 404,
  'rate_limited': 429,
  'service.unavailable': 503,
  'service.insufficient_storage': 507,
  'state.reason_required': 400,
  'specification.not_draft': 409,
  'investigation.closed': 409,
  'storage.position_occupied': 409,
  'shipment.vial_ineligible': 409,
  'release.not_pending': 409,
  'release.already_decided': 409,
  'release.checklist_stale': 409,
  'release.gate_not_passed': 409,
  'release.four_eyes': 403,
  'job.not_failed': 409,
  'queue.not_found': 404,
  'idempotency.key_invalid': 400,
  'idempotency.key_reused': 422,
  'idempotency.in_progress': 409,
  'idempotency.response_unavailable': 409,
};

const BY_SUFFIX: Record<string, number> = {
  not_found: 404,
  conflict: 409,
  already_exists: 409,
  transition_not_allowed: 409,
  wrong_state: 409,
  stale: 409,
  forbidden: 403,
};

const BY_PREFIX: Record<string, number> = {
  validation: 400,
  auth: 401,
  state: 409,
  instrument: 422,
};

export function statusForCode(code: string): number {
  if (EXACT[code]) return EXACT[code];
  const suffix = code.slice(code.lastIndexOf('.') + 1);
  if (BY_SUFFIX[suffix]) return BY_SUFFIX[suffix];
  const prefix = code.split('.')[0];
  if (BY_PREFIX[prefix]) return BY_PREFIX[prefix];
  // A domain rule refused a well-formed request.
  return 422;
}
