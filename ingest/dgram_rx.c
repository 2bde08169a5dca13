/*
 * dgram_rx.c - see dgram_rx.h.
 *
 * Multishot buffer layout (what the kernel writes into each provided buffer):
 *
 *   +-----------------------+------------------+---------------------+----------------+
 *   | io_uring_recvmsg_out  | name             | control             | payload        |
 *   | 16 B                  | name_space B     | control_space B     | up to max_len  |
 *   +-----------------------+------------------+---------------------+----------------+
 *
 * user_data: TAG_MULTISHOT for the multishot request, TAG_SLOT + i for slot
 * i of single mode, TAG_CANCEL for cancellations (their results are ignored).
 */
#include "dgram_rx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "rs_clock.h"

#define TAG_MULTISHOT 1u
#define TAG_CANCEL    2u
#define TAG_SLOT      0x100u

#define BUF_GROUP       7u                     /* provided-buffer group id, any will do */
#define POOL_TARGET     (16u << 20)            /* multishot: address space for buffers */
#define NBUFS_MIN       16u
#define NBUFS_MAX       256u
#define SQ_ENTRIES      128u                   /* RS_DGRAM_RX_SLOTS receives + their cancels */

struct rs_dgram_slot {
	struct msghdr           mh;
	struct iovec            iov;
	struct sockaddr_storage name;
	union {
		char            buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr  align;
	} control;
	bool                    armed;
};

const char *rs_dgram_rx_mode_name(const struct rs_dgram_rx *rx)
{
	return rx->mode == RS_RECV_MULTISHOT ? "multishot" : "single";
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static void *map_anon(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void unmap(void **p, size_t bytes)
{
	if (*p != NULL)
		munmap(*p, bytes);
	*p = NULL;
}

static struct io_uring_sqe *get_sqe(struct rs_dgram_rx *rx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rx->ring);
	if (sqe == NULL) {   /* full of unsubmitted entries: submit them and retry */
		io_uring_submit(&rx->ring);
		sqe = io_uring_get_sqe(&rx->ring);
	}
	return sqe;
}

/* The unix sender's pid and uid from SCM_CREDENTIALS, when present. */
static void read_creds(struct msghdr *mh, struct cmsghdr *c, struct rs_dgram_msg *m,
		       struct io_uring_recvmsg_out *out)
{
	for (; c != NULL; c = out ? io_uring_recvmsg_cmsg_nexthdr(out, mh, c) : CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			m->pid = u.pid;
			m->uid = u.uid;
			return;
		}
	}
}

/* ---- multishot ------------------------------------------------------------------ */

static void arm_multishot(struct rs_dgram_rx *rx)
{
	struct io_uring_sqe *sqe = get_sqe(rx);
	/* MSG_TRUNC: payloadlen reports the datagram's real size even when it did not fit. */
	io_uring_prep_recvmsg_multishot(sqe, rx->fd, &rx->mh, MSG_TRUNC);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	io_uring_sqe_set_data64(sqe, TAG_MULTISHOT);
	rx->in_flight++;
}

/* Gives buffer bid back to the kernel; visible at the next io_uring_buf_ring_advance. */
static void recycle(struct rs_dgram_rx *rx, unsigned bid, unsigned offset)
{
	/* The registered length leaves exactly max_len for the payload, so MSG_TRUNC means "over the limit". */
	size_t len = sizeof(struct io_uring_recvmsg_out) + rx->name_space + rx->control_space + rx->max_len;
	io_uring_buf_ring_add(rx->br, rx->pool + (size_t)bid * rx->buf_size, (unsigned)len,
			      (unsigned short)bid, io_uring_buf_ring_mask(rx->nbufs), (int)offset);
}

static void free_multishot(struct rs_dgram_rx *rx)
{
	if (rx->br != NULL && rx->ring_ok)
		io_uring_unregister_buf_ring(&rx->ring, BUF_GROUP);
	unmap((void **)&rx->br, rx->br_bytes);
	unmap((void **)&rx->pool, rx->pool_bytes);
}

