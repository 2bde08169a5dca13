/* Criterion tests for common/shm_object.c and the ring's layout checks: names, header fields, and a clear refusal (code, object name, problem) of every kind of damaged or foreign object. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring.h"
#include "rs_clock.h"
#include "test_support.h"

#define NODE "abi-node"

static bool instance_has_objects(void)
{
	char pattern[RS_SHM_NAME_MAX + 16];
	snprintf(pattern, sizeof pattern, "/dev/shm/routestat.%s.*", rs_test_instance);
	glob_t g;
	bool any = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return any;
}

/* Creates a small ring through the real producer path, closes it, returns its object name. */
static const char *make_ring(char name[RS_SHM_NAME_MAX], const char *tag)
{
	const char *inst = rs_test_new_instance(tag);
	struct rs_ring r;
	struct rs_error err = { 0 };
	struct rs_ring_params params = { .capacity = 64, .dict_capacity = 8 };
	int rc = rs_ring_open_producer(&r, inst, NODE, &params, &err);
	cr_assert_eq(rc, 0, "create ring: %d %s", rc, err.msg);
	rs_ring_close(&r);
	cr_assert_eq(rs_ring_object_name(name, inst, NODE, &err), 0, "%s", err.msg);
	return inst;
}

/* A writable mapping of the object made outside the library, for damaging it. */
struct raw {
	int    fd;
	size_t size;
	char  *base;
};

static struct raw raw_open(const char *name)
{
	struct raw w = { .fd = shm_open(name, O_RDWR, 0) };
	cr_assert_geq(w.fd, 0, "shm_open %s: %s", name, strerror(errno));
	struct stat st;
	cr_assert_eq(fstat(w.fd, &st), 0);
	w.size = (size_t)st.st_size;
	void *p = mmap(NULL, w.size, PROT_READ | PROT_WRITE, MAP_SHARED, w.fd, 0);
	cr_assert_neq(p, MAP_FAILED, "mmap %s: %s", name, strerror(errno));
	w.base = p;
	return w;
}

static void raw_close(struct raw *w)
{
	munmap(w->base, w->size);
	close(w->fd);
}

static struct rs_shm_header *hdr(struct raw *w) { return (struct rs_shm_header *)w->base; }

static struct rs_ring_layout *lay(struct raw *w)
{
	return (struct rs_ring_layout *)(w->base + RS_RING_LAYOUT_OFF);
}

/* Both attach paths must refuse with code, naming the object and the problem. */
static void expect_refused(const char *inst, const char *name, int code, const char *needle)
{
	struct rs_ring r;
	struct rs_error err = { 0 };
	int rc = rs_ring_open_consumer(&r, inst, NODE, &err);
	cr_assert_eq(rc, code, "consumer: expected %d, got %d (%s)", code, rc, err.msg);
	cr_assert_eq(err.code, code);
	cr_assert(strstr(err.msg, name) != NULL, "consumer message lacks %s: %s", name, err.msg);
	cr_assert(strstr(err.msg, needle) != NULL, "consumer message lacks '%s': %s", needle, err.msg);

	struct rs_error oerr = { 0 };
	rc = rs_ring_open_observer(&r, name, &oerr);
	cr_assert_eq(rc, code, "observer: expected %d, got %d (%s)", code, rc, oerr.msg);
	cr_assert_eq(oerr.code, code);
	cr_assert(strstr(oerr.msg, name) != NULL, "observer message lacks %s: %s", name, oerr.msg);
	cr_assert(strstr(oerr.msg, needle) != NULL, "observer message lacks '%s': %s", needle, oerr.msg);
}

static void expect_accepted(const char *inst, const char *name)
{
	struct rs_ring r;
	struct rs_error err = { 0 };
	int rc = rs_ring_open_consumer(&r, inst, NODE, &err);
	cr_assert_eq(rc, 0, "consumer refused: %d %s", rc, err.msg);
	struct rs_ring_stats s;
	rs_ring_stats(&r, &s);
	cr_assert_eq(s.capacity, 64);
	rs_ring_close(&r);
	rc = rs_ring_open_observer(&r, name, &err);
	cr_assert_eq(rc, 0, "observer refused: %d %s", rc, err.msg);
	rs_ring_close(&r);
}

/* ---- header damage ---- */

Test(shm_abi, wrong_magic, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "magic");
	struct raw w = raw_open(name);
	hdr(&w)->magic ^= 0xff;
	raw_close(&w);
	expect_refused(inst, name, -EPROTO, "magic");
}

