// A reproducer that maps, touches and unmaps a page and exits at once: the
// runner must run it again and again until its deadline, and count the runs.
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	p[0] = 1;
	munmap(p, 4096);
	return 0;
}
