import { RE2JS } from "re2js";
import { InvalidRegexError } from "../errors.js";

/** A pattern given by a user, compiled for matching in time linear in the text. */
export interface TextMatcher {
  /** True when the pattern matches somewhere in `text`. */
  test(text: string): boolean;
}

/**
 * Compiles a user-supplied regular expression with RE2 (no backtracking), so that no pattern can freeze
 * the process: `^(-+)+$` against a long line answers at once, where `RegExp` takes exponential time.
 * Throws InvalidRegexError (INVALID_REGEX) for a pattern RE2 does not accept (syntax errors, backreferences,
 * lookaround).
 *
 * @example
 * const matcher = compileUserRegex("^epoch \\d+");
 * lines.filter((line) => matcher.test(line));
 */
export function compileUserRegex(pattern: string): TextMatcher {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new InvalidRegexError(pattern, (error as Error).message.replace(/^error parsing regexp: /, ""));
  }
  return { test: (text) => compiled.matcher(text).find() };
}
