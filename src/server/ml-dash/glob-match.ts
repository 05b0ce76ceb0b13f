/**
 * Whether `text` matches the glob `pattern`: `**` matches anything, `*` anything but `/`, `?` one character
 * but `/`; `**​/` also matches nothing. Dynamic programming over (pattern, text) positions: time is
 * O(pattern × text) whatever the input, unlike a regular expression built from a user's glob.
 */
export function globMatch(pattern: string, text: string): boolean {
  const tokens: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.startsWith("**/", i)) {
      tokens.push("**/");
      i += 2;
    } else if (pattern.startsWith("**", i)) {
      tokens.push("**");
      i += 1;
    } else tokens.push(pattern[i]!);
  }
  // can[j]: the first i tokens match the first j characters.
  let can = new Array<boolean>(text.length + 1).fill(false);
  can[0] = true;
  for (const token of tokens) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    let anyBefore = false;
    for (let j = 0; j <= text.length; j++) {
      if (j > 0) anyBefore ||= can[j - 1]!;
      if (token === "**") {
        next[j] = can[j]! || (j > 0 && next[j - 1]!);
      } else if (token === "**/") {
        // nothing, or anything ending in "/"
        next[j] = can[j]! || (j > 0 && text[j - 1] === "/" && anyBefore);
      } else if (token === "*") {
        next[j] = can[j]! || (j > 0 && text[j - 1] !== "/" && next[j - 1]!);
      } else if (j > 0) {
        const ch = text[j - 1]!;
        next[j] = can[j - 1]! && (token === "?" ? ch !== "/" : token === ch);
      }
    }
    can = next;
  }
  return can[text.length]!;
}
