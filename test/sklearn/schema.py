"""Check documents against docs/model-format.schema.json.

Debian 12 has no jsonschema module for its python3, so this implements the
keywords that schema uses (draft 2020-12 semantics): type, const, enum,
required, properties, additionalProperties: false, items, minItems,
maxItems, uniqueItems, minimum, minLength, oneOf and local $ref, with $ref
applying alongside its sibling keywords.  Any other keyword is an error, so
the schema cannot silently use something this checker ignores.
"""

import json

KNOWN = {"$schema", "title", "description", "$defs", "$ref", "type", "const",
         "enum", "required", "properties", "additionalProperties", "items",
         "minItems", "maxItems", "uniqueItems", "minimum", "minLength",
         "oneOf"}


def _type_ok(value, name):
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    return {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, (int, float))
        and not isinstance(v, bool),
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
    }[name](value)


class Schema:
    def __init__(self, path):
        with open(path) as f:
            self.root = json.load(f)

    def errors(self, doc):
        """Paths and reasons where doc violates the schema ([] if none)."""
        out = []
        self._check(doc, self.root, "$", out)
        return out

    def _resolve(self, ref):
        node = self.root
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def _check(self, v, s, path, out):
        unknown = set(s) - KNOWN
        if unknown:
            raise ValueError("schema uses unsupported keywords %s" % unknown)
        if "$ref" in s:
            self._check(v, self._resolve(s["$ref"]), path, out)
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(_type_ok(v, t) for t in types):
                out.append("%s: not of type %s" % (path, s["type"]))
                return
        if "const" in s and v != s["const"]:
            out.append("%s: should be %r" % (path, s["const"]))
        if "enum" in s and v not in s["enum"]:
            out.append("%s: %r not one of %r" % (path, v, s["enum"]))
        if "oneOf" in s:
            matches = [sub for sub in s["oneOf"] if not self._sub(v, sub, path)]
            if len(matches) != 1:
                out.append("%s: matches %d of the oneOf alternatives"
                           % (path, len(matches)))
        if isinstance(v, dict):
            self._object(v, s, path, out)
        if isinstance(v, list):
            self._array(v, s, path, out)
        if isinstance(v, str) and len(v) < s.get("minLength", 0):
            out.append("%s: too short" % path)
        if "minimum" in s and _type_ok(v, "number") and v < s["minimum"]:
            out.append("%s: below %r" % (path, s["minimum"]))

    def _sub(self, v, s, path):
        errors = []
        self._check(v, s, path, errors)
        return errors

    def _object(self, v, s, path, out):
        for key in s.get("required", []):
            if key not in v:
                out.append("%s: missing %r" % (path, key))
        props = s.get("properties", {})
        for key, value in v.items():
            if key in props:
                self._check(value, props[key], "%s.%s" % (path, key), out)
            elif s.get("additionalProperties") is False:
                out.append("%s: unexpected member %r" % (path, key))

    def _array(self, v, s, path, out):
        if len(v) < s.get("minItems", 0) or len(v) > s.get("maxItems",
                                                           len(v)):
            out.append("%s: %d items" % (path, len(v)))
        if s.get("uniqueItems") and len(set(map(json.dumps, v))) != len(v):
            out.append("%s: items not unique" % path)
        if "items" in s:
            for i, item in enumerate(v):
                self._check(item, s["items"], "%s[%d]" % (path, i), out)
