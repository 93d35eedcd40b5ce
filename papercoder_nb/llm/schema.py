"""Bounding a JSON schema for grammar-constrained decoding.

A grammar built from an unbounded string lets a small model run one field to the token
limit, and a very long bound makes grammars that some servers fail to compile; every
string (and optionally every list) gets a cap here, tighter caps winning.
"""

from __future__ import annotations

import copy
from typing import Any


def bound_schema(schema: dict[str, Any], string_cap: int, list_cap: int | None = None) -> dict[str, Any]:
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string":
                node["maxLength"] = min(int(node.get("maxLength", string_cap)), string_cap)
            if list_cap is not None and node.get("type") == "array":
                node["maxItems"] = min(int(node.get("maxItems", list_cap)), list_cap)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema
