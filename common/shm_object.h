/*
 * shm_object.h - create, attach, validate and remove routestat's POSIX
 * shared-memory objects.  Kind-agnostic: ring.c and snapshot.c add their own
 * layout checks on top.
 *
 * Creation protocol: shm_open(O_CREAT|O_EXCL), ftruncate (zero-filled),
 * mmap, fill header and layout, then rs_shm_mark_ready() release-stores
 * state = READY.  An attacher refuses anything not READY, so nobody ever sees
 * a half-made object.  The creator holds an exclusive flock on the object
 * from its O_EXCL open until READY, so someone who finds an object with no
 * header yet can tell a creation in progress (locked) from a dead creator's
 * debris (unlocked): rs_shm_being_created().  Attach validates every header field against fstat()'s
 * size before any other byte is read; errors name the object and the field.
 */
#ifndef RS_SHM_OBJECT_H
#define RS_SHM_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rs_error.h"
#include "shm_abi.h"

struct rs_shm_map {
	void  *base;
	size_t size;
	bool   writable;
	bool   creating;     /* created here, not READY yet: creating_fd holds the flock */
	int    creating_fd;
	char   name[RS_SHM_NAME_MAX];
};

static inline struct rs_shm_header *rs_shm_header_of(const struct rs_shm_map *m)
{
	return (struct rs_shm_header *)m->base;
}

/* Instance and node names: 1..32 of [A-Za-z0-9_-], and node names may hold '.' too. */
int rs_name_check(const char *what, const char *name, bool allow_dot, struct rs_error *err);

/* Builds "/routestat.<instance>.<part>" after checking the instance name. */
int rs_shm_name(char out[RS_SHM_NAME_MAX], const char *instance, const char *part,
		struct rs_error *err);

/* Creates a new object (fails with -EEXIST if the name exists); header left CREATING. */
int rs_shm_create(struct rs_shm_map *m, const char *name, enum rs_shm_kind kind,
		  uint32_t layout_size, uint64_t total_size, struct rs_error *err);

/* Publishes a fully initialised object: state = READY with release ordering; drops the flock. */
void rs_shm_mark_ready(struct rs_shm_map *m);

/* True while another process is creating name (it holds the creation flock). */
bool rs_shm_being_created(const char *name);

/*
 * Removes name if it is a dead creator's or owner's debris, so that a new
 * object can take the name.  Decided under a shared flock, so no creation
 * makes progress meanwhile: an object someone is creating is -EBUSY; one too
 * small for a header (its creator died right after creating it, or is about
 * to lock it) is debris once RS_SHM_CREATE_GRACE_MS old; anything else is
 * mapped read-only and judged by judge(), which returns 0 for debris or a
 * negative errno with err set.  Only the object judged is unlinked (same
 * inode).  Returns 0 when name is gone or removed, else a negative errno
 * with err set.
 */
#define RS_SHM_CREATE_GRACE_MS 1000u
int rs_shm_remove_debris(const char *name,
			 int (*judge)(const struct rs_shm_map *m, struct rs_error *err),
			 struct rs_error *err);

/* Marks an object as retired by its creator (clean shutdown) before unlinking it. */
void rs_shm_mark_retired(struct rs_shm_map *m);

/*
 * Maps an existing object and validates the common header against the real
 * size.  writable=false maps it PROT_READ from an O_RDONLY descriptor.
 * -ENOENT: no such object; -EPROTO: not ours or damaged; -EAGAIN: still being
 * created; -ENOTSUP: ABI mismatch.
 */
int rs_shm_attach(struct rs_shm_map *m, const char *name, enum rs_shm_kind kind,
		  uint32_t layout_size, bool writable, struct rs_error *err);

/* Like attach but accepts any state and kind: for inspection of damaged objects. */
int rs_shm_attach_raw(struct rs_shm_map *m, const char *name, struct rs_error *err);

/* Checks the common header of a mapping; the same checks rs_shm_attach makes. */
int rs_shm_validate_header(const struct rs_shm_map *m, enum rs_shm_kind kind,
			   uint32_t layout_size, struct rs_error *err);

void rs_shm_detach(struct rs_shm_map *m);
int  rs_shm_remove(const char *name);

/* True when a process with this pid exists (EPERM counts as alive). */
bool rs_pid_alive(pid_t pid);

/* A 64-bit random value from getrandom(2), for incarnation ids. */
uint64_t rs_random64(void);

const char *rs_shm_kind_name(uint32_t kind);
const char *rs_shm_state_name(uint32_t state);

/*
 * Calls fn for every routestat object name (with the leading '/') of the given
 * instance, or of every instance when instance is NULL, in sorted order.
 * Returns the number of names or a negative errno.
 */
int rs_shm_list(const char *instance, void (*fn)(const char *name, void *arg), void *arg);

#endif
