import Dispatch
import HTTP1
import RelayIO
import WebSocket
#if canImport(Glibc)
import Glibc
#endif

/// Per-event-loop server state: the loop's connections (for timeouts and drain) and the
/// cached `Date` value. Touched only on the loop's thread.
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    var connections: [UInt64: any ManagedConnection] = [:]
    /// Compression codecs lent per message to this loop's WebSocket sessions.
    let codecs = CodecPool()
    var sweepTimer: RepeatingTimer?
    private var dateSecond = -1
    private var dateValue = ""

    init(loop: EventLoop) { self.loop = loop }

    /// The `Date` header value, formatted at most once a second.
    var date: String {
        let now = Int(time(nil))
        if now != dateSecond {
            dateSecond = now
            dateValue = HTTPDate.format(secondsSince1970: now)
        }
        return dateValue
    }

    func sweep(now: ContinuousClock.Instant) {
        for connection in connections.values { connection.checkTimeout(at: now) }
    }
}
