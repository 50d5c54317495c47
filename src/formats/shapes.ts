// V8 drops the hidden class ("map") of a class's instances once none is alive, and the next full GC then
// deoptimizes every function compiled against it: after a major GC, the next large parse ran unoptimized
// (the 2 MB benchmark manifest: ~25 ms parse became ~70 ms). One idle instance per hot class keeps its map
// and the compiled code alive. Instances are tiny and never used.
const anchors: unknown[] = [];

export function keepShapeAlive<T>(instance: T): T {
  anchors.push(instance);
  return instance;
}
