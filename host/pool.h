/* The slots runs are handed out to: J local QEMU slots, or the slots of
 * every libvirt host in a host list. A host that fails is left out for the
 * rest of the command, by every process of it. */
#ifndef MMREPRO_POOL_H
#define MMREPRO_POOL_H

#include <stdbool.h>
#include <stddef.h>

enum vm_backend { BACKEND_QEMU, BACKEND_LIBVIRT };

struct slot {
	enum vm_backend backend;
	char *uri;        /* libvirt URI; NULL for direct QEMU */
	int host;         /* index of its host: slots of one host share it */
	bool dead;        /* its host failed (this process's view) */
};

struct pool {
	struct slot *slots;
	int nslots;
	int nhosts;
	char *lock_dir;   /* where slot locks and dead-host marks live; NULL: one process */
	char *jobs_auto;  /* --jobs auto's choice and why; NULL when --jobs was given */
};

struct pool_opts {
	enum vm_backend backend;  /* for --connect/--jobs when no host list */
	const char *connect;      /* libvirt URI, NULL: qemu:///system */
	int jobs;                 /* slots of the one host */
	const char *hosts_file;   /* lines "URI slots=N"; overrides the above */
	const char *jobs_auto;    /* how --jobs auto chose jobs, or NULL */
};

/* "qemu" or "libvirt"; -1 otherwise. */
int pool_backend_parse(const char *s, enum vm_backend *b);
/* Parses a host list: one "URI [slots=N]" per line, '#' comments. The
 * word `qemu` as URI means direct QEMU on this machine. Errors name
 * name:line. Appends to p. */
int pool_parse_hosts(const char *name, const char *text, struct pool *p, char *err, size_t len);
/* The pool the options describe (reads the host list). -1 with err. */
int pool_init(struct pool *p, const struct pool_opts *o, char *err, size_t len);
/* Connects to every libvirt host once; an unreachable one is reported by
 * name on stderr and its slots are left out. Returns the slots left. */
int pool_check_hosts(struct pool *p);
/* Shares the pool between the processes of a command: locks and marks go
 * under dir/.slots. */
int pool_share(struct pool *p, const char *dir);
/* Waits for a free slot of a live host and holds it (*held is the lock to
 * give back). Returns the slot, -1 when no live slot is left, -2 when a
 * signal arrived on signal_fd. */
int pool_acquire(struct pool *p, int signal_fd, int *held);
void pool_release(int held);
/* The slot's host failed: every slot of it is left out from now on. */
void pool_host_failed(struct pool *p, int slot);
/* Slots of hosts not known to have failed. */
int pool_live_slots(struct pool *p);
/* "local" or the URI. */
const char *pool_slot_host(const struct pool *p, int slot);
void pool_free(struct pool *p);

#endif
