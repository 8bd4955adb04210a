// libFuzzer entry point for the JSON parser (Sources/JSON). Built by fuzz/run.sh as one
// module with Sources/JSON/*.swift and fuzz/FuzzSupport.swift, so it sees the tokens.
//
// For every input:
//   - accepted: the token list is no longer than the input; every value's accessors agree
//     (`count` with `elements`/`members`, `first` with `elements.first`, `subscript` with the
//     last member of that name, `int` with `double`); the document written back canonically
//     (strings decoded and re-quoted with `JSONText.quote`, numbers as their raw text) parses,
//     and writing that again gives the same text (decode → quote → parse round trip);
//   - rejected: the error offset lies within the input, and a "nesting deeper than" error
//     only comes when brackets really nest past `JSONDocument.maxDepth` before that offset;
//   - `JSONText.quote` of the input decoded as UTF-8 parses back to the same string, and
//     `JSONObjectWriter` with a number taken from the input writes JSON that reads it back.
//
// With JSON_VERDICTS=path in the environment, each input also appends one line
// "<fnv1a-64 hex> accept|reject|reject-depth" to that file: fuzz/json-differential.py
// compares those verdicts with Python's json.loads.

#if canImport(Glibc)
import Glibc
#endif

let target = "JSON"

/// Canonical text of a value, checking the accessors on the way.
func canonical(_ value: JSONValue, _ input: UnsafeBufferPointer<UInt8>, depth: Int = 0) -> String {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }
    check(depth <= JSONDocument.maxDepth, "value nested \(depth) deep was accepted")
    switch value.kind {
    case .object:
        let members = value.members
        check(members.count == value.count, "object count \(value.count) but \(members.count) members")
        check(value.elements.isEmpty && value.first == nil, "an object has elements")
        var text = "{"
        for (offset, member) in members.enumerated() {
            if offset > 0 { text += "," }
            let memberText = canonical(member.value, input, depth: depth + 1)
            text += JSONText.quote(member.key) + ":" + memberText
            // A key with invalid UTF-8 reads as U+FFFD in `members` but is matched by its
            // bytes: it cannot be looked up by the decoded name (relayd only asks for ASCII names).
            guard offset < 16, !member.key.unicodeScalars.contains("\u{FFFD}") else { continue }
            if let found = value[member.key] {
                let last = members.last { $0.key == member.key }!
                check(found.index == last.value.index,
                      "subscript[\(escaped(member.key))] is not the last member of that name")
            } else {
                check(false, "subscript[\(escaped(member.key))] found nothing")
            }
        }
        return text + "}"
    case .array:
        let elements = value.elements
        check(elements.count == value.count, "array count \(value.count) but \(elements.count) elements")
        check(value.members.isEmpty, "an array has members")
        check((value.first == nil) == elements.isEmpty, "first disagrees with elements")
        if let first = value.first {
            check(first.index == elements[0].index, "first is not elements[0]")
        }
        return "[" + elements.map { canonical($0, input, depth: depth + 1) }.joined(separator: ",") + "]"
    case .string:
        guard let string = value.string else { check(false, "a string without a string value"); return "" }
        check(value.int == nil && value.double == nil && value.bool == nil, "a string with a number or bool value")
        return JSONText.quote(string)
    case .number:
        let raw = value.rawText
        check(value.string == nil && value.bool == nil, "a number with a string or bool value")
        guard let double = value.double else { check(false, "number \(raw) has no double value"); return raw }
        if let int = value.int {
            check(Double(int) == double, "number \(raw): int \(int) but double \(double)")
        } else if double == double.rounded(), abs(double) < 9e18 {
            check(false, "number \(raw) is integral (\(double)) but has no int value")
        }
        return raw
    case .bool:
        guard let bool = value.bool else { check(false, "a bool without a bool value"); return "" }
        return bool ? "true" : "false"
    case .null:
        check(value.isNull, "null kind but not isNull")
        return "null"
    }
}

/// How deep brackets nest (outside strings) in the first `end` bytes.
func nestingDepth(_ input: UnsafeBufferPointer<UInt8>, upTo end: Int) -> Int {
    var depth = 0
    var deepest = 0
    var inString = false
    var index = 0
    while index < min(end + 1, input.count) {
        let byte = input[index]
        if inString {
            if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
        } else {
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        index += 1
    }
    return deepest
}

nonisolated(unsafe) var verdicts: UnsafeMutablePointer<FILE>? = {
    guard let path = getenv("JSON_VERDICTS") else { return nil }
    return fopen(path, "a")
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }

    var verdict = "accept"
    do {
        let document = try JSONDocument(parsing: input)
        check(document.tokens.count <= size, "\(document.tokens.count) tokens for \(size) bytes")
        let text = canonical(document.root, input)
        do {
            let again = try JSONDocument(parsing: text.utf8)
            let textAgain = canonical(again.root, input)
            check(textAgain == text, "canonical text changed on a second pass:\n  first:  \(escaped(text))\n  second: \(escaped(textAgain))")
        } catch {
            check(false, "canonical text \(escaped(text)) does not parse: \(error)")
        }
    } catch {
        check(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside \(size) bytes")
        if error.reason.hasPrefix("nesting deeper") {
            verdict = "reject-depth"
            let depth = nestingDepth(input, upTo: error.offset)
            check(depth > JSONDocument.maxDepth, "nesting error at depth \(depth)")
        } else {
            verdict = "reject"
        }
    }

    // quote → parse round trip for arbitrary text.
    let text = String(decoding: input, as: UTF8.self)
    let quoted = JSONText.quote(text)
    do {
        let parsed = try JSONDocument(parsing: quoted).root.string
        check(parsed == text, "JSONText.quote round trip gave \(escaped(parsed ?? "nil"))")
    } catch {
        check(false, "JSONText.quote produced invalid JSON \(escaped(quoted)): \(error)")
    }

    // JSONObjectWriter with a number from the input.
    if size >= 8 {
        var bits: UInt64 = 0
        for index in 0..<8 { bits = bits << 8 | UInt64(input[index]) }
        let number = Double(bitPattern: bits)
        var writer = JSONObjectWriter()
        writer.add("n", number)
        writer.add("i", Int(truncatingIfNeeded: bits))
        writer.add("s", strings: [text])
        do {
            let object = try JSONDocument(parsing: writer.json).root
            if number.isFinite {
                check(object["n"]?.double == number, "JSONObjectWriter wrote \(number) as \(object["n"]?.rawText ?? "nil")")
            } else {
                check(object["n"]?.isNull == true, "JSONObjectWriter wrote \(number) as \(object["n"]?.rawText ?? "nil")")
            }
            check(object["i"]?.int == Int(truncatingIfNeeded: bits), "JSONObjectWriter wrote an Int that reads back differently")
            check(object["s"]?.first?.string == text, "JSONObjectWriter strings round trip")
        } catch {
            check(false, "JSONObjectWriter produced invalid JSON \(escaped(writer.json)): \(error)")
        }
    }

    if let verdicts {
        let hash = String(fnv1a(input), radix: 16)
        fputs("\(hash) \(verdict)\n", verdicts)
        fflush(verdicts)
    }
    return 0
}
