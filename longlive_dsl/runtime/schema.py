"""Check commands against the model's own schema before they go out.

The v0 wire has no acknowledgements for contract failures: the runtime silently drops a command
that names no known command, misses a required field, has an extra key or a value of the wrong
type or out of range. The model publishes its command schema as OpenAPI (`GET /schema` locally,
`requestSchema` → `modelSchema` on the data channel); `CommandSchema` reads it and says why a
command would be dropped, so the run can stop with a message instead of waiting for nothing.
"""

from __future__ import annotations

from typing import Any

_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


class CommandSchema:
    """The commands a model takes, read from its OpenAPI document."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.commands: dict[str, dict[str, Any]] = {}
        for path, item in (doc.get("paths") or {}).items():
            if not path.startswith("/events/") or not isinstance(item, dict):
                continue
            op = item.get("post") or {}
            name = op.get("operationId") or path[len("/events/") :]
            body = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get(
                "schema"
            ) or {"type": "object", "properties": {}}
            self.commands[name] = self._resolve(body)

    def _resolve(self, schema: Any, depth: int = 0) -> Any:
        if isinstance(schema, dict) and "$ref" in schema and depth < 20:
            ref = schema["$ref"]
            if ref.startswith("#/"):
                node: Any = self.doc
                for part in ref[2:].split("/"):
                    node = node.get(part, {}) if isinstance(node, dict) else {}
                return self._resolve(node, depth + 1)
        return schema

    def check(self, type_: str, data: dict[str, Any]) -> list[str]:
        """The reasons the runtime would drop this command; empty when it would pass."""
        if type_ not in self.commands:
            known = ", ".join(sorted(self.commands)) or "none"
            return [f"the model has no command `{type_}` (it takes: {known})"]
        return self._object(self.commands[type_], data, type_)

    def _object(self, schema: dict[str, Any], data: Any, where: str) -> list[str]:
        if not isinstance(data, dict):
            return [f"{where}: expected an object"]
        props = schema.get("properties") or {}
        problems = []
        for name in schema.get("required") or []:
            if name not in data:
                problems.append(f"{where}: missing required field `{name}`")
        for name, value in data.items():
            if name not in props:
                if schema.get("additionalProperties") in (None, False):
                    problems.append(f"{where}: unexpected field `{name}`")
                continue
            problems += self._value(self._resolve(props[name]), value, f"{where}.{name}")
        return problems

    def _value(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self._resolve(s) for s in schema[key]]
                results = [self._value(s, value, where) for s in options]
                if any(not r for r in results):
                    return []
                return results[0] if len(results) == 1 else [f"{where}: matches none of the allowed forms"]
        t = schema.get("type")
        if t is not None:
            types = t if isinstance(t, list) else [t]
            if not any(_TYPES.get(x, lambda v: True)(value) for x in types):
                return [f"{where}: expected {' or '.join(types)}, got {_kind(value)}"]
        problems = []
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{where}: {value!r} is not one of {schema['enum']!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                problems.append(f"{where}: {value} is below the minimum {_num(schema['minimum'])}")
            if "maximum" in schema and value > schema["maximum"]:
                problems.append(f"{where}: {value} is above the maximum {_num(schema['maximum'])}")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                problems.append(f"{where}: {value} must be above {_num(schema['exclusiveMinimum'])}")
            if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
                problems.append(f"{where}: {value} must be below {_num(schema['exclusiveMaximum'])}")
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                problems.append(f"{where}: shorter than {_num(schema['minLength'])} characters")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                problems.append(
                    f"{where}: {len(value)} characters, more than the {_num(schema['maxLength'])} allowed"
                )
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            items = self._resolve(schema["items"])
            for i, item in enumerate(value):
                problems += self._value(items, item, f"{where}[{i}]")
        if isinstance(value, dict) and (schema.get("properties") or schema.get("type") == "object"):
            problems += self._object(schema, value, where)
        return problems


def _num(x: Any) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return f"the number {v}"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    return type(v).__name__
