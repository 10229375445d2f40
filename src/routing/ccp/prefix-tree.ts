/**
 * A set of ILP prefixes as a tree of `.` segments, to find every prefix under one (DRAGON
 * re-examines them when the route covering them changes) without scanning the whole set. Its cost
 * is one small node per distinct segment path (a leaf holds no map); empty branches are pruned on
 * delete.
 */
interface TreeNode {
  children: Map<string, TreeNode> | undefined;
  present: boolean;
}

const newNode = (): TreeNode => ({ children: undefined, present: false });

export class PrefixTree {
  readonly #root = newNode();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(prefix: string): void {
    let node = this.#root;
    for (const segment of prefix.split('.')) {
      node.children ??= new Map();
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
      const child = trail[trail.length - 1]!.children?.get(segment);
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
      if (n.present || (n.children?.size ?? 0) > 0) break;
      const parent = trail[i - 1]!;
      parent.children?.delete(segments[i - 1]!);
      if (parent.children?.size === 0) parent.children = undefined;
    }
  }

  /** Every prefix strictly under `prefix` (on segment boundaries), each before those under it. */
  *under(prefix: string): Generator<string> {
    let node: TreeNode | undefined = this.#root;
    for (const segment of prefix.split('.')) {
      node = node.children?.get(segment);
      if (node === undefined) return;
    }
    const stack: [string, TreeNode][] = [];
    const push = (name: string, n: TreeNode) => {
      if (n.children !== undefined)
        for (const [segment, child] of n.children) stack.push([`${name}.${segment}`, child]);
    };
    push(prefix, node);
    while (stack.length > 0) {
      const [name, n] = stack.pop()!;
      if (n.present) yield name;
      push(name, n);
    }
  }
}
