/* The pool of slots: host lists, slot locks and failed hosts. */
#include "pool.h"
#include "console.h"
#include "libvirt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define DEFAULT_URI "qemu:///system"
#define MAX_SLOTS 256

int pool_backend_parse(const char *s, enum vm_backend *b)
{
	if (s && !strcmp(s, "qemu"))
		*b = BACKEND_QEMU;
	else if (s && !strcmp(s, "libvirt"))
		*b = BACKEND_LIBVIRT;
	else
		return -1;
	return 0;
}

static int find_host(const struct pool *p, const char *uri)
{
	for (int i = 0; i < p->nslots; i++)
		if ((!uri && !p->slots[i].uri) || (uri && p->slots[i].uri && !strcmp(uri, p->slots[i].uri)))
			return p->slots[i].host;
	return -1;
}

static int add_slots(struct pool *p, enum vm_backend b, const char *uri, int n, char *err, size_t len)
{
	int host;

	if (find_host(p, b == BACKEND_QEMU ? NULL : uri) >= 0) {
		snprintf(err, len, "host %s is listed twice", uri ? uri : "qemu");
		return -1;
	}
	if (p->nslots + n > MAX_SLOTS) {
		snprintf(err, len, "more than %d slots in all", MAX_SLOTS);
		return -1;
	}
	host = p->nhosts++;
	p->slots = xrealloc(p->slots, (size_t)(p->nslots + n) * sizeof(*p->slots));
	for (int i = 0; i < n; i++)
		p->slots[p->nslots++] = (struct slot){ .backend = b, .uri = uri ? xstrdup(uri) : NULL, .host = host };
	return 0;
}

/* "slots=N" or nothing (one slot). */
static int parse_slots_word(const char *w, int *n)
{
	char *end;
	long v;

	if (!w)
		return (*n = 1), 0;
	if (strncmp(w, "slots=", 6))
		return -1;
	v = strtol(w + 6, &end, 10);
	if (end == w + 6 || *end || v < 1 || v > 64)
		return -1;
	*n = (int)v;
	return 0;
}

static int parse_host_line(const char *name, int lineno, char *line, struct pool *p, char *err, size_t len)
{
	char why[300], *save = NULL;
	char *uri = strtok_r(line, " \t", &save), *slots = strtok_r(NULL, " \t", &save);
	int n;

	if (!uri || *uri == '#')
		return 0;
	if (strtok_r(NULL, " \t", &save) || parse_slots_word(slots, &n) < 0) {
		snprintf(err, len, "%s:%d: expected 'URI [slots=N]' with N from 1 to 64", name, lineno);
		return -1;
	}
	if (strcmp(uri, "qemu") && !strstr(uri, "://")) {
		snprintf(err, len, "%s:%d: '%.200s' is not a libvirt URI (like qemu+tcp://HOST/system) or 'qemu'",
			 name, lineno, uri);
		return -1;
	}
	if (add_slots(p, strcmp(uri, "qemu") ? BACKEND_LIBVIRT : BACKEND_QEMU, strcmp(uri, "qemu") ? uri : NULL, n,
		      why, sizeof(why)) < 0) {
		snprintf(err, len, "%s:%d: %s", name, lineno, why);
		return -1;
	}
	return 0;
}

int pool_parse_hosts(const char *name, const char *text, struct pool *p, char *err, size_t len)
{
	char *copy = xstrdup(text), *line = copy;
	int lineno = 0, rc = 0;

	while (line && !rc) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		rc = parse_host_line(name, lineno, line, p, err, len);
		line = next;
	}
	free(copy);
	if (!rc && p->nslots == 0) {
		snprintf(err, len, "%s: no hosts", name);
		rc = -1;
	}
	return rc;
}

