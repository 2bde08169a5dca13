/* dgram_socket.c - see dgram_socket.h. */
#include "dgram_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOCKET_MODE 0660

static void reset(struct rs_dgram_socket *s)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

/* SO_RCVBUFFORCE (privileged, beyond net.core.rmem_max), else SO_RCVBUF (capped): best effort. */
static void set_rcvbuf(int fd, uint64_t bytes)
{
	if (bytes == 0)
		return;
	int v = bytes > (uint64_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)bytes;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
}

/* ---- unix ------------------------------------------------------------------- */

/*
 * Whatever is at path must go before bind: nothing (fine), a stale socket
 * (removed), a live socket (-EADDRINUSE) or anything else (-EEXIST).
 */
static int clear_path(const char *path, const struct sockaddr_un *sa, struct rs_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : rs_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return rs_error_set(err, -EEXIST, "unix %s: exists and is not a socket; refusing to "
				    "replace it", path);
	int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return rs_error_set(err, -errno, "socket: %s", strerror(errno));
	int rc = connect(probe, (const struct sockaddr *)sa, sizeof *sa);
	int e = errno;
	close(probe);
	if (rc == 0 || e != ECONNREFUSED)
		return rs_error_set(err, -EADDRINUSE, "unix %s: in use by another process (%s)", path,
				    rc == 0 ? "it receives datagrams" : strerror(e));
	if (unlink(path) < 0 && errno != ENOENT)
		return rs_error_set(err, -errno, "unix %s: cannot remove the stale socket: %s", path,
				    strerror(errno));
	return 0;
}

/* bind with umask 0117, so the file is never more open than 0660, then chmod to be exact. */
static int bind_private(struct rs_dgram_socket *s, const struct sockaddr_un *sa, struct rs_error *err)
{
	mode_t old = umask(0777 & ~SOCKET_MODE);
	int rc = bind(s->fd, (const struct sockaddr *)sa, sizeof *sa);
	int e = errno;
	umask(old);
	if (rc < 0)
		return rs_error_set(err, -e, "bind unix %s: %s", s->path, strerror(e));
	s->bound_path = true;
	struct stat st;
	if (chmod(s->path, SOCKET_MODE) < 0 || stat(s->path, &st) < 0)
		return rs_error_set(err, -errno, "chmod %s: %s", s->path, strerror(errno));
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

int rs_dgram_open_unix(struct rs_dgram_socket *s, const char *path, uint64_t rcvbuf,
		       struct rs_error *err)
{
	reset(s);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof sa.sun_path)
		return rs_error_set(err, -ENAMETOOLONG, "%s: a socket path has 1..%zu bytes", path,
				    sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, len + 1);
	memcpy(s->path, path, len + 1);
	s->family = AF_UNIX;
	snprintf(s->local, sizeof s->local, "unix %s", path);
	int rc = clear_path(path, &sa, err);
	if (rc < 0)
		return rc;
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return rs_error_set(err, -errno, "socket: %s", strerror(errno));
	int on = 1;
	if (setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0)
		return rs_error_set(err, -errno, "SO_PASSCRED: %s", strerror(errno));
	set_rcvbuf(s->fd, rcvbuf);
	return bind_private(s, &sa, err);
}

/* ---- udp -------------------------------------------------------------------- */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

/* Splits "PORT", ":PORT", "HOST:PORT", "[V6]:PORT" into host (default 127.0.0.1) and port. */
static int split_hostport(const char *in, char *host, size_t hsize, char *port, size_t psize,
			  struct rs_error *err)
{
	const char *p = in, *colon;
	size_t hlen;
	if (*p == '[') {
		const char *close_br = strchr(p, ']');
		if (close_br == NULL || close_br[1] != ':')
			return rs_error_set(err, -EINVAL, "\"%s\": want [IPV6]:PORT", in);
		p++;
		hlen = (size_t)(close_br - p);
		colon = close_br + 1;
	} else {
		colon = strrchr(p, ':');
		if (colon != NULL && memchr(p, ':', (size_t)(colon - p)) != NULL)
			return rs_error_set(err, -EINVAL, "\"%s\": an IPv6 address goes in brackets, "
					    "as in [::1]:9000", in);
		hlen = colon ? (size_t)(colon - p) : 0;
	}
	const char *ps = colon ? colon + 1 : in;
	if (*ps == '\0' || strspn(ps, "0123456789") != strlen(ps) || strlen(ps) > 5 || atoi(ps) > 65535)
		return rs_error_set(err, -EINVAL, "\"%s\": the port must be a number in 0..65535", in);
	if (hlen + 1 > hsize || strlen(ps) + 1 > psize)
		return rs_error_set(err, -EINVAL, "\"%s\": host name too long", in);
	if (hlen == 0)
		snprintf(host, hsize, "127.0.0.1");
	else
		snprintf(host, hsize, "%.*s", (int)hlen, p);
	snprintf(port, psize, "%s", ps);
	return 0;
}

