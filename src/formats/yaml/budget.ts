// How many nodes aliases may add to a YAML document (both paths): an alias copies the node it names, so nested
// aliases multiply ("billion laughs", merge keys fanning out). The budget scales with the document: 20 copied
// nodes per node of the source, and at least ALIAS_NODE_BUDGET, so a large file of many ordinary aliases is read
// whole while a small bomb stops after a few milliseconds. Past it, aliases are left out and a problem says so.

/** The least number of nodes aliases may add to a document. */
export const ALIAS_NODE_BUDGET = 10_000;
/** Nodes aliases may add per node of the source. */
export const ALIAS_NODES_PER_SOURCE_NODE = 20;

/** The alias budget of a document of `sourceNodes` nodes (aliases counted as one node each, copies not). */
export function aliasBudget(sourceNodes: number): number {
  return Math.max(ALIAS_NODE_BUDGET, ALIAS_NODES_PER_SOURCE_NODE * sourceNodes);
}
