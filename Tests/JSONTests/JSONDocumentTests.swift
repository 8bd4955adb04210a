import Foundation
import JSON
import Testing

@Suite("JSON documents")
struct JSONDocumentTests {
    func parse(_ text: String) throws -> JSONValue { try JSONDocument(parsing: text).root }

    @Test func aProviderChunkIsReadWithoutDecodingTheRest() throws {
        let chunk = try parse(#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"choices":[{"index":0,"delta":{"content":"Hel\"lo\n ✓"},"logprobs":null,"finish_reason":null}],"usage":null}"#)
        let choice = try #require(chunk["choices"]?.first)
        #expect(choice["delta"]?["content"]?.string == "Hel\"lo\n ✓")
        #expect(choice["finish_reason"]?.isNull == true)
        #expect(choice["index"]?.int == 0)
        #expect(chunk["usage"]?.isNull == true)
        #expect(chunk["created"]?.int == 1741569952)
        #expect(chunk["missing"] == nil)
        #expect(chunk["choices"]?.count == 1)
        #expect(chunk.members.map(\.key) == ["id", "object", "created", "choices", "usage"])
    }

    @Test func scalarsAndKinds() throws {
        let value = try parse(#" [true, false, null, -0, 12.5e-1, 1E3, "", {}, [], 9223372036854775807, 92233720368547758070] "#)
        let items = value.elements
        #expect(items.map(\.kind) == [.bool, .bool, .null, .number, .number, .number, .string, .object, .array, .number, .number])
        #expect(items[0].bool == true && items[1].bool == false)
        #expect(items[3].int == 0)
        #expect(items[4].double == 1.25 && items[4].int == nil)
        #expect(items[5].int == 1000)
        #expect(items[6].string == "")
        #expect(items[7].count == 0 && items[8].count == 0)
        #expect(items[9].int == Int.max)
        #expect(items[10].int == nil, "too large for Int")
        #expect(items[10].double == 92233720368547758070)
        #expect(try parse("42").int == 42, "a scalar document")
    }

    @Test func escapesAreDecoded() throws {
        let value = try parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u4e2d\ud83d\ude00 \ud800 end""#)
        #expect(value.string == "\"\\/\u{8}\u{C}\n\r\tAé中😀 \u{FFFD} end")
    }

    @Test func keysWithEscapesAreFound() throws {
        let value = try parse(#"{"a\u0062c":1,"x":{"y":[1,{"z":"deep"}]},"x":2}"#)
        #expect(value["abc"]?.int == 1)
        #expect(value["x"]?.int == 2, "the last of repeated names")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        let document = try JSONDocument(parsing: [0x22, 0x61, 0xFF, 0x62, 0x22])
        #expect(document.root.string == "a\u{FFFD}b")
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "[+1]",
        "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"a\u{01}b\"", "tru", "nul", "[true false]", "1 2", "{\"a\":1}}", "[\"a\"\"b\"]",
        "NaN", "[Infinity]", "'a'", "\u{FEFF}{}",
    ])
    func invalidTextsAreRejected(text: String) {
        #expect(throws: JSONError.self) { _ = try JSONDocument(parsing: text) }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONError.self) { _ = try JSONDocument(parsing: deep) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(try JSONDocument(parsing: fine).root.count == 1)
    }

    /// Against Foundation's parser on mutations of realistic documents: both accept the same
    /// texts (but for Foundation's leniency about a comma before '}'), and read the same values.
    @Test func agreesWithJSONSerialization() throws {
        let seeds = [
            #"{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi \"there\"\n"},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":5}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ünïcödé ✓ \u00e9"}}"#,
            #"[1,-2.5e3,true,false,null,"s",{"k":[{}]},[]]"#,
        ]
        let replacements = Array(#"{}[],:"\-0123456789.eEtrufalsn "#.utf8)
        let insertions = Array(#"{}[],:"\0.e "#.utf8)
        var generator = SplitMix64(state: 42)
        var checked = 0
        for seed in seeds {
            let bytes = Array(seed.utf8)
            for _ in 0..<1500 {
                var mutated = bytes
                for _ in 0..<generator.below(3) + 1 {
                    let position = generator.below(mutated.count)
                    switch generator.next() % 3 {
                    case 0: mutated[position] = replacements[generator.below(replacements.count)]
                    case 1: mutated.remove(at: position)
                    default: mutated.insert(insertions[generator.below(insertions.count)], at: position)
                    }
                    if mutated.isEmpty { mutated = [0x30] }
                }
                let foundation = try? JSONSerialization.jsonObject(with: Data(mutated), options: [.fragmentsAllowed])
                let ours = try? JSONDocument(parsing: mutated)
                guard String(validating: mutated, as: UTF8.self) != nil else { continue }
                // Foundation accepts a comma before '}', which RFC 8259 does not; we follow the RFC.
                let compact = mutated.filter { $0 != 0x20 }
                if foundation != nil, ours == nil, zip(compact, compact.dropFirst()).contains(where: { $0 == 0x2C && $1 == 0x7D }) { continue }
                #expect((foundation != nil) == (ours != nil), "\(String(decoding: mutated, as: UTF8.self))")
                if let foundation, let ours { #expect(same(ours.root, foundation), "\(String(decoding: mutated, as: UTF8.self))") }
                checked += 1
            }
        }
        #expect(checked > 3000)
    }

    func same(_ value: JSONValue, _ object: Any) -> Bool {
        switch value.kind {
        case .null: return object is NSNull
        case .bool: return (object as? Bool) == value.bool
        case .string: return (object as? String) == value.string
        case .number:
            guard let number = object as? NSNumber, let double = value.double else { return false }
            return number.doubleValue == double || (double.isNaN && number.doubleValue.isNaN)
        case .array:
            guard let array = object as? [Any], array.count == value.count else { return false }
            return zip(value.elements, array).allSatisfy { same($0, $1) }
        case .object:
            guard let dictionary = object as? [String: Any] else { return false }
            let members = value.members
            var last: [String: JSONValue] = [:]
            for member in members { last[member.key] = member.value }
            return last.count == dictionary.count && last.allSatisfy { key, child in dictionary[key].map { same(child, $0) } ?? false }
        }
    }
}
