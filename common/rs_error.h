/*
 * rs_error.h - how common/ reports failures to its callers.
 *
 * The library never prints and never exits (Varnish's rule for libvarnishapi):
 * a failing function returns a negative errno and leaves a one-line message
 * naming the object and the problem in a caller-owned struct rs_error.  main()
 * decides what to print: "prog: action: <msg>".
 */
#ifndef RS_ERROR_H
#define RS_ERROR_H

#define RS_ERROR_MSG_MAX 256

struct rs_error {
	int  code;                       /* negative errno of the last failure, 0 if none */
	char msg[RS_ERROR_MSG_MAX];
};

/* Records code and a printf-style message in err (which may be NULL); returns code. */
int rs_error_set(struct rs_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears err so a caller can tell "no problem" from a stale message. */
void rs_error_clear(struct rs_error *err);

#endif
