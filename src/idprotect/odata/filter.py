"""The `$filter` parser: recursive descent over tokens into a type-checked syntax tree.

Grammar (keywords, function names, true/false/null in any case; property names exact):

    filter     := or_expr END
    or_expr    := and_expr ('or' and_expr)*
    and_expr   := unary ('and' unary)*
    unary      := 'not' (unary | '(' or_expr ')') | primary      -- never `not property eq x`
    primary    := '(' or_expr ')' | 'startswith' '(' PATH ',' STRING ')' | predicate
    predicate  := PATH ('eq'|'ne'|'gt'|'ge'|'lt'|'le') literal
                | PATH 'in' '(' literal (',' literal)* ')'

Only the subset above is accepted: any other function, a lambda (`any`, `all`), a bare
Boolean property, property-to-property or literal-first comparisons are a 400, never ignored.
`null` is allowed only with `eq`/`ne`. Nesting (parentheses and `not`) is capped at 50 and the
text at 4,000 characters, so hostile input meets a BadRequest, not a RecursionError.
"""

from __future__ import annotations

from collections.abc import Iterator

from idprotect.domain.predicates import (
    Comparison,
    In,
    Literal,
    Node,
    Not,
    Operator,
    StartsWith,
    conjoin,
    disjoin,
)
from idprotect.errors import BadRequest
from idprotect.odata.evaluate import evaluate
from idprotect.odata.lexer import Kind, Token, invalid_filter, iter_tokens
from idprotect.odata.literals import convert_literal
from idprotect.odata.schema import COMPARISONS, Property, Schema, String
from idprotect.odata.tree import print_tree, unparse

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Node", "evaluate", "parse_filter", "print_tree", "unparse"]

MAX_LENGTH = 4000
MAX_DEPTH = 50
_LAMBDAS = ("any", "all")


def parse_filter(text: str, schema: Schema) -> Node:
    """The syntax tree of a `$filter` value, checked against `schema`; else a BadRequest."""
    if len(text) > MAX_LENGTH:
        raise invalid_filter(f"the filter is longer than {MAX_LENGTH} characters")
    return _Parser(iter_tokens(text), schema).parse()


