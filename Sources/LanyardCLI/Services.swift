import Foundation
import LanyardControlPlane
import LanyardHTTP
import LanyardNode
import LanyardObjectStore
import Synchronization

/// Every running part of `lanyard up`, started in dependency order and stopped in reverse.
final class Services: Sendable {
    let controlPlane: ControlPlane
    let api: HTTPServer
    let oss: HTTPServer
    /// The pod agent; nil when pods cannot run here (see ``nodeUnavailable``).
    let node: NodeAgent?
    /// Why pods are disabled, when they are.
    let nodeUnavailable: String?

    /// A failure to start, with the failing part's error code.
    struct StartError: Error {
        let code: String
        let message: String
    }

    private init(
        controlPlane: ControlPlane, api: HTTPServer, oss: HTTPServer, node: NodeAgent?, nodeUnavailable: String?
    ) {
        self.controlPlane = controlPlane
        self.api = api
        self.oss = oss
        self.node = node
        self.nodeUnavailable = nodeUnavailable
    }

    /// Opens the control plane, starts both listeners and the pod agent (which adopts or recreates the pods a
    /// previous run left), and registers ECI. `node` builds the agent's settings from the bound ports and a
    /// source of bucket names.
    static func start(
        data: String, api: ListenAddress, oss: ListenAddress, region: String,
        node: (_ apiPort: UInt16, _ ossPort: UInt16, _ buckets: @escaping @Sendable () -> [String]) -> NodeConfiguration
    ) throws(StartError) -> Services {
        raiseOpenFileLimit()
        // Ports first: a taken port must fail before the data directory gets an account or an object store.
        let apiSocket: HTTPListeningSocket
        let ossSocket: HTTPListeningSocket
        do throws(HTTPServerError) {
            apiSocket = try HTTPListeningSocket.bind(host: api.host, port: api.port)
            ossSocket = try HTTPListeningSocket.bind(host: oss.host, port: oss.port)
        } catch {
            throw StartError(code: error.code, message: "\(error.message) (--api \(api), --oss \(oss))")
        }
        let controlPlane: ControlPlane
        do {
            controlPlane = try ControlPlane(configuration: ControlPlaneConfiguration(dataDirectory: data, region: region))
        } catch {
            throw StartError(code: error.code, message: error.message)
        }
        // The node learns of new buckets from the object service, which is created first.
        let agent = Mutex<NodeAgent?>(nil)
        let objects: ObjectService
        do {
            var configuration = ObjectServiceConfiguration(
                dataDirectory: data,
                endpointHosts: ["oss-\(region)-internal.aliyuncs.com", "oss-\(region).aliyuncs.com"], region: region)
            configuration.bucketsChanged = { agent.withLock { $0 }?.refreshHosts() }
            configuration.logSink = .standardError
            objects = try ObjectService(configuration: configuration, controlPlane: controlPlane)
        } catch {
            controlPlane.close()
            throw StartError(code: error.code, message: error.message)
        }
        controlPlane.addMetrics { objects.metricsText }
        let apiServer: HTTPServer
        let ossServer: HTTPServer
        do throws(HTTPServerError) {
            apiServer = try HTTPServer(
                configuration: HTTPServerConfiguration(
                    listen: .socket(apiSocket), connectionMemoryLimit: ControlPlane.connectionMemoryLimit),
                handler: controlPlane.handler)
            do throws(HTTPServerError) {
                ossServer = try HTTPServer(
                    configuration: HTTPServerConfiguration(
                        listen: .socket(ossSocket), threadPerConnection: ObjectService.threadPerConnection,
                        connectionMemoryLimit: ObjectService.connectionMemoryLimit),
                    handler: objects)
            } catch {
                apiServer.shutdown()
                throw error
            }
        } catch {
            controlPlane.close()
            throw StartError(code: error.code, message: "\(error.message) (--api \(api), --oss \(oss))")
        }
        let configuration = node(UInt16(apiServer.port), UInt16(ossServer.port)) { (try? objects.bucketNames()) ?? [] }
        do {
            let started = try NodeAgent(configuration: configuration, controlPlane: controlPlane)
            agent.withLock { $0 = started }
            started.recover()
            controlPlane.register(
                version: "2018-08-08", product: "Eci", service: ECIService(agent: started, controlPlane: controlPlane))
            return Services(
                controlPlane: controlPlane, api: apiServer, oss: ossServer, node: started, nodeUnavailable: nil)
        } catch {
            controlPlane.register(
                version: "2018-08-08", product: "Eci",
                service: UnavailableService(error: RPCError(status: 503, code: error.code, message: error.message)))
            return Services(
                controlPlane: controlPlane, api: apiServer, oss: ossServer, node: nil, nodeUnavailable: error.message)
        }
    }

    /// Every pod holds about ten descriptors (listeners, namespace handles, log pipes), so a soft limit of
    /// 1024 would stop a node at about a hundred pods: take the hard limit.
    private static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Stops listening, leaves the pods running for the next start to adopt, and closes the store.
    func stop() {
        oss.shutdown()
        api.shutdown()
        node?.detach()
        controlPlane.close()
    }
}

/// An RPC product that cannot run on this machine: every call gets the same error.
struct UnavailableService: RPCService {
    let error: RPCError

    func handle(_ request: RPCRequest) throws(RPCError) -> [String: any Sendable] { throw error }
}
