/*
 * The floor of a socket collection: the four NETLINK_SOCK_DIAG dumps that connmon's netlink source makes
 * (TCP and UDP, IPv4 and IPv6, every state, no attributes asked), received into one reused buffer and framed,
 * parsing nothing else. Prints the messages received and the wall time of each run.
 *
 *   cc -O2 -o sockdiag-floor bench/floor/sockdiag-floor.c
 *   ./sockdiag-floor [runs] [two-family]
 *
 * With "two-family" it makes the three dumps connmon's source makes instead: TCP of both families in one
 * (the older TCPDIAG_GETSOCK request, one walk of the kernel's TCP tables), then UDP over IPv4 and IPv6.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[128 * 1024];

static long receive(int fd, unsigned int seq);

/* One dump; returns the number of socket messages, or -1 on error. */
static long dump(int fd, int family, int protocol, unsigned int states, unsigned int seq)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof(msg));
    msg.nlh.nlmsg_len = sizeof(msg);
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nlh.nlmsg_seq = seq;
    msg.req.sdiag_family = family;
    msg.req.sdiag_protocol = protocol;
    msg.req.idiag_states = states;
    if (send(fd, &msg, sizeof(msg), 0) < 0) {
        perror("send");
        return -1;
    }
    return receive(fd, seq);
}

/* The replies to request seq until NLMSG_DONE; returns the number of socket messages, or -1 on error. */
static long receive(int fd, unsigned int seq)
{
    long n = 0;
    for (;;) {
        ssize_t len = recv(fd, buf, sizeof(buf), 0);
        if (len < 0) {
            if (errno == EINTR)
                continue;
            perror("recv");
            return -1;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != seq)
                continue;
            if (h->nlmsg_type == NLMSG_DONE)
                return n;
            if (h->nlmsg_type == NLMSG_ERROR)
                return -1;
            n++;
        }
    }
}

/* TCP sockets of every family in one dump (struct inet_diag_req); returns the number of socket messages. */
static long dump_two_family(int fd, unsigned int states, unsigned int seq)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req req;
    } msg;
    memset(&msg, 0, sizeof(msg));
    msg.nlh.nlmsg_len = sizeof(msg);
    msg.nlh.nlmsg_type = TCPDIAG_GETSOCK;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nlh.nlmsg_seq = seq;
    msg.req.idiag_family = AF_INET;
    msg.req.idiag_states = states;
    if (send(fd, &msg, sizeof(msg), 0) < 0) {
        perror("send");
        return -1;
    }
    return receive(fd, seq);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 1;
    int two_family = argc > 2 && strcmp(argv[2], "two-family") == 0;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    unsigned int seq = 1;
    for (int r = 0; r < runs; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        long total = 0;
        long k;
        if (two_family) {
            if ((k = dump_two_family(fd, 0x1FFE, seq++)) < 0)
                return 1;
            total += k;
        } else {
            if ((k = dump(fd, AF_INET, IPPROTO_TCP, 0x1FFE, seq++)) < 0)
                return 1;
            total += k;
            if ((k = dump(fd, AF_INET6, IPPROTO_TCP, 0x1FFE, seq++)) < 0)
                return 1;
            total += k;
        }
        if ((k = dump(fd, AF_INET, IPPROTO_UDP, 0x82, seq++)) < 0)
            return 1;
        total += k;
        if ((k = dump(fd, AF_INET6, IPPROTO_UDP, 0x82, seq++)) < 0)
            return 1;
        total += k;
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%ld sockets %.3f ms\n", total, (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
    }
    close(fd);
    return 0;
}