static int start_multishot(struct rs_dgram_rx *rx, struct rs_error *err)
{
	size_t room = sizeof(struct io_uring_recvmsg_out) + rx->name_space + rx->control_space;
	rx->buf_size = round_up(room + rx->max_len, 64);
	unsigned n = NBUFS_MAX;
	while (n > NBUFS_MIN && (size_t)n * rx->buf_size > POOL_TARGET)
		n /= 2;
	rx->nbufs = n;
	rx->pool_bytes = (size_t)n * rx->buf_size;
	rx->br_bytes = round_up(n * sizeof(struct io_uring_buf), 4096);
	rx->pool = map_anon(rx->pool_bytes);
	rx->br = map_anon(rx->br_bytes);       /* page aligned, as the kernel wants */
	if (rx->pool == NULL || rx->br == NULL) {
		free_multishot(rx);
		return rs_error_set(err, -ENOMEM, "no memory for %u receive buffers", n);
	}
	io_uring_buf_ring_init(rx->br);
	struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)rx->br, .ring_entries = n,
					.bgid = BUF_GROUP };
	int rc = io_uring_register_buf_ring(&rx->ring, &reg, 0);
	if (rc < 0) {
		unmap((void **)&rx->br, rx->br_bytes);   /* not registered: do not unregister */
		free_multishot(rx);
		return rs_error_set(err, rc, "multishot receive: registering a buffer ring: %s "
				    "(kernel >= 5.19 needed)", strerror(-rc));
	}
	for (unsigned i = 0; i < n; i++)
		recycle(rx, i, i);
	io_uring_buf_ring_advance(rx->br, (int)n);
	rx->mh = (struct msghdr){ .msg_namelen = rx->name_space, .msg_controllen = rx->control_space };
	rx->mode = RS_RECV_MULTISHOT;
	arm_multishot(rx);
	return 0;
}

/* ---- single ------------------------------------------------------------------- */

static void arm_slot(struct rs_dgram_rx *rx, unsigned i)
{
	struct rs_dgram_slot *s = &rx->slots[i];
	s->mh.msg_namelen = rx->name_space;
	s->mh.msg_controllen = rx->control_space;
	s->mh.msg_control = rx->control_space ? s->control.buf : NULL;
	s->mh.msg_flags = 0;
	struct io_uring_sqe *sqe = get_sqe(rx);
	io_uring_prep_recvmsg(sqe, rx->fd, &s->mh, MSG_TRUNC);
	io_uring_sqe_set_data64(sqe, TAG_SLOT + i);
	s->armed = true;
	rx->in_flight++;
}

static int start_single(struct rs_dgram_rx *rx, struct rs_error *err)
{
	rx->buf_size = round_up(rx->max_len, 64);
	rx->pool_bytes = RS_DGRAM_RX_SLOTS * rx->buf_size;
	rx->pool = map_anon(rx->pool_bytes);
	rx->slots = calloc(RS_DGRAM_RX_SLOTS, sizeof *rx->slots);
	if (rx->pool == NULL || rx->slots == NULL)
		return rs_error_set(err, -ENOMEM, "no memory for %u receive buffers", RS_DGRAM_RX_SLOTS);
	for (unsigned i = 0; i < RS_DGRAM_RX_SLOTS; i++) {
		struct rs_dgram_slot *s = &rx->slots[i];
		s->iov = (struct iovec){ rx->pool + (size_t)i * rx->buf_size, rx->max_len };
		s->mh = (struct msghdr){ .msg_name = &s->name, .msg_iov = &s->iov, .msg_iovlen = 1 };
	}
	rx->mode = RS_RECV_SINGLE;
	for (unsigned i = 0; i < RS_DGRAM_RX_SLOTS; i++)
		arm_slot(rx, i);
	return 0;
}

/* ---- setup -------------------------------------------------------------------- */

