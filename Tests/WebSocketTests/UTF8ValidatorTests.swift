import Testing
@testable import WebSocket

/// Index of the byte at which validation fails when `sequence` is fed one byte per call, or
/// nil if every call passes.
private func failingIndexByteByByte(_ sequence: [UInt8]) -> Int? {
    var validator = UTF8Validator()
    for (index, byte) in sequence.enumerated() where !validator.validate([byte]) { return index }
    return nil
}

private func validateWhole(_ sequence: [UInt8]) -> (valid: Bool, complete: Bool) {
    var validator = UTF8Validator()
    let valid = validator.validate(sequence)
    return (valid, validator.isComplete)
}

@Suite("UTF8Validator (Autobahn 6.x style)")
struct UTF8ValidatorTests {
    static let valid: [(String, [UInt8])] = [
        ("empty", []),
        ("κόσμε", [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5]),
        ("U+0000", [0x00]),
        ("U+007F", [0x7F]),
        ("U+0080", [0xC2, 0x80]),
        ("U+07FF", [0xDF, 0xBF]),
        ("U+0800", [0xE0, 0xA0, 0x80]),
        ("U+D7FF", [0xED, 0x9F, 0xBF]),
        ("U+E000", [0xEE, 0x80, 0x80]),
        ("U+FFFD", [0xEF, 0xBF, 0xBD]),
        ("U+FFFF", [0xEF, 0xBF, 0xBF]),
        ("U+10000", [0xF0, 0x90, 0x80, 0x80]),
        ("U+3FFFF", [0xF0, 0xBF, 0xBF, 0xBF]),
        ("U+40000", [0xF1, 0x80, 0x80, 0x80]),
        ("U+FFFFF", [0xF3, 0xBF, 0xBF, 0xBF]),
        ("U+100000", [0xF4, 0x80, 0x80, 0x80]),
        ("U+10FFFF", [0xF4, 0x8F, 0xBF, 0xBF]),
        ("mixed", Array("Hello-µ@ßöäüàá-UTF-8!! 😀 €".utf8)),
    ]

    /// Invalid sequences with the index of the first byte that makes them invalid.
    static let invalid: [(String, [UInt8], Int)] = [
        ("FE", [0xFE], 0),
        ("FF", [0xFF], 0),
        ("FE FE FF FF", [0xFE, 0xFE, 0xFF, 0xFF], 0),
        ("lone continuation 80", [0x80], 0),
        ("lone continuation BF", [0xBF], 0),
        ("continuation after ASCII", [0x61, 0x80], 1),
        ("extra continuation", [0xC2, 0x80, 0x80], 2),
        ("5-byte form", [0xF8, 0x88, 0x80, 0x80, 0x80], 0),
        ("6-byte form", [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80], 0),
        ("overlong / as C0 AF", [0xC0, 0xAF], 0),
        ("overlong NUL C0 80", [0xC0, 0x80], 0),
        ("overlong C1 BF", [0xC1, 0xBF], 0),
        ("overlong NUL E0 80 80", [0xE0, 0x80, 0x80], 1),
        ("overlong E0 9F BF", [0xE0, 0x9F, 0xBF], 1),
        ("overlong F0 80 80 80", [0xF0, 0x80, 0x80, 0x80], 1),
        ("overlong F0 8F BF BF", [0xF0, 0x8F, 0xBF, 0xBF], 1),
        ("surrogate D800", [0xED, 0xA0, 0x80], 1),
        ("surrogate DBFF", [0xED, 0xAF, 0xBF], 1),
        ("surrogate DC00", [0xED, 0xB0, 0x80], 1),
        ("surrogate DFFF", [0xED, 0xBF, 0xBF], 1),
        ("surrogate pair", [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80], 1),
        ("U+110000", [0xF4, 0x90, 0x80, 0x80], 1),
        ("F5 lead", [0xF5, 0x80, 0x80, 0x80], 0),
        ("F7 lead", [0xF7, 0xBF, 0xBF, 0xBF], 0),
        ("lead then ASCII", [0xE2, 0x82, 0x41], 2),
        ("lead then lead", [0xC3, 0xC3, 0xA9], 1),
        ("κόσμε then ED A0 80", [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80], 12),
    ]

