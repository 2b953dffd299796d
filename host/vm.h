/* The QEMU virtual machine: its command line, built from the case's VM
 * shape, and whether KVM can be used. */
#ifndef MMREPRO_VM_H
#define MMREPRO_VM_H

#include <stdbool.h>
#include <stddef.h>

struct case_def;

struct vm_config {
	const char *qemu;        /* qemu-system-x86_64 */
	bool kvm;
	unsigned mem_mb;
	int cpus;
	const unsigned *numa_mb; /* nnuma sizes, or NULL */
	int nnuma;
	const char *machine;     /* pc or q35 */
	bool iommu;
	const char *const *devices;
	int ndevices;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *root_share;  /* shared read-only as mount tag "hostroot" */
	const char *out_share;   /* the one writable share, tag "mmout" */
};

#define VM_MAX_ARGS 128

/* Fills argv (NULL-terminated, strings owned by the caller's arena `buf`).
 * Returns argc or -1 when the arena is too small. */
int vm_build_argv(const struct vm_config *c, char **argv, char *buf, size_t buflen);
/* True when /dev/kvm can be opened read-write. */
bool vm_kvm_usable(void);
/* The kernel command line for a case: console, panic behaviour, case extras. */
void vm_kernel_cmdline(const struct case_def *c, char *out, size_t len);

#endif
