import Foundation

/// What a command run inside a pod produced.
public struct ExecResult: Sendable, Hashable {
    /// How it ended.
    public var status: ExitStatus
    /// Its standard output (up to the limit).
    public var output: [UInt8]
    /// Its standard error (up to the limit).
    public var errorOutput: [UInt8]
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
    /// the rest is read and dropped).
    public func execute(
        arguments: [String], environment: [String], workingDirectory: String? = nil, input: [UInt8] = [], limit: Int = 16 << 20
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
        let (output, errorOutput) = Self.drain(stdout.read, stderr.read, limit: limit)
        close(stdout.read)
        close(stderr.read)
        return ExecResult(status: Spawn.wait(pid), output: output, errorOutput: errorOutput)
    }

    /// Reads two descriptors to EOF at once (so neither pipe can fill up and stall the child).
    private static func drain(_ first: Int32, _ second: Int32, limit: Int) -> ([UInt8], [UInt8]) {
        var outputs: [[UInt8]] = [[], []]
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while open[0] || open[1] {
            var fds = [
                pollfd(fd: open[0] ? first : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open[1] ? second : -1, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let n = read(fds[index].fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    open[index] = false
                } else if outputs[index].count < limit {
                    outputs[index] += buffer[0..<min(n, limit - outputs[index].count)]
                }
            }
        }
        return (outputs[0], outputs[1])
    }
}
