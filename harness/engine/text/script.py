"""A minimal splitter for ``.wast`` scripts: cuts the top-level commands out of the source.

It only understands what it needs to find command boundaries (parentheses, strings, comments), so a
malformed module inside a command does not stop the split; each command keeps its own source text, to be
parsed by :func:`harness.engine.text.parse_module` or a script runner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexer import error, skip_block_comment
from .parser import SHAPES


@dataclass
class Command:
    """One top-level command: ``kind`` is its head keyword (``module``, ``assert_return``, ...)."""

    kind: str
    text: str  # source text of the whole command, parentheses included
    offset: int  # character offset of the command in the script
    line: int  # 1-based line of the command
    children: list[str] = field(default_factory=list)  # source text of each element after the head

    @property
    def name(self) -> str | None:
        """The ``$id`` right after the head (``(module $M ...)``, ``(register "m" $M)`` has it second)."""
        for child in self.children[:2]:
            if child.startswith("$"):
                return child
        return None


_TOKEN = re.compile(r"""\s+|;;[^\n]*|\(;|\(|\)|"(?:[^"\\]|\\.)*"|"|[^\s()";]+|;""", re.S)


def parse_script(src: str) -> list[Command]:
    """The top-level commands of a ``.wast`` script, in order.

    A script that is a bare sequence of module fields (a ``.wat`` file without ``(module ...)``) comes back
    as one ``module`` command holding the whole text.
    """
    commands: list[Command] = []
    depth = 0
    pos, n = 0, len(src)
    line, line_pos = 1, 0  # line number at offset line_pos, advanced lazily
    cmd_start = child_start = 0
    head: str | None = None
    children: list[str] = []
    while pos < n:
        m = _TOKEN.match(src, pos)
        tok = m.group()
        end = m.end()
        c = tok[0]
        if c.isspace() or tok.startswith(";;"):
            pass
        elif tok == "(;":
            end = skip_block_comment(src, pos, "unclosed block comment")
        elif tok == "(":
            if depth == 0:
                cmd_start, head, children = pos, None, []
            elif depth == 1:
                child_start = pos
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth < 0:
                raise error(src, pos, "unexpected token ) (unbalanced parentheses)")
            if depth == 1:
                children.append(src[child_start:end])
            elif depth == 0:
                line += src.count("\n", line_pos, cmd_start)
                line_pos = cmd_start
                commands.append(Command(head or "", src[cmd_start:end], cmd_start, line, children))
        elif tok == '"':
            raise error(src, pos, "unclosed string")
        elif depth == 0:
            raise error(src, pos, f"unexpected token {tok} (a command must start with '(')")
        elif depth == 1:
            if head is None:
                head = tok
            else:
                children.append(tok)
        pos = end
    if depth:
        raise error(src, n, "unexpected end of input (unbalanced parentheses)")
    fields = ("type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data")
    if commands and all(c.kind in fields for c in commands):
        return [Command("module", src, 0, 1, [c.text for c in commands])]
    return commands


_NAN_PATTERNS = ("nan:canonical", "nan:arithmetic")


def parse_value(text: str) -> tuple[str, object]:
    """A script value such as ``(i32.const -1)``, for invoke arguments and expected results.

    Returns ``(type, value)``: numbers as raw unsigned bits; ``nan:canonical``/``nan:arithmetic`` kept as
    those strings; ``v128`` as an int, or as ``(shape, lanes)`` when a lane is a NaN pattern; references as
    ``None`` (null), the host number of ``ref.extern N``, or ``"ref.func"`` for a non-null ``(ref.func)``.
    """
    from .lexer import KEYWORD, LPAR, RPAR, tokenize
    from .numbers import NumberError, float_bits, int_bits

    toks = tokenize(text)
    if len(toks) < 3 or toks[0].kind != LPAR or toks[-1].kind != RPAR or toks[1].kind != KEYWORD:
        raise error(text, 0, "expected a value like (i32.const 1)")
    head, args = toks[1].text, [t.text for t in toks[2:-1]]
    try:
        if head in ("i32.const", "i64.const") and len(args) == 1:
            return head[:3], int_bits(args[0], int(head[1:3]))
        if head in ("f32.const", "f64.const") and len(args) == 1:
            if args[0] in _NAN_PATTERNS:
                return head[:3], args[0]
            return head[:3], float_bits(args[0], int(head[1:3]))
        if head == "v128.const" and args and args[0] in SHAPES:
            count, bits = SHAPES[args[0]]
            if len(args) != count + 1:
                raise error(text, 0, "wrong number of lane literals")
            conv = float_bits if args[0][0] == "f" else int_bits
            lanes = [a if a in _NAN_PATTERNS else conv(a, bits) for a in args[1:]]
            if any(isinstance(x, str) for x in lanes):
                return "v128", (args[0], lanes)
            return "v128", sum(x << (i * bits) for i, x in enumerate(lanes))
        if head == "ref.null" and args in (["func"], ["extern"]):
            return ("funcref" if args[0] == "func" else "externref"), None
        if head == "ref.extern" and len(args) == 1:
            return "externref", int_bits(args[0], 32)
        if head == "ref.func" and not args:
            return "funcref", "ref.func"
    except NumberError as e:
        raise error(text, 0, e.message) from None
    raise error(text, 0, f"unknown value {text!r}")
