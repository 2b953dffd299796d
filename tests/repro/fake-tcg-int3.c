// Writes to the kernel log the report QEMU 7.2's TCG makes when a vCPU runs
// a stale translation of patched text (an int3 whose code no longer holds
// it), so that the runner's retry of such a run can be tested on demand.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const lines[] = {
	"<1>Oops: int3: 0000 [#1] PREEMPT SMP NOPTI",
	"<1>CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Not tainted 6.12.118+deb12-amd64 #1",
	"<1>RIP: 0010:sched_clock_cpu+0x9/0x190",
	"<1>Code: 90 90 f3 0f 1e fa 41 54 55 53 66 <90> e8 71 ad f0 ff 48 03 05",
	"<1>Call Trace:",
	"<1> <IRQ>",
	"<1> sysvec_call_function_single+0x71/0x90",
	"<1> </IRQ>",
	"<1>---[ end trace 0000000000000000 ]---",
};

int main(void)
{
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd < 0) {
		perror("/dev/kmsg");
		return 1;
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (write(fd, lines[i], strlen(lines[i])) < 0)
			perror("write /dev/kmsg");
	close(fd);
	return 0;
}
