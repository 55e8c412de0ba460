#!/usr/bin/env python3
"""Generates Berth's ECS, ECR and CloudWatch Logs model tables from botocore.

Reads botocore's data/ecs/2014-11-13/service-2.json(.gz),
data/ecr/2015-09-21/service-2.json(.gz) and
data/logs/2014-03-28/service-2.json(.gz) and writes

    server/aws/model/ecs_model.cc
    server/aws/model/ecr_model.cc
    server/aws/model/logs_model.cc

which fill the constexpr tables declared in server/aws/model/service_model.h.
Only shapes reachable from an operation's input, output or declared errors are
emitted, without documentation. The output depends only on the model files
and the botocore version, so running it twice gives identical bytes.

Patterns are rewritten for std::regex (ECMAScript): the Unicode property
classes \\p{L}, \\p{N} and \\p{Z} become their ASCII members and the pattern is
marked `fold_non_ascii` (see PatternModel in service_model.h). Any construct
that ECMAScript would not read the way Java (AWS) does makes the generator
fail, as does any pattern Python's `re` cannot compile after the rewrite; the
unit tests then compile every pattern with std::regex itself.

Event streams (the `eventstream`/`event` traits, e.g. the Logs model's
StartLiveTail response) are allowed only on shapes that no operation input
reaches: they change how a response is framed, never what a request may hold,
so request validation stays exact. Berth answers those operations
NotImplementedException.

Usage:
    python3 tools/gen_service_model.py                 # uses `import botocore`
    python3 tools/gen_service_model.py --botocore-data DIR [--botocore-version V]
    python3 tools/gen_service_model.py --check         # exit 1 if out of date

Standard library only.
"""

import argparse
import gzip
import json
import os
import re
import sys

SERVICES = [
    # (service directory, API version, output file, accessor function)
    ("ecs", "2014-11-13", "ecs_model.cc", "EcsModel"),
    ("ecr", "2015-09-21", "ecr_model.cc", "EcrModel"),
    ("logs", "2014-03-28", "logs_model.cc", "LogsModel"),
]

SHAPE_TYPES = {
    "structure": "kStructure",
    "list": "kList",
    "map": "kMap",
    "string": "kString",
    "integer": "kInteger",
    "long": "kLong",
    "boolean": "kBoolean",
    "timestamp": "kTimestamp",
    "blob": "kBlob",
    "double": "kDouble",
    "float": "kFloat",
}

# Traits that change what goes on the wire. None occurs in the JSON 1.1 models
# Berth uses; if one appears, the validator would be wrong, so stop.
WIRE_TRAITS = {
    "jsonName", "locationName", "location", "timestampFormat", "flattened",
    "xmlNamespace", "xmlAttribute", "streaming", "eventstream", "event",
    "eventpayload", "payload", "hostLabel", "requiresLength",
}

# Traits that frame a response as an event stream. Allowed only on shapes that
# no operation input reaches (see the module docstring).
EVENT_STREAM_TRAITS = {"eventstream", "event"}

# ASCII members of the Unicode property classes we rewrite.
UNICODE_CLASSES = {
    "L": "A-Za-z",
    "N": "0-9",
    "Z": " ",
}

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class ModelError(Exception):
    """A model feature this generator cannot represent faithfully."""


# ---------------------------------------------------------------------------
# Loading


def find_botocore():
    """Returns (data dir, version) of the importable botocore."""
    try:
        import botocore  # pylint: disable=import-outside-toplevel
    except ImportError as e:
        raise SystemExit(
            "botocore is not importable; pass --botocore-data DIR") from e
    return (os.path.join(os.path.dirname(botocore.__file__), "data"),
            botocore.__version__)


def version_from_data_dir(data_dir):
    """Reads __version__ from the botocore package that holds data_dir."""
    init = os.path.join(os.path.dirname(os.path.abspath(data_dir)),
                        "__init__.py")
    try:
        with open(init, encoding="utf-8") as f:
            m = re.search(r"""^__version__\s*=\s*['"]([^'"]+)['"]""",
                          f.read(), re.M)
    except OSError:
        m = None
    if not m:
        raise SystemExit(f"cannot tell the botocore version from {init}; "
                         "pass --botocore-version")
    return m.group(1)


