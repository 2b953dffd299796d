/* A swap area's header, written without util-linux: for guests that cannot
 * run the host's mkswap (another architecture, no 9p root). */
#include "tst_mm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The v1 header (the kernel's union swap_header): after 1024 boot bytes,
 * version, last_page and nr_badpages as native u32s; the magic ends the
 * first page. */
#define SWAP_INFO_AT 1024
#define SWAP_MAGIC "SWAPSPACE2"

int tst_write_swap_header(const char *dev, char *why, size_t len)
{
	unsigned char page[PAGE_SIZE];
	uint32_t info[3] = { 1, 0, 0 };
	uint64_t bytes = 0;
	struct stat st;
	int fd = open(dev, O_WRONLY | O_CLOEXEC);

	/* A swap file's size is its length; a device's comes from the ioctl. */
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		bytes = (uint64_t)st.st_size;
	else if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &bytes) < 0)
		bytes = 0;
	if (fd < 0 || bytes < 10 * PAGE_SIZE) {
		snprintf(why, len, "%s: %s", dev, fd < 0 ? strerror(errno) : "too small for swap (or its size unknown)");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	info[1] = (uint32_t)(bytes / PAGE_SIZE - 1);
	memset(page, 0, sizeof(page));
	memcpy(page + SWAP_INFO_AT, info, sizeof(info));
	memcpy(page + PAGE_SIZE - strlen(SWAP_MAGIC), SWAP_MAGIC, strlen(SWAP_MAGIC));
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page) || fsync(fd) < 0) {
		snprintf(why, len, "%s: writing the swap header: %s", dev, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