int pool_init(struct pool *p, const struct pool_opts *o, char *err, size_t len)
{
	char *text;
	int rc;

	memset(p, 0, sizeof(*p));
	p->jobs_auto = o->jobs_auto ? xstrdup(o->jobs_auto) : NULL;
	if (!o->hosts_file)
		return add_slots(p, o->backend, o->backend == BACKEND_LIBVIRT ? (o->connect ? o->connect : DEFAULT_URI) : NULL,
				 o->jobs > 0 ? o->jobs : 1, err, len);
	if (!(text = read_file_limited(o->hosts_file, 1u << 20, NULL))) {
		snprintf(err, len, "--hosts %s: %s", o->hosts_file, strerror(errno));
		return -1;
	}
	rc = pool_parse_hosts(o->hosts_file, text, p, err, len);
	free(text);
	return rc;
}

const char *pool_slot_host(const struct pool *p, int slot)
{
	return p->slots[slot].uri ? p->slots[slot].uri : "local";
}

/* ---- failed hosts ------------------------------------------------------ */

static void dead_mark(const struct pool *p, int host, char *path, size_t len)
{
	xsnprintf(path, len, "%s/host-%d.failed", p->lock_dir, host);
}

static bool host_dead(struct pool *p, int slot)
{
	char path[PATH_MAX];

	if (!p->slots[slot].dead && p->lock_dir) {
		dead_mark(p, p->slots[slot].host, path, sizeof(path));
		p->slots[slot].dead = access(path, F_OK) == 0;
	}
	return p->slots[slot].dead;
}

void pool_host_failed(struct pool *p, int slot)
{
	char path[PATH_MAX];
	int host = p->slots[slot].host;

	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].host == host)
			p->slots[i].dead = true;
	if (p->lock_dir) {
		dead_mark(p, host, path, sizeof(path));
		write_file_atomic(path, "", 0);
	}
}

int pool_live_slots(struct pool *p)
{
	int n = 0;

	for (int i = 0; i < p->nslots; i++)
		n += !host_dead(p, i);
	return n;
}

int pool_check_hosts(struct pool *p)
{
	bool *probed = xcalloc((size_t)p->nhosts + 1, sizeof(bool));
	char err[512];

	for (int i = 0; i < p->nslots; i++) {
		const struct slot *s = &p->slots[i];
		if (s->backend != BACKEND_LIBVIRT || probed[s->host] || host_dead(p, i))
			continue;
		probed[s->host] = true;
		if (libvirt_probe(s->uri, err, sizeof(err)) < 0) {
			fprintf(stderr, "mmrepro: host %s is unreachable (%s); its slots are left out\n", s->uri, err);
			pool_host_failed(p, i);
		}
	}
	free(probed);
	return pool_live_slots(p);
}

/* ---- slots between processes ------------------------------------------- */

int pool_share(struct pool *p, const char *dir)
{
	char path[PATH_MAX];

	if (p->lock_dir)
		return 0;
	xsnprintf(path, sizeof(path), "%s/.slots", dir);
	if (mkdir_p(path, 0755) < 0)
		return -1;
	p->lock_dir = xstrdup(path);
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].dead)
			pool_host_failed(p, i);
	return 0;
}

static int try_lock(const struct pool *p, int slot)
{
	char path[PATH_MAX];
	int fd;

	xsnprintf(path, sizeof(path), "%s/slot-%d.lock", p->lock_dir, slot);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	close(fd);
	return -1;
}

int pool_acquire(struct pool *p, int signal_fd, int *held)
{
	*held = -1;
	for (;;) {
		struct pollfd f = { .fd = signal_fd, .events = POLLIN };
		bool live = false;

		for (int i = 0; i < p->nslots; i++) {
			if (host_dead(p, i))
				continue;
			live = true;
			/* One process alone needs no locks: it runs one VM at a time. */
			if (!p->lock_dir || (*held = try_lock(p, i)) >= 0)
				return i;
		}
		if (!live)
			return -1;
		if (signal_fd >= 0 && poll(&f, 1, 100) > 0)
			return -2;
		if (signal_fd < 0)
			usleep(100000);
	}
}

void pool_release(int held)
{
	if (held >= 0)
		close(held);
}

void pool_free(struct pool *p)
{
	for (int i = 0; i < p->nslots; i++)
		free(p->slots[i].uri);
	free(p->slots);
	free(p->lock_dir);
	free(p->jobs_auto);
	memset(p, 0, sizeof(*p));
}
