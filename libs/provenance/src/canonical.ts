export { APP_CONFIG, type AppConfig } from '#platform';
import { canonicalJson } from '#signatures';

/** The same canonical JSON the e-signatures use: keys sorted, no whitespace. */
export function canonicalJsonOf(value: unknown): string {
  return canonicalJson(value);
}
