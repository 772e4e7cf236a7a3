"""Check annotation lines against eval/GUIDELINES.md (version 2): fields and enums, and that every string
is copied from the abstract. Prints one line per problem; exit status 1 when there is any.

    python eval/listings/check_gold.py eval/listings/train.jsonl [more.jsonl ...]
"""

from __future__ import annotations

import json
import re
import sys

LISTS = ("models", "datasets", "metrics", "tasks", "optional")
KINDS = ("absolute", "improvement")
ROLES = ("proposed", "baseline", "other")
RESULT_FIELDS = ("value", "unit", "kind", "role", "model", "dataset", "metric", "condition")


def folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def problems(row: dict) -> list[str]:
    found = []
    text = folded(row.get("title", "") + " " + row.get("abstract", ""))
    for key in ("id", "title", "abstract", *LISTS, "results"):
        if key not in row:
            found.append(f"missing {key}")
    for key in LISTS:
        for surface in row.get(key, []):
            if not isinstance(surface, str) or folded(surface) not in text:
                found.append(f"{key}: {surface!r} is not in the text")
    for n, result in enumerate(row.get("results", [])):
        where = f"result {n} ({result.get('value')!r})"
        if sorted(result) != sorted(RESULT_FIELDS):
            found.append(f"{where}: fields {sorted(result)} are not {sorted(RESULT_FIELDS)}")
        if result.get("kind") not in KINDS:
            found.append(f"{where}: kind {result.get('kind')!r} is not one of {KINDS}")
        if result.get("role") not in ROLES:
            found.append(f"{where}: role {result.get('role')!r} is not one of {ROLES}")
        value = str(result.get("value", ""))
        if not re.fullmatch(r"\d[\d,]*(\.\d+)?(/\d+)?|\.\d+", value):
            found.append(f"{where}: value {value!r} is not a number as written (no sign, no unit)")
        elif value not in row.get("abstract", "") + row.get("title", ""):
            found.append(f"{where}: value {value!r} is not in the text")
        for field in ("model", "dataset", "metric", "condition"):
            surface = result.get(field)
            if surface is not None and (not isinstance(surface, str) or folded(surface) not in text):
                found.append(f"{where}: {field} {surface!r} is not in the text")
    return found


def main(paths: list[str]) -> int:
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    print(f"{path}:{number}: not JSON: {error}")
                    bad += 1
                    continue
                for problem in problems(row):
                    print(f"{path}:{number} {row.get('id')}: {problem}")
                    bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
