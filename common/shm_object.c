/*
 * shm_object.c - lifecycle and header validation of shared-memory objects.
 * Linked by every process.  See shm_object.h for the creation protocol.
 */
#include "shm_object.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ck_pr.h>

#include "rs_clock.h"

static bool name_char_ok(char c, bool allow_dot)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || (allow_dot && c == '.');
}

int rs_name_check(const char *what, const char *name, bool allow_dot, struct rs_error *err)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > RS_NAME_MAX)
		return rs_error_set(err, -EINVAL, "%s name '%s' must be 1 to %d characters",
				    what, name ? name : "", RS_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(name[i], allow_dot))
			return rs_error_set(err, -EINVAL,
				"%s name '%s' has '%c' at %zu: use letters, digits, '_', '-'%s",
				what, name, name[i], i, allow_dot ? ", '.'" : "");
	return 0;
}

int rs_shm_name(char out[RS_SHM_NAME_MAX], const char *instance, const char *part,
		struct rs_error *err)
{
	int rc = rs_name_check("instance", instance, false, err);
	if (rc < 0)
		return rc;
	int n = snprintf(out, RS_SHM_NAME_MAX, RS_SHM_PREFIX "%s.%s", instance, part);
	if (n < 0 || n >= RS_SHM_NAME_MAX)
		return rs_error_set(err, -ENAMETOOLONG, "object name for '%s' too long", part);
	return 0;
}

static int map_fd(struct rs_shm_map *m, int fd, size_t size, bool writable, struct rs_error *err)
{
	int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return rs_error_set(err, -errno, "%s: mmap %zu bytes: %s", m->name, size, strerror(errno));
	m->base = p;
	m->size = size;
	m->writable = writable;
	return 0;
}

int rs_shm_create(struct rs_shm_map *m, const char *name, enum rs_shm_kind kind,
		  uint32_t layout_size, uint64_t total_size, struct rs_error *err)
{
	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0660);
	if (fd < 0)
		return rs_error_set(err, -errno, "%s: create: %s", name, strerror(errno));
	int rc = 0;
	/* Held until READY: the object has a size before it has a header (shm_object.h). */
	if (flock(fd, LOCK_EX) < 0)
		rc = rs_error_set(err, -errno, "%s: lock for creation: %s", name, strerror(errno));
	if (rc == 0 && ftruncate(fd, (off_t)total_size) < 0)
		rc = rs_error_set(err, -errno, "%s: size to %llu bytes: %s", name,
				  (unsigned long long)total_size, strerror(errno));
	if (rc == 0)
		rc = map_fd(m, fd, total_size, true, err);
	if (rc < 0) {
		close(fd);
		shm_unlink(name);
		return rc;
	}
	m->creating = true;
	m->creating_fd = fd;
	struct rs_shm_header *h = rs_shm_header_of(m);
	h->magic = RS_SHM_MAGIC;
	h->abi_major = RS_ABI_MAJOR;
	h->abi_minor = RS_ABI_MINOR;
	h->kind = kind;
	h->header_size = sizeof *h;
	h->state = RS_SHM_CREATING;
	h->total_size = total_size;
	h->incarnation = rs_random64();
	h->created_unix_ns = rs_unix_ns();
	h->creator_pid = (uint32_t)getpid();
	h->layout_size = layout_size;
	return 0;
}

static void end_creation(struct rs_shm_map *m)
{
	if (!m->creating)
		return;
	/* Explicitly: the mapping keeps the open file description, and with it a lock, alive. */
	flock(m->creating_fd, LOCK_UN);
	close(m->creating_fd);
	m->creating = false;
}

void rs_shm_mark_ready(struct rs_shm_map *m)
{
	/* Every byte of header and layout must be visible before READY is. */
	ck_pr_fence_release();
	ck_pr_store_32(&rs_shm_header_of(m)->state, RS_SHM_READY);
	end_creation(m);
}

bool rs_shm_being_created(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return false;
	bool locked = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return locked;
}

