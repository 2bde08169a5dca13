/*
 * dgram_socket.h - the sockets of the datagram sources: a Unix datagram
 * socket bound at a path, or a UDP socket bound to an address (loopback
 * unless the operator allows otherwise), and the naming of a datagram's
 * sender for log lines.
 *
 * Unix: the socket file is created with mode 0660 (owner and group may send;
 * a umask around bind(2), then chmod(2) to be sure), after removing a stale
 * socket left by a dead ingest (nothing answers a connect(2) to it); a live
 * one, or a path that is not a socket, is refused.  SO_PASSCRED is set so
 * each datagram carries its sender's pid and uid (the sender is named by
 * them: an unbound client has no address).  rs_dgram_close removes the file
 * if it is still the one this process bound.
 *
 * UDP: "PORT", ":PORT", "HOST:PORT" or "[V6]:PORT"; HOST defaults to
 * 127.0.0.1; a name resolves through getaddrinfo (first answer).  An address
 * that is not loopback (127/8, ::1) is refused unless allow_remote: anyone
 * who can reach it could feed this ring.  Port 0 picks a free port; the
 * socket's real address is in s->local.
 *
 * Both: SO_RCVBUF raised to rcvbuf bytes (SO_RCVBUFFORCE when privileged,
 * else capped by net.core.rmem_max) so bursts wait in the kernel.  Functions
 * return 0 or a negative errno with err->msg set; nothing here prints.
 */
#ifndef RS_DGRAM_SOCKET_H
#define RS_DGRAM_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "rs_error.h"

#define RS_DGRAM_ADDR_MAX 160u          /* "udp [ffff:...]:65535", "unix /a/long/path" */

struct rs_dgram_socket {
	int   fd;                        /* -1 when closed */
	int   family;                    /* AF_UNIX, AF_INET or AF_INET6 */
	bool  bound_path;                /* unix: path is ours to remove at close */
	dev_t dev;                       /* unix: identity of the socket file we bound */
	ino_t ino;
	char  path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char  local[RS_DGRAM_ADDR_MAX];  /* "unix /run/rs.sock", "udp 127.0.0.1:9000" */
};

/* Unix datagram socket at path, mode 0660 (see above). */
int rs_dgram_open_unix(struct rs_dgram_socket *s, const char *path, uint64_t rcvbuf,
		       struct rs_error *err);

/* UDP socket at hostport; -EACCES for a non-loopback address without allow_remote. */
int rs_dgram_open_udp(struct rs_dgram_socket *s, const char *hostport, bool allow_remote,
		      uint64_t rcvbuf, struct rs_error *err);

/* Closes the socket and, for unix, removes its file if it is still ours. */
void rs_dgram_close(struct rs_dgram_socket *s);

/*
 * The kernel's count of datagrams it dropped because the receive buffer was
 * full (SO_MEMINFO): a 32-bit counter that wraps.  False when unknown.
 */
bool rs_dgram_kernel_drops(const struct rs_dgram_socket *s, uint32_t *drops);

/*
 * Names a sender for a log line: "udp 127.0.0.1:4000", "udp [::1]:4000",
 * "unix pid 123 uid 1000", "unix /run/client.sock pid 123 uid 1000".
 * name/namelen as received (namelen 0: unknown); pid/uid < 0: unknown.
 * Only printable ASCII is copied from a peer's path.
 */
void rs_dgram_format_sender(char *buf, size_t size, const void *name, socklen_t namelen,
			    long pid, long uid);

#endif
