/* The libvirt backend: the VM description as a domain XML, and the process
 * that runs one transient domain on a local or remote hypervisor host and
 * relays its two serial ports the way a direct QEMU would. */
#ifndef MMREPRO_LIBVIRT_H
#define MMREPRO_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>

struct vm_config;

/* The exit status of `mmrepro libvirt-vm` when the host failed (cannot
 * connect, domain would not start, connection or daemon lost): the run is
 * an infra result, never the guest's verdict. EX_TEMPFAIL. */
#define LIBVIRT_EXIT_INFRA 75

/* The pool kernels and initramfs are uploaded into when none is named. */
#define LIBVIRT_DEFAULT_POOL "mmrepro"

/* The domain XML for c, named name, with kernel and initrd at these paths
 * on the hypervisor host. Every value is XML-escaped. malloc'd. */
char *libvirt_domain_xml(const struct vm_config *c, const char *name, const char *kernel, const char *initrd);

/* `mmrepro libvirt-vm --connect URI --vm VM.json --name NAME [--pool P]
 * [--xml-out FILE]`: uploads the kernel and initramfs as volumes, starts
 * the domain (transient, autodestroy), writes serial0 to stdout and
 * serial1 to fd VM_RESULTS_FD until the domain ends, then destroys it and
 * removes the volumes. SIGTERM ends it early the same way. */
int libvirt_vm_main(int argc, char **argv);

/* Opens and closes a connection to uri: 0, or -1 with libvirt's reason. */
int libvirt_probe(const char *uri, char *err, size_t len);

/* True when a domain of that name is defined or running on uri (tests). */
bool libvirt_domain_exists(const char *uri, const char *name);

#endif