/* Unlinks name only if it still is the object open on fd (someone may have replaced it). */
static int unlink_same(const char *name, int fd, struct rs_error *err)
{
	char path[RS_SHM_NAME_MAX + 16];
	snprintf(path, sizeof path, "/dev/shm%s", name);
	struct stat open_st, named_st;
	if (fstat(fd, &open_st) < 0)
		return rs_error_set(err, -errno, "%s: stat: %s", name, strerror(errno));
	if (stat(path, &named_st) < 0)
		return errno == ENOENT ? 0 : rs_error_set(err, -errno, "%s: stat: %s", name, strerror(errno));
	if (named_st.st_ino != open_st.st_ino || named_st.st_dev != open_st.st_dev)
		return 0;   /* already replaced: not the debris judged */
	if (shm_unlink(name) < 0 && errno != ENOENT)
		return rs_error_set(err, -errno, "%s: remove: %s", name, strerror(errno));
	return 0;
}

/* A creator takes its lock right after creating the object: past the grace, nobody will. */
static bool older_than_grace(const struct stat *st)
{
	uint64_t changed_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec;
	uint64_t now_ns = rs_unix_ns();
	return now_ns > changed_ns && now_ns - changed_ns >= RS_SHM_CREATE_GRACE_MS * 1000000ull;
}

static int judge_open(const char *name, int fd,
		      int (*judge)(const struct rs_shm_map *m, struct rs_error *err), struct rs_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return rs_error_set(err, -errno, "%s: stat: %s", name, strerror(errno));
	if ((size_t)st.st_size < sizeof(struct rs_shm_header))
		return older_than_grace(&st) ? 0
			: rs_error_set(err, -EBUSY, "%s: another process is creating it (no header yet)", name);
	struct rs_shm_map m;
	memset(&m, 0, sizeof m);
	snprintf(m.name, sizeof m.name, "%s", name);
	int rc = map_fd(&m, fd, (size_t)st.st_size, false, err);
	if (rc < 0)
		return rc;
	rc = judge(&m, err);
	rs_shm_detach(&m);
	return rc;
}

int rs_shm_remove_debris(const char *name,
			 int (*judge)(const struct rs_shm_map *m, struct rs_error *err),
			 struct rs_error *err)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return errno == ENOENT ? 0 : rs_error_set(err, -errno, "%s: open: %s", name, strerror(errno));
	int rc;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		rc = errno == EWOULDBLOCK ? rs_error_set(err, -EBUSY, "%s: another process is creating it", name)
			: rs_error_set(err, -errno, "%s: lock: %s", name, strerror(errno));
	else
		rc = judge_open(name, fd, judge, err);
	if (rc == 0)
		rc = unlink_same(name, fd, err);
	close(fd);   /* drops the shared lock */
	return rc;
}

void rs_shm_mark_retired(struct rs_shm_map *m)
{
	ck_pr_fence_release();
	ck_pr_store_32(&rs_shm_header_of(m)->state, RS_SHM_RETIRED);
}

const char *rs_shm_kind_name(uint32_t kind)
{
	switch (kind) {
	case RS_SHM_RING: return "ring";
	case RS_SHM_SNAPSHOT: return "snapshot";
	default: return "unknown";
	}
}

const char *rs_shm_state_name(uint32_t state)
{
	switch (state) {
	case RS_SHM_CREATING: return "creating";
	case RS_SHM_READY: return "ready";
	case RS_SHM_RETIRED: return "retired";
	default: return "invalid";
	}
}

static int check_identity(const struct rs_shm_map *m, const struct rs_shm_header *h,
			  struct rs_error *err)
{
	if (h->magic != RS_SHM_MAGIC)
		return rs_error_set(err, -EPROTO, "%s: bad magic 0x%016llx: not a routestat object",
				    m->name, (unsigned long long)h->magic);
	if (h->abi_major != RS_ABI_MAJOR)
		return rs_error_set(err, -ENOTSUP, "%s: ABI %u.%u, this build reads %d.x",
				    m->name, h->abi_major, h->abi_minor, RS_ABI_MAJOR);
	if (h->header_size != sizeof *h)
		return rs_error_set(err, -EPROTO, "%s: header size %u, expected %zu",
				    m->name, h->header_size, sizeof *h);
	if (h->total_size != m->size)
		return rs_error_set(err, -EPROTO, "%s: header says %llu bytes but the object has %zu",
				    m->name, (unsigned long long)h->total_size, m->size);
	return 0;
}

