import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One line per event on stderr (`--log-format text`, the default), in swift-log's
/// `StreamLogHandler` layout: `2026-01-02T03:04:05.678Z info relayd: key=value [module] message`.
///
/// Unlike `StreamLogHandler`, every message, metadata key and value is escaped (`LogEscaping`):
/// clients control some of what is logged (a `stream_id`, a path, a model name), and a raw
/// line feed in one would let them write lines that look like relayd's own. Escaping here,
/// where the line is made, protects every caller at once.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.writeToStandardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        var line = JSONLogHandler.timestamp() + " \(event.level.rawValue)"
        if !label.isEmpty { line += " " + LogEscaping.escape(label) }
        line += ":"
        for key in merged.keys.sorted() {
            line += " " + LogEscaping.escape(key) + "=" + LogEscaping.escape(merged[key]!.description)
        }
        line += " [" + LogEscaping.escape(event.source) + "] " + LogEscaping.escape(event.message.description) + "\n"
        write(line)
    }
}

/// Makes text safe for a one-line log record: a line feed, carriage return or tab becomes
/// `\n`, `\r`, `\t`; every other C0 control, DEL, C1 control and the Unicode line and paragraph
/// separators (U+2028, U+2029, which some viewers break lines on) becomes `\u{XX}`; a backslash
/// becomes `\\`, so an escaped line feed and a client's literal `\n` stay distinguishable.
public enum LogEscaping {
    public static func escape(_ text: String) -> String {
        // The common case (nothing to escape) allocates nothing new.
        guard text.unicodeScalars.contains(where: needsEscaping) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscaping(scalar) else {
                output.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            case "\\": escaped = "\\\\"
            default: escaped = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            output.append(contentsOf: escaped.unicodeScalars)
        }
        return String(output)
    }

    private static func needsEscaping(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x5C: return true
        default: return false
        }
    }
}