Test(shm_abi, abi_major_refused, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "major");
	struct raw w = raw_open(name);
	hdr(&w)->abi_major = RS_ABI_MAJOR + 1;
	raw_close(&w);
	expect_refused(inst, name, -ENOTSUP, "this build reads");
	char want[64];
	snprintf(want, sizeof want, "ABI %d.%d, this build reads %d.x", RS_ABI_MAJOR + 1, RS_ABI_MINOR,
		 RS_ABI_MAJOR);
	expect_refused(inst, name, -ENOTSUP, want);
}

Test(shm_abi, newer_minor_accepted, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "minor");
	struct raw w = raw_open(name);
	hdr(&w)->abi_minor = RS_ABI_MINOR + 1;
	raw_close(&w);
	expect_accepted(inst, name);
}

Test(shm_abi, header_size_and_layout_size, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "hsize");
	struct raw w = raw_open(name);
	hdr(&w)->header_size = 64;
	expect_refused(inst, name, -EPROTO, "header size 64");
	hdr(&w)->header_size = sizeof(struct rs_shm_header);
	hdr(&w)->layout_size = 64;
	expect_refused(inst, name, -EPROTO, "layout block of 64 bytes");
	hdr(&w)->layout_size = sizeof(struct rs_ring_layout);
	expect_accepted(inst, name);   /* and the repaired object is fine again */
	raw_close(&w);
}

/* ---- size ---- */

Test(shm_abi, truncated, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "trunc");
	struct raw w = raw_open(name);
	size_t real = w.size;
	raw_close(&w);
	int fd = shm_open(name, O_RDWR, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 64), 0);
	expect_refused(inst, name, -EPROTO, "truncated");
	/* Header intact, records cut off: the header's size no longer matches. */
	cr_assert_eq(ftruncate(fd, (off_t)(real - 64)), 0);
	expect_refused(inst, name, -EPROTO, "header says");
	close(fd);
}

Test(shm_abi, total_size_mismatch, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "tsize");
	struct raw w = raw_open(name);
	size_t real = w.size;
	cr_assert_eq(hdr(&w)->total_size, real);

	/* The object grew behind the header's back. */
	cr_assert_eq(ftruncate(w.fd, (off_t)(real + 4096)), 0);
	expect_refused(inst, name, -EPROTO, "header says");
	/* The header agrees with the new size, but the layout needs the old one. */
	hdr(&w)->total_size = real + 4096;
	expect_refused(inst, name, -EPROTO, "needs");
	/* Right size, wrong field. */
	cr_assert_eq(ftruncate(w.fd, (off_t)real), 0);
	hdr(&w)->total_size = real + 128;
	expect_refused(inst, name, -EPROTO, "header says");
	hdr(&w)->total_size = real;
	expect_accepted(inst, name);
	raw_close(&w);
}

/* ---- ring layout block ---- */

Test(shm_abi, layout_fields, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "layout");
	struct raw w = raw_open(name);
	struct rs_ring_layout saved = *lay(&w);

	lay(&w)->capacity = 100;
	expect_refused(inst, name, -EPROTO, "capacity 100 is not a power of two");
	*lay(&w) = saved;

	lay(&w)->capacity = 128;   /* a legal capacity that the object's size does not hold */
	expect_refused(inst, name, -EPROTO, "capacity 128 needs");
	*lay(&w) = saved;

	lay(&w)->records_off += 128;
	expect_refused(inst, name, -EPROTO, "layout offsets");
	*lay(&w) = saved;

	lay(&w)->consumer_off = RS_RING_PRODUCER_OFF;
	expect_refused(inst, name, -EPROTO, "layout offsets");
	*lay(&w) = saved;

	lay(&w)->record_size = 32;
	expect_refused(inst, name, -EPROTO, "record size 32");
	*lay(&w) = saved;

	lay(&w)->dict_capacity = 0;
	expect_refused(inst, name, -EPROTO, "dictionary capacity 0");
	*lay(&w) = saved;

	memset(lay(&w)->node, 'x', sizeof lay(&w)->node);
	expect_refused(inst, name, -EPROTO, "not terminated");
	*lay(&w) = saved;

	expect_accepted(inst, name);
	raw_close(&w);
}

/* ---- kind and state ---- */

Test(shm_abi, snapshot_kind_is_not_a_ring, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "kind");
	struct raw w = raw_open(name);
	hdr(&w)->kind = RS_SHM_SNAPSHOT;
	expect_refused(inst, name, -EPROTO, "snapshot");
	hdr(&w)->kind = 99;
	expect_refused(inst, name, -EPROTO, "expected a ring");
	raw_close(&w);
}

