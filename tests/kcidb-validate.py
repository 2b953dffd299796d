#!/usr/bin/env python3
"""kcidb-validate.py FILE: checks a KCIDB v5.3 file from `mmrepro gate`.

JSON Schema (tests/kcidb-v5.3.schema.json) checks the shape; this script
adds what a schema cannot: unique ids per kind, ids whose origin part is
the entry's origin, and references (build.checkout_id, test.build_id) that
exist. Exit 0: valid; 1: invalid (each problem printed with its path);
2: usage, unreadable file, or python3-jsonschema missing.
"""
import json
import os
import sys

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kcidb-v5.3.schema.json")


def json_path(parts):
    text = "$"
    for part in parts:
        text += "[%d]" % part if isinstance(part, int) else ".%s" % part
    return text


def no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ValueError("duplicate key %r" % duplicated[0])
    return dict(pairs)


def no_constants(name):
    raise ValueError("%s is not JSON" % name)


def load_document(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_duplicate_keys, parse_constant=no_constants)


def schema_problems(doc):
    import jsonschema

    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return ["%s: %s" % (json_path(e.absolute_path), e.message) for e in errors]


def entries(doc, kind):
    for index, entry in enumerate(doc.get(kind, [])):
        yield "$.%s[%d]" % (kind, index), entry


def id_problems(doc):
    """Unique ids per kind and origin == the id's prefix; returns ids seen too."""
    problems, ids = [], {}
    for kind in ("checkouts", "builds", "tests"):
        ids[kind] = set()
        for where, entry in entries(doc, kind):
            entry_id = entry["id"]
            if entry_id in ids[kind]:
                problems.append("%s.id: %r is not unique among %s" % (where, entry_id, kind))
            ids[kind].add(entry_id)
            if entry_id.split(":", 1)[0] != entry["origin"]:
                problems.append("%s.id: %r does not start with origin %r" % (where, entry_id, entry["origin"]))
    return problems, ids


def reference_problems(doc, ids):
    problems = []
    for kind, key, target in (("builds", "checkout_id", "checkouts"), ("tests", "build_id", "builds")):
        for where, entry in entries(doc, kind):
            if entry[key] not in ids[target]:
                problems.append("%s.%s: %r names no entry of %s" % (where, key, entry[key], target))
    return problems


def main(argv):
    if len(argv) != 2:
        print("usage: kcidb-validate.py FILE", file=sys.stderr)
        return 2
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        print("kcidb-validate.py: python3-jsonschema is not installed (./run.sh setup)", file=sys.stderr)
        return 2
    try:
        doc = load_document(argv[1])
    except OSError as e:
        print("%s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    except ValueError as e:  # includes JSONDecodeError and UnicodeDecodeError
        print("%s: $: not valid JSON: %s" % (argv[1], e), file=sys.stderr)
        return 1
    problems = schema_problems(doc)
    if not problems:  # the checks below rely on the shape the schema ensures
        id_list, ids = id_problems(doc)
        problems = id_list + reference_problems(doc, ids)
    for problem in problems:
        print("%s: %s" % (argv[1], problem), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
