// V8 drops the hidden class ("map") of a class's instances once none is alive, and the next full GC then
// deoptimizes every function compiled against it. The readers and the config normaliser create their hot
// objects per document, so after a major GC the next large document ran unoptimized (the 2 MB benchmark
// manifest: a ~25 ms parse took ~70 ms). One idle instance per hot class keeps its map, and the compiled code,
// alive. The instances are tiny and never used.
const anchors: unknown[] = [];

export function keepShapeAlive<T>(instance: T): T {
  anchors.push(instance);
  return instance;
}
