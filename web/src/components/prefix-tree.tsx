import { useMemo } from "react";

interface TreeNode {
  path: string;
  label: string;
  count: number;
  children: Map<string, TreeNode>;
}

/** The runs' prefixes as a tree (owner / project / path…), with how many runs each folder holds. */
export function PrefixTree(props: {
  prefixes: readonly string[];
  active: string;
  onPick: (path: string) => void;
}) {
  const root = useMemo(() => {
    const top: TreeNode = { path: "", label: "all runs", count: 0, children: new Map() };
    for (const prefix of props.prefixes) {
      top.count++;
      const segments = prefix.split("/").slice(0, -1);
      let node = top;
      for (const segment of segments) {
        const path = node.path ? `${node.path}/${segment}` : segment;
        let child = node.children.get(segment);
        if (!child)
          node.children.set(segment, (child = { path, label: segment, count: 0, children: new Map() }));
        child.count++;
        node = child;
      }
    }
    return top;
  }, [props.prefixes]);
  const rows: { node: TreeNode; depth: number }[] = [];
  const walk = (node: TreeNode, depth: number) => {
    rows.push({ node, depth });
    // Folders open along the active path and at the first two levels; the rest stay folded.
    if (depth < 2 || props.active === node.path || props.active.startsWith(`${node.path}/`))
      for (const child of [...node.children.values()].sort((a, b) => a.label.localeCompare(b.label)))
        walk(child, depth + 1);
  };
  walk(root, 0);
  return (
    <div className="tree panel" data-testid="prefix-tree">
      {rows.slice(0, 2000).map(({ node, depth }) => (
        <div
          key={node.path || "/"}
          className={props.active === node.path ? "active" : ""}
          style={{ paddingLeft: depth * 12 }}
          onClick={() => props.onPick(node.path)}
          data-path={node.path}
        >
          {node.children.size > 0 ? "▸ " : "· "}
          {node.label} <span className="muted">({node.count})</span>
        </div>
      ))}
    </div>
  );
}
