// What `inference-budget FILE --json` prints for an engine result; `check --json` embeds the same object as
// each deployment's `report`.
import type { BudgetResult } from '../core/types';

export function resultJson(result: BudgetResult): Record<string, unknown> {
  return result.ok
    ? { ok: true, ...result.report }
    : { ok: false, error: result.unsupported, diagnostics: result.diagnostics };
}
