/* Unit tests of host/repro.c. */
#include "suites.h"

Suite *repro_suite(void)
{
	return suite_create("repro");
}