/* DEFER_TASKRUN (6.1+): completions are run only when we wait, in batches; else COOP, else plain. */
static int init_ring(struct rs_dgram_rx *rx, struct rs_error *err)
{
	static const unsigned flag_sets[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int rc = -EINVAL;
	for (unsigned i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
		struct io_uring_params p = { .flags = flag_sets[i] | IORING_SETUP_CQSIZE,
					     .cq_entries = 4 * NBUFS_MAX };
		rc = io_uring_queue_init_params(SQ_ENTRIES, &rx->ring, &p);
		if (rc == 0) {
			rx->ring_ok = true;
			return 0;
		}
		if (rc != -EINVAL)
			break;
	}
	return rs_error_set(err, rc, "io_uring_queue_init: %s", strerror(-rc));
}

int rs_dgram_rx_init(struct rs_dgram_rx *rx, int fd, size_t max_len, unsigned want,
		     bool with_creds, struct rs_error *err)
{
	memset(rx, 0, sizeof *rx);
	rx->fd = fd;
	rx->max_len = max_len;
	rx->name_space = sizeof(struct sockaddr_storage);
	rx->control_space = with_creds ? CMSG_SPACE(sizeof(struct ucred)) : 0;
	int rc = init_ring(rx, err);
	if (rc < 0)
		return rc;
	if (want != RS_RECV_SINGLE) {
		rc = start_multishot(rx, err);
		if (rc == 0 || want == RS_RECV_MULTISHOT) {
			rx->may_fall_back = want == RS_RECV_AUTO;
			return rc;
		}
		rs_error_clear(err);
	}
	return start_single(rx, err);
}

void rs_dgram_rx_close(struct rs_dgram_rx *rx)
{
	free_multishot(rx);       /* also frees a single-mode pool: same fields */
	free(rx->slots);
	rx->slots = NULL;
	if (rx->ring_ok)
		io_uring_queue_exit(&rx->ring);
	rx->ring_ok = false;
}

/* auto, and the kernel refused multishot before any datagram: single mode instead. */
static int fall_back(struct rs_dgram_rx *rx, struct rs_error *err)
{
	free_multishot(rx);
	rx->may_fall_back = false;
	return start_single(rx, err);
}

/* ---- completions ---------------------------------------------------------------- */

/* What one pass over the completion queue has to do afterwards. */
struct batch {
	unsigned recycled;      /* buffers given back (multishot) */
	bool     rearm;         /* the multishot request ended */
	bool     fall_back;     /* the kernel refused multishot */
	int      handed;
	int      error;         /* negative errno of a real receive failure */
};

static bool transient(int res)
{
	return res == -ENOBUFS || res == -EINTR || res == -EAGAIN || res == -ECANCELED;
}

static void on_multishot(struct rs_dgram_rx *rx, const struct io_uring_cqe *cqe, rs_dgram_fn fn,
			 void *ctx, struct batch *b)
{
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		rx->in_flight--;
		b->rearm = true;
	}
	if (cqe->res < 0) {
		if (cqe->res == -EINVAL && rx->may_fall_back)
			b->fall_back = true;
		else if (!transient(cqe->res))
			b->error = cqe->res;
		return;
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (bid >= rx->nbufs)
		return;              /* cannot happen: the kernel only hands out our ids */
	rx->may_fall_back = false;   /* multishot works here */
	char *buf = rx->pool + (size_t)bid * rx->buf_size;
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, cqe->res, &rx->mh);
	if (out != NULL) {
		struct rs_dgram_msg m = {
			.data = io_uring_recvmsg_payload(out, &rx->mh),
			.len = io_uring_recvmsg_payload_length(out, cqe->res, &rx->mh),
			.full_len = out->payloadlen,
			.truncated = (out->flags & MSG_TRUNC) != 0 || out->payloadlen > rx->max_len,
			.name = io_uring_recvmsg_name(out),
			.namelen = out->namelen < rx->name_space ? out->namelen : rx->name_space,
			.pid = -1, .uid = -1,
		};
		if (m.len > rx->max_len)
			m.len = rx->max_len;
		if (m.full_len < m.len)
			m.full_len = m.len;
		if (rx->control_space)
			read_creds(&rx->mh, io_uring_recvmsg_cmsg_firsthdr(out, &rx->mh), &m, out);
		fn(ctx, &m);
		b->handed++;
	}
	recycle(rx, bid, b->recycled++);
}

static void hand_slot(struct rs_dgram_rx *rx, struct rs_dgram_slot *s, size_t res, rs_dgram_fn fn,
		      void *ctx)
{
	struct rs_dgram_msg m = {
		.data = s->iov.iov_base,
		.len = res < rx->max_len ? res : rx->max_len,
		.full_len = res,
		.truncated = res > rx->max_len || (s->mh.msg_flags & MSG_TRUNC) != 0,
		.name = &s->name,
		.namelen = s->mh.msg_namelen < rx->name_space ? s->mh.msg_namelen : rx->name_space,
		.pid = -1, .uid = -1,
	};
	if (rx->control_space && s->mh.msg_controllen > 0)
		read_creds(&s->mh, CMSG_FIRSTHDR(&s->mh), &m, NULL);
	fn(ctx, &m);
}

static void on_slot(struct rs_dgram_rx *rx, unsigned i, const struct io_uring_cqe *cqe, rs_dgram_fn fn,
		    void *ctx, struct batch *b)
{
	struct rs_dgram_slot *s = &rx->slots[i];
	s->armed = false;
	rx->in_flight--;
	if (cqe->res < 0) {
		if (!transient(cqe->res))
			b->error = cqe->res;
		return;
	}
	hand_slot(rx, s, (size_t)cqe->res, fn, ctx);
	b->handed++;
}

