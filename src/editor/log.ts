// The "Inference Budget" output channel. Everything the extension reports to itself goes here;
// nothing is thrown into the extension host.
import * as vscode from 'vscode';
import type { Logger } from '../analysis/log';

export type { Logger } from '../analysis/log';

export function createLogger(): Logger & vscode.Disposable {
  const channel = vscode.window.createOutputChannel('Inference Budget', { log: true });
  return {
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
    dispose: () => channel.dispose(),
  };
}

/** Runs `fn`, logging (not throwing) what it throws; returns `fallback` then. */
export async function guarded<T>(log: Logger, what: string, fallback: T, fn: () => T | Thenable<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isCancellation(e)) log.error(`${what}: ${(e as Error)?.stack ?? String(e)}`);
    return fallback;
  }
}

export function isCancellation(e: unknown): boolean {
  return e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'Canceled');
}
