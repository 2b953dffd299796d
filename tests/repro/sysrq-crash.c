// A reproducer that makes every kernel report a crash through a path each
// one has: SysRq 'c' (CONFIG_MAGIC_SYSRQ), a deliberate NULL dereference
// in sysrq_handle_crash. It stands in for a syzbot reproducer of a real
// crash in the tests; the runner runs it as root.
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	sleep(1);
	if (fd < 0 || write(fd, "c", 1) != 1)
		return 1;
	return 0;
}
