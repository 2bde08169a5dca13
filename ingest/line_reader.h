/*
 * line_reader.h - bounded, non-stalling line reading for the jsonl source.
 *
 * Why not getline(3): on a pipe or terminal it blocks in read() with no
 * timeout, so an idle stdin would stop the 100 ms heartbeat; a signal landing
 * in the middle of a line loses the part already read; and a line without a
 * newline grows the buffer without bound.  This reader keeps one buffer,
 * allocated once (RS_LINE_READER_MAX plus one read chunk), waits with poll(2)
 * up to a caller-given timeout, keeps a partial last line until its newline
 * arrives (--follow), and skips over-long lines, reporting each once.
 *
 * A line handed out points into the buffer and stays valid until the next
 * call.  A trailing "\r" is removed with the "\n".  Single-threaded.
 */
#ifndef RS_LINE_READER_H
#define RS_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_LINE_READER_MAX   65536u   /* longest line kept, in bytes without "\n" */
#define RS_LINE_READER_CHUNK 65536u   /* bytes per read(2) */

enum rs_line_status {
	RS_LINE_OK,        /* *line, *len hold the next line */
	RS_LINE_TOO_LONG,  /* a line over RS_LINE_READER_MAX was skipped (reported once) */
	RS_LINE_AGAIN,     /* nothing complete within the timeout (or a signal came) */
	RS_LINE_EOF,       /* end of input (never in follow mode) */
};

struct rs_line_reader {
	int      fd;
	bool     follow;      /* at EOF wait for more instead of ending */
	bool     regular;     /* a regular file: poll(2) would always say ready */
	bool     at_eof;      /* the last read returned 0 */
	bool     skipping;    /* inside an over-long line, dropping bytes until "\n" */
	char    *buf;
	size_t   start, end;  /* unconsumed bytes: buf[start, end) */
	size_t   scanned;     /* buf[start, scanned) is known to hold no "\n" */
	uint64_t line_no;     /* 1-based number of the line last returned */
};

/* Takes fd (not closed by the reader). -ENOMEM, or 0. */
int rs_line_reader_init(struct rs_line_reader *lr, int fd, bool follow);
void rs_line_reader_free(struct rs_line_reader *lr);

/*
 * Next line.  Returns an enum rs_line_status, or a negative errno when
 * reading fails.  timeout_ms bounds the wait for more input (0: never wait);
 * at the end of a followed file it is how long to sleep before the next try.
 */
int rs_line_reader_next(struct rs_line_reader *lr, int timeout_ms, const char **line, size_t *len);

#endif
