import Foundation

/// What a command run inside a pod produced.
public struct ExecResult: Sendable, Hashable {
    /// How it ended.
    public var status: ExitStatus
    /// Its standard output (up to the limit).
    public var output: [UInt8]
    /// Its standard error (up to the limit).
    public var errorOutput: [UInt8]
    /// Whether standard output went past the limit (the rest was dropped).
    public var outputTruncated = false
    /// Whether standard error went past the limit (the rest was dropped).
    public var errorOutputTruncated = false
    /// Whether the command was still running at its deadline and was killed (SIGKILL).
    public var timedOut = false
    /// Whether the command was killed (SIGKILL) because nobody waited for it any more.
    public var abandoned = false
}

extension PodSandbox {
    /// Runs a command inside the pod with the given descriptors as its stdin/stdout/stderr and waits for it.
    /// Fails closed (`PodGone`) when the holder is gone.
    public func run(
        arguments: [String], environment: [String], workingDirectory: String? = nil, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(NodeError) -> ExitStatus {
        let pid = try spawn(
            arguments: arguments, environment: environment, workingDirectory: workingDirectory, stdin: stdin, stdout: stdout,
            stderr: stderr)
        return Spawn.wait(pid)
    }

    /// Runs a command inside the pod feeding it `input`, and collects its output (each stream up to `limit` bytes;
    /// the rest is read and dropped, and the result says so). A command still running after `timeout` seconds is
    /// killed with its process group (SIGKILL) and the output so far returned (`timedOut`); processes that left
    /// the group (setsid) live on. `stopWhen`, asked about every quarter second, kills the command the same way
    /// once it answers true (`abandoned`: say, the client that asked for the command went away).
    public func execute(
        arguments: [String], environment: [String], workingDirectory: String? = nil, input: [UInt8] = [], limit: Int = 16 << 20,
        timeout: TimeInterval? = nil, stopWhen abandoned: (@Sendable () -> Bool)? = nil
    ) throws(NodeError) -> ExecResult {
        let stdin = try FD.pipe()
        let stdout: (read: Int32, write: Int32)
        let stderr: (read: Int32, write: Int32)
        do {
            stdout = try FD.pipe()
            stderr = try FD.pipe()
        } catch {
            close(stdin.read)
            close(stdin.write)
            throw error
        }
        let pid: pid_t
        do {
            pid = try spawn(
                arguments: arguments, environment: environment, workingDirectory: workingDirectory, stdin: stdin.read,
                stdout: stdout.write, stderr: stderr.write)
        } catch {
            for fd in [stdin.read, stdin.write, stdout.read, stdout.write, stderr.read, stderr.write] { close(fd) }
            throw error
        }
        close(stdin.read)
        close(stdout.write)
        close(stderr.write)
        let writer = stdin.write
        Thread.detachNewThread {
            FD.writeAll(writer, input)
            close(writer)
        }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var result = Self.drain(stdout.read, stderr.read, limit: limit, deadline: deadline, abandoned: abandoned)
        // The whole process group: the pid is nsenter's, the command is its child.
        if result.timedOut || result.abandoned { kill(-pid, SIGKILL) }
        close(stdout.read)
        close(stderr.read)
        result.status = Spawn.wait(pid)
        return result
    }

    /// Reads two descriptors to EOF at once (so neither pipe can fill up and stall the child), or until `deadline`
    /// or `abandoned` says to stop.
    private static func drain(
        _ first: Int32, _ second: Int32, limit: Int, deadline: Date?, abandoned: (@Sendable () -> Bool)?
    ) -> ExecResult {
        var outputs: [[UInt8]] = [[], []]
        var truncated = [false, false]
        var open = [true, true]
        var timedOut = false
        var stopped = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while open[0] || open[1] {
            var wait: Int32 = abandoned == nil ? -1 : 250
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 {
                    timedOut = true
                    break
                }
                wait = Int32(min(left * 1000 + 1, Double(wait < 0 ? 60_000 : wait)))
            }
            if let abandoned, abandoned() {
                stopped = true
                break
            }
            var fds = [
                pollfd(fd: open[0] ? first : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open[1] ? second : -1, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, wait) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let n = read(fds[index].fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    open[index] = false
                } else {
                    let kept = min(n, limit - outputs[index].count)
                    if kept > 0 { outputs[index] += buffer[0..<kept] }
                    if kept < n { truncated[index] = true }
                }
            }
        }
        return ExecResult(
            status: .unknown, output: outputs[0], errorOutput: outputs[1], outputTruncated: truncated[0],
            errorOutputTruncated: truncated[1], timedOut: timedOut, abandoned: stopped)
    }
}
