// Shared by the panel tests: the repository root (where examples/models lives), from the compiled test's folder.
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'examples', 'models', 'Llama-3.1-8B', 'config.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('examples/models not found');
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot(__dirname);
