import Foundation

/// glibc functions that Swift's Glibc module hides (they need `_GNU_SOURCE`), resolved once with `dlsym` and
/// called through properly typed C function pointers.
enum GNULibC {
    private typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    private typealias PidfdOpen = @convention(c) (Int32, UInt32) -> Int32
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let raw = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(raw, to: type)
    }

    private static let setnsFunction = symbol("setns", as: SetNS.self)
    private static let pidfdOpenFunction = symbol("pidfd_open", as: PidfdOpen.self)
    private static let closeFromFunction = symbol("posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self)

    /// `CLONE_NEWNET`.
    static let newNetworkNamespace: Int32 = 0x4000_0000

    /// `setns(2)` on the calling thread; returns false (errno set) when unavailable or refused.
    static func setns(_ fd: Int32, _ type: Int32) -> Bool {
        guard let setnsFunction else {
            errno = ENOSYS
            return false
        }
        return setnsFunction(fd, type) == 0
    }

    /// `pidfd_open(2)`: a close-on-exec descriptor that pins a process and becomes readable when it ends; -1 when
    /// unavailable or when there is no such process.
    static func pidfdOpen(_ pid: Int32) -> Int32 {
        guard let pidfdOpenFunction else {
            errno = ENOSYS
            return -1
        }
        return pidfdOpenFunction(pid, 0)
    }

    /// `posix_spawn_file_actions_addclosefrom_np`: the child closes every descriptor from `lowest` up.
    static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) -> Bool {
        guard let closeFromFunction else { return false }
        return closeFromFunction(&actions, lowest) == 0
    }
}
