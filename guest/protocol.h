/* The host <-> guest contract, in one place: the console marks the guest
 * prints, the result channel's records and the job file's keys. Included
 * by host/ and by guest/ alike; it holds only constants. */
#ifndef MMREPRO_PROTOCOL_H
#define MMREPRO_PROTOCOL_H

/* Where the guest finds the suite's files (the initramfs's /mmrepro). */
#define PROTO_GUEST_DIR "/run/mmrepro"
/* Inside it: the workload or runner, a reproducer, the kselftests. */
#define PROTO_GUEST_BIN PROTO_GUEST_DIR "/bin"
#define PROTO_GUEST_KSELFTEST PROTO_GUEST_DIR "/kselftest"

/* Console lines of the guest init; the host times the phases by them. */
#define PROTO_MARK_INIT "mmrepro-init: start"
#define PROTO_MARK_ROOT "mmrepro-init: root-mounted"
#define PROTO_MARK_WORKLOAD_START "mmrepro-init: workload-start"
#define PROTO_MARK_WORKLOAD_END "mmrepro-init: workload-end"
#define PROTO_MARK_POWEROFF "mmrepro-init: poweroff"
#define PROTO_MARK_ERROR "mmrepro-init: error: "

/* Console lines of the kselftest runner around each test, so that a
 * kernel report on the console belongs to the test that was running:
 * "mmrepro-kselftest: begin cow" ... "mmrepro-kselftest: end cow exit=0". */
#define PROTO_KSFT_BEGIN "mmrepro-kselftest: begin "
#define PROTO_KSFT_END "mmrepro-kselftest: end "

/* The result channel (the second serial port): records
 * "mmrepro-result NAME LEN\n" + LEN bytes + "\n", then the end line. */
#define PROTO_RECORD_HEAD "mmrepro-result "
#define PROTO_RECORD_END "mmrepro-result-end\n"
#define PROTO_REC_STATUS "workload.status"
#define PROTO_REC_JSON "workload.json"
/* Every kselftest's output, each between its begin and end lines. */
#define PROTO_REC_KSELFTEST "kselftest.log"
/* A reproducer's own output, its last run's: kept off the console, where
 * a "BUG: ..." it prints would read as a kernel report. */
#define PROTO_REC_REPRO "repro.log"

/* The job file (/job.ini in the initramfs), section [job]. */
#define PROTO_JOB_FILE "/job.ini"
#define PROTO_JOB_WORKLOAD "workload"
#define PROTO_JOB_ARGS "args"
#define PROTO_JOB_KCONFIG "kconfig"
#define PROTO_JOB_TIMEOUT "timeout"
#define PROTO_JOB_CGROUP "cgroup"
#define PROTO_JOB_ZRAM "zram"
#define PROTO_JOB_SYSCTL "sysctl"
/* "root = initramfs": the guest cannot run the host's root (another
 * architecture) and stays on its initramfs; absent, the 9p host root. */
#define PROTO_JOB_ROOT "root"
#define PROTO_ROOT_INITRAMFS "initramfs"
/* The result channel's device; absent, the second serial port. */
#define PROTO_JOB_RESULT_PORT "result_port"
#define PROTO_RESULT_PORT_DEFAULT "/dev/ttyS1"
/* "knob = NAME PATH VALUE", one line per knob (host/knob.c): VALUE is
 * written to PATH (under /sys/kernel/mm/ or /proc/sys/) before the
 * workload starts. A file that is missing or refuses the value gets an
 * error line naming the knob, and the workload does not run: the run is
 * CONF (not tested), never a run with the knob silently left alone. */
#define PROTO_JOB_KNOB "knob"

/* A suite workload run with only this option (on the host, before a
 * matrix) prints one line per knob its struct tst_knob writes, "knob PATH
 * VALUE" ("knob PATH" for one it only saves and restores), and exits 0
 * without touching the system. */
#define PROTO_LIST_KNOBS "--list-knobs"
#define PROTO_KNOB_LINE "knob"

#endif
