/*
 * tui_loop.c - the dashboard's event loop (tui_loop.h).
 *
 * One iteration: read the snapshot if the refresh interval has passed (and
 * not paused), rebuild the model, erase + draw + doupdate (curses sends only
 * the changed cells), then sleep in ppoll on stdin until the next read is
 * due, a key arrives or a signal lands.  A read that brought nothing new
 * (same generation and status: the refresh is faster than the aggregator's
 * tick, or it is dead) repaints the top bar only, whose ages moved; any key,
 * resize or new snapshot repaints everything.  SIGINT/SIGTERM/SIGHUP/SIGWINCH are
 * blocked outside ppoll, so a signal can never slip in between the check
 * and the sleep; curses' own SIGWINCH handler turns a resize into KEY_RESIZE.
 *
 * Two snapshot buffers: a read lands in the spare one and is swapped in only
 * when it validated, so a damaged or torn read never reaches the screen.
 */
#include "tui_loop.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rs_clock.h"
#include "tui_draw.h"
#include "tui_keys.h"
#include "tui_layout.h"
#include "tui_model.h"
#include "tui_schedule.h"
#include "view_source.h"

#define RESTARTED_SHOW_MS 5000u  /* "restarted" stays in the top bar this long */
#define MAX_SLEEP_MS      1000u  /* wake at least this often, so ages on screen advance */
#define ESC_DELAY_MS      25
#define EOF_WAKEUPS       20     /* readable stdin yielding no key this often in a row: gone */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct tui {
	const struct rs_tui_options *o;
	struct rs_view_source src;
	struct rs_metrics_snapshot *shown, *spare;
	bool     have;                 /* shown holds a validated snapshot */
	struct rs_view_info info;      /* of shown, or of the waiting reader */
	enum rs_tui_source source;
	uint64_t read_ms;              /* when shown was read (monotonic) */
	uint64_t started_ms;
	uint64_t restarted_until_ms;
	char     message[RS_ERROR_MSG_MAX + 64];
	struct rs_tui_state st;
	struct rs_tui_model *m;
	struct rs_tui_layout layout;
	bool     utf8;
	bool     full;                 /* the next frame repaints everything */
	uint64_t full_ms;              /* when it last did */
	struct rs_tui_tick_plan plan;  /* when the aggregator ticks: wake-ups stay out */
};

#define FULL_EVERY_MS 5000u        /* repaint everything at least this often anyway */

static uint64_t mono_ms(void)
{
	return rs_mono_ns() / 1000000u;
}

/* ---- reading ------------------------------------------------------------------ */

/* A live aggregator ticks on a fixed schedule: the shown snapshot says when. */
static void learn_ticks(struct tui *t)
{
	t->plan.known = false;
	if (t->o->read_during_ticks || !rs_view_status_ok(t->info.status))
		return;
	t->plan = rs_tui_tick_plan_make(t->info.published_mono_ms, t->shown->self.last_tick_us,
					t->shown->tick_ms);
	t->plan.spread_ms = (uint32_t)getpid() % RS_TUI_TICK_SPREAD_MS;
}

static void read_snapshot(struct tui *t, uint64_t now)
{
	struct rs_view_info info;
	struct rs_error err;
	rs_error_clear(&err);
	int rc = rs_view_source_read(&t->src, t->spare, &info, &err);
	/* What the screen shows besides ages: a change of any of it repaints everything. */
	uint64_t was_gen = t->info.generation;
	enum rs_snapshot_status was_status = t->info.status;
	enum rs_tui_source was_source = t->source;
	bool had_message = t->message[0] != '\0';
	t->message[0] = '\0';
	switch (rc) {
	case 0: {
		/*
		 * A generation's payload never changes: for the same one, the model keeps
		 * pointing into the buffer it was built from and only the ages are new.
		 */
		if (!info.unchanged && (!t->have || info.generation != was_gen || info.status != was_status)) {
			struct rs_metrics_snapshot *tmp = t->shown;
			t->shown = t->spare;
			t->spare = tmp;
		}
		t->have = true;
		t->info = info;
		t->source = RS_TUI_SRC_OK;
		t->read_ms = now;
		if (info.status == RS_SNAPSHOT_RESTARTED)
			t->restarted_until_ms = now + RESTARTED_SHOW_MS;
		learn_ticks(t);
		break;
	}
	case -ENOENT:
		if (!t->have)
			t->source = RS_TUI_SRC_NO_OBJECT;
		else
			snprintf(t->message, sizeof t->message, "the snapshot object is gone: %s", err.msg);
		break;
	case -ENODATA:
		if (!t->have) {
			t->source = RS_TUI_SRC_NO_DATA;
			t->info = info;
		} else {
			/* A restarted aggregator that has not published yet: keep the old figures. */
			snprintf(t->message, sizeof t->message,
				 "aggregator restarted (pid %u): waiting for its first snapshot",
				 info.writer_pid);
			t->restarted_until_ms = now + RESTARTED_SHOW_MS;
		}
		break;
	case -EAGAIN:
		snprintf(t->message, sizeof t->message, "reads torn by the writer, retrying: %s", err.msg);
		break;
	case -EPROTO:
		snprintf(t->message, sizeof t->message, "refusing a damaged snapshot: %s", err.msg);
		break;
	default:
		snprintf(t->message, sizeof t->message, "read snapshot: %s", err.msg);
		break;
	}
	if (t->info.generation != was_gen || t->info.status != was_status || t->source != was_source
	    || had_message || t->message[0] != '\0')
		t->full = true;
}

