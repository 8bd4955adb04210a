import Logging
import Synchronization
import Testing
@testable import RelayServer

/// The text log format escapes what clients control, so no value can start a line of its own.
@Suite("text logs")
struct TextLogHandlerTests {
    final class Lines: Sendable {
        let written = Mutex<[String]>([])
    }

    @Test func controlCharactersInMessagesAndMetadataAreEscaped() {
        let lines = Lines()
        var logger = Logger(label: "relayd") { label in TextLogHandler(label: label) { line in lines.written.withLock { $0.append(line) } } }
        logger.logLevel = .debug
        logger.info("resumed \("x\nFORGED")", metadata: ["relayd.stream": "a\r\nb\u{0}c\u{1B}[31m\u{7F}\u{85}\u{2028}\\n", "k\ney": "v"])
        let written = lines.written.withLock { $0 }
        #expect(written.count == 1)
        let line = written[0]
        #expect(line.hasSuffix("\n") && line.dropLast().allSatisfy { !$0.isNewline }, "\(line)")
        #expect(line.contains(#"relayd.stream=a\r\nb\u{0}c\u{1B}[31m\u{7F}\u{85}\u{2028}\\n"#), "\(line)")
        #expect(line.contains(#"k\ney=v"#) && line.hasSuffix(#"[RelayServerTests] resumed x\nFORGED"# + "\n"), "\(line)")
        #expect(line.contains(" info relayd: "), "swift-log's StreamLogHandler layout")
    }

    @Test func plainTextIsUnchanged() {
        #expect(LogEscaping.escape("chat started: gpt-4o-mini, 3 messages") == "chat started: gpt-4o-mini, 3 messages")
        #expect(LogEscaping.escape("héllo 🙂") == "héllo 🙂")
    }
}