def load_model(data_dir, service, api_version):
    base = os.path.join(data_dir, service, api_version, "service-2.json")
    if os.path.exists(base + ".gz"):
        with gzip.open(base + ".gz", "rt", encoding="utf-8") as f:
            return json.load(f)
    if os.path.exists(base):
        with open(base, encoding="utf-8") as f:
            return json.load(f)
    raise SystemExit(f"no model at {base}(.gz)")


# ---------------------------------------------------------------------------
# Patterns


def convert_pattern(source):
    """Returns (ECMAScript pattern, fold_non_ascii) for a botocore pattern.

    botocore patterns are Java regular expressions. Everything they use maps
    to ECMAScript unchanged except \\p{..}; anything that could be read
    differently by the two (or that std::regex lacks) raises ModelError.
    """
    out = []
    fold = False
    in_class = False
    i = 0
    n = len(source)

    def fail(what):
        raise ModelError(f"pattern {source!r}: {what} at offset {i}")

    while i < n:
        c = source[i]
        if not c.isascii() or (ord(c) < 0x20 and c not in "\t\n\r"):
            fail("non-ASCII or control character (values are matched as "
                 "UTF-8 bytes)")
        if c == "\\":
            if i + 1 >= n:
                fail("trailing backslash")
            e = source[i + 1]
            if e in "pP":
                if e == "P":
                    fail("negated property class \\P is not supported")
                if i + 2 < n and source[i + 2] == "{":
                    end = source.find("}", i + 3)
                    if end < 0:
                        fail("unterminated \\p{")
                    name = source[i + 3:end]
                    i = end + 1
                else:
                    if i + 2 >= n:
                        fail("truncated \\p")
                    name = source[i + 2]
                    i += 3
                if name not in UNICODE_CLASSES:
                    fail(f"unsupported property class \\p{{{name}}}")
                ascii_members = UNICODE_CLASSES[name]
                out.append(ascii_members if in_class else f"[{ascii_members}]")
                fold = True
                continue
            if e in "dDwWsS":
                if (in_class and source[i + 2:i + 3] == "-"
                        and source[i + 3:i + 4] not in ("", "]")):
                    # Java reads '-' after a class escape as a literal
                    # ("[\\w-_]" is word characters, '-' and '_');
                    # ECMAScript would try a range, so escape it.
                    out.append(source[i:i + 2] + "\\-")
                    i += 3
                    continue
            elif e in "bB":
                if in_class:
                    fail("\\b inside a character class")
            elif e in "ntrfv":
                pass
            elif e == "0":
                if i + 2 < n and source[i + 2].isdigit():
                    fail("octal escape")
            elif e in "xu":
                digits = 2 if e == "x" else 4
                hex_digits = source[i + 2:i + 2 + digits]
                if not re.fullmatch(f"[0-9A-Fa-f]{{{digits}}}", hex_digits):
                    fail(f"\\{e} needs {digits} hex digits")
                if int(hex_digits, 16) >= 0x80:
                    fail("non-ASCII escape (values are matched as UTF-8 "
                         "bytes)")
                out.append(source[i:i + 2 + digits])
                i += 2 + digits
                continue
            elif e.isdigit():
                fail("back-reference (std::regex could not match it in "
                     "linear time)")
            elif e.isascii() and not e.isalnum() and e != "_":
                pass  # identity escape of punctuation: same in both
            else:
                fail(f"escape \\{e} means something else or nothing in "
                     "ECMAScript")
            out.append(source[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                fail("'[' inside a class (a Java union or nested class)")
            elif c == "&" and source[i + 1:i + 2] == "&":
                fail("'&&' inside a class (a Java intersection)")
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if source[i:i + 1] == "^":
                out.append("^")
                i += 1
            if source[i:i + 1] == "]":
                fail("']' first in a class (literal in Java, empty class "
                     "in ECMAScript)")
            continue
        if c == "(" and source[i + 1:i + 2] == "?":
            if source[i + 2:i + 3] not in (":", "=", "!"):
                fail("only (?:, (?= and (?! groups are supported")
        elif c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", source[i:])
            if not m:
                fail("'{' that is not a quantifier")
        if c in "*+?}" and source[i + 1:i + 2] == "+":
            fail("possessive quantifier")
        out.append(c)
        i += 1
    if in_class:
        fail("unterminated character class")
    converted = "".join(out)
    try:
        re.compile(converted)
    except re.error as e:
        raise ModelError(f"pattern {source!r} (as {converted!r}) does not "
                         f"compile: {e}") from e
    return converted, fold


# ---------------------------------------------------------------------------
# Model → tables


def check_traits(where, obj, output_only=False):
    traits = WIRE_TRAITS - EVENT_STREAM_TRAITS if output_only else WIRE_TRAITS
    bad = sorted(traits & set(obj))
    if bad:
        raise ModelError(f"{where}: unsupported wire trait(s) {bad}")


def bound(shape_name, key, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"{shape_name}.{key}: not a number: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ModelError(f"{shape_name}.{key}: {value} is not integral; "
                             "ShapeModel stores integral bounds")
        value = int(value)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ModelError(f"{shape_name}.{key}: {value} is out of int64 range")
    return value


def reachable_shapes(model, keys=("input", "output", "errors")):
    """Names of the shapes reachable from the operations' `keys`."""
    shapes = model["shapes"]
    seen = set()
    stack = []
    for op in model["operations"].values():
        for key in ("input", "output"):
            if key in op and key in keys:
                stack.append(op[key]["shape"])
        if "errors" in keys:
            stack.extend(e["shape"] for e in op.get("errors", []))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name not in shapes:
            raise ModelError(f"reference to unknown shape {name}")
        seen.add(name)
        shape = shapes[name]
        stack.extend(m["shape"] for m in shape.get("members", {}).values())
        for key in ("member", "key", "value"):
            if key in shape:
                stack.append(shape[key]["shape"])
    return seen


def build_tables(model):
    """Returns a dict of plain Python tables, all in deterministic order."""
    meta = model["metadata"]
    if meta.get("protocol") != "json":
        raise ModelError(f"protocol {meta.get('protocol')!r} is not json")
    shapes = model["shapes"]
    names = sorted(reachable_shapes(model))
    index = {name: i for i, name in enumerate(names)}
    input_shapes = reachable_shapes(model, keys=("input",))

    patterns = []  # [(source, ecmascript, fold)] in first-use order
    pattern_index = {}
    enum_values = []  # flat
    members = []  # flat: (name, target index, required, deprecated, idem)
    out_shapes = []
    for name in names:
        s = shapes[name]
        output_only = name not in input_shapes
        check_traits(name, s, output_only)
        if s["type"] not in SHAPE_TYPES:
            raise ModelError(f"{name}: unsupported type {s['type']!r}")
        row = {"name": name, "type": SHAPE_TYPES[s["type"]]}
        for key in ("min", "max"):
            if key in s:
                row[key] = bound(name, key, s[key])
        if "pattern" in s:
            if s["type"] != "string":
                raise ModelError(f"{name}: pattern on a {s['type']}")
            source = s["pattern"]
            if source not in pattern_index:
                converted, fold = convert_pattern(source)
                pattern_index[source] = len(patterns)
                patterns.append((source, converted, fold))
            row["pattern"] = pattern_index[source]
        if "enum" in s:
            if s["type"] != "string":
                raise ModelError(f"{name}: enum on a {s['type']}")
            row["enum"] = (len(enum_values), len(s["enum"]))
            enum_values.extend(s["enum"])
        if s["type"] == "structure":
            required = set(s.get("required", []))
            unknown = required - set(s.get("members", {}))
            if unknown:
                raise ModelError(f"{name}: required non-members {unknown}")
            first = len(members)
            for member_name, m in s.get("members", {}).items():
                check_traits(f"{name}.{member_name}", m, output_only)
                members.append((member_name, index[m["shape"]],
                                member_name in required,
                                bool(m.get("deprecated")),
                                bool(m.get("idempotencyToken"))))
            if len(members) > first:
                row["members"] = (first, len(members) - first)
        for key in ("member", "key", "value"):
            if key in s:
                check_traits(f"{name}.{key}", s[key], output_only)
                row[key] = index[s[key]["shape"]]
        if s["type"] == "list" and "member" not in row:
            raise ModelError(f"{name}: list without member")
        if s["type"] == "map" and ("key" not in row or "value" not in row):
            raise ModelError(f"{name}: map without key or value")
        for trait, field in (("document", "document"), ("union", "is_union"),
                             ("deprecated", "deprecated"),
                             ("sensitive", "sensitive"),
                             ("exception", "exception"), ("fault", "fault")):
            if s.get(trait):
                row[field] = True
        out_shapes.append(row)

    errors = []  # flat error names
    operations = []
    for op_name in sorted(model["operations"]):
        op = model["operations"][op_name]
        if op.get("name", op_name) != op_name:
            raise ModelError(f"operation {op_name} is named {op['name']}")
        row = {"name": op_name}
        for key in ("input", "output"):
            if key in op:
                row[key] = index[op[key]["shape"]]
        op_errors = [e["shape"] for e in op.get("errors", [])]
        if op_errors:
            row["errors"] = (len(errors), len(op_errors))
            errors.extend(op_errors)
        if op.get("deprecated"):
            row["deprecated"] = True
        operations.append(row)

    exceptions = [(n, index[n], bool(shapes[n].get("fault")))
                  for n in names if shapes[n].get("exception")]
    return {
        "service_id": meta["serviceId"],
        "target_prefix": meta["targetPrefix"],
        "api_version": meta["apiVersion"],
        "names": names,
        "shapes": out_shapes,
        "patterns": patterns,
        "enum_values": enum_values,
        "members": members,
        "errors": errors,
        "operations": operations,
        "exceptions": exceptions,
    }


# ---------------------------------------------------------------------------
# C++ output


def cpp_string(text):
    """A C++ string literal for `text` (UTF-8), raw when that reads better."""
    printable = all(0x20 <= ord(ch) < 0x7F for ch in text)
    if printable and "\\" in text and ')re"' not in text:
        return f'R"re({text})re"'
    parts = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in ('"', "\\"):
            parts.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            parts.append(ch)
        else:
            parts.append(f"\\{byte:03o}")
    return '"' + "".join(parts) + '"'


def cpp_int(value):
    if value == INT64_MIN:
        return "INT64_MIN"
    return str(value)


def render(tables, accessor, botocore_version):
    names = tables["names"]
    lines = []
    emit = lines.append

    def shape_ref(i):
        return f"&kShapes[{i}] /* {names[i]} */"

    emit(f"// Generated by tools/gen_service_model.py from botocore "
         f"{botocore_version}; do not edit.")
    emit(f"// {tables['service_id']} {tables['api_version']}: "
         f"{len(tables['operations'])} operations, "
         f"{len(tables['shapes'])} shapes, "
         f"{len(tables['exceptions'])} exceptions, "
         f"{len(tables['patterns'])} patterns.")
    emit("")
    emit("#include <cstdint>")
    emit("#include <string_view>")
    emit("")
    emit('#include "server/aws/model/service_model.h"')
    emit("")
    emit("// clang-format off")
    emit("namespace berth::aws::model {")
    emit("namespace {")
    emit("")

    emit("constexpr PatternModel kPatterns[] = {")
    for source, converted, fold in tables["patterns"]:
        emit(f"    {{{cpp_string(source)},")
        emit(f"     {cpp_string(converted)}, {'true' if fold else 'false'}}},")
    if not tables["patterns"]:
        emit("    {},")
    emit("};")
    emit("")

    emit("constexpr std::string_view kEnumValues[] = {")
    for row in tables["shapes"]:
        if "enum" in row:
            first, count = row["enum"]
            values = tables["enum_values"][first:first + count]
            emit(f"    // {row['name']}")
            for v in values:
                emit(f"    {cpp_string(v)},")
    if not tables["enum_values"]:
        emit('    "",')
    emit("};")
    emit("")

    emit(f"extern const ShapeModel kShapes[{len(tables['shapes'])}];")
    emit("")
    emit("constexpr MemberModel kMembers[] = {")
    for row in tables["shapes"]:
        if "members" in row:
            first, count = row["members"]
            emit(f"    // {row['name']}")
            for name, target, required, deprecated, idem in \
                    tables["members"][first:first + count]:
                fields = [f".name = {cpp_string(name)}",
                          f".target = {shape_ref(target)}"]
                if required:
                    fields.append(".required = true")
                if deprecated:
                    fields.append(".deprecated = true")
                if idem:
                    fields.append(".idempotency_token = true")
                emit(f"    {{{', '.join(fields)}}},")
    if not tables["members"]:
        emit("    {},")
    emit("};")
    emit("")

    emit(f"constexpr ShapeModel kShapes[{len(tables['shapes'])}] = {{")
    for i, row in enumerate(tables["shapes"]):
        fields = [f".name = {cpp_string(row['name'])}",
                  f".type = ShapeType::{row['type']}"]
        for flag in ("document", "is_union", "deprecated", "sensitive",
                     "exception", "fault"):
            if row.get(flag):
                fields.append(f".{flag} = true")
        if "min" in row:
            fields.append(f".min = {cpp_int(row['min'])}")
        if "max" in row:
            fields.append(f".max = {cpp_int(row['max'])}")
        if "pattern" in row:
            fields.append(f".pattern = &kPatterns[{row['pattern']}]")
        if "enum" in row:
            first, count = row["enum"]
            fields.append(f".enum_values = {{&kEnumValues[{first}], {count}}}")
        if "members" in row:
            first, count = row["members"]
            fields.append(f".members = {{&kMembers[{first}], {count}}}")
        for key in ("member", "key", "value"):
            if key in row:
                fields.append(f".{key} = {shape_ref(row[key])}")
        emit(f"    /* {i} */ {{{', '.join(fields)}}},")
    emit("};")
    emit("")

    emit("constexpr std::string_view kErrors[] = {")
    for row in tables["operations"]:
        if "errors" in row:
            first, count = row["errors"]
            emit(f"    // {row['name']}")
            for e in tables["errors"][first:first + count]:
                emit(f"    {cpp_string(e)},")
    if not tables["errors"]:
        emit('    "",')
    emit("};")
    emit("")

    emit("constexpr OperationModel kOperations[] = {")
    for row in tables["operations"]:
        fields = [f".name = {cpp_string(row['name'])}"]
        for key in ("input", "output"):
            if key in row:
                fields.append(f".{key} = {shape_ref(row[key])}")
        if "errors" in row:
            first, count = row["errors"]
            fields.append(f".errors = {{&kErrors[{first}], {count}}}")
        if row.get("deprecated"):
            fields.append(".deprecated = true")
        emit(f"    {{{', '.join(fields)}}},")
    emit("};")
    emit("")

    emit("constexpr ExceptionModel kExceptions[] = {")
    for name, i, fault in tables["exceptions"]:
        fields = [f".name = {cpp_string(name)}", f".shape = &kShapes[{i}]"]
        if fault:
            fields.append(".fault = true")
        emit(f"    {{{', '.join(fields)}}},")
    if not tables["exceptions"]:
        emit("    {},")
    emit("};")
    emit("")

    pattern_span = "kPatterns" if tables["patterns"] else "{}"
    exception_span = "kExceptions" if tables["exceptions"] else "{}"
    emit("constexpr ServiceModel kService = {")
    emit(f"    .service_id = {cpp_string(tables['service_id'])},")
    emit(f"    .target_prefix = {cpp_string(tables['target_prefix'])},")
    emit(f"    .api_version = {cpp_string(tables['api_version'])},")
    emit(f"    .botocore_version = {cpp_string(botocore_version)},")
    emit("    .operations = kOperations,")
    emit(f"    .exceptions = {exception_span},")
    emit("    .shapes = kShapes,")
    emit(f"    .patterns = {pattern_span},")
    emit("};")
    emit("")
    emit("}  // namespace")
    emit("")
    emit(f"const ServiceModel& {accessor}() {{ return kService; }}")
    emit("")
    emit("}  // namespace berth::aws::model")
    emit("// clang-format on")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--botocore-data", metavar="DIR",
                        help="botocore's data directory (default: the one "
                             "of `import botocore`)")
    parser.add_argument("--botocore-version", metavar="X.Y.Z",
                        help="version for the header (default: read from "
                             "the botocore package)")
    parser.add_argument("--out-dir", metavar="DIR",
                        default=os.path.join(
                            os.path.dirname(os.path.abspath(__file__)),
                            os.pardir, "server", "aws", "model"),
                        help="where to write the .cc files (default: "
                             "server/aws/model of this checkout)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file would change")
    args = parser.parse_args(argv)

    if args.botocore_data:
        data_dir = args.botocore_data
        version = args.botocore_version or version_from_data_dir(data_dir)
    else:
        data_dir, version = find_botocore()
        version = args.botocore_version or version

    stale = []
    for service, api_version, filename, accessor in SERVICES:
        model = load_model(data_dir, service, api_version)
        try:
            tables = build_tables(model)
        except ModelError as e:
            print(f"gen_service_model: {service} {api_version}: {e}",
                  file=sys.stderr)
            return 2
        text = render(tables, accessor, version)
        path = os.path.normpath(os.path.join(args.out_dir, filename))
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if args.check:
            stale.append(path)
            continue
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print(f"wrote {path}")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
