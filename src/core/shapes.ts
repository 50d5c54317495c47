// V8 drops the hidden class ("map") of a class's instances once none is alive, and the next full GC then
// deoptimizes every function compiled against it. The readers and the config normaliser create their hot
// objects per document, so after a major GC the next large document ran unoptimized (the 2 MB benchmark
// manifest: a ~25 ms parse took ~70 ms). One idle instance per hot class keeps its map, and the compiled code,
// alive. The instances are tiny and never used.
//
// Closures made per call were seen to lose their compiled code too (`node --trace-opt`): once the closures of one
// site are gone, a full GC drops their optimized code (its shared feedback holds it weakly), and the next analysis
// runs them unoptimized until V8 compiles them again. Hot helpers called from loops (`WeightSink.pushSegment`,
// `decodeStageCost`, `YamlFileReader`, the quantization rules) are therefore methods or module-level functions: with
// a full GC before each run, the benchmark manifest's analysis compiled about 40 functions again per run before these
// moves and 17 after, and ran about a fifth faster (README, "Speed and size").
const anchors: unknown[] = [];

export function keepShapeAlive<T>(instance: T): T {
  anchors.push(instance);
  return instance;
}