/* Hands over every completion in the queue, then returns buffers and re-arms. */
static int process(struct rs_dgram_rx *rx, rs_dgram_fn fn, void *ctx, struct rs_error *err)
{
	struct batch b = { 0 };
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	io_uring_for_each_cqe(&rx->ring, head, cqe) {
		seen++;
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		if (tag == TAG_MULTISHOT && rx->mode == RS_RECV_MULTISHOT)
			on_multishot(rx, cqe, fn, ctx, &b);
		else if (tag >= TAG_SLOT && tag < TAG_SLOT + RS_DGRAM_RX_SLOTS && rx->slots != NULL)
			on_slot(rx, (unsigned)(tag - TAG_SLOT), cqe, fn, ctx, &b);
		/* TAG_CANCEL and liburing's own timeouts: nothing to do */
	}
	io_uring_cq_advance(&rx->ring, seen);
	if (b.recycled > 0)
		io_uring_buf_ring_advance(rx->br, (int)b.recycled);
	if (b.error == -EINVAL && rx->mode == RS_RECV_MULTISHOT)
		return rs_error_set(err, b.error, "multishot receive refused by the kernel (6.0 or "
				    "later needed); --recv-mode single works everywhere");
	if (b.error < 0)
		return rs_error_set(err, b.error, "receive: %s", strerror(-b.error));
	if (rx->stopping)
		return b.handed;
	if (b.fall_back && rx->in_flight == 0) {
		int rc = fall_back(rx, err);
		return rc < 0 ? rc : b.handed;
	}
	if (b.fall_back)
		return rs_error_set(err, -EINVAL, "receive: multishot refused with a request in flight");
	if (rx->mode == RS_RECV_MULTISHOT && b.rearm) {
		rx->rearms++;
		arm_multishot(rx);
	}
	for (unsigned i = 0; rx->mode == RS_RECV_SINGLE && i < RS_DGRAM_RX_SLOTS; i++)
		if (!rx->slots[i].armed)
			arm_slot(rx, i);
	return b.handed;
}

int rs_dgram_rx_wait(struct rs_dgram_rx *rx, uint64_t timeout_ns, rs_dgram_fn fn, void *ctx,
		     struct rs_error *err)
{
	struct __kernel_timespec ts = { .tv_sec = (long long)(timeout_ns / 1000000000u),
					.tv_nsec = (long long)(timeout_ns % 1000000000u) };
	struct io_uring_cqe *cqe;
	int rc = io_uring_submit_and_wait_timeout(&rx->ring, &cqe, 1, &ts, NULL);
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
		return rs_error_set(err, rc, "io_uring wait: %s", strerror(-rc));
	return process(rx, fn, ctx, err);
}

/* ---- stopping ------------------------------------------------------------------- */

static void cancel_all(struct rs_dgram_rx *rx)
{
	if (rx->mode == RS_RECV_MULTISHOT) {
		struct io_uring_sqe *sqe = get_sqe(rx);
		io_uring_prep_cancel64(sqe, TAG_MULTISHOT, 0);
		io_uring_sqe_set_data64(sqe, TAG_CANCEL);
		return;
	}
	for (unsigned i = 0; i < RS_DGRAM_RX_SLOTS; i++) {
		if (!rx->slots[i].armed)
			continue;
		struct io_uring_sqe *sqe = get_sqe(rx);
		io_uring_prep_cancel64(sqe, TAG_SLOT + i, 0);
		io_uring_sqe_set_data64(sqe, TAG_CANCEL);
	}
}

/* What is left in the socket, read directly without waiting (into the first buffer). */
static int read_rest(struct rs_dgram_rx *rx, uint64_t deadline_ns, rs_dgram_fn fn, void *ctx,
		     struct rs_error *err)
{
	struct rs_dgram_slot s;
	memset(&s, 0, sizeof s);
	s.iov = (struct iovec){ rx->pool, rx->max_len };
	int handed = 0;
	while (rs_mono_ns() < deadline_ns) {
		s.mh = (struct msghdr){ .msg_name = &s.name, .msg_namelen = rx->name_space,
					.msg_iov = &s.iov, .msg_iovlen = 1,
					.msg_control = rx->control_space ? s.control.buf : NULL,
					.msg_controllen = rx->control_space };
		ssize_t n = recvmsg(rx->fd, &s.mh, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return rs_error_set(err, -errno, "receive: %s", strerror(errno));
		}
		hand_slot(rx, &s, (size_t)n, fn, ctx);
		handed++;
	}
	return handed;
}

int rs_dgram_rx_drain(struct rs_dgram_rx *rx, uint64_t max_ns, rs_dgram_fn fn, void *ctx,
		      struct rs_error *err)
{
	uint64_t deadline = rs_mono_ns() + max_ns;
	rx->stopping = true;
	cancel_all(rx);
	int handed = 0;
	while (rx->in_flight > 0 && rs_mono_ns() < deadline) {
		int n = rs_dgram_rx_wait(rx, 10u * 1000u * 1000u, fn, ctx, err);
		if (n < 0)
			return n;
		handed += n;
	}
	int n = read_rest(rx, deadline, fn, ctx, err);
	return n < 0 ? n : handed + n;
}
