// Where the analysis reports to itself: the editor's output channel, the CLI's stderr, a test's array.
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
