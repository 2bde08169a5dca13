/*
 * line_reader.h - bounded, non-stalling line reading for the jsonl source.
 *
 * Why not getline(3): on a pipe or terminal it blocks in read() with no
 * timeout, so an idle stdin would stop the 100 ms heartbeat; a signal landing
 * in the middle of a line loses the part already read; and a line without a
 * newline grows the buffer without bound.  This reader keeps one buffer,
 * allocated once (the longest line plus one read chunk), waits with poll(2)
 * up to a caller-given timeout, keeps a partial last line until its newline
 * arrives (--follow), and skips over-long lines, reporting each once.
 *
 * Following a file across rotation and truncation is the caller's part
 * (source_jsonl.c): in follow mode the reader only says "at the end for now"
 * (RS_LINE_AGAIN with at_eof set) and lets the caller switch to a new file
 * (rs_line_reader_reset) or start over (rs_line_reader_rewind).
 *
 * A line handed out points into the buffer and stays valid until the next
 * call.  A trailing "\r" is removed with the "\n".  Single-threaded.
 */
#ifndef RS_LINE_READER_H
#define RS_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_LINE_READER_MAX   65536u   /* default longest line, in bytes without "\n" */
#define RS_LINE_READER_CHUNK 65536u   /* bytes per read(2) */

enum rs_line_status {
	RS_LINE_OK,        /* *line, *len hold the next line */
	RS_LINE_TOO_LONG,  /* a line over max_line was skipped (reported once) */
	RS_LINE_AGAIN,     /* nothing complete within the timeout (or a signal came);
			    * in follow mode also at the end of the file (at_eof) */
	RS_LINE_EOF,       /* end of input (never in follow mode) */
};

struct rs_line_reader {
	int      fd;
	bool     follow;      /* at EOF wait for more instead of ending */
	bool     regular;     /* a regular file: poll(2) would always say ready */
	bool     at_eof;      /* the last read returned 0 */
	bool     skipping;    /* inside an over-long line, dropping bytes until "\n" */
	size_t   max_line;    /* longest line handed out, in bytes without "\n" */
	size_t   size;        /* of buf */
	char    *buf;
	size_t   start, end;  /* unconsumed bytes: buf[start, end) */
	size_t   scanned;     /* buf[start, scanned) is known to hold no "\n" */
	uint64_t line_no;     /* 1-based number of the line last returned */
};

/* Takes fd (not closed by the reader); max_line 0 = RS_LINE_READER_MAX. -ENOMEM, or 0. */
int rs_line_reader_init(struct rs_line_reader *lr, int fd, bool follow, size_t max_line);
void rs_line_reader_free(struct rs_line_reader *lr);

/*
 * At the end of a followed file that is being left for good: hands out the
 * pending partial last line (no "\n" came) as a line and returns RS_LINE_OK,
 * or RS_LINE_EOF when there is none.
 */
int rs_line_reader_take_partial(struct rs_line_reader *lr, const char **line, size_t *len);

/* Continues with another fd (a re-created file): nothing pending, line numbers from 1. */
void rs_line_reader_reset(struct rs_line_reader *lr, int fd);

/* Same fd from its start (the file was truncated): lseek 0, nothing pending, lines from 1. */
int rs_line_reader_rewind(struct rs_line_reader *lr);

/*
 * Next line.  Returns an enum rs_line_status, or a negative errno when
 * reading fails.  timeout_ms bounds the wait for more input on a pipe or
 * terminal (0: never wait); at the end of a followed file the reader returns
 * RS_LINE_AGAIN at once and the caller decides how long to wait.
 */
int rs_line_reader_next(struct rs_line_reader *lr, int timeout_ms, const char **line, size_t *len);

#endif
