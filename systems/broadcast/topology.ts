/** Maelstrom-style topologies: for N nodes, each node's neighbours by index (always symmetric). */

export type TopologyName = 'ring' | 'tree' | 'grid';
export const TOPOLOGIES: readonly TopologyName[] = ['ring', 'tree', 'grid'];

/** Neighbour index lists for `n` nodes; a tree has `branching` kids per node, a grid is as square as can be. */
export function topology(name: TopologyName, n: number, branching = 2): number[][] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`a topology needs a whole number of nodes, 1 or more (got ${n})`);
  const links = Array.from({ length: n }, () => new Set<number>());
  const link = (a: number, b: number) => {
    if (a === b) return;
    links[a]!.add(b);
    links[b]!.add(a);
  };
  switch (name) {
    case 'ring':
      for (let i = 0; i < n; i++) link(i, (i + 1) % n);
      break;
    case 'tree':
      for (let i = 1; i < n; i++) link(i, Math.floor((i - 1) / branching));
      break;
    case 'grid': {
      // Row-major; 6 nodes make 2 rows of 3, 5 nodes 3 + 2.
      const cols = Math.ceil(Math.sqrt(n));
      for (let i = 0; i < n; i++) {
        if ((i + 1) % cols !== 0 && i + 1 < n) link(i, i + 1);
        if (i + cols < n) link(i, i + cols);
      }
      break;
    }
  }
  return links.map((s) => [...s].sort((a, b) => a - b));
}
