"""Regular expressions in linear time, with the standard library only (for ``logs.read(regex=...)``).

Python's ``re`` backtracks: ``^(-+)+$`` against a 30-character line of dashes and one ``x`` takes seconds, and
each extra character doubles it. Here the pattern is parsed by the standard library's own parser
(``re._parser``, ``sre_parse`` before 3.11) and the parsed tree is compiled to a Thompson NFA that is run as
a Pike VM: every state is visited at most once per character, so a search costs O(len(text) × len(pattern)).
Only whether the pattern matches is needed, so no capture positions are tracked.

What cannot run that way is refused, as RE2 (the TypeScript side's engine) refuses it: backreferences,
lookahead / lookbehind, conditionals, atomic groups and possessive repeats, and counted repeats over 1000,
with ``InvalidRegexError`` (code ``INVALID_REGEX``).
"""

from __future__ import annotations

import re
from typing import Any, Callable, List, Optional, Pattern, Tuple, Union

from .errors import InvalidRegexError

try:  # Python >= 3.11
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.9 / 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_MAXREPEAT = _sre_parse.MAXREPEAT
_MAX_COUNT = 1000  # RE2's limit on {n,m}
_MAX_PROGRAM = 50_000

CharTest = Callable[[str], bool]
# Instructions: ("char", test), ("split", a, b), ("jmp", a), ("at", kind), ("match",)
Instruction = Tuple[Any, ...]

_REFUSED = {
    "GROUPREF": "backreferences are not supported",
    "GROUPREF_EXISTS": "conditional groups are not supported",
    "ASSERT": "lookahead and lookbehind are not supported",
    "ASSERT_NOT": "lookahead and lookbehind are not supported",
    "ATOMIC_GROUP": "atomic groups are not supported",
    "POSSESSIVE_REPEAT": "possessive repeats are not supported",
}


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _category(name: str, ascii_only: bool) -> CharTest:
    if name == "CATEGORY_DIGIT":
        return (lambda c: "0" <= c <= "9") if ascii_only else str.isdecimal
    if name == "CATEGORY_NOT_DIGIT":
        return (lambda c: not "0" <= c <= "9") if ascii_only else (lambda c: not c.isdecimal())
    if name == "CATEGORY_SPACE":
        return (lambda c: c in " \t\n\r\f\v") if ascii_only else str.isspace
    if name == "CATEGORY_NOT_SPACE":
        return (lambda c: c not in " \t\n\r\f\v") if ascii_only else (lambda c: not c.isspace())
    if name == "CATEGORY_WORD":
        return _ascii_word if ascii_only else _word
    if name == "CATEGORY_NOT_WORD":
        return (lambda c: not _ascii_word(c)) if ascii_only else (lambda c: not _word(c))
    raise InvalidRegexError("", f"unsupported class {name}")


def _variants(ch: str, fold: bool) -> Tuple[str, ...]:
    if not fold:
        return (ch,)
    out = {ch}
    for other in (ch.lower(), ch.upper(), ch.casefold()):
        if len(other) == 1:
            out.add(other)
    return tuple(out)


def _literal(code: int, fold: bool, negate: bool) -> CharTest:
    wanted = frozenset(_variants(chr(code), fold))
    if negate:
        return lambda c: not any(v in wanted for v in _variants(c, fold))
    if len(wanted) == 1:
        only = next(iter(wanted))
        return lambda c: c == only
    return lambda c: c in wanted or any(v in wanted for v in _variants(c, fold))


def _char_set(items: List[Tuple[Any, Any]], fold: bool, ascii_only: bool) -> CharTest:
    negate = False
    singles = set()
    ranges: List[Tuple[int, int]] = []
    tests: List[CharTest] = []
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            singles.add(chr(av))
        elif name == "RANGE":
            ranges.append((av[0], av[1]))
        elif name == "CATEGORY":
            tests.append(_category(str(av), ascii_only))
        else:
            raise InvalidRegexError("", f"unsupported set item {name}")

    def one(c: str) -> bool:
        if c in singles:
            return True
        code = ord(c)
        for lo, hi in ranges:
            if lo <= code <= hi:
                return True
        return any(test(c) for test in tests)

    def test(c: str) -> bool:
        found = any(one(v) for v in _variants(c, fold))
        return found != negate

    return test