/* ---- one frame ------------------------------------------------------------------- */

static int longest(const struct rs_tui_model *m, bool chain)
{
	int w = 0;
	for (size_t i = 0; i < m->n_rows; i++) {
		const struct rs_view_row *r = &m->rows[i];
		int len = chain ? (int)strlen(r->chain) : (int)strlen(r->provider) + (r->cold ? 1 : 0);
		w = len > w ? len : w;
	}
	return w;
}

/* Model, selection and layout for the current state and terminal size. */
static void rebuild(struct tui *t)
{
	rs_tui_model_build(t->m, t->have ? t->shown : NULL, &t->st);
	rs_tui_state_sync(&t->st, t->m);
	struct rs_tui_layout_in in = {
		.rows = LINES, .cols = COLS, .n_board = t->m->n_rows, .n_feed = t->m->n_feed,
		.n_methods = t->m->n_methods, .sort = t->st.sort,
		.methods_first = t->st.methods_first,
		.provider_w = longest(t->m, false), .chain_w = longest(t->m, true),
	};
	rs_tui_layout_compute(&in, &t->layout);
	t->st.top = rs_tui_scroll(t->st.top, t->m->sel, t->layout.board_rows, t->m->n_rows);
}

static void draw(struct tui *t, uint64_t now)
{
	bool restarted = now < t->restarted_until_ms;
	/* The top bar holds every age and the restarted mark; the waiting screen counts its wait. */
	bool full = t->full || !t->have || t->st.help || t->st.redraw
		|| now - t->full_ms >= FULL_EVERY_MS;
	if (full)
		rebuild(t);
	struct rs_tui_frame f = {
		.instance = t->o->instance, .m = t->m, .st = &t->st, .l = &t->layout, .info = &t->info,
		.source = t->source, .age_ms = t->have ? t->info.age_ms + (now - t->read_ms) : 0,
		.waited_ms = now - t->started_ms, .restarted = restarted,
		.message = t->message[0] ? t->message : NULL, .utf8 = t->utf8,
	};
	if (t->st.redraw) {
		clearok(curscr, TRUE);   /* Ctrl-L: repaint every cell once */
		t->st.redraw = false;
	}
	if (full) {
		rs_tui_draw(&f);
		t->full = false;
		t->full_ms = now;
	} else {
		rs_tui_draw_top(&f);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- keys ------------------------------------------------------------------------- */

/* Applies every key waiting; returns how many there were. */
static int take_keys(struct tui *t, uint64_t *next_read)
{
	int n = 0, ch;
	while ((ch = getch()) != ERR) {
		n++;
		t->full = true;
		if (ch == KEY_RESIZE)
			continue;                 /* LINES and COLS are new: the next frame lays out again */
		int arg;
		enum rs_tui_action a = rs_tui_key_action(ch, &arg);
		bool was_paused = t->st.paused;
		uint32_t was_refresh = t->st.refresh_ms;
		rebuild(t);
		rs_tui_apply(&t->st, a, arg, t->m, t->layout.board_rows);
		if (was_paused && !t->st.paused)
			*next_read = 0;           /* resume: read now */
		if (t->st.refresh_ms != was_refresh && t->read_ms + t->st.refresh_ms < *next_read)
			*next_read = rs_tui_schedule(&t->plan, t->read_ms + t->st.refresh_ms);
		if (t->st.quit)
			break;
	}
	return n;
}

/* ---- setup and the loop ----------------------------------------------------------- */

static int loop(struct tui *t, const sigset_t *wait_mask)
{
	uint64_t next_read = 0;
	int idle_wakeups = 0;
	while (!stop_signal && !t->st.quit) {
		uint64_t now = mono_ms();
		if (!t->st.paused && now >= next_read) {
			read_snapshot(t, now);
			next_read = rs_tui_schedule(&t->plan, now + t->st.refresh_ms);
		}
		draw(t, now);

		now = mono_ms();
		uint64_t wake = t->st.paused ? UINT64_MAX : next_read;
		if (wake > now + MAX_SLEEP_MS)
			wake = rs_tui_schedule(&t->plan, now + MAX_SLEEP_MS);  /* ages on screen advance */
		uint64_t sleep_ms = wake > now ? wake - now : 0;
		struct timespec ts = { (time_t)(sleep_ms / 1000u), (long)(sleep_ms % 1000u) * 1000000L };
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		int pr = ppoll(&p, 1, &ts, wait_mask);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
			return 0;                 /* the terminal went away */
		int keys = take_keys(t, &next_read);
		/* A readable terminal that yields no key, again and again, is at end of file. */
		idle_wakeups = pr > 0 && keys == 0 ? idle_wakeups + 1 : 0;
		if (idle_wakeups >= EOF_WAKEUPS)
			return 0;
	}
	return 0;
}

int rs_tui_run(const struct rs_tui_options *o, struct rs_error *err)
{
	struct tui *t = calloc(1, sizeof *t);
	if (t == NULL)
		return rs_error_set(err, -ENOMEM, "allocate the dashboard state");
	t->o = o;
	t->m = malloc(sizeof *t->m);
	t->shown = malloc(sizeof *t->shown);
	t->spare = malloc(sizeof *t->spare);
	int rc = 0;
	if (t->m == NULL || t->shown == NULL || t->spare == NULL) {
		rc = rs_error_set(err, -ENOMEM, "allocate %zu bytes for snapshots",
				  2 * sizeof *t->shown + sizeof *t->m);
		goto out;
	}
	rs_view_source_init(&t->src, o->instance, o->stale_ms);
	/* Refreshing faster than the aggregator publishes: copy only new generations. */
	t->src.skip_unchanged = true;
	rs_tui_state_init(&t->st, o->node, o->refresh_ms);
	t->source = RS_TUI_SRC_NO_OBJECT;
	t->started_ms = mono_ms();
	t->full = true;

	setlocale(LC_ALL, "");
	t->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;

	/* Our handlers first, so curses leaves SIGINT/SIGTERM alone; all four wait for ppoll. */
	struct sigaction sa = { .sa_handler = on_stop }, old_sa[3];
	sigemptyset(&sa.sa_mask);
	const int stops[3] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t block, old_mask;
	sigemptyset(&block);
	for (int i = 0; i < 3; i++) {
		sigaction(stops[i], &sa, &old_sa[i]);
		sigaddset(&block, stops[i]);
	}
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	sigset_t wait_mask = old_mask;
	for (int i = 0; i < 3; i++)
		sigdelset(&wait_mask, stops[i]);
	sigdelset(&wait_mask, SIGWINCH);

	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		const char *term = getenv("TERM");
		rc = rs_error_set(err, -ENOTTY, "cannot drive the terminal (TERM=%s)",
				  term ? term : "unset");
	} else {
		/* No typeahead checks: they poll stdin and flush output mid-frame (20 writes a frame). */
		typeahead(-1);
		cbreak();
		noecho();
		nonl();
		keypad(stdscr, TRUE);
		nodelay(stdscr, TRUE);
		leaveok(stdscr, TRUE);
		curs_set(0);
		set_escdelay(ESC_DELAY_MS);
		rs_tui_draw_init();
		rc = loop(t, &wait_mask);
		if (rc < 0)
			rs_error_set(err, rc, "wait for the terminal: %s", strerror(-rc));
		endwin();
		delscreen(scr);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	for (int i = 0; i < 3; i++)
		sigaction(stops[i], &old_sa[i], NULL);
	rs_view_source_close(&t->src);
out:
	free(t->m);
	free(t->shown);
	free(t->spare);
	free(t);
	return rc;
}
