import Streams
import Testing

@Suite("replay buffers")
struct ReplayBufferTests {
    func event(_ seq: Int, _ text: String = "x") -> StreamEvent {
        StreamEvent(seq: seq, kind: seq == 0 ? .start : .chunk, json: #"{"seq":\#(seq),"c":"\#(text)"}"#)
    }

    @Test func everyEventAfterASeq() {
        var buffer = ReplayBuffer(maxBytes: 1 << 20)
        for seq in 0...10 { buffer.append(event(seq)) }
        #expect(buffer.lastSeq == 10)
        #expect(buffer.events(after: -1)?.map(\.seq) == Array(0...10))
        #expect(buffer.events(after: 0)?.map(\.seq) == Array(1...10))
        #expect(buffer.events(after: 7)?.map(\.seq) == [8, 9, 10])
        #expect(buffer.events(after: 10)?.isEmpty == true)
        #expect(buffer.events(after: 99)?.isEmpty == true, "a client ahead of us gets nothing, not an error")
        // Seqs come from clients: the extremes must not trap (`seq + 1` overflowed here).
        #expect(buffer.events(after: Int.max)?.isEmpty == true)
        #expect(buffer.events(after: Int.max - 1)?.isEmpty == true)
        #expect(buffer.events(after: Int.min) == nil)
        #expect(ReplayBuffer(maxBytes: 1024).events(after: Int.max)?.isEmpty == true)
        #expect(!buffer.isFinished)
        buffer.append(StreamEvent(seq: 11, kind: .done, json: "{}"))
        #expect(buffer.isFinished)
    }

    @Test func theOldestGoWhenOverTheBoundAndAResumeNeedingThemFails() {
        let size = event(150).cost // the last events all have three-digit seqs
        var buffer = ReplayBuffer(maxBytes: size * 5)
        for seq in 0..<200 { buffer.append(event(seq)) }
        #expect(buffer.bytes <= size * 5)
        #expect(buffer.count == 5)
        #expect(buffer.droppedThrough == 194)
        #expect(buffer.events(after: 194)?.map(\.seq) == [195, 196, 197, 198, 199])
        #expect(buffer.events(after: 197)?.map(\.seq) == [198, 199])
        #expect(buffer.events(after: 193) == nil, "seq 194 is gone: no resume with a hole")
        #expect(buffer.events(after: -1) == nil)
    }

    @Test func theNewestIsKeptEvenWhenAloneOverTheBound() {
        var buffer = ReplayBuffer(maxBytes: 10)
        buffer.append(event(0, String(repeating: "a", count: 100)))
        buffer.append(StreamEvent(seq: 1, kind: .error, json: String(repeating: "e", count: 100)))
        #expect(buffer.count == 1)
        #expect(buffer.isFinished)
        #expect(buffer.events(after: 0)?.map(\.seq) == [1])
    }

    @Test func theGrowthIsReportedForAGlobalAccount() {
        var buffer = ReplayBuffer(maxBytes: 1 << 20)
        let first = buffer.append(event(0))
        #expect(first == event(0).cost)
        #expect(buffer.append(event(1)) == event(1).cost)
        #expect(buffer.bytes == first + event(1).cost)
    }
}
