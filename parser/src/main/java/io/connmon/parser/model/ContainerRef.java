package io.connmon.parser.model;

/**
 * What a process's {@code /proc/PID/cgroup} says it belongs to; each field {@code null} when the cgroup path does
 * not name it.
 *
 * <pre>{@code
 * 0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c1d...slice/cri-containerd-4f5e....scope
 *   -> runtime "containerd", id "4f5e...", podUid "0c1d-...", unit null
 * }</pre>
 *
 * @param runtime {@code docker}, {@code containerd}, {@code crio}, {@code podman}; {@code null} outside a container
 * @param id the container's id as its runtime prints it (64 hex digits for Docker and containerd)
 * @param podUid the Kubernetes pod's uid, with dashes as {@code kubectl get pod -o jsonpath='{.metadata.uid}'}
 * @param unit the systemd service the process runs in ({@code nginx.service})
 */
public record ContainerRef(String runtime, String id, String podUid, String unit) {

    /** Nothing known. */
    public static final ContainerRef NONE = new ContainerRef(null, null, null, null);

    /** Whether nothing is known. */
    public boolean isEmpty() {
        return runtime == null && id == null && podUid == null && unit == null;
    }
}
