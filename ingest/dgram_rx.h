/*
 * dgram_rx.h - receiving datagrams from one socket through io_uring.
 *
 * Two ways, one interface:
 *   multishot  one IORING_OP_RECVMSG with IORING_RECV_MULTISHOT and a ring of
 *              provided buffers (kernel >= 6.0): one submission keeps
 *              receiving; each completion names the buffer holding the
 *              datagram, its sender and control data (io_uring_recvmsg_out).
 *              When the kernel runs out of buffers (-ENOBUFS) or ends the
 *              request, it is re-armed after the batch returned its buffers.
 *   single     RS_DGRAM_RX_SLOTS plain RECVMSG requests in flight, each with
 *              its own buffer; each completion is handed over and its slot
 *              re-armed.  For kernels without multishot receive.
 * auto tries multishot and falls back to single when the kernel refuses it
 * (registering the buffer ring fails, or the first completion is -EINVAL).
 *
 * Memory: every buffer is allocated once at init (no allocation per
 * datagram): multishot about 16 MiB of address space (up to 256 buffers of
 * the limit plus headers), single 64 buffers; the pages a small datagram
 * does not reach are never touched, so resident memory stays small.
 *
 * A datagram longer than max_len is received truncated (MSG_TRUNC) and
 * handed over with truncated set and its real length, for the caller to
 * reject.  Waiting never blocks longer than the caller's timeout, and a
 * signal ends it early (-EINTR is not an error).
 *
 * Single-threaded.  Functions return 0 or a count, or a negative errno with
 * err->msg set; nothing here prints.
 */
#ifndef RS_DGRAM_RX_H
#define RS_DGRAM_RX_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "options.h"
#include "rs_error.h"

#define RS_DGRAM_RX_SLOTS 64u               /* single mode: receives in flight */

/* One received datagram, valid during the callback only. */
struct rs_dgram_msg {
	const char *data;
	size_t      len;          /* bytes at data (at most max_len) */
	size_t      full_len;     /* the datagram's size; > len when truncated */
	bool        truncated;
	const void *name;         /* sender address (struct sockaddr), namelen 0 if none */
	socklen_t   namelen;
	long        pid, uid;     /* unix sender's credentials (SO_PASSCRED), -1 if unknown */
};

typedef void (*rs_dgram_fn)(void *ctx, const struct rs_dgram_msg *m);

struct rs_dgram_slot;

struct rs_dgram_rx {
	struct io_uring ring;
	bool            ring_ok;
	int             fd;
	unsigned        mode;          /* RS_RECV_MULTISHOT or RS_RECV_SINGLE: the one in use */
	bool            may_fall_back; /* auto: multishot not yet confirmed by a datagram */
	bool            stopping;      /* draining: nothing is re-armed */
	size_t          max_len;
	socklen_t       name_space, control_space;
	unsigned        in_flight;     /* requests that will still complete */
	uint64_t        rearms;        /* multishot re-arms (buffers ran out, or the kernel ended it) */
	/* multishot */
	struct io_uring_buf_ring *br;
	size_t          br_bytes;
	unsigned        nbufs;
	size_t          buf_size;
	char           *pool;          /* nbufs x buf_size (multishot), or the slots' buffers */
	size_t          pool_bytes;
	struct msghdr   mh;            /* multishot: name and control sizes per buffer */
	/* single */
	struct rs_dgram_slot *slots;
};

/*
 * Sets up the ring and arms the first receives on fd.  want: RS_RECV_AUTO,
 * RS_RECV_MULTISHOT (an error if the kernel lacks it) or RS_RECV_SINGLE.
 * with_creds: reserve room for SCM_CREDENTIALS (unix sockets with SO_PASSCRED).
 */
int rs_dgram_rx_init(struct rs_dgram_rx *rx, int fd, size_t max_len, unsigned want,
		     bool with_creds, struct rs_error *err);

/*
 * Waits up to timeout_ns for completions, then hands every completed
 * datagram to fn and re-arms.  Returns the number of datagrams handed over
 * (0 after a timeout or a signal), or a negative errno.
 */
int rs_dgram_rx_wait(struct rs_dgram_rx *rx, uint64_t timeout_ns, rs_dgram_fn fn, void *ctx,
		     struct rs_error *err);

/*
 * Stops receiving: cancels what is in flight, hands over what had already
 * completed, then reads what the socket still holds without waiting, for at
 * most max_ns in all.  Returns the number handed over, or a negative errno.
 */
int rs_dgram_rx_drain(struct rs_dgram_rx *rx, uint64_t max_ns, rs_dgram_fn fn, void *ctx,
		      struct rs_error *err);

void rs_dgram_rx_close(struct rs_dgram_rx *rx);

/* "multishot" or "single". */
const char *rs_dgram_rx_mode_name(const struct rs_dgram_rx *rx);

#endif
