// A reproducer that hits no bug: it writes the VM the guest really got (its
// online NUMA nodes and CPUs, vm.swappiness, the kernel command line) to the
// kernel log, so that it is on the console, once, then waits for the
// runner's deadline. tests/boot-tests.sh checks the VM options with it.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int main(void)
{
	char nodes[64], cpus[64], swappiness[16], cmdline[512], msg[800];
	int fd;

	read_line("/sys/devices/system/node/online", nodes, sizeof(nodes));
	read_line("/sys/devices/system/cpu/online", cpus, sizeof(cpus));
	read_line("/proc/sys/vm/swappiness", swappiness, sizeof(swappiness));
	read_line("/proc/cmdline", cmdline, sizeof(cmdline));
	/* <4>: KERN_WARNING, which the console's loglevel shows. */
	snprintf(msg, sizeof(msg), "<4>vm-shape: nodes=%s cpus=%s swappiness=%s cmdline=%s\n", nodes, cpus,
		 swappiness, cmdline);
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd < 0 || write(fd, msg, strlen(msg)) < 0)
		return 1;
	for (;;)
		pause();
}
