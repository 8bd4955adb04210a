import JSON
import HTTP1
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One JSON object per line on stderr (`--log-format json`), the shape Railway's log
/// explorer indexes: `{"ts":…,"level":…,"msg":…,"label":…, metadata…}`.
public struct JSONLogHandler: LogHandler {
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
        var line = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(event.level.rawValue)\",\"msg\":\(JSONText.quote(event.message.description)),\"label\":\(JSONText.quote(label))"
        let merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        for key in merged.keys.sorted() {
            line += ",\(JSONText.quote(key)):\(JSONText.quote(merged[key]!.description))"
        }
        line += "}\n"
        write(line)
    }

    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let seconds = Int(now.tv_sec)
        let days = seconds / 86_400
        let (year, month, day) = HTTPDate.civilDate(fromDays: days)
        let second = seconds % 86_400
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(year)-\(pad(month, 2))-\(pad(day, 2))T\(pad(second / 3600, 2)):\(pad(second / 60 % 60, 2)):\(pad(second % 60, 2)).\(pad(Int(now.tv_nsec) / 1_000_000, 3))Z"
    }
}
