// One cold load of the model catalog, as the first analysis that looks a model up pays it: the loader's own code
// (src/analysis/bundledCatalog.ts: read the file, index the ids) and then one entry's config, found by id, parsed.
// Run in a fresh process by the bench (scripts/bench.ts catalogLoad), bundled by scripts/bench/run.js:
//   node bench-results/.build/catalogLoad.js dist/bundled-models.json [model id]
// Prints {"ms", "cpuMs", "indexMs", "n", "first", "entryKeys"} on stdout.
import { readCatalogFile } from '../../src/analysis/bundledCatalog';

const [file, wanted = 'Qwen/Qwen3-8B'] = process.argv.slice(2);
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
const read = readCatalogFile(file);
const indexed = process.hrtime.bigint();
const models = read?.models ?? [];
const lower = wanted.toLowerCase();
const entry = models.find((m) => m.id.toLowerCase() === lower) ?? models[0];
const config = entry?.config;
const end = process.hrtime.bigint();
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({
  ms: Number(end - start) / 1e6, cpuMs: (used.user + used.system) / 1e3, indexMs: Number(indexed - start) / 1e6,
  n: models.length, first: models[0]?.id, entryKeys: config && typeof config === 'object' ? Object.keys(config).length : 0,
  problem: read ? read.problem : 'not found',
}));