Test(shm_abi, states, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "state");
	struct raw w = raw_open(name);
	cr_assert_eq(hdr(&w)->state, RS_SHM_READY, "a closed ring stays READY");

	hdr(&w)->state = RS_SHM_CREATING;
	expect_refused(inst, name, -EAGAIN, "being created");
	/* A producer does not take over a ring its (live) creator is still making. */
	struct rs_ring r;
	struct rs_error err = { 0 };
	int rc = rs_ring_open_producer(&r, inst, NODE, NULL, &err);
	cr_assert_eq(rc, -EAGAIN, "producer on a ring in creation: %d %s", rc, err.msg);
	cr_assert(strstr(err.msg, name) != NULL, "%s", err.msg);

	hdr(&w)->state = 7;
	expect_refused(inst, name, -EPROTO, "invalid state 7");

	hdr(&w)->state = RS_SHM_RETIRED;   /* a consumer may still drain a retired ring */
	expect_accepted(inst, name);
	raw_close(&w);
}

/* A creation whose creator died before READY is debris the next producer replaces. */
Test(shm_abi, abandoned_creation_replaced, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "abandon");
	fflush(NULL);
	pid_t dead = fork();
	cr_assert_geq(dead, 0);
	if (dead == 0)
		_exit(0);
	int st = rs_test_wait(dead, 10.0);
	cr_assert(rs_test_exited_ok(st));

	struct raw w = raw_open(name);
	uint64_t old_incarnation = hdr(&w)->incarnation;
	hdr(&w)->state = RS_SHM_CREATING;
	hdr(&w)->creator_pid = (uint32_t)dead;
	raw_close(&w);

	struct rs_ring r;
	struct rs_error err = { 0 };
	int rc = rs_ring_open_producer(&r, inst, NODE, NULL, &err);
	cr_assert_eq(rc, 0, "producer over an abandoned creation: %d %s", rc, err.msg);
	const struct rs_shm_header *h = rs_shm_header_of(&r.map);
	cr_assert_eq(h->state, RS_SHM_READY);
	cr_assert_eq(h->creator_pid, (uint32_t)getpid());
	cr_assert_neq(h->incarnation, old_incarnation);
	rs_ring_close(&r);
}

/* A new instance and the name its ring would have (no object made). */
static const char *new_ring_name(char name[RS_SHM_NAME_MAX], const char *tag)
{
	const char *inst = rs_test_new_instance(tag);
	struct rs_error err = { 0 };
	cr_assert_eq(rs_ring_object_name(name, inst, NODE, &err), 0, "%s", err.msg);
	return inst;
}

/* The creation flock: held from the exclusive open until READY, then dropped (not at unmap). */
Test(shm_abi, creation_lock_held_until_ready, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	new_ring_name(name, "crlock");
	struct rs_error err = { 0 };
	struct rs_shm_map m;
	cr_assert_eq(rs_shm_create(&m, name, RS_SHM_RING, 128, 4096, &err), 0, "%s", err.msg);
	cr_assert(rs_shm_being_created(name), "no lock while creating");
	rs_shm_mark_ready(&m);
	cr_assert_not(rs_shm_being_created(name), "still locked after READY, while mapped");
	rs_shm_detach(&m);
	rs_shm_remove(name);
}

/* An object of our name with no header and no creator holding its lock. */
static int make_headerless(const char *name, off_t size)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0660);
	cr_assert_geq(fd, 0, "shm_open %s: %s", name, strerror(errno));
	cr_assert_eq(ftruncate(fd, size), 0);
	return fd;
}

/* A creator that died after sizing its object but before the header: debris, replaced. */
Test(shm_abi, headerless_ring_debris_replaced, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = new_ring_name(name, "nohdr");
	struct rs_error err = { 0 };
	int fd = make_headerless(name, 65536);

	/* While someone holds the creation lock it is a creation in progress: kept. */
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	struct rs_ring r;
	int rc = rs_ring_open_producer(&r, inst, NODE, NULL, &err);
	cr_assert_eq(rc, -EAGAIN, "producer over a locked creation: %d %s", rc, err.msg);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_nlink, 1, "a creation in progress was unlinked");

	close(fd);   /* its creator is gone */
	rc = rs_ring_open_producer(&r, inst, NODE, NULL, &err);
	cr_assert_eq(rc, 0, "producer over headerless debris: %d %s", rc, err.msg);
	cr_assert_eq(rs_shm_header_of(&r.map)->magic, RS_SHM_MAGIC);
	rs_ring_close(&r);
}