class _Parser:
    def __init__(self, tokens: Iterator[Token], schema: Schema) -> None:
        self._source = tokens
        self._ahead: list[Token] = []  # lexed lazily: the first error in reading order wins
        self._depth = 0
        self._schema = schema

    def parse(self) -> Node:
        if self._peek().kind is Kind.END:
            raise invalid_filter("the filter is empty")
        node = self._or()
        if self._peek().kind is not Kind.END:
            raise self._unexpected(self._peek())
        return node

    # -- tokens ------------------------------------------------------------------------------

    def _peek(self, offset: int = 0) -> Token:
        while len(self._ahead) <= offset:
            if self._ahead and self._ahead[-1].kind is Kind.END:
                return self._ahead[-1]
            self._ahead.append(next(self._source))
        return self._ahead[offset]

    def _advance(self) -> Token:
        token = self._peek()
        if token.kind is not Kind.END:
            self._ahead.pop(0)
        return token

    def _accept_keyword(self, keyword: str) -> bool:
        token = self._peek()
        if token.kind is Kind.KEYWORD and token.value == keyword:
            self._advance()
            return True
        return False

    def _expect(self, kind: Kind, what: str) -> Token:
        token = self._advance()
        if token.kind is not kind:
            raise invalid_filter(f"expected {what}, found {token.describe()}", token.column)
        return token

    def _unexpected(self, token: Token) -> BadRequest:
        if token.kind is Kind.END:
            return invalid_filter("unexpected end of filter", token.column)
        return invalid_filter(f"unexpected {token.describe()}", token.column)

    def _enter(self, token: Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise invalid_filter(f"nesting deeper than {MAX_DEPTH} levels", token.column)

    # -- boolean structure -------------------------------------------------------------------

    def _or(self) -> Node:
        operands = [self._and()]
        while self._accept_keyword("or"):
            operands.append(self._and())
        return disjoin(operands)

    def _and(self) -> Node:
        operands = [self._unary()]
        while self._accept_keyword("and"):
            operands.append(self._unary())
        return conjoin(operands)

    def _unary(self) -> Node:
        token = self._peek()
        if not (token.kind is Kind.KEYWORD and token.value == "not"):
            return self._primary()
        self._advance()
        self._enter(token)
        following = self._peek()
        if following.kind is Kind.NAME and not self._is_call():
            raise invalid_filter(
                "'not' must be followed by '(' or a function, e.g. not (isDeleted eq true)",
                following.column,
            )
        node = Not(self._unary())
        self._depth -= 1
        return node

    def _primary(self) -> Node:
        token = self._peek()
        if token.kind is Kind.LPAREN:
            return self._group()
        if token.kind is Kind.NAME:
            return self._call() if self._is_call() else self._predicate()
        if token.kind in (Kind.KEYWORD, Kind.RPAREN, Kind.COMMA, Kind.END):
            raise self._unexpected(token)
        raise invalid_filter(f"expected a property name, found {token.describe()}", token.column)

    def _group(self) -> Node:
        opening = self._advance()
        self._enter(opening)
        node = self._or()
        closing = self._advance()
        if closing.kind is not Kind.RPAREN:
            if closing.kind is Kind.END:
                raise invalid_filter(f"missing ')' for the '(' at column {opening.column}")
            raise invalid_filter(f"expected ')', found {closing.describe()}", closing.column)
        self._depth -= 1
        return node

    # -- functions ---------------------------------------------------------------------------

    def _is_call(self) -> bool:
        return self._peek(1).kind is Kind.LPAREN

    def _call(self) -> Node:
        name = self._advance()
        function = name.text.rsplit("/", 1)[-1]
        if function.lower() in _LAMBDAS and "/" in name.text:
            raise invalid_filter(f"lambda operator '{function}' is not supported", name.column)
        if name.text.lower() != Operator.STARTSWITH:
            raise invalid_filter(f"function '{name.text}' is not supported", name.column)
        self._expect(Kind.LPAREN, "'('")
        path, prop = self._property(self._expect(Kind.NAME, "a property name"))
        if not isinstance(prop.type, String) or Operator.STARTSWITH not in prop.operators:
            raise invalid_filter(
                f"function 'startswith' is not supported on '{path}' ({prop.type.name})",
                name.column,
            )
        self._expect(Kind.COMMA, "','")
        prefix = self._literal(path, prop, Operator.STARTSWITH)
        self._expect(Kind.RPAREN, "')'")
        if not isinstance(prefix, str):  # cannot happen: a String literal, never null
            raise invalid_filter("startswith needs a string", name.column)
        return StartsWith(path, prefix)

    # -- predicates --------------------------------------------------------------------------

    def _property(self, token: Token) -> tuple[str, Property]:
        prop = self._schema.get(token.text)
        if prop is None:
            raise invalid_filter(f"unknown property '{token.text}'", token.column)
        return token.text, prop

    def _predicate(self) -> Node:
        path, prop = self._property(self._advance())
        token = self._advance()
        op = _operator(token)
        if op is None:
            raise invalid_filter(
                f"expected an operator after '{path}', found {token.describe()}", token.column
            )
        if op not in prop.operators:
            allowed = ", ".join(sorted(prop.operators))
            raise invalid_filter(
                f"operator '{op}' is not supported on '{path}' (supported: {allowed})",
                token.column,
            )
        if op is Operator.IN:
            return In(path, self._in_list(path, prop))
        return Comparison(path, op, self._literal(path, prop, op))

    def _in_list(self, path: str, prop: Property) -> tuple[Literal, ...]:
        self._expect(Kind.LPAREN, "'(' after 'in'")
        literals = [self._literal(path, prop, Operator.IN)]
        while self._peek().kind is Kind.COMMA:
            self._advance()
            literals.append(self._literal(path, prop, Operator.IN))
        self._expect(Kind.RPAREN, "',' or ')'")
        return tuple(literals)

    def _literal(self, path: str, prop: Property, op: Operator) -> Literal:
        token = self._advance()
        if token.kind is Kind.NULL and op not in (Operator.EQ, Operator.NE):
            raise invalid_filter(f"null cannot be used with '{op}'", token.column)
        if token.kind is Kind.NAME:
            raise invalid_filter(
                f"expected a literal, found {token.describe()} (properties compare to literals)",
                token.column,
            )
        if token.kind in (Kind.KEYWORD, Kind.LPAREN, Kind.RPAREN, Kind.COMMA, Kind.END):
            raise invalid_filter(f"expected a literal, found {token.describe()}", token.column)
        return convert_literal(token, path, prop.type)


def _operator(token: Token) -> Operator | None:
    if token.kind is not Kind.KEYWORD or not isinstance(token.value, str):
        return None
    if token.value == "in" or token.value in COMPARISONS:
        return Operator(token.value)
    return None
