import { invalidParameter } from "./mlflow-errors.js";

/** One `entity.key op value` clause of an MLflow search filter. */
export interface FilterClause {
  readonly entity: "attribute" | "param" | "tag" | "metric";
  readonly key: string;
  readonly op:
    "=" | "!=" | ">" | ">=" | "<" | "<=" | "LIKE" | "ILIKE" | "IN" | "NOT IN" | "IS NULL" | "IS NOT NULL";
  readonly value: string | number | readonly string[] | null;
}

const entities: Readonly<Record<string, FilterClause["entity"]>> = {
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
  param: "param",
  params: "param",
  parameter: "param",
  parameters: "param",
  tag: "tag",
  tags: "tag",
  metric: "metric",
  metrics: "metric",
};

type Token =
  | { kind: "word"; text: string }
  | { kind: "string"; text: string }
  | { kind: "ident"; text: string }
  | { kind: "number"; value: number }
  | { kind: "op"; text: string }
  | { kind: "punct"; text: "(" | ")" | "," };

const supported =
  `labrun supports 'params.k = "v"', 'tags.k != "v"', 'metrics.k > 0.5', 'attributes.status IN ("FINISHED")', ` +
  `'attributes.run_id NOT IN (...)', 'params.k IS NULL', 'tags.k IS NOT NULL', 'name LIKE "x%"' and ILIKE, ` +
  `clauses joined by AND (no OR, no parentheses around clauses).`;

const fail = (filter: string | undefined, why: string) =>
  invalidParameter(`Unsupported search filter '${filter}': ${why}. ${supported}`);

/** A hand-written scanner: one pass over the text, no backtracking on user input. */
function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const isWord = (ch: string) => /[A-Za-z0-9_.\-/:]/.test(ch);
  while (i < filter.length) {
    const ch = filter[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      let text = "";
      let j = i + 1;
      for (; j < filter.length && filter[j] !== ch; j++) {
        if (filter[j] === "\\" && ch !== "`" && j + 1 < filter.length) j++;
        text += filter[j];
      }
      if (j >= filter.length) throw fail(filter, `unterminated ${ch}`);
      tokens.push({ kind: ch === "`" ? "ident" : "string", text });
      i = j + 1;
    } else if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ kind: "punct", text: ch });
      i++;
    } else if ("=!<>".includes(ch)) {
      const two = filter.slice(i, i + 2);
      const op = ["!=", ">=", "<=", "=="].includes(two) ? two : ch;
      if (op === "!") throw fail(filter, "'!' must be '!='");
      tokens.push({ kind: "op", text: op === "==" ? "=" : op });
      i += op.length;
    } else if (/[-0-9]/.test(ch) && /^-?\d/.test(filter.slice(i, i + 2))) {
      let j = i + 1;
      while (j < filter.length && /[0-9.eE+-]/.test(filter[j]!)) j++;
      const value = Number(filter.slice(i, j));
      if (!Number.isFinite(value)) throw fail(filter, `bad number '${filter.slice(i, j)}'`);
      tokens.push({ kind: "number", value });
      i = j;
    } else if (isWord(ch)) {
      let j = i;
      while (j < filter.length && isWord(filter[j]!)) j++;
      tokens.push({ kind: "word", text: filter.slice(i, j) });
      i = j;
    } else {
      throw fail(filter, `unexpected character '${ch}'`);
    }
  }
  return tokens;
}

/** Parses the subset of MLflow's filter syntax labrun supports: clauses joined by AND. */
export function parseFilter(filter: string | undefined): FilterClause[] {
  if (!filter || filter.trim() === "") return [];
  const tokens = tokenize(filter);
  let at = 0;
  const peekWord = (...words: string[]) => {
    const token = tokens[at];
    return token?.kind === "word" && words.includes(token.text.toUpperCase());
  };
  const clauses: FilterClause[] = [];
  for (;;) {
    // The identifier: `entity.key`, `entity.` + quoted key, or a bare attribute.
    const first = tokens[at++];
    let entity: FilterClause["entity"] = "attribute";
    let key: string;
    if (first?.kind === "word") {
      const dot = first.text.indexOf(".");
      const prefix = dot < 0 ? undefined : first.text.slice(0, dot);
      const mapped = prefix === undefined ? undefined : entities[prefix.toLowerCase()];
      if (prefix !== undefined && !mapped) throw fail(filter, `unknown entity '${prefix}'`);
      if (mapped) entity = mapped;
      key = prefix === undefined ? first.text : first.text.slice(dot + 1);
      if (key === "") {
        const quoted = tokens[at++];
        if (quoted?.kind !== "ident" && quoted?.kind !== "string") throw fail(filter, "a key is missing");
        key = quoted.text;
      }
    } else if (first?.kind === "ident" || first?.kind === "string") {
      key = first.text;
    } else {
      throw fail(filter, "a clause must start with a key");
    }
    const opToken = tokens[at++];
    let op: FilterClause["op"];
    let value: FilterClause["value"];
    if (opToken?.kind === "op") {
      op = opToken.text as FilterClause["op"];
      value = scalar(tokens[at++], filter);
    } else if (opToken?.kind === "word") {
      const word = opToken.text.toUpperCase();
      if (word === "LIKE" || word === "ILIKE") {
        op = word;
        const v = tokens[at++];
        if (v?.kind !== "string") throw fail(filter, `${word} takes a quoted pattern`);
        value = v.text;
      } else if (word === "IN" || (word === "NOT" && peekWord("IN"))) {
        if (word === "NOT") at++;
        op = word === "NOT" ? "NOT IN" : "IN";
        value = list();
      } else if (word === "IS") {
        const not = peekWord("NOT");
        if (not) at++;
        if (!peekWord("NULL")) throw fail(filter, "IS must be followed by NULL or NOT NULL");
        at++;
        op = not ? "IS NOT NULL" : "IS NULL";
        value = null;
      } else {
        throw fail(filter, `unknown operator '${opToken.text}'`);
      }
    } else {
      throw fail(filter, `an operator is missing after '${key}'`);
    }
    clauses.push({ entity, key, op, value });
    if (at >= tokens.length) return clauses;
    if (!peekWord("AND")) throw fail(filter, "clauses must be joined by AND");
    at++;
  }

  function list(): string[] {
    if (tokens[at]?.kind !== "punct" || (tokens[at] as { text: string }).text !== "(") {
      throw fail(filter, "IN takes a list in parentheses: IN ('a', 'b')");
    }
    at++;
    const out: string[] = [];
    for (;;) {
      const item = tokens[at++];
      if (item?.kind === "string") out.push(item.text);
      else if (item?.kind === "number") out.push(String(item.value));
      else throw fail(filter, "IN lists hold quoted values");
      const next = tokens[at++];
      if (next?.kind === "punct" && next.text === ")") return out;
      if (next?.kind !== "punct" || next.text !== ",")
        throw fail(filter, "IN list items are separated by ','");
    }
  }
}

function scalar(token: Token | undefined, filter: string): string | number {
  if (token?.kind === "string") return token.text;
  if (token?.kind === "number") return token.value;
  throw fail(filter, "a comparison takes a quoted string or a number");
}