int rs_shm_validate_header(const struct rs_shm_map *m, enum rs_shm_kind kind,
			   uint32_t layout_size, struct rs_error *err)
{
	const struct rs_shm_header *h = rs_shm_header_of(m);
	int rc = check_identity(m, h, err);
	if (rc < 0)
		return rc;
	uint32_t state = ck_pr_load_32(&h->state);
	ck_pr_fence_acquire();
	if (state == RS_SHM_CREATING)
		return rs_error_set(err, -EAGAIN, "%s: still being created by pid %u (%s)", m->name,
				    h->creator_pid, rs_pid_alive((pid_t)h->creator_pid) ? "alive" : "dead");
	if (state != RS_SHM_READY && state != RS_SHM_RETIRED)
		return rs_error_set(err, -EPROTO, "%s: invalid state %u", m->name, state);
	if (h->kind != (uint32_t)kind)
		return rs_error_set(err, -EPROTO, "%s: is a %s object, expected a %s", m->name,
				    rs_shm_kind_name(h->kind), rs_shm_kind_name(kind));
	if (h->layout_size != layout_size || h->header_size + (uint64_t)layout_size > m->size)
		return rs_error_set(err, -EPROTO, "%s: layout block of %u bytes, expected %u",
				    m->name, h->layout_size, layout_size);
	return 0;
}

static int open_and_map(struct rs_shm_map *m, const char *name, bool writable, struct rs_error *err)
{
	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	int fd = shm_open(name, writable ? O_RDWR : O_RDONLY, 0);
	if (fd < 0)
		return rs_error_set(err, -errno, "%s: open: %s", name, strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = rs_error_set(err, -errno, "%s: stat: %s", name, strerror(errno));
	else if ((size_t)st.st_size < sizeof(struct rs_shm_header))
		rc = rs_error_set(err, -EPROTO, "%s: truncated: %lld bytes, a header needs %zu",
				  name, (long long)st.st_size, sizeof(struct rs_shm_header));
	else
		rc = map_fd(m, fd, (size_t)st.st_size, writable, err);
	close(fd);
	return rc;
}

int rs_shm_attach(struct rs_shm_map *m, const char *name, enum rs_shm_kind kind,
		  uint32_t layout_size, bool writable, struct rs_error *err)
{
	int rc = open_and_map(m, name, writable, err);
	if (rc < 0)
		return rc;
	rc = rs_shm_validate_header(m, kind, layout_size, err);
	if (rc < 0)
		rs_shm_detach(m);
	return rc;
}

int rs_shm_attach_raw(struct rs_shm_map *m, const char *name, struct rs_error *err)
{
	return open_and_map(m, name, false, err);
}

void rs_shm_detach(struct rs_shm_map *m)
{
	end_creation(m);
	if (m->base != NULL)
		munmap(m->base, m->size);
	m->base = NULL;
	m->size = 0;
}

int rs_shm_remove(const char *name)
{
	return shm_unlink(name) < 0 ? -errno : 0;
}

/* A zombie has exited but awaits its parent's wait(): it is dead for our purposes. */
static bool is_zombie(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');  /* the command name may hold spaces or ')' */
	return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

bool rs_pid_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	return !is_zombie(pid);
}

uint64_t rs_random64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		v = rs_mono_ns() ^ ((uint64_t)getpid() << 32); /* never fails on Linux >= 3.17 */
	return v;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* POSIX shm objects live in /dev/shm on Linux; names there lack the leading '/'. */
int rs_shm_list(const char *instance, void (*fn)(const char *name, void *arg), void *arg)
{
	char prefix[RS_SHM_NAME_MAX];
	snprintf(prefix, sizeof prefix, "routestat.%s%s", instance ? instance : "", instance ? "." : "");
	DIR *d = opendir("/dev/shm");
	if (d == NULL)
		return -errno;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(names, cap * sizeof *names);
			if (grown == NULL)
				break;
			names = grown;
		}
		size_t len = strlen(e->d_name) + 2;
		if ((names[n] = malloc(len)) == NULL)
			break;
		snprintf(names[n++], len, "/%s", e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, compare_names);
	for (size_t i = 0; i < n; i++) {
		fn(names[i], arg);
		free(names[i]);
	}
	free(names);
	return (int)n;
}