/* Too small for a header: a creator about to lock it, for a while; after that, debris. */
Test(shm_abi, empty_object_replaced_after_grace, .fini = rs_test_cleanup)
{
	char name[RS_SHM_NAME_MAX];
	const char *inst = new_ring_name(name, "empty");
	struct rs_error err = { 0 };
	close(make_headerless(name, 0));
	struct rs_ring r;
	int rc = rs_ring_open_producer(&r, inst, NODE, NULL, &err);
	cr_assert_eq(rc, -EAGAIN, "a fresh empty object is someone's creation: %d %s", rc, err.msg);
	usleep((RS_SHM_CREATE_GRACE_MS + 100u) * 1000u);
	rc = rs_ring_open_producer(&r, inst, NODE, NULL, &err);
	cr_assert_eq(rc, 0, "producer over old empty debris: %d %s", rc, err.msg);
	rs_ring_close(&r);
}

Test(shm_abi, missing_object, .fini = rs_test_cleanup)
{
	const char *inst = rs_test_new_instance("missing");
	char name[RS_SHM_NAME_MAX];
	struct rs_error err = { 0 };
	cr_assert_eq(rs_ring_object_name(name, inst, NODE, &err), 0);
	expect_refused(inst, name, -ENOENT, "open");
	cr_assert_not(instance_has_objects(), "attaching must never create");
}

/* ---- names ---- */

Test(shm_abi, names)
{
	struct rs_error err = { 0 };
	cr_assert_eq(rs_name_check("instance", "ok_Name-09", false, &err), 0);
	cr_assert_eq(rs_name_check("node", "eu.west-1_a", true, &err), 0);
	cr_assert_eq(rs_name_check("instance", "12345678901234567890123456789012", false, &err), 0);

	rs_error_clear(&err);
	cr_assert_eq(rs_name_check("instance", "eu.west", false, &err), -EINVAL);
	cr_assert_eq(err.code, -EINVAL);
	cr_assert(strstr(err.msg, "instance name 'eu.west' has '.' at 2") != NULL, "%s", err.msg);

	cr_assert_eq(rs_name_check("node", "a/b", true, &err), -EINVAL);
	cr_assert(strstr(err.msg, "node name 'a/b' has '/' at 1") != NULL, "%s", err.msg);
	cr_assert_eq(rs_name_check("node", "a b", true, &err), -EINVAL);
	cr_assert_eq(rs_name_check("node", "caf\xc3\xa9", true, &err), -EINVAL);
	cr_assert_eq(rs_name_check("node", "..", false, &err), -EINVAL);

	cr_assert_eq(rs_name_check("instance", "123456789012345678901234567890123", false, &err), -EINVAL);
	cr_assert(strstr(err.msg, "must be 1 to 32 characters") != NULL, "%s", err.msg);
	cr_assert_eq(rs_name_check("instance", "", false, &err), -EINVAL);
	cr_assert(strstr(err.msg, "instance name ''") != NULL, "%s", err.msg);
	cr_assert_eq(rs_name_check("instance", NULL, false, &err), -EINVAL);
	cr_assert_eq(rs_name_check("instance", "x", false, NULL), 0, "a NULL err is allowed");
	cr_assert_eq(rs_name_check("instance", "x/", false, NULL), -EINVAL);

	char out[RS_SHM_NAME_MAX];
	cr_assert_eq(rs_shm_name(out, "prod", "snapshot", &err), 0, "%s", err.msg);
	cr_assert_str_eq(out, "/routestat.prod.snapshot");
	cr_assert_eq(rs_ring_object_name(out, "prod", "node.1", &err), 0, "%s", err.msg);
	cr_assert_str_eq(out, "/routestat.prod.ring.node.1");

	cr_assert_eq(rs_shm_name(out, "bad/inst", "snapshot", &err), -EINVAL);
	cr_assert(strstr(err.msg, "instance name 'bad/inst'") != NULL, "%s", err.msg);
	cr_assert_eq(rs_ring_object_name(out, "prod", "bad node", &err), -EINVAL);
	cr_assert(strstr(err.msg, "node name 'bad node'") != NULL, "%s", err.msg);

	char part[RS_SHM_NAME_MAX];   /* with the prefix, over the limit */
	memset(part, 'p', sizeof part - 1);
	part[sizeof part - 1] = '\0';
	cr_assert_eq(rs_shm_name(out, "prod", part, &err), -ENAMETOOLONG);
	cr_assert(strstr(err.msg, "too long") != NULL, "%s", err.msg);
	/* The longest ring name fits. */
	cr_assert_eq(rs_ring_object_name(out, "12345678901234567890123456789012",
					 "n2345678901234567890123456789.12", &err), 0, "%s", err.msg);
}

