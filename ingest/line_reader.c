/*
 * line_reader.c - see line_reader.h.
 *
 * Buffer: [0, start) consumed, [start, end) pending, [end, size) free.  The
 * pending part never holds more than max_line + 1 bytes without a newline
 * (+1 for a "\r"), so after compaction a whole chunk always fits.
 */
#include "line_reader.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* What fill() found. */
enum { FILL_AGAIN, FILL_DATA, FILL_EOF };
#define NEED_MORE (-1)

static bool is_regular(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int rs_line_reader_init(struct rs_line_reader *lr, int fd, bool follow, size_t max_line)
{
	memset(lr, 0, sizeof *lr);
	lr->fd = fd;
	lr->follow = follow;
	lr->regular = is_regular(fd);
	lr->max_line = max_line ? max_line : RS_LINE_READER_MAX;
	lr->size = lr->max_line + 1u + RS_LINE_READER_CHUNK;
	lr->buf = malloc(lr->size);
	return lr->buf != NULL ? 0 : -ENOMEM;
}

void rs_line_reader_free(struct rs_line_reader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

static void drop_pending(struct rs_line_reader *lr)
{
	lr->start = lr->end = lr->scanned = 0;
}

/* Hands out buf[start, stop) minus a trailing "\r" as the next line. */
static void hand_out(struct rs_line_reader *lr, size_t stop, const char **line, size_t *len)
{
	size_t s = lr->start, e = stop;
	if (e > s && lr->buf[e - 1] == '\r')
		e--;
	*line = lr->buf + s;
	*len = e - s;
	lr->line_no++;
}

/* Finds the next line in the buffer: RS_LINE_OK, RS_LINE_TOO_LONG or NEED_MORE. */
static int scan(struct rs_line_reader *lr, const char **line, size_t *len)
{
	if (lr->skipping) {
		char *nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
		if (nl == NULL) {
			drop_pending(lr);
			return NEED_MORE;
		}
		lr->start = lr->scanned = (size_t)(nl - lr->buf) + 1;
		lr->skipping = false;
	}
	if (lr->scanned < lr->start)
		lr->scanned = lr->start;
	char *nl = memchr(lr->buf + lr->scanned, '\n', lr->end - lr->scanned);
	if (nl != NULL) {
		size_t stop = (size_t)(nl - lr->buf);
		hand_out(lr, stop, line, len);
		lr->start = lr->scanned = stop + 1;
		return RS_LINE_OK;
	}
	lr->scanned = lr->end;
	if (lr->end - lr->start > lr->max_line + 1u) {
		drop_pending(lr);
		lr->skipping = true;
		lr->line_no++;
		return RS_LINE_TOO_LONG;
	}
	return NEED_MORE;
}

static void compact(struct rs_line_reader *lr)
{
	if (lr->start == 0)
		return;
	size_t n = lr->end - lr->start;
	memmove(lr->buf, lr->buf + lr->start, n);
	lr->scanned -= lr->start;
	lr->start = 0;
	lr->end = n;
}

/* Waits up to timeout_ms for input on a pipe or terminal: 1 ready, 0 not. */
static int wait_input(const struct rs_line_reader *lr, int timeout_ms)
{
	if (lr->regular)
		return 1;
	struct pollfd p = { .fd = lr->fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);
	return n > 0 ? 1 : 0;   /* EINTR counts as "not yet" */
}

/* Reads one chunk: FILL_DATA, FILL_AGAIN, FILL_EOF or a negative errno. */
static int fill(struct rs_line_reader *lr, int timeout_ms)
{
	if (wait_input(lr, timeout_ms) == 0)
		return FILL_AGAIN;
	compact(lr);
	ssize_t n = read(lr->fd, lr->buf + lr->end, lr->size - lr->end);
	if (n > 0) {
		lr->end += (size_t)n;
		lr->at_eof = false;
		return FILL_DATA;
	}
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? FILL_AGAIN : -errno;
	lr->at_eof = true;
	return lr->follow ? FILL_AGAIN : FILL_EOF;   /* follow: the caller waits, or switches files */
}

/* End of input: a last line without "\n" still counts. */
static int last_line(struct rs_line_reader *lr, const char **line, size_t *len)
{
	if (lr->skipping || lr->end == lr->start) {
		drop_pending(lr);
		lr->skipping = false;
		return RS_LINE_EOF;
	}
	hand_out(lr, lr->end, line, len);
	lr->start = lr->scanned = lr->end;
	return RS_LINE_OK;
}

int rs_line_reader_take_partial(struct rs_line_reader *lr, const char **line, size_t *len)
{
	return last_line(lr, line, len);
}

void rs_line_reader_reset(struct rs_line_reader *lr, int fd)
{
	drop_pending(lr);
	lr->fd = fd;
	lr->regular = is_regular(fd);
	lr->at_eof = false;
	lr->skipping = false;
	lr->line_no = 0;
}

int rs_line_reader_rewind(struct rs_line_reader *lr)
{
	drop_pending(lr);
	lr->at_eof = false;
	lr->skipping = false;
	lr->line_no = 0;
	return lseek(lr->fd, 0, SEEK_SET) < 0 ? -errno : 0;
}

int rs_line_reader_next(struct rs_line_reader *lr, int timeout_ms, const char **line, size_t *len)
{
	for (;;) {
		int st = scan(lr, line, len);
		if (st != NEED_MORE)
			return st;
		int rc = fill(lr, timeout_ms);
		if (rc == FILL_AGAIN)
			return RS_LINE_AGAIN;
		if (rc == FILL_EOF)
			return last_line(lr, line, len);
		if (rc < 0)
			return rc;
	}
}
