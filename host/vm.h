/* The QEMU virtual machine: its command line, built from the case's VM
 * shape, and the choice of accelerator (KVM only where it truly works). */
#ifndef MMREPRO_VM_H
#define MMREPRO_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "arch.h"

struct json_object;

struct case_def;

/* The guest's result channel is its second serial port (ttyS1), which QEMU
 * writes to this inherited file descriptor of its own. */
#define VM_RESULTS_FD 3

struct vm_config {
	const char *qemu;        /* qemu-system-x86_64 */
	enum arch arch;
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
	const char *root_share;  /* shared read-only as mount tag "hostroot"; "": none */
	unsigned disk_mb;        /* an empty virtio-blk disk of this size, 0: none */
	const char *disk;        /* its image (QEMU backend; libvirt makes a volume) */
	const char *runas;       /* user QEMU drops to after start-up, or NULL */
};

#define VM_MAX_ARGS 128

/* The VM description as JSON (vm.json in a run dir): what the libvirt
 * backend's process reads to render its domain. */
struct json_object *vm_config_to_json(const struct vm_config *c);
/* Fills c from o; strings and arrays point into o (and into *numa, *devices,
 * which the caller frees), so o must outlive c. -1 with err on a bad field. */
int vm_config_from_json(struct json_object *o, struct vm_config *c, unsigned **numa, const char ***devices,
			char *err, size_t len);

/* Fills argv (NULL-terminated, strings owned by the caller's arena `buf`).
 * Returns argc or -1 when the arena is too small. */
int vm_build_argv(const struct vm_config *c, char **argv, char *buf, size_t buflen);
/* The libvirt backend's process (`SELF libvirt-vm --connect URI --vm
 * VM_JSON --name TAG --xml-out XML_OUT`), into argv the same way. */
struct vm_libvirt_call {
	const char *self, *uri, *vm_json, *tag, *xml_out;
};
int vm_build_libvirt_argv(const struct vm_libvirt_call *c, char **argv, char *buf, size_t buflen);
/* The kernel command line for a case: console, panic behaviour, case extras. */
void vm_kernel_cmdline(const struct case_def *c, char *out, size_t len);
/* Copies s into out with every ',' doubled, as QEMU's option parser wants
 * inside a "key=value,key=value" list. Returns -1 when it does not fit. */
int vm_qemu_opt_escape(const char *s, char *out, size_t len);

/* ---- the accelerator -------------------------------------------------- */

enum accel_mode { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };

/* What the host offers, read once; the decision is a pure function of it. */
struct accel_probe {
	bool kvm_opens;          /* /dev/kvm opens read-write */
	const char *cpu_flags;   /* the "flags" line of /proc/cpuinfo */
	const char *modules;     /* names under /sys/module, one per line */
};

struct accel_choice {
	bool kvm;
	bool usable;             /* false: the mode asked for cannot work here */
	char reason[256];        /* "tcg (no vmx/svm in /proc/cpuinfo; /dev/kvm is kvm_pvm)" */
};

/* Per command: the choice, and whether a KVM boot has been seen to work
 * or has failed once (then every later run of the command uses TCG). */
struct accel_state {
	enum accel_mode mode;
	struct accel_choice choice;
	bool confirmed;
	bool announced;
};

/* "auto", "kvm" or "tcg"; -1 for anything else. */
int vm_accel_parse(const char *s, enum accel_mode *mode);
void vm_accel_decide(enum accel_mode mode, const struct accel_probe *p, struct accel_choice *out);
/* Probes this host and decides. The probe's strings are freed inside. */
void vm_accel_choose(enum accel_mode mode, struct accel_choice *out);
/* A KVM boot failed (reason says how): later runs use TCG. */
void vm_accel_fall_back(struct accel_state *s, const char *why);

#endif
