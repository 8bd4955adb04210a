#!/usr/bin/env python3
"""Differential check of relayd's JSON parser (Sources/JSON) against Python's json.loads.

A few thousand inputs (generated documents, mutations of them, hand-picked edge cases and the
fuzz corpora) go through the JSON fuzz binary, which reports accept/reject per input when
JSON_VERDICTS is set (see fuzz/JSONParserFuzz.swift), and through json.loads made strict:

- NaN, Infinity and -Infinity are rejected (parse_constant raises): RFC 8259 has no such
  literals;
- numbers are kept as text (parse_int/parse_float=str), so Python's limit on long integers
  (4300 digits) does not reject what the grammar allows;
- the bytes are decoded as UTF-8 with surrogateescape, not by json.loads: relayd does not
  validate UTF-8 inside strings (JSONValue.string turns bad bytes into U+FFFD), and Python
  would otherwise also guess UTF-16/32 from NUL bytes.

Documented differences, not failures: relayd rejects nesting deeper than JSONDocument.maxDepth
(256) where Python goes on (to its recursion limit). Lone surrogate escapes (\\ud800) are
accepted by both (relayd reads them as U+FFFD).

Exits 1 on any other disagreement, after printing the inputs (saved under
fuzz/.build/json-differential/ for `fuzz/run.sh --repro json FILE`).

Usage: fuzz/json-differential.py --binary fuzz/.build/json/fuzz [--corpus DIR]... [--count N] [--seed S]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile


def fnv1a(data):
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(value, "x")


def reject_constant(name):
    raise ValueError("not JSON: " + name)


def python_verdict(data):
    text = data.decode("utf-8", "surrogateescape")
    try:
        json.loads(text, parse_constant=reject_constant, parse_int=str, parse_float=str)
        return "accept"
    except RecursionError:
        return "reject-recursion"
    except ValueError:
        return "reject"


EDGE_CASES = [
    b"", b" ", b"0", b"-0", b"01", b"-", b"-01", b"1.", b".1", b"1e", b"1e+", b"1E5", b"+1", b"0x1", b"1_000",
    b"NaN", b"Infinity", b"-Infinity", b"nul", b"truex", b"True", b"[1,]", b"[,1]", b"{,}", b'{"a"}', b'{"a":1,}',
    b'{"a" 1}', b"{1:2}", b'"\\x"', b'"\\u12"', b'"\\u12G4"', b'"\\U0041"', b'"\t"', b'"\x7f"', b'"\x00"', b"[1]x",
    b"\xef\xbb\xbf[1]", b"[1] ", b"\t[\r\n1\n]\r", b"\x0b[1]", b"\x0c[1]", b"\xc2\xa0[1]", b'"\xff"', b'["\xc3\x28"]',
    b'"\xed\xa0\x80"', b'"\\ud800"', b'"\\udc00\\ud800"', b'"\\ud83d\\ude00"', b"[" * 256 + b"]" * 256,
    b"[" * 257 + b"]" * 257, b'{"a":' * 256 + b"1" + b"}" * 256, b'{"a":' * 257 + b"1" + b"}" * 257,
    b"1" * 5000, b"-" + b"9" * 5000 + b"e-99999", b"1e99999", b"[1.5e308,4.9e-324]", b"\x00", b"[\x00]",
    b'{"\xff":1}', b"\"abc", b"[\"a\",", b"{\"a\":}", b"[1 2]", b"[true false]", b"nulll", b"[-]", b"[--1]",
]


def random_string(rng):
    pieces = []
    for _ in range(rng.randint(0, 6)):
        kind = rng.random()
        if kind < 0.4:
            pieces.append("".join(rng.choice("abcxyz ") for _ in range(rng.randint(0, 5))))
        elif kind < 0.6:
            pieces.append(rng.choice(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]))
        elif kind < 0.8:
            pieces.append("\\u%04x" % rng.choice([0, 0x1F, 0x41, 0xE9, 0x2028, 0xD800, 0xDBFF, 0xDC00, 0xFFFF, rng.randint(0, 0xFFFF)]))
        else:
            pieces.append(rng.choice(["é", "€", "😀", "\u2028", "中文"]))
    return '"' + "".join(pieces) + '"'


def random_number(rng):
    sign = rng.choice(["", "", "-"])
    integer = rng.choice(["0", str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 25)))])
    fraction = rng.choice(["", "", "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 5)))])
    exponent = rng.choice(["", "", rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 400))])
    return sign + integer + fraction + exponent


def whitespace(rng):
    return "".join(rng.choice(" \t\n\r") for _ in range(rng.choice([0, 0, 0, 1, 2])))


def random_value(rng, depth=0):
    kind = rng.random()
    if depth > 4 or kind < 0.45:
        return rng.choice([random_string, random_number, lambda r: r.choice(["true", "false", "null"])])(rng)
    w = lambda: whitespace(rng)
    if kind < 0.75:
        items = [w() + random_value(rng, depth + 1) + w() for _ in range(rng.randint(0, 4))]
        return "[" + ",".join(items) + "]"
    members = [w() + random_string(rng) + w() + ":" + w() + random_value(rng, depth + 1) + w() for _ in range(rng.randint(0, 4))]
    return "{" + ",".join(members) + "}"


MUTATION_BYTES = b'{}[],:"\\eE.-+01unft \x00\x1f\x7f\xff\xc3\x80\t\n'


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        position = rng.randint(0, len(data))
        if choice < 0.3 and data:
            del data[min(position, len(data) - 1)]
        elif choice < 0.6:
            data.insert(position, rng.choice(MUTATION_BYTES))
        elif choice < 0.8 and data:
            data[min(position, len(data) - 1)] = rng.choice(MUTATION_BYTES)
        elif choice < 0.9:
            del data[position:]
        else:
            end = rng.randint(position, len(data))
            data[position:position] = data[position:end]
    return bytes(data)


def inputs(args):
    rng = random.Random(args.seed)
    found = list(EDGE_CASES)
    generated = [(whitespace(rng) + random_value(rng) + whitespace(rng)).encode("utf-8", "surrogatepass")
                 for _ in range(args.count // 2)]
    found += generated
    found += [mutate(rng, rng.choice(generated)) for _ in range(args.count // 2)]
    for directory in args.corpus:
        if not os.path.isdir(directory):
            continue
        names = sorted(os.listdir(directory))
        rng.shuffle(names)
        for name in names[: args.count]:
            with open(os.path.join(directory, name), "rb") as f:
                found.append(f.read())
    unique = {}
    for data in found:
        unique.setdefault(fnv1a(data), data)
    return unique


def relayd_verdicts(binary, unique):
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for key, data in unique.items():
            path = os.path.join(directory, key)
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        verdicts_path = os.path.join(directory, "verdicts.txt")
        environment = dict(os.environ, JSON_VERDICTS=verdicts_path, SWIFT_BACKTRACE="enable=no")
        for start in range(0, len(paths), 500):
            result = subprocess.run([binary] + paths[start:start + 500], env=environment,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if result.returncode != 0:
                sys.stdout.write(result.stdout.decode(errors="replace")[-4000:])
                sys.exit("the JSON fuzz binary failed (an invariant, above); not a differential result")
        verdicts = {}
        with open(verdicts_path) as f:
            for line in f:
                key, verdict = line.split()
                verdicts[key] = verdict
        return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--corpus", action="append", default=[])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("JSON_DIFFERENTIAL_SEED", "8259")))
    args = parser.parse_args()

    unique = inputs(args)
    ours = relayd_verdicts(args.binary, unique)
    counts = {"agree": 0, "depth limit (documented)": 0, "disagree": 0}
    disagreements = []
    for key, data in unique.items():
        relayd = ours.get(key)
        python = python_verdict(data)
        if relayd is None:
            sys.exit("no verdict from the binary for input %s" % key)
        relayd_accepts, python_accepts = relayd == "accept", python == "accept"
        if relayd_accepts == python_accepts:
            counts["agree"] += 1
        elif relayd == "reject-depth" and python_accepts:
            counts["depth limit (documented)"] += 1
        else:
            counts["disagree"] += 1
            disagreements.append((key, data, relayd, python))

    accepted = sum(1 for verdict in ours.values() if verdict == "accept")
    print("json differential: %d inputs (relayd accepts %d): %s"
          % (len(unique), accepted, ", ".join("%s %d" % item for item in counts.items())))
    if disagreements:
        saved = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".build", "json-differential")
        os.makedirs(saved, exist_ok=True)
        for key, data, relayd, python in disagreements[:20]:
            with open(os.path.join(saved, key), "wb") as f:
                f.write(data)
            print("  relayd %s, python %s: %r (saved as %s)" % (relayd, python, data[:200], os.path.join(saved, key)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
