package io.connmon.parser.attribution;

/**
 * The process that holds a socket open, as {@code netstat -p} shows it, plus the systemd unit or container
 * cgroup it runs in.
 *
 * @param pid the process id
 * @param process the process name ({@code /proc/PID/comm}), such as {@code nginx}
 * @param unit the last element of its cgroup path ({@code nginx.service}, {@code docker-3f2a.scope}), or
 *     {@code null} when it runs in the root cgroup or the cgroup cannot be read
 */
public record SocketOwner(int pid, String process, String unit) {

    public SocketOwner {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be positive: " + pid);
        }
        if (process == null) {
            throw new IllegalArgumentException("process is null");
        }
    }

    /** {@code 1234/nginx}, netstat's PID/Program name column. */
    @Override
    public String toString() {
        return pid + "/" + process;
    }
}
