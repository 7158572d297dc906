"""Load a design from YAML text and report every mistake with its key and line.

Pydantic's own errors and the cross-reference checks (a stage requiring an
unknown property, two stages with one id …) become ``DesignProblem`` values in
this one place, so callers never see a pydantic traceback.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from validators.design import Design

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class DesignProblem:
    key: str  # dotted path, e.g. "pipelines[0].stages[2].requires[1]"
    line: int | None  # 1-based line in the design file, None when unknown
    code: str  # stable code; see bridge.messages for the texts
    params: dict[str, Any] = field(default_factory=dict)


class DesignError(Exception):
    """The design file could not be loaded; ``problems`` lists every mistake."""

    def __init__(self, problems: list[DesignProblem], source: str | None = None):
        self.problems = problems
        self.source = source
        first = problems[0]
        super().__init__(f"{source or 'design'}: {len(problems)} problem(s), first at {first.key}")


def format_key(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text or "(top level)"


def load_design_text(text: str, source: str | None = None) -> Design:
    """Parse YAML text into a ``Design`` or raise ``DesignError`` with all problems."""
    data, lines = _parse_yaml(text, source)

    try:
        design = Design.model_validate(data)
    except ValidationError as error:
        items = _innermost(error.errors())
        problems = [_problem_from_pydantic(item, lines) for item in items]
        # Names the stages use are checked on the raw data too, so that one
        # run lists a misspelt property beside a type mistake.
        problems += _raw_unknown_properties(data, lines)
        problems.sort(key=lambda problem: problem.line or 0)
        raise DesignError(problems, source) from None

    problems = list(check_references(design, lines))
    if problems:
        raise DesignError(problems, source)
    return design


def load_design_data(data: Any, source: str | None = None) -> Design:
    """Validate already-parsed design data (e.g. read from a sheet tab)."""
    return load_design_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), source)


def _parse_yaml(text: str, source: str | None) -> tuple[Any, dict[KeyPath, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DesignError([_yaml_problem(error, text)], source) from None

    if not isinstance(data, dict):
        raise DesignError([DesignProblem("(top level)", 1, "not_a_mapping", {})], source)
    duplicates = list(_duplicate_keys(node, ()))
    if duplicates:
        raise DesignError(duplicates, source)
    lines: dict[KeyPath, int] = {}
    _collect_lines(node, (), lines)
    return data, lines


def _yaml_problem(error: yaml.YAMLError, text: str) -> DesignProblem:
    """Return the design problem for a YAML error, at the line where the mistake starts."""
    if isinstance(error, yaml.reader.ReaderError):
        # A control character: the reader gives a character position, not a line.
        line = text.count("\n", 0, error.position) + 1
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else "?"
        return DesignProblem("(yaml)", line, "yaml_control_character", {"character": character})
    detail = getattr(error, "problem", None) or str(error)
    code = _yaml_code(detail, getattr(error, "context", None) or "")
    # Something left open is found only where the file ends: name where it opened.
    mark_name = "context_mark" if code.startswith("yaml_unclosed") else "problem_mark"
    mark = getattr(error, mark_name, None) or getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    params: dict[str, Any] = {"detail": detail}
    if code == "yaml_tag":
        tag = detail.rpartition(" ")[2].strip("'")
        params["tag"] = tag.replace("tag:yaml.org,2002:", "!!", 1)  # as the file writes it
    return DesignProblem("(yaml)", line, code, params)


def _duplicate_keys(node: yaml.Node, path: KeyPath) -> Iterator[DesignProblem]:
    """Yield a problem for each key that a mapping repeats.

    YAML loaders keep the last of two equal keys without a word, so a copied
    property or stage whose key was not renamed would silently replace the first.
    """
    if isinstance(node, yaml.MappingNode):
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_lines:
                params = {"key": key, "first_line": first_lines[key]}
                yield DesignProblem(format_key((*path, key)), line, "yaml_duplicate_key", params)
            else:
                first_lines[key] = line
            yield from _duplicate_keys(value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def _collect_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    """Record the line of every key and list item, keyed by its path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            _collect_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, index), lines)


def _line_for(path: KeyPath, lines: dict[KeyPath, int]) -> int | None:
    """Return the line of ``path`` or of its nearest ancestor present in the file."""
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


def _innermost(items: list[Any]) -> list[Any]:
    """Drop errors on a container caused by an error inside it (e.g. a list too short)."""
    locs = [tuple(item["loc"]) for item in items]
    return [
        item
        for item, loc in zip(items, locs, strict=True)
        if not any(other != loc and other[: len(loc)] == loc for other in locs)
    ]


def _yaml_code(problem: str, context: str) -> str:
    """Return the design problem code of the common YAML mistakes, else yaml_syntax.

    Each code has its own message that describes the fix in the admin's
    language, because PyYAML's text is English.
    """
    if "flow sequence" in context:
        return "yaml_unclosed_list"
    if "flow mapping" in context:
        return "yaml_unclosed_mapping"
    if "quoted scalar" in context:
        return "yaml_unclosed_quote"
    if problem.startswith("found character '\\t'"):
        return "yaml_tab"
    if problem == "mapping values are not allowed here":
        return "yaml_colon"
    if problem.startswith("expected <block end>"):
        return "yaml_indent"
    if problem.startswith("found undefined alias"):
        return "yaml_alias"
    if problem == "but found another document" or problem.startswith("expected a single document"):
        return "yaml_documents"
    if problem.startswith("could not determine a constructor for the tag"):
        return "yaml_tag"
    return "yaml_syntax"