/* "udp 127.0.0.1:9000" or "udp [::1]:9000" for a numeric address. */
static void format_inet(char *buf, size_t size, const struct sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
		snprintf(buf, size, "udp %s:%u", a, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
		snprintf(buf, size, "udp [%s]:%u", a, ntohs(in6->sin6_port));
	}
}

int rs_dgram_open_udp(struct rs_dgram_socket *s, const char *hostport, bool allow_remote,
		      uint64_t rcvbuf, struct rs_error *err)
{
	reset(s);
	char host[256], port[8];
	int rc = split_hostport(hostport, host, sizeof host, port, sizeof port, err);
	if (rc < 0)
		return rc;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0)
		return rs_error_set(err, -EINVAL, "\"%s\": %s", host, gai_strerror(gai));
	struct sockaddr_storage ss;
	socklen_t sslen = (socklen_t)res->ai_addrlen;
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	s->family = sa->sa_family;
	format_inet(s->local, sizeof s->local, sa);
	if (!allow_remote && !is_loopback(sa))
		return rs_error_set(err, -EACCES, "bind %s: not a loopback address, anyone who can reach "
				    "it could feed this ring; add --allow-remote to bind it anyway", s->local);
	s->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return rs_error_set(err, -errno, "socket: %s", strerror(errno));
	set_rcvbuf(s->fd, rcvbuf);
	if (bind(s->fd, sa, sslen) < 0)
		return rs_error_set(err, -errno, "bind %s: %s", s->local, strerror(errno));
	socklen_t len = sizeof ss;
	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) == 0)   /* the real port for port 0 */
		format_inet(s->local, sizeof s->local, (const struct sockaddr *)&ss);
	return 0;
}

/* ---- both ------------------------------------------------------------------- */

void rs_dgram_close(struct rs_dgram_socket *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	struct stat st;
	if (s->bound_path && lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	s->bound_path = false;
}

bool rs_dgram_kernel_drops(const struct rs_dgram_socket *s, uint32_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof mem;
	if (s->fd < 0 || getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < (socklen_t)((SK_MEMINFO_DROPS + 1) * sizeof mem[0]))
		return false;
	*drops = mem[SK_MEMINFO_DROPS];
	return true;
}

/* A peer's unix path, printable ASCII only; abstract names start with "@". */
static void format_unix_name(char *buf, size_t size, const struct sockaddr_un *sa, socklen_t namelen)
{
	size_t n = (size_t)namelen - offsetof(struct sockaddr_un, sun_path), o = 0;
	if (n > sizeof sa->sun_path)
		n = sizeof sa->sun_path;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		char c = sa->sun_path[i];
		if (c == '\0' && i == 0)
			c = '@';
		else if (c == '\0')
			break;
		buf[o++] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	buf[o] = '\0';
}

void rs_dgram_format_sender(char *buf, size_t size, const void *name, socklen_t namelen,
			    long pid, long uid)
{
	const struct sockaddr *sa = name;
	buf[0] = '\0';
	if (namelen >= (socklen_t)sizeof(sa_family_t) &&
	    (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
		format_inet(buf, size, sa);
		return;
	}
	char path[112] = "";
	if (namelen > (socklen_t)offsetof(struct sockaddr_un, sun_path) && sa->sa_family == AF_UNIX)
		format_unix_name(path, sizeof path, name, namelen);
	/* An autobound name ("@" and 5 hex digits) says nothing an operator can use. */
	bool autobound = path[0] == '@' && strlen(path) == 6;
	int n = snprintf(buf, size, "unix%s%s", path[0] && !autobound ? " " : "",
			 path[0] && !autobound ? path : "");
	if (n > 0 && (size_t)n < size && pid >= 0)
		snprintf(buf + n, size - (size_t)n, " pid %ld uid %ld", pid, uid);
}
