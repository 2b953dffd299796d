/* A self-test of the suite's guest isolation, not an mm case: it attacks
 * the host the ways a buggy or hostile guest could, and every attack must
 * be refused in the guest or neutralised by the host (tests/boot-tests.sh).
 *   (no args)         read host secrets, write setuid files and device nodes
 *                     through the root share, and end with a verdict whose
 *                     reason carries terminal escape sequences
 *   --symlink-result  leave the result file as a symlink to /etc/shadow
 *   --flood-mb N      write N MiB of junk to the result channel (ttyS1) */
#include "tst.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *const share_targets[] = { "/usr/local/bin/mmrepro-hostile-suid", "/var/tmp/../lib/mmrepro-hostile",
					     "/etc/mmrepro-hostile", NULL };

static void read_host_secret(void)
{
	char buf[64];
	int fd = open("/etc/shadow", O_RDONLY);

	if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		tst_res(TFAIL, "the host's /etc/shadow is readable through the root share");
	else
		tst_res(TPASS, "the host's /etc/shadow is not readable (%s)", fd < 0 ? strerror(errno) : "empty read");
	if (fd >= 0)
		close(fd);
}

static void write_through_share(void)
{
	for (const char *const *t = share_targets; *t; t++) {
		int fd = open(*t, O_WRONLY | O_CREAT | O_EXCL, 04755);
		if (fd >= 0) {
			fchmod(fd, 04755);
			close(fd);
			tst_res(TFAIL, "created setuid file %s on the host", *t);
		} else {
			tst_res(TPASS, "setuid file %s refused (%s)", *t, strerror(errno));
		}
		if (mknod(*t, S_IFCHR | 0666, makedev(1, 3)) == 0)
			tst_res(TFAIL, "created device node %s on the host", *t);
		else
			tst_res(TPASS, "device node %s refused (%s)", *t, strerror(errno));
	}
}

static void run(void)
{
	read_host_secret();
	write_through_share();
	tst_res(TPASS, "escapes \033[2J\033]0;pwned\007 \033[31mred\033[0m end");
}

static struct tst_test test = {
	.name = "hostile",
	.runtime = 30,
	.run = run,
};

static int symlink_result(void)
{
	const char *path = getenv("MMREPRO_RESULT");

	if (!path || symlink("/etc/shadow", path) < 0)
		return 2;
	printf("mmrepro: hostile: %s -> /etc/shadow\n", path);
	return 0;
}

static int flood_channel(long mb)
{
	static char junk[65536];
	int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);

	if (fd < 0)
		return 2;
	memset(junk, 'J', sizeof(junk));
	for (long i = 0; i < mb * 16; i++)
		if (write(fd, junk, sizeof(junk)) < 0)
			return 2;
	printf("mmrepro: hostile: wrote %ld MiB to /dev/ttyS1\n", mb);
	return 0;
}

/* The two attacks that must not go through tst_main() (they sabotage the
 * result file and channel it writes) take their arguments here. */
int main(int argc, char **argv)
{
	long mb;

	if (argc == 2 && !strcmp(argv[1], "--symlink-result"))
		return symlink_result();
	if (argc == 3 && !strcmp(argv[1], "--flood-mb")) {
		if (tst_parse_long(argv[2], 1, 1024, &mb) < 0) {
			fprintf(stderr, "hostile: --flood-mb wants 1..1024, got '%s'\n", argv[2]);
			return 2;
		}
		return flood_channel(mb);
	}
	return tst_main(argc, argv, &test);
}