    @Test(arguments: valid.map(\.0))
    func validSequence(name: String) {
        let sequence = Self.valid.first { $0.0 == name }!.1
        let whole = validateWhole(sequence)
        #expect(whole.valid && whole.complete, "\(name) \(hex(sequence))")
        #expect(failingIndexByteByByte(sequence) == nil)
        // Split in two anywhere: still valid, and complete only at the end.
        for split in 0...sequence.count {
            var validator = UTF8Validator()
            let first = validator.validate(Array(sequence[..<split]))
            let second = validator.validate(Array(sequence[split...]))
            #expect(first && second && validator.isComplete, "split at \(split)")
        }
    }

    @Test(arguments: invalid.map(\.0))
    func invalidSequence(name: String) {
        let (_, sequence, badIndex) = Self.invalid.first { $0.0 == name }!
        #expect(!validateWhole(sequence).valid, "\(name) \(hex(sequence))")
        #expect(failingIndexByteByByte(sequence) == badIndex, "\(name)")
        // Behind a run of ASCII (the eight-bytes-at-a-time path) it is still found.
        for padding in [1, 7, 8, 9, 16, 31] {
            #expect(!validateWhole([UInt8](repeating: 0x61, count: padding) + sequence).valid, "\(name) after \(padding)")
        }
    }

    @Test func incompleteSequencesAreValidButNotComplete() {
        for prefix in [[0xC2], [0xE0, 0xA0], [0xE2], [0xF0, 0x90, 0x80], [0xF4, 0x8F], [0x61, 0xF1]] as [[UInt8]] {
            let result = validateWhole(prefix)
            #expect(result.valid, "\(hex(prefix)) may still become valid")
            #expect(!result.complete, "\(hex(prefix)) ends inside a code point")
        }
    }

    @Test func badByteAnywhereInALongASCIIRun() {
        for position in 0..<40 {
            var data = [UInt8](repeating: 0x41, count: 40)
            data[position] = 0x80
            #expect(!validateWhole(data).valid, "0x80 at \(position)")
            data[position] = 0xE2 // a lead byte followed by ASCII
            #expect(!validateWhole(data).valid || position == 39, "E2 at \(position)")
        }
        #expect(validateWhole([UInt8](repeating: 0x7F, count: 40)).valid)
    }

    @Test func resetForgetsAPartialCodePoint() {
        var validator = UTF8Validator()
        let partial = validator.validate([0xE2, 0x82])
        #expect(partial && !validator.isComplete)
        validator.reset()
        #expect(validator.isComplete)
        let afterReset = validator.validate([0xAC])
        #expect(!afterReset, "a continuation byte after reset has no lead")
    }

    @Test func everyTwoByteAndThreeByteLeadBoundary() {
        // Compared with Swift's own decoder over every 1-, 2- and 3-byte sequence of
        // interesting bytes.
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                    0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        var sequences: [[UInt8]] = interesting.map { [$0] }
        for a in interesting { for b in interesting { sequences.append([a, b]) } }
        for a in interesting where a >= 0xE0 { for b in interesting { for c in interesting { sequences.append([a, b, c]) } } }
        for a: UInt8 in [0xF0, 0xF1, 0xF4] { for b in interesting { for c: UInt8 in [0x80, 0xBF] { for d in interesting { sequences.append([a, b, c, d]) } } } }
        for sequence in sequences {
            let swiftValid = String(validating: sequence, as: UTF8.self) != nil
            let result = validateWhole(sequence)
            #expect((result.valid && result.complete) == swiftValid, "\(hex(sequence))")
        }
    }
}