def _problem_from_pydantic(item: Any, lines: dict[KeyPath, int]) -> DesignProblem:
    # Drop the model-validator marker pydantic appends for errors on a whole object.
    path = tuple(part for part in item["loc"] if not str(part).startswith("function-"))
    # Pydantic prefixes the text of a validator's ValueError with "Value error, ".
    detail = str(item["msg"]).removeprefix("Value error, ")
    params: dict[str, Any] = {"detail": detail}
    if "input" in item and not isinstance(item["input"], dict | list):
        params["value"] = item["input"]
    ctx = item.get("ctx") or {}
    if "expected" in ctx:
        # Pydantic lists the choices in English ("'a', 'b' or 'c'"); keep the names only.
        choices = re.findall(r"'([^']*)'", str(ctx["expected"]))
        params["expected"] = ", ".join(choices) if choices else ctx["expected"]
    for bound in ("ge", "gt", "le", "lt"):
        if bound in ctx:
            params["limit"] = ctx[bound]
    code = _PYDANTIC_CODES.get(item["type"], "invalid_value")
    return DesignProblem(format_key(path), _line_for(path, lines), code, params)


# Pydantic error types -> design problem codes with a message of their own,
# so that the admin reads the mistake in their language, not pydantic's English.
_PYDANTIC_CODES = {
    "missing": "missing_key",
    "extra_forbidden": "unknown_key",
    "literal_error": "invalid_choice",
    "float_parsing": "not_a_number",
    "float_type": "not_a_number",
    "int_parsing": "not_an_integer",
    "int_type": "not_an_integer",
    "int_from_float": "not_an_integer",
    "bool_parsing": "not_a_boolean",
    "bool_type": "not_a_boolean",
    "string_type": "not_text",
    "list_type": "not_a_list",
    "tuple_type": "not_a_list",
    "set_type": "not_a_list",
    "dict_type": "not_a_mapping_here",
    "model_type": "not_a_mapping_here",
    "model_attributes_type": "not_a_mapping_here",
    "greater_than_equal": "too_small",
    "greater_than": "not_above",
    "less_than_equal": "too_large",
    "less_than": "not_below",
}


def check_references(design: Design, lines: dict[KeyPath, int]) -> Iterable[DesignProblem]:
    """Yield a problem for every name the design uses but does not define."""
    names = design.property_names()

    def problem(path: KeyPath, code: str, **params: Any) -> DesignProblem:
        return DesignProblem(format_key(path), _line_for(path, lines), code, params)

    yield from _duplicates(
        [prop.name for prop in design.properties], ("properties",), "name", problem
    )
    for index, prop in enumerate(design.properties):
        if prop.type == "enum" and not prop.options:
            yield problem(("properties", index, "type"), "enum_without_options", name=prop.name)
        if prop.options and prop.type != "enum":
            yield problem(("properties", index, "options"), "options_not_enum", name=prop.name)

    yield from _duplicates([p.id for p in design.pipelines], ("pipelines",), "id", problem)
    for p_index, pipeline in enumerate(design.pipelines):
        stages_path = ("pipelines", p_index, "stages")
        yield from _duplicates([s.id for s in pipeline.stages], stages_path, "id", problem)
        for s_index, stage in enumerate(pipeline.stages):
            for r_index, name in enumerate(stage.requires):
                if name not in names:
                    path = (*stages_path, s_index, "requires", r_index)
                    yield problem(path, "unknown_property", value=name)
            entered = stage.entered_date_property
            if entered and entered not in names:
                path = (*stages_path, s_index, "entered_date_property")
                yield problem(path, "unknown_property", value=entered)

    for role, name in design.sheet.role_columns().items():
        if name not in names:
            yield problem(("sheet", role), "unknown_property", value=name)

    if design.scoring:
        for index, measure in enumerate(design.scoring.measures):
            if measure.property not in names:
                path = ("scoring", "measures", index, "property")
                yield problem(path, "unknown_property", value=measure.property)


def _raw_unknown_properties(data: dict[str, Any], lines: dict[KeyPath, int]) -> list[DesignProblem]:
    """Return unknown_property problems of the stages' requirements, read from raw data.

    Used when the design failed its type checks, so no ``Design`` exists.
    Any part that does not have the expected shape is skipped.
    """
    properties = data.get("properties")
    if not isinstance(properties, list):
        return []
    names = {item.get("name") for item in properties if isinstance(item, dict)}
    pipelines = data.get("pipelines")

    problems = []
    for p_index, pipeline in enumerate(pipelines if isinstance(pipelines, list) else []):
        stages = pipeline.get("stages") if isinstance(pipeline, dict) else None
        for s_index, stage in enumerate(stages if isinstance(stages, list) else []):
            requires = stage.get("requires") if isinstance(stage, dict) else None
            for r_index, name in enumerate(requires if isinstance(requires, list) else []):
                if isinstance(name, str) and name not in names:
                    path = ("pipelines", p_index, "stages", s_index, "requires", r_index)
                    problems.append(
                        DesignProblem(format_key(path), _line_for(path, lines),
                                      "unknown_property", {"value": name})
                    )  # fmt: skip
    return problems


def _duplicates(
    values: list[str], path: KeyPath, key: str, problem: Any
) -> Iterable[DesignProblem]:
    counts = Counter(values)
    seen: set[str] = set()
    for index, value in enumerate(values):
        if counts[value] > 1 and value in seen:
            yield problem((*path, index, key), "duplicate_name", value=value)
        seen.add(value)
