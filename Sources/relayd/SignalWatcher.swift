import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGTERM and SIGINT into a call on a queue (a `DispatchSourceSignal` for each;
/// the default action is ignored so the process can drain). relayd often runs as PID 1 in a
/// container, where the kernel drops signals that have no handler: this is that handler.
/// A second SIGINT exits at once, for an impatient Ctrl-C; a second SIGTERM (platforms
/// repeat it) changes nothing: the drain already under way goes on.
final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var received = 0

    init(queue: DispatchQueue = DispatchQueue(label: "relayd.signals"), onTerminate: @escaping @Sendable (Int32) -> Void) {
        signal(SIGPIPE, SIG_IGN)
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.received += 1
                if self.received > 1 {
                    if number == SIGINT { Glibc.exit(130) }
                    return
                }
                onTerminate(number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