/* ---- header written by the creator ---- */

static void read_header(const char *name, struct rs_shm_header *h, size_t *size)
{
	struct rs_shm_map m;
	struct rs_error err = { 0 };
	int rc = rs_shm_attach_raw(&m, name, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_not(m.writable);
	memcpy(h, m.base, sizeof *h);
	*size = m.size;
	rs_shm_detach(&m);
}

struct creator_args { const char *instance; };

static int creator_main(void *arg)
{
	const struct creator_args *a = arg;
	struct rs_ring r;
	struct rs_error err = { 0 };
	if (rs_ring_open_producer(&r, a->instance, "other", NULL, &err) < 0)
		return 10;
	rs_ring_close(&r);
	return 0;
}

Test(shm_abi, creator_header_and_incarnations, .fini = rs_test_cleanup)
{
	uint64_t before = rs_unix_ns();
	char name[RS_SHM_NAME_MAX];
	const char *inst = make_ring(name, "header");
	uint64_t after = rs_unix_ns();

	struct rs_shm_header h1;
	size_t size = 0;
	read_header(name, &h1, &size);
	cr_assert_eq(h1.magic, RS_SHM_MAGIC);
	cr_assert_eq(memcmp(&h1.magic, "RSTATSHM", 8), 0, "magic reads RSTATSHM in memory");
	cr_assert_eq(h1.abi_major, RS_ABI_MAJOR);
	cr_assert_eq(h1.abi_minor, RS_ABI_MINOR);
	cr_assert_eq(h1.kind, RS_SHM_RING);
	cr_assert_eq(h1.header_size, 128);
	cr_assert_eq(h1.layout_size, sizeof(struct rs_ring_layout));
	cr_assert_eq(h1.state, RS_SHM_READY);
	cr_assert_eq(h1.total_size, size);
	cr_assert_eq(size, RS_RING_DICT_ENTRY_OFF + 8 * RS_DICT_ENTRY_SIZE + 64 * sizeof(struct rs_record));
	cr_assert_eq(h1.creator_pid, (uint32_t)getpid());
	cr_assert_neq(h1.incarnation, 0);
	cr_assert(h1.created_unix_ns >= before && h1.created_unix_ns <= after,
		  "created_unix_ns %llu outside [%llu, %llu]", (unsigned long long)h1.created_unix_ns,
		  (unsigned long long)before, (unsigned long long)after);
	static const uint8_t zero[72];
	cr_assert_eq(memcmp(h1.reserved, zero, sizeof zero), 0, "reserved bytes are zero");

	/* Reopening an existing ring keeps its incarnation; recreating it gives a new one. */
	struct rs_ring r;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_ring_open_producer(&r, inst, NODE, NULL, &err), 0, "%s", err.msg);
	rs_ring_close(&r);
	struct rs_shm_header h2;
	read_header(name, &h2, &size);
	cr_assert_eq(h2.incarnation, h1.incarnation);

	cr_assert_eq(rs_shm_remove(name), 0);
	cr_assert_eq(rs_shm_remove(name), -ENOENT);
	cr_assert_eq(rs_ring_open_producer(&r, inst, NODE, NULL, &err), 0, "%s", err.msg);
	rs_ring_close(&r);
	read_header(name, &h2, &size);
	cr_assert_neq(h2.incarnation, 0);
	cr_assert_neq(h2.incarnation, h1.incarnation, "a new creation needs a new incarnation");
	cr_assert_geq(h2.created_unix_ns, h1.created_unix_ns);

	/* Another process's creation carries that process's pid. */
	struct creator_args a = { .instance = inst };
	fflush(NULL);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0)
		_exit(creator_main(&a));
	int st = rs_test_wait(child, 10.0);
	cr_assert(rs_test_exited_ok(st), "creator child status %d", st);
	char other[RS_SHM_NAME_MAX];
	cr_assert_eq(rs_ring_object_name(other, inst, "other", &err), 0);
	struct rs_shm_header h3;
	read_header(other, &h3, &size);
	cr_assert_eq(h3.creator_pid, (uint32_t)child);
	cr_assert_neq(h3.incarnation, h2.incarnation);
}
