"""``logs.read(regex=...)`` runs in linear time (a Pike VM over the standard library's parse of the pattern):
the same matches as ``re`` on ordinary patterns, a catastrophic pattern answered at once, and what RE2 refuses
(backreferences, lookaround) refused with INVALID_REGEX."""

import re
import time

import pytest

from labrun import InvalidArgumentError, InvalidRegexError, Run
from labrun._linear_regex import LinearPattern

TEXTS = [
    "",
    "step 12 loss=0.25",
    "Epoch 3/10 done",
    "ERROR: CUDA out of memory\n",
    "warn: disk 93% full",
    "a\nb\nc",
    "----------",
    "foo_bar baz-qux",
    "ÉCOLE naïve café",
    "aaa aab abb bbb",
    "x=1, y=22, z=333",
    "tab\there",
    "The end.",
]

PATTERNS = [
    r"step \d+",
    r"^step",
    r"full$",
    r"\bloss\b",
    r"\Bos",
    r"[0-9]{2,3}",
    r"[^a-z ]+",
    r"(?i)error",
    r"(?i:cuda) out",
    r"^b$",
    r"(?m)^b$",
    r"(?s)a.b",
    r"a.b",
    r"memory$",
    r"memory\Z",
    r"\Aa",
    r"(a|b)+b{2}",
    r"a*?b",
    r"(?:ab|a)c?",
    r"\w+_\w+",
    r"\s\S",
    r"\d{1}\D",
    r"café|naïve",
    r"(?i)école",
    r"[\w-]+-\w+",
    r"x=\d, y=\d\d,",
    r"(a*)*b",
    r"^$",
    r"(?x) step \s \d+  # verbose",
    r"[A-Z][a-z]+\.",
    r"(?a)\w+",
    r"e{0,2}nd",
    r"[]a]",
    r"[^\n]*\n",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_same_matches_as_re(pattern):
    compiled = re.compile(pattern)
    linear = LinearPattern(pattern)
    for text in TEXTS:
        assert linear.search(text) == bool(compiled.search(text)), (pattern, text)


def test_a_catastrophic_pattern_answers_at_once(tmp_path):
    with Run(prefix="alice/p/redos", root=str(tmp_path)).run as run:
        run.log("-" * 64 + "x")
        run.log("-" * 64)
    view = Run.open("alice/p/redos", root=str(tmp_path))
    for pattern in (r"^(-+)+$", r"^(-|--)+$", r"(x+x+)+y", r"^(\w+\s?)*$"):
        started = time.perf_counter()
        found = view.logs.read(regex=pattern)
        elapsed = time.perf_counter() - started
        assert elapsed < 0.1, (pattern, elapsed)
        if pattern == r"^(-+)+$":
            assert [r["message"] for r in found] == ["-" * 64]
    # A long line too: linear, not exponential.
    started = time.perf_counter()
    assert LinearPattern(r"^(-+)+$").search("-" * 20_000 + "x") is False
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", r"(?P<w>a)(?P=w)", r"foo(?=bar)", r"foo(?!bar)", r"(?<=a)b", r"(?<!a)b", r"(a)?(?(1)b|c)", r"a{1001}"],
)
def test_what_re2_refuses_is_refused_with_invalid_regex(tmp_path, pattern):
    with Run(prefix="alice/p/refused", root=str(tmp_path)).run as run:
        run.log("x")
        with pytest.raises(InvalidRegexError) as caught:
            run.logs.read(regex=pattern)
    assert caught.value.code == "INVALID_REGEX"
    assert "linear time" in str(caught.value)


def test_a_compiled_pattern_keeps_its_flags_and_a_syntax_error_is_still_an_argument_error(tmp_path):
    with Run(prefix="alice/p/flags", root=str(tmp_path)).run as run:
        run.log("Loss went UP")
        run.log("loss went down")
        assert len(run.logs.read(regex=re.compile("loss", re.IGNORECASE))) == 2
        with pytest.raises(InvalidArgumentError) as caught:
            run.logs.read(regex="(")
    assert caught.value.code == "INVALID_REGEX"
