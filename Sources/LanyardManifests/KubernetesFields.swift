/// The field names Kubernetes' API (core/v1 and apps/v1, as of 1.32) defines on the objects a manifest is read
/// into, and on the parts of them manifests most often carry (resources, ports, probes, tolerations, strategy,
/// security contexts); deeper structures (affinity, volumes' sources, probe handlers) are not checked. A key
/// outside these is a typo or a field of another kind (`restartpolicy`, `replica`, `command` one level too
/// high); like kubectl's default strict validation, it is refused rather than silently dropped. Whether
/// Lanyard gives a known field meaning is a separate question (see `ObjectReader.unsupportedPodFields`).
enum KubernetesFields {
    /// A Pod or Deployment document.
    static let object: Set<String> = ["apiVersion", "kind", "metadata", "spec", "status"]

    /// ObjectMeta.
    static let objectMeta: Set<String> = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    ]

    /// PodSpec.
    static let podSpec: Set<String> = [
        "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
        "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName",
        "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID", "hostIPC",
        "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity",
        "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
        "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
        "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources",
    ]

    /// Container.
    static let container: Set<String> = [
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy",
        "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
        "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce",
        "tty",
    ]

    /// EnvVar.
    static let envVar: Set<String> = ["name", "value", "valueFrom"]

    /// DeploymentSpec.
    static let deploymentSpec: Set<String> = [
        "replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused",
        "progressDeadlineSeconds",
    ]

    /// LabelSelector.
    static let labelSelector: Set<String> = ["matchLabels", "matchExpressions"]

    /// PodTemplateSpec.
    static let podTemplate: Set<String> = ["metadata", "spec"]

    /// DeploymentStrategy.
    static let deploymentStrategy: Set<String> = ["type", "rollingUpdate"]

    /// RollingUpdateDeployment.
    static let rollingUpdate: Set<String> = ["maxUnavailable", "maxSurge"]

    /// PodSecurityContext (a pod's `securityContext`).
    static let podSecurityContext: Set<String> = [
        "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot", "supplementalGroups",
        "supplementalGroupsPolicy", "fsGroup", "sysctls", "fsGroupChangePolicy", "seccompProfile", "appArmorProfile",
        "seLinuxChangePolicy",
    ]

    /// SecurityContext (a container's `securityContext`).
    static let securityContext: Set<String> = [
        "capabilities", "privileged", "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot",
        "readOnlyRootFilesystem", "allowPrivilegeEscalation", "procMount", "seccompProfile", "appArmorProfile",
    ]

    /// Capabilities.
    static let capabilities: Set<String> = ["add", "drop"]

    /// ResourceRequirements (`resources`, of a container or a pod).
    static let resources: Set<String> = ["limits", "requests", "claims"]

    /// ContainerPort (an entry of `ports`).
    static let containerPort: Set<String> = ["name", "hostPort", "containerPort", "protocol", "hostIP"]

    /// Probe (`livenessProbe`, `readinessProbe`, `startupProbe`).
    static let probe: Set<String> = [
        "exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
        "successThreshold", "failureThreshold", "terminationGracePeriodSeconds",
    ]

    /// Toleration (an entry of `tolerations`).
    static let toleration: Set<String> = ["key", "operator", "value", "effect", "tolerationSeconds"]
}
