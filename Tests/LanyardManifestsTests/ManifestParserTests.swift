import Foundation
import Testing

@testable import LanyardManifests

@Suite struct ManifestParserTests {
    static let seedPath = "/work/shared/seed/deployment.yaml"

    @Test func seedDeployment() throws {
        let text = try String(contentsOfFile: Self.seedPath, encoding: .utf8)
        let parsed = try ManifestParser.parse(text)
        #expect(parsed.warnings.isEmpty)
        #expect(parsed.objects.count == 1)
        guard case .deployment(let deployment) = parsed.objects.first else {
            Issue.record("expected a Deployment")
            return
        }
        #expect(deployment.metadata == ObjectMetadata(name: "test", labels: ["app": "test"]))
        #expect(deployment.replicas == 1)
        #expect(deployment.selector == ["app": "test"])
        #expect(deployment.template.labels == ["app": "test", "alibabacloud.com/eci": "true"])
        #expect(deployment.template.ramRoleName == "ECIRamRoleTest")
        #expect(
            deployment.template.spec.containers == [
                ContainerSpec(
                    name: "test", image: "registry.cn-shanghai.aliyuncs.com/eci_open/centos:7", command: ["sleep"], args: ["3600"])
            ])
        #expect(deployment.template.spec.restartPolicy == .always)
    }

    @Test func multiDocumentPodAndDeployment() throws {
        let text = """
            # leading comment
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: prod
              annotations:
                k8s.aliyun.com/eci-ram-role-name: Reader
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: busybox
                command: [/bin/sh, -c]
                args:
                - echo "$GREETING"
                env:
                - name: GREETING
                  value: hello world
                - name: EMPTY
                workingDir: /tmp
              - name: side
                image: busybox
            ---
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, annotations: {k8s.aliyun.com/eci-ram-role-name: Ignored}}
            spec:
              replicas: 3
              selector: {matchLabels: {app: api}}
              template:
                metadata: {labels: {app: api, tier: "1"}}
                spec:
                  containers: [{name: c, image: img, args: [!!str 42, "0x10"]}]
            ...
            """
        let parsed = try ManifestParser.parse(text)
        #expect(parsed.objects.map(\.kind) == ["Pod", "Deployment"])
        guard case .pod(let pod) = parsed.objects[0], case .deployment(let deployment) = parsed.objects[1] else {
            Issue.record("wrong kinds")
            return
        }
        #expect(pod.metadata.namespace == "prod")
        #expect(pod.template.ramRoleName == "Reader")
        #expect(pod.spec.restartPolicy == .never)
        #expect(pod.spec.containers[0].env == [EnvVar(name: "GREETING", value: "hello world"), EnvVar(name: "EMPTY", value: "")])
        #expect(pod.spec.containers[0].workingDir == "/tmp")
        #expect(pod.spec.containers[0].command == ["/bin/sh", "-c"])
        #expect(pod.spec.containers[1].name == "side")
        #expect(deployment.replicas == 3)
        #expect(deployment.template.ramRoleName == nil)
        #expect(deployment.template.spec.containers[0].args == ["42", "0x10"])
        #expect(parsed.warnings.count == 1)
        #expect(parsed.warnings.first?.code == "RamRoleAnnotationIgnored")
        #expect(parsed.warnings.first?.line == 29)
    }

    @Test func topLevelAnnotationOnlyWarnsAndAssignsNoRole() throws {
        let text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: d
              annotations:
                k8s.aliyun.com/eci-ram-role-name: ECIRamRoleTest
            spec:
              selector:
                matchLabels: {app: d}
              template:
                metadata:
                  labels: {app: d}
                spec:
                  containers:
                  - {name: c, image: i}
            """
        let parsed = try ManifestParser.parse(text)
        guard case .deployment(let deployment) = parsed.objects.first else {
            Issue.record("expected a Deployment")
            return
        }
        #expect(deployment.template.ramRoleName == nil)
        #expect(deployment.replicas == 1)
        #expect(parsed.warnings.map(\.code) == ["RamRoleAnnotationIgnored"])
        #expect(parsed.warnings.first.map { [$0.line, $0.column] } == [6, 5])
    }

    @Test func anchorsAndAliases() throws {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
              - &base {name: a, image: img, command: [sleep]}
              - name: b
                image: img
                command: *cmd
            """
        // *cmd is undefined: refused with its position.
        #expect(throws: ManifestError(code: "MalformedYAML", message: "undefined alias *cmd", line: 9, column: 14)) {
            try ManifestParser.parse(text)
        }
        let good = text.replacingOccurrences(of: "*cmd", with: "[echo, hi]")
        #expect(try ManifestParser.parse(good).objects.count == 1)
    }

    /// Hardened manifests ask for what every pod already gets, and fields left false or empty ask for nothing.
    @Test func settingsEveryPodAlreadyHasAreAccepted() throws {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              hostNetwork: false
              volumes: []
              runtimeClassName: ""
              securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, supplementalGroups: []}
              containers:
              - name: a
                image: img
                ports: [{containerPort: 8080}]
                resources: {limits: {memory: 64Mi}}
                securityContext:
                  allowPrivilegeEscalation: false
                  readOnlyRootFilesystem: true
                  privileged: false
                  procMount: Default
                  capabilities: {drop: [ALL]}
            """
        #expect(try ManifestParser.parse(text).objects.count == 1)
    }

    /// Fields Kubernetes defines and Lanyard gives no meaning are accepted, as are the fields `kubectl get -o yaml`
    /// adds; only names Kubernetes does not have are refused.
    @Test func everyKubernetesFieldNameIsKnown() throws {
        let text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: default
              uid: 0b7c
              resourceVersion: "12"
              generation: 1
              creationTimestamp: "2026-01-01T00:00:00Z"
              ownerReferences: []
              finalizers: []
            spec:
              replicas: 2
              revisionHistoryLimit: 3
              minReadySeconds: 0
              progressDeadlineSeconds: 600
              paused: false
              strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
              selector: {matchLabels: {app: web}}
              template:
                metadata:
                  labels: {app: web}
                  creationTimestamp: null
                spec:
                  terminationGracePeriodSeconds: 30
                  dnsPolicy: ClusterFirst
                  schedulerName: default-scheduler
                  nodeSelector: {zone: a}
                  tolerations: [{key: k, operator: Equal, value: v, effect: NoExecute, tolerationSeconds: 30}]
                  hostUsers: true
                  securityContext: {runAsNonRoot: true}
                  affinity: {}
                  priorityClassName: normal
                  serviceAccountName: default
                  automountServiceAccountToken: false
                  enableServiceLinks: true
                  imagePullSecrets: []
                  topologySpreadConstraints: []
                  containers:
                  - name: a
                    image: img
                    imagePullPolicy: IfNotPresent
                    command: [sleep]
                    args: ["60"]
                    workingDir: /
                    env: [{name: N, value: v}]
                    ports: [{name: http, containerPort: 8080, protocol: TCP}]
                    resources: {requests: {cpu: 100m}, limits: {memory: 64Mi}}
                    livenessProbe: {exec: {command: ["true"]}, periodSeconds: 5, failureThreshold: 3}
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                    readinessProbe: {exec: {command: ["true"]}}
                    startupProbe: {exec: {command: ["true"]}}
                    terminationMessagePath: /dev/termination-log
                    terminationMessagePolicy: File
            status: {}
            """
        #expect(try ManifestParser.parse(text).objects.count == 1)
    }

    @Test func aListIsItsItemsAndAnEmptyWorkingDirIsUnset() throws {
        let text = """
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: i, workingDir: ""}]}}
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: d}
              spec:
                selector: {matchLabels: {app: d}}
                template:
                  metadata: {labels: {app: d}}
                  spec: {containers: [{name: c, image: i}]}
            """
        let objects = try ManifestParser.parse(text).objects
        #expect(objects.map(\.metadata.name) == ["a", "d"])
        guard case .pod(let pod) = objects[0] else { return }
        #expect(pod.spec.containers[0].workingDir == nil)
        #expect(try ManifestParser.parse("apiVersion: v1\nkind: List\nitems: []\n").objects.isEmpty)
    }

    @Test func emptyStreamsHaveNoObjects() throws {
        for text in ["", "# only a comment\n", "---\n---\n", "~\n"] {
            #expect(try ManifestParser.parse(text).objects.isEmpty, "\(text)")
        }
    }

    /// Each malformed input is refused with the expected code at the expected line and column.
    static let malformed: [(name: String, yaml: String, code: String, line: Int, column: Int, mentions: String)] = [
        ("bad indentation", "apiVersion: v1\nkind: Pod\n  metadata: x\n", "MalformedYAML", 3, 11, "mapping"),
        ("unclosed flow", "apiVersion: v1\nkind: Pod\nmetadata: {name: p\n", "MalformedYAML", 4, 1, "flow mapping"),
        ("tab indentation", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: p\n", "MalformedYAML", 4, 1, "cannot start any token"),
        ("duplicate key", "apiVersion: v1\nkind: Pod\nkind: Pod\n", "MalformedYAML", 3, 1, "duplicate key \"kind\""),
        ("not a mapping", "- a\n- b\n", "InvalidFieldType", 1, 1, "expected mapping"),
        ("missing kind", "apiVersion: v1\nmetadata: {name: p}\n", "MissingField", 1, 1, "\"kind\""),
        ("missing apiVersion", "kind: Pod\nmetadata: {name: p}\n", "MissingField", 1, 1, "\"apiVersion\""),
        ("unsupported kind", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", "UnsupportedKind", 2, 7, "Service"),
        ("wrong version", "apiVersion: v1\nkind: Deployment\nmetadata: {name: s}\n", "UnsupportedKind", 2, 7, "\"v1\""),
        ("missing metadata", "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: b}]}\n", "MissingField", 1, 1, "\"metadata\""),
        ("missing name", "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\nspec: {containers: [{name: a, image: b}]}\n",
         "MissingField", 4, 3, "\"metadata.name\""),
        ("empty name", "apiVersion: v1\nkind: Pod\nmetadata: {name: \"\"}\nspec: {containers: [{name: a, image: b}]}\n",
         "MissingField", 3, 18, "\"metadata.name\""),
        ("invalid name", "apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1}\nspec: {containers: [{name: a, image: b}]}\n",
         "InvalidValue", 3, 18, "Web_1"),
        ("dotted pod name", "apiVersion: v1\nkind: Pod\nmetadata: {name: web.v1}\nspec: {containers: [{name: a, image: b}]}\n",
         "InvalidValue", 3, 18, "at most 63 lower-case letters, digits and '-'"),
        ("pod name of 64", "apiVersion: v1\nkind: Pod\nmetadata: {name: \(String(repeating: "a", count: 64))}\nspec: {containers: [{name: a, image: b}]}\n",
         "InvalidValue", 3, 18, "is invalid: at most 63"),
        ("long name shown short", "apiVersion: v1\nkind: Pod\nmetadata: {name: \(String(repeating: "a", count: 5000))}\nspec: {containers: [{name: a, image: b}]}\n",
         "InvalidValue", 3, 18, "Pod name \"\(String(repeating: "a", count: 48))…\" (5000 bytes) is invalid"),
        ("dotted deployment name", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web.v1}\nspec: {replicas: 1}\n",
         "InvalidValue", 3, 18, "Deployment name \"web.v1\" is invalid: at most 253"),
        ("env entry too long",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    env: [{name: N, value: \(String(repeating: "v", count: 131_070))}]\n",
         "InvalidValue", 6, 5, "container a: an env entry of 131072 bytes is longer than 131071"),
        ("process too large",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    command: [sh]\n    args: [\(Array(repeating: String(repeating: "x", count: 131_071), count: 8).joined(separator: ", "))]\n",
         "InvalidValue", 6, 5, "command, args and env take 1048579 bytes, more than 1048576"),
        ("missing spec", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "MissingField", 1, 1, "\"spec\""),
        ("missing containers", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  restartPolicy: Never\n", "MissingField", 5, 3,
         "\"spec.containers\""),
        ("empty containers", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n", "InvalidValue", 4, 20, "empty"),
        ("containers not a list", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: {name: a}}\n",
         "InvalidFieldType", 4, 20, "expected list"),
        ("missing image", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n", "MissingField", 6, 5,
         "\"spec.containers[0].image\""),
        ("missing container name", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: a\n",
         "MissingField", 6, 5, "\"spec.containers[0].name\""),
        ("duplicate container name",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: i}\n  - {name: a, image: i}\n",
         "InvalidValue", 7, 12, "twice"),
        ("unquoted number arg", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: i, args: [3600]}\n",
         "InvalidFieldType", 6, 32, "spec.containers[0].args[0]: expected string, got integer"),
        ("boolean label", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    eci: yes\nspec: {containers: [{name: a, image: i}]}\n",
         "InvalidFieldType", 6, 10, "metadata.labels.eci: expected string, got boolean"),
        ("env value number", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    env:\n    - {name: N, value: 1.5}\n",
         "InvalidFieldType", 9, 24, "expected string, got number"),
        ("env valueFrom", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    env:\n    - name: N\n      valueFrom: {fieldRef: {fieldPath: x}}\n",
         "UnsupportedField", 10, 18, "spec.containers[0].env[0].valueFrom is not supported"),
        ("pod volumes", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, emptyDir: {}}]\n  containers: [{name: a, image: i}]\n",
         "UnsupportedField", 5, 12, "spec.volumes is not supported"),
        ("container volumeMounts", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    volumeMounts: [{name: v, mountPath: /data}]\n",
         "UnsupportedField", 8, 19, "spec.containers[0].volumeMounts is not supported"),
        ("deployment envFrom", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: a, image: i, envFrom: [{configMapRef: {name: c}}]}]\n",
         "UnsupportedField", 9, 49, "envFrom is not supported"),
        ("hostNetwork true", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: i}]\n",
         "UnsupportedField", 5, 16, "hostNetwork"),
        ("runAsUser", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsNonRoot: true, runAsUser: 1000}\n  containers: [{name: a, image: i}]\n",
         "UnsupportedField", 5, 52, "spec.securityContext.runAsUser is not supported"),
        ("privileged", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    securityContext: {privileged: true}\n",
         "UnsupportedField", 8, 35, "securityContext.privileged"),
        ("capabilities add", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    securityContext:\n      capabilities: {add: [NET_ADMIN]}\n",
         "UnsupportedField", 9, 21, "securityContext.capabilities"),
        ("env without name", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    env:\n    - value: v\n",
         "MissingField", 9, 7, "\"spec.containers[0].env[0].name\""),
        ("bad restart policy", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  restartPolicy: Sometimes\n  containers: [{name: a, image: i}]\n",
         "InvalidValue", 5, 18, "Sometimes"),
        ("deployment restart never",
         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      restartPolicy: Never\n      containers: [{name: a, image: i}]\n",
         "InvalidValue", 9, 22, "\"Always\""),
        ("replicas string", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: \"2\"\n", "InvalidFieldType", 5, 13,
         "spec.replicas: expected integer"),
        ("replicas too large", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 99999999999999999999\n",
         "InvalidValue", 5, 13, "spec.replicas: 99999999999999999999 is out of range"),
        ("replicas negative", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: -1\n", "InvalidValue", 5, 13,
         "0 or more"),
        ("missing selector", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 2\n", "MissingField", 5, 3,
         "\"spec.selector\""),
        ("selector expressions",
         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector:\n    matchExpressions: []\n", "UnsupportedField", 6, 23,
         "matchExpressions"),
        ("selector mismatch",
         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata: {labels: {app: z}}\n    spec: {containers: [{name: a, image: i}]}\n",
         "InvalidValue", 6, 5, "does not match"),
        ("missing template", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n",
         "MissingField", 5, 3, "\"spec.template\""),
        ("template spec missing",
         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n",
         "MissingField", 7, 5, "\"spec.template.spec\""),
        ("nested too deep", "apiVersion: v1\nkind: Pod\nx: " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n",
         "MalformedYAML", 3, 131, "deeper"),
        ("second document bad",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: i}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\n",
         "MissingField", 6, 1, "\"spec\""),
        ("invalid utf8 escape", "apiVersion: v1\nkind: \"Pod\\q\"\n", "MalformedYAML", 2, 11, "escape"),
        ("non-scalar key", "apiVersion: v1\nkind: Pod\n? [a]\n: b\n", "InvalidFieldType", 3, 3, "key"),
        ("misspelt pod spec field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  restartpolicy: Never\n  containers: [{name: a, image: i}]\n",
         "UnknownField", 5, 3, "Pod \"p\": unknown field \"spec.restartpolicy\" (did you mean \"restartPolicy\"?)"),
        ("misspelt container field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    comand: [sleep]\n",
         "UnknownField", 8, 5, "unknown field \"spec.containers[0].comand\""),
        ("misspelt env field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    env: [{name: N, valu: x}]\n",
         "UnknownField", 8, 21, "unknown field \"spec.containers[0].env[0].valu\""),
        ("misspelt metadata field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, label: {a: b}}\nspec: {containers: [{name: a, image: i}]}\n",
         "UnknownField", 3, 21, "Pod metadata: unknown field \"metadata.label\""),
        ("field at the wrong level", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\ncontainers: [{name: a, image: i}]\n",
         "UnknownField", 4, 1, "unknown field \"containers\""),
        ("misspelt replicas", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replica: 3\n",
         "UnknownField", 5, 3, "Deployment \"d\": unknown field \"spec.replica\""),
        ("misspelt selector field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchlabels: {a: b}}\n",
         "UnknownField", 5, 14, "unknown field \"spec.selector.matchlabels\" (did you mean \"matchLabels\"?)"),
        ("misspelt template metadata field",
         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}, annotation: {x: y}}\n    spec: {containers: [{name: a, image: i}]}\n",
         "UnknownField", 7, 32, "unknown field \"spec.template.metadata.annotation\""),
        ("container restartPolicy", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    restartPolicy: Never\n",
         "InvalidValue", 8, 20, "spec.containers[0].restartPolicy may only be set on init containers"),
        ("misspelt apiVersion", "apiversion: v1\nkind: Pod\nmetadata: {name: p}\n", "UnknownField", 1, 1,
         "unknown field \"apiversion\" (did you mean \"apiVersion\"?)"),
        ("misspelt kind", "apiVersion: v1\nKind: Pod\n", "UnknownField", 2, 1, "unknown field \"Kind\" (did you mean \"kind\"?)"),
        ("misspelt resources field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    resources: {limit: {cpu: 1}}\n",
         "UnknownField", 8, 17, "unknown field \"spec.containers[0].resources.limit\""),
        ("misspelt port field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    ports: [{containerport: 80}]\n",
         "UnknownField", 8, 14, "unknown field \"spec.containers[0].ports[0].containerport\" (did you mean \"containerPort\"?)"),
        ("misspelt probe field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    livenessProbe: {periodSecond: 5}\n",
         "UnknownField", 8, 21, "unknown field \"spec.containers[0].livenessProbe.periodSecond\""),
        ("misspelt toleration field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  tolerations: [{keys: x}]\n  containers: [{name: a, image: i}]\n",
         "UnknownField", 5, 18, "unknown field \"spec.tolerations[0].keys\""),
        ("misspelt strategy field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  strategy: {tpye: Recreate}\n",
         "UnknownField", 5, 14, "unknown field \"spec.strategy.tpye\""),
        ("misspelt securityContext field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsNonroot: true}\n  containers: [{name: a, image: i}]\n",
         "UnknownField", 5, 21, "unknown field \"spec.securityContext.runAsNonroot\" (did you mean \"runAsNonRoot\"?)"),
        ("merge key", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  <<: {dnsPolicy: ClusterFirst}\n  containers: [{name: a, image: i}]\n",
         "UnsupportedField", 5, 3, "spec.<<: YAML merge keys are not supported"),
        ("list in a list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n", "InvalidValue", 4, 3,
         "a List inside a List"),
        ("list with a bad item", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n",
         "MissingField", 4, 3, "\"spec\""),
        ("hostUsers false", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostUsers: false\n  containers: [{name: a, image: i}]\n",
         "UnsupportedField", 5, 14, "user namespace"),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedInputIsRefused(_ index: Int) {
        let testCase = Self.malformed[index]
        do {
            let parsed = try ManifestParser.parse(testCase.yaml)
            Issue.record("\(testCase.name): accepted, got \(parsed.objects.count) objects")
        } catch {
            #expect(error.code == testCase.code, "\(testCase.name): \(error)")
            #expect(error.line == testCase.line && error.column == testCase.column, "\(testCase.name): \(error)")
            #expect(error.message.contains(testCase.mentions), "\(testCase.name): \(error.message)")
        }
    }

    @Test func invalidUTF8BytesAreRefused() {
        var bytes = Array("apiVersion: v1\nkind: ".utf8)
        bytes += [0xFF, 0xFE]
        #expect(throws: ManifestError.self) { try ManifestParser.parse(bytes: bytes) }
    }

    @Test func scalarResolution() {
        let table: [(String, ScalarKind)] = [
            ("", .null), ("~", .null), ("null", .null), ("yes", .bool), ("N", .string), ("Off", .bool), ("true", .bool), ("12", .int(12)),
            ("-0x1F", .int(-31)), ("0o17", .int(15)), ("1_000", .int(1000)), ("1.5", .float), ("-.5e3", .float), (".inf", .float),
            ("3600s", .string), ("sleep", .string), ("1.2.3", .string), ("e5", .string), ("0x", .string), ("v1", .string),
        ]
        for (text, kind) in table { #expect(ScalarKind(plain: text) == kind, "\(text)") }
    }
}

