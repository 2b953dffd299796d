// A reproducer pasted from a mail with a line lost: it must be refused
// with the compiler's FILE:LINE before anything is built or booted.
#include <unistd.h>

int main(void)
{
	syscall(__NR_mmap, 0x20000000ul, 0x1000ul, 7ul, 0x32ul, -1, 0ul)
	return 0;
}
