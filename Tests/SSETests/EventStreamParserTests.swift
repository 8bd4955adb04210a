import SSE
import Testing

/// Parses `input` whole, byte by byte and split at every position; all must agree.
func parseAllWays(_ input: String, file: StaticString = #filePath) throws -> [EventStreamItem] {
    let bytes = Array(input.utf8)
    var whole = EventStreamParser()
    let expected = try whole.parse(bytes)
    var single = EventStreamParser()
    var byByte: [EventStreamItem] = []
    for byte in bytes { byByte += try single.parse([byte]) }
    #expect(byByte == expected, "byte by byte")
    for split in 0...bytes.count {
        var parser = EventStreamParser()
        let items = try parser.parse(bytes[..<split]) + parser.parse(bytes[split...])
        #expect(items == expected, "split at \(split)")
    }
    return expected
}

@Suite("EventStreamParser (WHATWG)")
struct EventStreamParserTests {
    @Test func simpleEventsAndLineEnds() throws {
        for end in ["\n", "\r", "\r\n"] {
            let items = try parseAllWays("data: hello\(end)\(end)data: world\(end)\(end)")
            #expect(items == [.event(ServerSentEvent(data: "hello")), .event(ServerSentEvent(data: "world"))], "line end \(end.debugDescription)")
        }
    }

    @Test func crlfSplitAcrossReadsIsOneLineEnd() throws {
        var parser = EventStreamParser()
        var items = try parser.parse(Array("data: a\r".utf8))
        items += try parser.parse(Array("\ndata: b\r\n\r\n".utf8))
        #expect(items == [.event(ServerSentEvent(data: "a\nb"))])
    }

    @Test func multiLineDataTypesIdsAndRetry() throws {
        let items = try parseAllWays("event: chunk\nid: 7\ndata: {\"a\":1}\ndata: second\nretry: 1500\n\nevent: done\ndata:x\n\n")
        #expect(items == [
            .retry(1500),
            .event(ServerSentEvent(type: "chunk", data: "{\"a\":1}\nsecond", lastEventID: "7")),
            .event(ServerSentEvent(type: "done", data: "x", lastEventID: "7")),
        ])
    }

    @Test func commentsAreReported() throws {
        let items = try parseAllWays(": keep-alive\n\n: OPENROUTER PROCESSING\n\ndata: 1\n\n")
        #expect(items == [.comment("keep-alive"), .comment("OPENROUTER PROCESSING"), .event(ServerSentEvent(data: "1"))])
    }

    @Test func fieldRules() throws {
        // No space after the colon keeps the value; only one space is removed; a field with no
        // colon has an empty value; unknown fields are ignored; bad retry is ignored; an id
        // with NUL is ignored.
        let items = try parseAllWays("data:no-space\ndata:  two\ndata\nfoo: bar\nretry: 12a\nid: a\u{0}b\n\n")
        #expect(items == [.event(ServerSentEvent(data: "no-space\n two\n"))])
    }

    @Test func emptyDataIsNotDispatchedButAnEmptyDataLineIs() throws {
        #expect(try parseAllWays("event: x\n\n") == [])
        #expect(try parseAllWays("data\n\n") == [.event(ServerSentEvent(data: ""))])
    }

    @Test func oneLeadingBOMIsSkipped() throws {
        #expect(try parseAllWays("\u{FEFF}data: a\n\n") == [.event(ServerSentEvent(data: "a"))])
        // A second BOM is content: the field name becomes "\u{FEFF}data", which is ignored.
        #expect(try parseAllWays("\u{FEFF}\u{FEFF}data: a\n\n") == [])
        // Bytes that merely start like a BOM are kept.
        var parser = EventStreamParser()
        let items = try parser.parse([0xEF, 0xBB] + Array("x\ndata: b\n\n".utf8))
        #expect(items == [.event(ServerSentEvent(data: "b"))])
    }

    @Test func partialEventAtTheEndIsVisible() throws {
        var parser = EventStreamParser()
        _ = try parser.parse(Array("data: {\"choices\":[]}\n".utf8))
        #expect(parser.hasPartialEvent)
        _ = try parser.parse(Array("\n".utf8))
        #expect(!parser.hasPartialEvent)
    }

    @Test func anEventOverTheLimitThrows() {
        var parser = EventStreamParser(maxEventBytes: 64)
        #expect(throws: EventStreamParser.TooLarge.self) {
            _ = try parser.parse(Array(("data: " + String(repeating: "x", count: 100) + "\n").utf8))
        }
    }

    @Test func encoderRoundTrips() throws {
        let bytes = EventStreamEncoder.event(type: "chunk", id: "3", data: "line one\nline two") + EventStreamEncoder.comment("ping")
        var parser = EventStreamParser()
        let items = try parser.parse(bytes)
        #expect(items == [.event(ServerSentEvent(type: "chunk", data: "line one\nline two", lastEventID: "3")), .comment("ping")])
        #expect(String(decoding: EventStreamEncoder.event(type: "a\nb", data: "x"), as: UTF8.self) == "event: a b\ndata: x\n\n")
    }

    /// Found by fuzz/SSEParserFuzz.swift: CRLF in data is one Character, so splitting the
    /// data into Characters left it inside one `data:` line, and the parser, ending the line at
    /// its LF, dropped everything after it.
    @Test func encoderSplitsDataAtTheLFOfACRLF() throws {
        let bytes = EventStreamEncoder.event(type: "a", id: "1", data: "x\r\ndataevent\r")
        #expect(String(decoding: bytes, as: UTF8.self) == "event: a\nid: 1\ndata: x \ndata: dataevent \n\n")
        var parser = EventStreamParser()
        #expect(try parser.parse(bytes) == [.event(ServerSentEvent(type: "a", data: "x \ndataevent ", lastEventID: "1"))])
        #expect(EventStreamEncoder.event(data: "") == Array("data: \n\n".utf8))
    }
}
