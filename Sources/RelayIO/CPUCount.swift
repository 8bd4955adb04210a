import CSystemShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many CPUs this process may run on: the affinity mask, not the machine's count, so a
/// server pinned with `taskset -c 0` starts one event loop, not one per core it cannot use.
public enum CPUCount {
    public static var usable: Int {
        let pinned = Int(relayd_usable_cpu_count())
        if pinned > 0 { return pinned }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