@Suite struct ContainerGroupRequestTests {
    @Test func flattensTemplateLikeTheECISDK() {
        let template = PodTemplate(
            labels: ["app": "test", "alibabacloud.com/eci": "true"],
            annotations: [PodTemplate.ramRoleAnnotation: "ECIRamRoleTest"],
            spec: PodSpec(containers: [
                ContainerSpec(
                    name: "test", image: "centos:7", command: ["sleep"], args: ["3600"], env: [EnvVar(name: "A", value: "1")],
                    workingDir: "/srv")
            ]))
        let parameters = ContainerGroupRequest.parameters(template: template, name: "test-abc", namespace: "default", regionId: "cn-hangzhou")
        let expected: [(String, String)] = [
            ("RegionId", "cn-hangzhou"), ("ContainerGroupName", "test-abc"), ("RestartPolicy", "Always"),
            ("RamRoleName", "ECIRamRoleTest"), ("Container.1.Name", "test"), ("Container.1.Image", "centos:7"),
            ("Container.1.Command.1", "sleep"), ("Container.1.Arg.1", "3600"), ("Container.1.EnvironmentVar.1.Key", "A"),
            ("Container.1.EnvironmentVar.1.Value", "1"), ("Container.1.WorkingDir", "/srv"), ("Tag.1.Key", "alibabacloud.com/eci"),
            ("Tag.1.Value", "true"), ("Tag.2.Key", "app"), ("Tag.2.Value", "test"),
            ("Annotations", #"{"k8s.aliyun.com/eci-ram-role-name":"ECIRamRoleTest"}"#),
        ]
        #expect(parameters.map(\.name) == expected.map(\.0))
        #expect(parameters.map(\.value) == expected.map(\.1))
    }

    @Test func templateHashTracksTemplateChanges() {
        let base = DeploymentManifest(
            metadata: ObjectMetadata(name: "d"), replicas: 1, selector: ["a": "b"],
            template: PodTemplate(labels: ["a": "b"], spec: PodSpec(containers: [ContainerSpec(name: "c", image: "i", args: ["1"])])))
        var scaled = base
        scaled.replicas = 5
        var changed = base
        changed.template.spec.containers[0].args = ["2"]
        var moved = base
        moved.template.spec.containers[0].args = []
        moved.template.spec.containers[0].command = ["1"]
        #expect(base.templateHash.count == 10)
        #expect(base.templateHash == scaled.templateHash)
        #expect(base.templateHash != changed.templateHash)
        #expect(base.templateHash != moved.templateHash)
    }

    @Test func jsonQuoting() {
        #expect(JSONText.object(["b": "x\"y\\z\n\u{1}", "a": ""]) == #"{"a":"","b":"x\"y\\z\n\u0001"}"#)
    }
}

@Suite struct YAMLWriterTests {
    struct NotJSON {}

    @Test func valuesJSONDoesNotHaveAreRefusedWithTheirPath() {
        #expect(throws: YAMLWriteError(code: "UnsupportedValue", message: "spec.items[1]: NotJSON has no YAML form here")) {
            try YAMLWriter.document(["spec": ["items": [1, NotJSON()]]] as [String: Any])
        }
        #expect(throws: YAMLWriteError.self) { try YAMLWriter.document(["x": Double.nan] as [String: Any]) }
    }

    @Test func stringsThatWouldReadBackAsSomethingElseAreQuoted() throws {
        let strings = ["3600", "yes", "Off", "", "null", "~", "1.5", "0o17", ".inf", "a: b", "- x", "#c", "x\ny", " lead", "日本"]
        let text = try YAMLWriter.document(["values": strings] as [String: Any])
        let read = try ManifestParser.parse(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: i\n    args:\n"
                + text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map { "    " + $0 }.joined(separator: "\n"))
        guard case .pod(let pod) = read.objects.first else {
            Issue.record("\(text)")
            return
        }
        #expect(pod.spec.containers[0].args == strings, "\(text)")
    }
}
