/* The guest's initramfs: the init binary with its shared libraries, the
 * kernel modules it must load (in dependency order), the job, the workload
 * and the kernel's .config, written as newc cpio through libarchive. The
 * suite's own files travel here, so the guest never needs to see the
 * checkout (which may sit under a dir the guest mounts tmpfs over). */
#ifndef MMREPRO_INITRAMFS_H
#define MMREPRO_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>

#include "../guest/protocol.h"

/* One more file for the archive: host path, path inside it, mode. */
struct initramfs_file {
	char host[4096];
	char guest[256];   /* e.g. "mmrepro/bin/repro"; parent dirs are made */
	int mode;
};

struct initramfs_spec {
	const char *init_path;        /* host path of the guest init binary */
	bool static_init;             /* it needs no shared libraries (a cross-built one) */
	const char *modules_dir;      /* /lib/modules/<release>, NULL if none */
	const char *const *modules;   /* module names to load, NULL-terminated */
	const char *config_path;      /* kernel .config, stored as /mmrepro/kconfig; "" or NULL: none */
	const char *workload_path;    /* host path, stored as /mmrepro/bin/<name>; NULL: none */
	const char *job_text;         /* stored as /job.ini; NULL: none */
	const struct initramfs_file *files; /* more files (a reproducer, kselftests) */
	int nfiles;
};

/* Where the guest finds the suite's files once its root is mounted. */
#define INITRAMFS_GUEST_DIR PROTO_GUEST_DIR

/* The archive's mode: it holds host files, so only its owner reads it. */
#define INITRAMFS_MODE 0600
/* The most a kernel config may hold (a full one is about 300 KB). */
#define INITRAMFS_KCONFIG_MAX (8u << 20)

/* Writes the cpio archive to out_path, mode INITRAMFS_MODE whatever the
 * umask (through a tmp file renamed over it, removed on failure). On error
 * fills err and returns -1. */
int initramfs_build(const char *out_path, const struct initramfs_spec *s, char *err, size_t errlen);

/* Resolves module names to files in load order (dependencies first) with
 * libkmod. Built-in modules are left out. Returns the count or -1; paths
 * are malloc'd into out[]. */
int initramfs_module_closure(const char *modules_dir, const char *const *names,
			     char **out, int max, char *err, size_t errlen);

#endif
