// Compare GPUs: a multi-select quick pick of the catalog (and custom GPUs), at most three, in the order chosen.
import * as vscode from 'vscode';
import { listAccelerators } from '../../core/hardware';
import type { Accelerator } from '../../core/types';
import { LIMITS } from '../../panel/messages';

/** An open GPU pick: `chosen` settles with the ids accepted, in the order chosen, or undefined when dismissed. */
export interface GpuPick extends vscode.Disposable {
  readonly chosen: Promise<string[] | undefined>;
  /** Accepts these ids (at most three kept) as if the user had chosen them; false when the pick is closed already. */
  accept(ids: readonly string[]): boolean;
}

/** Shows a GPU pick (VS Code's quick pick in the extension). */
export type ShowGpuPick = (current: readonly string[], extra: Accelerator[] | undefined) => GpuPick;

interface GpuPickItem extends vscode.QuickPickItem { id: string }

export const showGpuPick: ShowGpuPick = (current, extra) => {
  const qp = vscode.window.createQuickPick<GpuPickItem>();
  qp.title = 'Inference Budget: compare GPUs';
  qp.placeholder = `Choose up to ${LIMITS.maxComparedGpus} GPUs (the first chosen is the primary)`;
  qp.canSelectMany = true;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = listAccelerators(extra).map((a) => ({ id: a.id, label: a.name, description: a.id, detail: a.aliases.slice(0, 4).join(', ') }));
  const selected = new Set(current);
  qp.selectedItems = qp.items.filter((i) => selected.has(i.id));
  let order = [...current];
  let open = true;
  let settle: (ids: string[] | undefined) => void = () => undefined;
  const chosen = new Promise<string[] | undefined>((resolve) => { settle = resolve; });
  const finish = (ids: string[] | undefined): void => {
    if (!open) return;
    open = false;
    settle(ids);
    qp.dispose();
  };
  qp.onDidChangeSelection((sel) => {
    // Keep the order of choice, and never more than three.
    const ids = sel.map((s) => s.id);
    order = [...order.filter((id) => ids.includes(id)), ...ids.filter((id) => !order.includes(id))];
    if (order.length > LIMITS.maxComparedGpus) {
      order = order.slice(0, LIMITS.maxComparedGpus);
      qp.selectedItems = qp.items.filter((i) => order.includes(i.id));
      qp.placeholder = `At most ${LIMITS.maxComparedGpus} GPUs can be compared`;
    }
  });
  qp.onDidAccept(() => finish(order.filter((id) => qp.selectedItems.some((s) => s.id === id))));
  qp.onDidHide(() => finish(undefined));
  qp.show();
  return {
    chosen,
    accept: (ids) => {
      if (!open) return false;
      finish(ids.slice(0, LIMITS.maxComparedGpus));
      return true;
    },
    dispose: () => finish(undefined),
  };
};
