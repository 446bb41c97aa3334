package io.connmon.parser.netns;

import io.connmon.parser.model.ContainerRef;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the container, Kubernetes pod and systemd unit a process belongs to from the text of its
 * {@code /proc/PID/cgroup} (readable without privilege). Pure: no I/O.
 *
 * <p>The cgroup v2 line ({@code 0::PATH}) is preferred; on cgroup v1 every line's path is tried. Recognised:
 * <ul>
 *   <li>Docker: {@code .../docker-<id>.scope} (systemd driver), {@code /docker/<id>} (cgroupfs)</li>
 *   <li>containerd under Kubernetes: {@code kubepods-...-pod<uid>.slice/cri-containerd-<id>.scope},
 *       {@code ...:cri-containerd:<id>}, and the cgroupfs form {@code /kubepods/burstable/pod<uid>/<id>}</li>
 *   <li>CRI-O: {@code crio-<id>.scope}; Podman: {@code libpod-<id>.scope}</li>
 *   <li>systemd: the innermost {@code *.service}</li>
 * </ul>
 */
public final class CgroupParser {

    private static final String ID = "([0-9a-f]{12,64})";
    private static final Pattern DOCKER = Pattern.compile("(?:/docker-" + ID + "\\.scope|/docker/" + ID + ")(?:/|$)");
    private static final Pattern CONTAINERD = Pattern.compile("(?:cri-containerd-" + ID + "\\.scope|:cri-containerd:" + ID + ")");
    private static final Pattern CRIO = Pattern.compile("(?:crio-" + ID + "\\.scope|crio:" + ID + ")");
    private static final Pattern PODMAN = Pattern.compile("libpod-" + ID + "\\.scope");
    private static final Pattern POD_SLICE = Pattern.compile("kubepods[a-z-]*-pod([0-9a-f_]{36})\\.slice");
    private static final Pattern POD_DIR = Pattern.compile("/kubepods(?:/[a-z]+)?/pod([0-9a-f-]{36})(?:/" + ID + ")?(?:/|$)");
    private static final Pattern SERVICE = Pattern.compile("/([^/]+\\.service)(?=/|$)");

    private CgroupParser() {
    }

    /** What {@code cgroupText} (the whole of {@code /proc/PID/cgroup}) names; {@link ContainerRef#NONE} if nothing. */
    public static ContainerRef parse(String cgroupText) {
        if (cgroupText == null) {
            return ContainerRef.NONE;
        }
        String unified = null;
        for (String line : cgroupText.split("\n")) {
            if (line.startsWith("0::")) {
                unified = line.substring(3).trim();
            }
        }
        if (unified != null && !unified.isEmpty() && !unified.equals("/")) {
            ContainerRef r = parsePath(unified);
            if (!r.isEmpty()) {
                return r;
            }
        }
        ContainerRef best = ContainerRef.NONE;
        for (String line : cgroupText.split("\n")) {
            int colon = line.indexOf(':', line.indexOf(':') + 1);
            if (colon < 0) {
                continue;
            }
            ContainerRef r = parsePath(line.substring(colon + 1).trim());
            if (r.runtime() != null) {
                return r;
            }
            if (best.isEmpty() && !r.isEmpty()) {
                best = r;
            }
        }
        return best;
    }

    /** What one cgroup path names. */
    public static ContainerRef parsePath(String path) {
        String runtime = null;
        String id = null;
        String podUid = null;
        Matcher m;
        if ((m = CONTAINERD.matcher(path)).find()) {
            runtime = "containerd";
            id = first(m);
        } else if ((m = CRIO.matcher(path)).find()) {
            runtime = "crio";
            id = first(m);
        } else if ((m = PODMAN.matcher(path)).find()) {
            runtime = "podman";
            id = first(m);
        } else if ((m = DOCKER.matcher(path)).find()) {
            runtime = "docker";
            id = first(m);
        }
        if ((m = POD_SLICE.matcher(path)).find()) {
            podUid = m.group(1).replace('_', '-');
        } else if ((m = POD_DIR.matcher(path)).find()) {
            podUid = m.group(1);
            if (id == null && m.group(2) != null) {
                id = m.group(2);
                runtime = "kubernetes"; // the cgroupfs driver does not say which runtime
            }
        }
        String unit = null;
        m = SERVICE.matcher(path);
        while (m.find()) {
            unit = m.group(1);
        }
        return new ContainerRef(runtime, id, podUid, unit);
    }

    private static String first(Matcher m) {
        return m.group(1) != null ? m.group(1) : m.group(2);
    }
}
