/**
 * A set of ILP prefixes as a tree of `.` segments, to find every prefix under one (DRAGON
 * re-examines them when the route covering them changes) without scanning the whole set. Its cost
 * is one node per distinct segment path; empty branches are pruned on delete.
 */
interface TreeNode {
  readonly children: Map<string, TreeNode>;
  present: boolean;
}

const newNode = (): TreeNode => ({ children: new Map(), present: false });

export class PrefixTree {
  readonly #root = newNode();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(prefix: string): void {
    let node = this.#root;
    for (const segment of prefix.split('.')) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = newNode();
        node.children.set(segment, child);
      }
      node = child;
    }
    if (!node.present) this.#size++;
    node.present = true;
  }

  delete(prefix: string): void {
    const trail: TreeNode[] = [this.#root];
    const segments = prefix.split('.');
    for (const segment of segments) {
      const child = trail[trail.length - 1]!.children.get(segment);
      if (child === undefined) return;
      trail.push(child);
    }
    const node = trail[trail.length - 1]!;
    if (!node.present) return;
    node.present = false;
    this.#size--;
    // Prune the branch up to the first node still in use.
    for (let i = segments.length; i > 0; i--) {
      const n = trail[i]!;
      if (n.present || n.children.size > 0) break;
      trail[i - 1]!.children.delete(segments[i - 1]!);
    }
  }

  /** Every prefix strictly under `prefix` (on segment boundaries), each before those under it. */
  *under(prefix: string): Generator<string> {
    let node: TreeNode | undefined = this.#root;
    for (const segment of prefix.split('.')) {
      node = node.children.get(segment);
      if (node === undefined) return;
    }
    const stack: [string, TreeNode][] = [];
    for (const [segment, child] of node.children) stack.push([`${prefix}.${segment}`, child]);
    while (stack.length > 0) {
      const [name, n] = stack.pop()!;
      if (n.present) yield name;
      for (const [segment, child] of n.children) stack.push([`${name}.${segment}`, child]);
    }
  }
}
