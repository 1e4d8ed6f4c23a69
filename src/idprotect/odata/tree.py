"""The two ways of printing a `$filter` syntax tree (domain/predicates.py): canonical and OData."""

from __future__ import annotations

from datetime import UTC, datetime

from idprotect.domain.predicates import And, Comparison, In, Literal, Node, Not, Or, StartsWith


def print_tree(node: Node) -> str:
    """The canonical, fully parenthesized form: `(and (eq riskLevel 'high') (not ...))`."""
    match node:
        case Comparison(path, op, literal):
            return f"({op} {path} {format_literal(literal)})"
        case In(path, literals):
            return f"(in {path} {' '.join(format_literal(item) for item in literals)})"
        case StartsWith(path, prefix):
            return f"(startswith {path} {format_literal(prefix)})"
        case And(operands) | Or(operands):
            keyword = "and" if isinstance(node, And) else "or"
            return f"({keyword} {' '.join(print_tree(operand) for operand in operands)})"
        case Not(operand):
            return f"(not {print_tree(operand)})"


def unparse(node: Node) -> str:
    """The tree as `$filter` text that parses back to the same tree."""
    match node:
        case Comparison(path, op, literal):
            return f"{path} {op} {format_literal(literal)}"
        case In(path, literals):
            return f"{path} in ({','.join(format_literal(item) for item in literals)})"
        case StartsWith(path, prefix):
            return f"startswith({path},{format_literal(prefix)})"
        case And(operands) | Or(operands):
            keyword = " and " if isinstance(node, And) else " or "
            return keyword.join(_grouped(operand) for operand in operands)
        case Not(operand):
            return f"not ({unparse(operand)})"


def _grouped(node: Node) -> str:
    text = unparse(node)
    return f"({text})" if isinstance(node, And | Or) else text


def format_literal(literal: Literal) -> str:
    """A literal in OData syntax: 'quoted''s', true, null, 2021-06-01T00:00:00.5Z."""
    if literal is None:
        return "null"
    if isinstance(literal, bool):
        return "true" if literal else "false"
    if isinstance(literal, datetime):
        return _format_datetime(literal)
    if isinstance(literal, int):
        return str(literal)
    return "'" + literal.replace("'", "''") + "'"


def _format_datetime(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    text = moment.replace(tzinfo=None, microsecond=0).isoformat()
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"