class _Compiler:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.program: List[Instruction] = []

    def emit(self, *instruction: Any) -> int:
        if len(self.program) >= _MAX_PROGRAM:
            raise InvalidRegexError(self.pattern, "pattern too large")
        self.program.append(instruction)
        return len(self.program) - 1

    def sequence(self, items: Any, flags: int) -> None:
        for op, av in items:
            self.node(str(op), av, flags)

    def node(self, name: str, av: Any, flags: int) -> None:
        fold = bool(flags & re.IGNORECASE)
        ascii_only = bool(flags & re.ASCII)
        if name in _REFUSED:
            raise InvalidRegexError(self.pattern, _REFUSED[name])
        if name == "LITERAL":
            self.emit("char", _literal(av, fold, False))
        elif name == "NOT_LITERAL":
            self.emit("char", _literal(av, fold, True))
        elif name == "ANY":
            self.emit("char", (lambda c: True) if flags & re.DOTALL else (lambda c: c != "\n"))
        elif name == "IN":
            self.emit("char", _char_set(av, fold, ascii_only))
        elif name == "AT":
            self.emit("at", (str(av), bool(flags & re.MULTILINE), ascii_only))
        elif name == "SUBPATTERN":
            _group, add, remove, sub = av
            self.sequence(sub, (flags | add) & ~remove)
        elif name == "BRANCH":
            self.branch(av[1], flags)
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            self.repeat(av[0], av[1], av[2], flags)
        else:
            raise InvalidRegexError(self.pattern, f"unsupported construct {name}")

    def branch(self, alternatives: List[Any], flags: int) -> None:
        jumps = []
        for i, alternative in enumerate(alternatives):
            if i < len(alternatives) - 1:
                split = self.emit("split", 0, 0)
                self.sequence(alternative, flags)
                jumps.append(self.emit("jmp", 0))
                self.program[split] = ("split", split + 1, len(self.program))
            else:
                self.sequence(alternative, flags)
        for jump in jumps:
            self.program[jump] = ("jmp", len(self.program))

    def repeat(self, low: int, high: int, sub: Any, flags: int) -> None:
        if low > _MAX_COUNT or (high != _MAXREPEAT and high > _MAX_COUNT):
            raise InvalidRegexError(self.pattern, f"bad repetition operator: counts above {_MAX_COUNT}")
        for _ in range(low):
            self.sequence(sub, flags)
        if high == _MAXREPEAT:
            split = self.emit("split", 0, 0)
            self.sequence(sub, flags)
            self.emit("jmp", split)
            self.program[split] = ("split", split + 1, len(self.program))
            return
        splits = []
        for _ in range(high - low):
            splits.append(self.emit("split", 0, 0))
            self.sequence(sub, flags)
        for split in splits:
            self.program[split] = ("split", split + 1, len(self.program))


def _at(kind: str, multiline: bool, ascii_only: bool, text: str, pos: int) -> bool:
    n = len(text)
    if kind == "AT_BEGINNING":
        return pos == 0 or (multiline and text[pos - 1] == "\n")
    if kind == "AT_BEGINNING_STRING":
        return pos == 0
    if kind == "AT_END":
        if multiline:
            return pos == n or text[pos] == "\n"
        return pos == n or (pos == n - 1 and text[pos] == "\n")
    if kind == "AT_END_STRING":
        return pos == n
    word = _ascii_word if ascii_only else _word
    before = pos > 0 and word(text[pos - 1])
    after = pos < n and word(text[pos])
    if kind == "AT_BOUNDARY":
        return before != after
    if kind == "AT_NON_BOUNDARY":
        return before == after and n > 0
    raise InvalidRegexError("", f"unsupported anchor {kind}")


class LinearPattern:
    """A compiled pattern whose ``search`` runs in time linear in the text (truthy when it matches)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        if not isinstance(pattern, str):
            raise InvalidRegexError(repr(pattern), "the pattern must be a string")
        self.pattern = pattern
        try:
            parsed = _sre_parse.parse(pattern, flags)
        except re.error as error:
            raise InvalidRegexError(pattern, str(error)) from None
        except RecursionError:
            raise InvalidRegexError(pattern, "nested too deeply") from None
        compiler = _Compiler(pattern)
        compiler.sequence(parsed, parsed.state.flags)
        compiler.emit("match")
        self._program = compiler.program

    def search(self, text: str) -> bool:
        """True when the pattern matches somewhere in ``text``."""
        program = self._program
        size = len(program)
        seen = [-1] * size
        current: List[int] = []
        generation = 0
        n = len(text)
        for pos in range(n + 1):
            generation += 1
            nxt: List[int] = []
            # Threads carried from the last character, then a new one starting here (search, not match).
            starts = current + [0]
            stack: List[int] = []
            for start in reversed(starts):
                stack.append(start)
            while stack:
                pc = stack.pop()
                if seen[pc] == generation:
                    continue
                seen[pc] = generation
                instruction = program[pc]
                kind = instruction[0]
                if kind == "char":
                    if pos < n and instruction[1](text[pos]):
                        nxt.append(pc + 1)
                elif kind == "split":
                    stack.append(instruction[2])
                    stack.append(instruction[1])
                elif kind == "jmp":
                    stack.append(instruction[1])
                elif kind == "at":
                    if _at(*instruction[1], text, pos):
                        stack.append(pc + 1)
                else:
                    return True
            current = nxt
            if not current and pos >= n:
                break
        return False


def compile_linear(pattern: Union[str, Pattern[str], None]) -> Optional[LinearPattern]:
    """``pattern`` (a string or a compiled ``re`` pattern, whose flags are kept) as a ``LinearPattern``."""
    if pattern is None:
        return None
    if isinstance(pattern, re.Pattern):
        flags = pattern.flags & ~re.UNICODE
        return LinearPattern(pattern.pattern, flags)
    return LinearPattern(pattern)
