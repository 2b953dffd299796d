# mmrepro: host runner, guest init and workloads, tests.
CC      ?= gcc
WARN     = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
CFLAGS  ?= -O2 -g
CFLAGS  += $(WARN) -std=gnu11 -D_GNU_SOURCE
PKGS     = libkmod inih json-c libarchive libcrypto libvirt
HOST_CFLAGS = $(CFLAGS) $(shell pkg-config --cflags $(PKGS))
HOST_LIBS   = $(shell pkg-config --libs $(PKGS)) -lm
CHECK_LIBS  = $(shell pkg-config --libs check)

B        = build
HOST_SRC = $(filter-out host/main.c,$(wildcard host/*.c))
HOST_OBJ = $(HOST_SRC:host/%.c=$(B)/host/%.o)
GUEST_LIB_SRC = $(wildcard guest/lib/*.c)
WORKLOADS = $(patsubst guest/workloads/%.c,$(B)/guest/%,$(wildcard guest/workloads/*.c))
# The guest programs that run a user's reproducer and the kernel's selftests.
RUNNERS = $(patsubst guest/runners/%.c,$(B)/guest/%,$(wildcard guest/runners/*.c))
UNIT_SRC = $(wildcard tests/unit/*.c)
GUEST_UNIT_SRC = $(wildcard tests/guest-unit/*.c)
GUEST_LIB_FLAGS = -Iguest/lib $(shell pkg-config --cflags json-c check)
GUEST_LIB_LIBS  = $(shell pkg-config --libs json-c) $(CHECK_LIBS) -lpthread
ASAN_FLAGS = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# arm64 guests: the same init, workloads and runners, cross-built static
# (the guest cannot run the x86 host root); built when the cross compiler
# and the arm64 static libraries (./run.sh setup) are there.
ARM64_CC  ?= aarch64-linux-gnu-gcc
A64       = $(B)/guest-arm64
A64_LIBS  = -L/usr/lib/aarch64-linux-gnu
ARM64_GUEST = $(A64)/init $(WORKLOADS:$(B)/guest/%=$(A64)/%) $(RUNNERS:$(B)/guest/%=$(A64)/%)
ARM64_READY := $(and $(shell command -v $(ARM64_CC) 2>/dev/null),$(wildcard /usr/lib/aarch64-linux-gnu/libjson-c.a),$(wildcard /usr/lib/aarch64-linux-gnu/libinih.a))

.PHONY: guest-arm64 check-arm64 check-series bench-peers bench-boot bench-load bench-libvirt check-libvirt all check unit unit-asan bad-input boot-tests bench bench-build bench-classify check-build check-browser e2e clean fuzz fuzz-quick fuzz-build
all: $(B)/mmrepro $(B)/guest/init $(WORKLOADS) $(RUNNERS) $(if $(ARM64_READY),$(ARM64_GUEST))
guest-arm64: $(ARM64_GUEST)

$(B)/host/%.o: host/%.c host/*.h guest/protocol.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<
$(B)/mmrepro: host/main.c $(HOST_OBJ)
	$(CC) $(HOST_CFLAGS) -o $@ $^ $(HOST_LIBS)

# The guest init runs from the initramfs, before the 9p root exists; the
# initramfs writer copies it with the shared libraries it needs.
$(B)/guest/init: guest/init.c guest/lib/tst_swap.c guest/protocol.h guest/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libkmod inih) -Iguest/lib -o $@ guest/init.c guest/lib/tst_swap.c $(shell pkg-config --libs libkmod inih)
# Workloads run from the 9p root, so they link against the host's libraries.
$(B)/guest/%: guest/workloads/%.c $(GUEST_LIB_SRC) guest/lib/*.h guest/protocol.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iguest/lib $(shell pkg-config --cflags json-c) -o $@ $< $(GUEST_LIB_SRC) $(shell pkg-config --libs json-c) -lpthread
$(B)/guest/%: guest/runners/%.c $(GUEST_LIB_SRC) guest/lib/*.h guest/protocol.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iguest/lib -Iguest $(shell pkg-config --cflags json-c) -o $@ $< $(GUEST_LIB_SRC) $(shell pkg-config --libs json-c) -lpthread

$(A64)/init: guest/init.c guest/lib/tst_swap.c guest/protocol.h guest/lib/*.h
	@mkdir -p $(@D)
	$(ARM64_CC) $(CFLAGS) -static -DMMREPRO_NO_KMOD -Iguest/lib -o $@ guest/init.c guest/lib/tst_swap.c $(A64_LIBS) -linih
$(A64)/%: guest/workloads/%.c $(GUEST_LIB_SRC) guest/lib/*.h guest/protocol.h
	@mkdir -p $(@D)
	$(ARM64_CC) $(CFLAGS) -static -Iguest/lib $(shell pkg-config --cflags json-c) -o $@ $< $(GUEST_LIB_SRC) $(A64_LIBS) -ljson-c -lpthread
$(A64)/%: guest/runners/%.c $(GUEST_LIB_SRC) guest/lib/*.h guest/protocol.h
	@mkdir -p $(@D)
	$(ARM64_CC) $(CFLAGS) -static -Iguest/lib -Iguest $(shell pkg-config --cflags json-c) -o $@ $< $(GUEST_LIB_SRC) $(A64_LIBS) -ljson-c -lpthread

# Unit tests: one Check binary over every host module, plain and sanitized.
$(B)/unit-tests: $(UNIT_SRC) tests/unit/*.h $(HOST_SRC) host/*.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ihost -o $@ $(UNIT_SRC) $(HOST_SRC) $(HOST_LIBS) $(CHECK_LIBS)
$(B)/unit-tests-asan: $(UNIT_SRC) tests/unit/*.h $(HOST_SRC) host/*.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Ihost -o $@ $(UNIT_SRC) $(HOST_SRC) $(HOST_LIBS) $(CHECK_LIBS)

# The guest library's own Check binary: it runs on the host, as plain user space.
$(B)/guest-unit-tests: $(GUEST_UNIT_SRC) $(GUEST_LIB_SRC) guest/lib/*.h guest/protocol.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GUEST_LIB_FLAGS) -o $@ $(GUEST_UNIT_SRC) $(GUEST_LIB_SRC) $(GUEST_LIB_LIBS)
$(B)/guest-unit-tests-asan: $(GUEST_UNIT_SRC) $(GUEST_LIB_SRC) guest/lib/*.h guest/protocol.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $(GUEST_LIB_FLAGS) -o $@ $(GUEST_UNIT_SRC) $(GUEST_LIB_SRC) $(GUEST_LIB_LIBS)

unit: $(B)/unit-tests $(B)/guest-unit-tests all
	MMREPRO_ROOT=$(CURDIR) ./$(B)/unit-tests
	./$(B)/guest-unit-tests
unit-asan: $(B)/unit-tests-asan $(B)/guest-unit-tests-asan all
	MMREPRO_ROOT=$(CURDIR) ASAN_OPTIONS=detect_leaks=1 ./$(B)/unit-tests-asan
	ASAN_OPTIONS=detect_leaks=1 ./$(B)/guest-unit-tests-asan

# The bad-input matrix through the real CLI (one smoke boot, no builds).
bad-input: all
	bash tests/bad-input.sh

# Real boots of Debian's prebuilt kernels under QEMU.
boot-tests: all
	bash tests/boot-tests.sh

check: unit unit-asan fuzz-quick bad-input boot-tests

# The libvirt backend against real daemons it starts itself: local and
# remote (TCP on 127.0.0.1) verdicts, faults, and parallel verify tables.
check-libvirt: all
	MMREPRO_LIBVIRT_PARALLEL=1 bash tests/libvirt-test.sh

# Builds src:deb-6.12 with a one-line series, boots it, runs smoke; the
# mm selftests from that tree, and a gate that names the subtest a test
# series breaks.
check-build: all
	bash tests/build-test.sh

# arm64 guests end to end: a cross-built src:deb-6.12 (cold: about 12
# minutes on 2 cores), smoke (QEMU, libvirt), a --repro, madv-free-mthp-contpte.
check-arm64: all
	bash tests/arm64-test.sh

# Every series the cases name, applied to the newest packaged source
# without building: names the ones a Debian update broke.
check-series: all
	bash tests/check-series.sh

# report.html in headless Chromium (Debian's chromium): a real smoke run's
# page and a real verify run's (two boots of Debian's 6.12). A target of its
# own, so that make check never depends on a browser (the html unit tests
# cover the writer there).
check-browser: all
	bash tests/browser-test.sh

# Slow end-to-end reproductions of the seed bugs on built kernels.
e2e: all
	bash tests/e2e.sh
	bash tests/gate-test.sh
	bash tests/bisect-test.sh

bench: all
	bash tests/bench.sh
bench-build: all
	bash tests/bench-build.sh
bench-libvirt: all
	bash tests/bench-libvirt.sh
# The suite's seed cases against the kernel's own mm selftests on the same
# buggy kernels (BENCHMARKS.md "Against the kernel's selftests").
bench-peers: all
	bash tests/bench-peers.sh
# The bare-boot limit against a whole smoke run, paired (BENCH_KERNEL, BENCH_RUNS).
bench-boot: all
	bash tests/bench-boot.sh
bench-load: all
	bash tests/bench-load.sh

# Classifier throughput in process (clean and report-dense logs built from
# the corpus) and decoding cost: against build/mmrepro (built -g, so it has
# DWARF) and, if one was built, how long a kernel vmlinux without DWARF takes
# to be turned down. Run it under the CPU lock.
$(B)/bench-classify: tests/bench_classify.c $(HOST_OBJ)
	$(CC) $(HOST_CFLAGS) -Ihost -o $@ $^ $(HOST_LIBS)
bench-classify: $(B)/bench-classify all
	./$(B)/bench-classify $(CURDIR) $(B)/mmrepro $(firstword $(wildcard $(HOME)/.cache/mmrepro/kernels/*/vmlinux))

# libFuzzer targets (Debian's clang), with ASan and UBSan. `make fuzz`
# runs each for FUZZ_SECONDS, `make fuzz-quick` for 30 s; any crash fails.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FB           = $(B)/fuzz
FUZZ_CFLAGS  = $(WARN) -Wno-unknown-warning-option -std=gnu11 -D_GNU_SOURCE -g -O1 \
	       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	       $(shell pkg-config --cflags $(PKGS)) -Ihost
FUZZ_RUN     = MMREPRO_ROOT=$(CURDIR) bash tests/fuzz/run.sh

$(FB)/host/%.o: host/%.c host/*.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(FB)/fuzz_report: tests/fuzz/fuzz_report.c $(FB)/host/report.o $(FB)/host/text.o
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(HOST_LIBS)
# case.c checks kernel specs, flavours and page words: every host module.
$(FB)/fuzz_case: tests/fuzz/fuzz_case.c $(HOST_SRC:host/%.c=$(FB)/host/%.o)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(HOST_LIBS)

$(FB)/fuzz_ktap: tests/fuzz/fuzz_ktap.c $(FB)/host/ktap.o $(FB)/host/text.o $(FB)/host/util.o
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(HOST_LIBS)

fuzz-build: $(FB)/fuzz_report $(FB)/fuzz_case $(FB)/fuzz_ktap
fuzz: fuzz-build
	$(FUZZ_RUN) $(FB)/fuzz_report $(FUZZ_SECONDS) 1048576 tests/fuzz/report.dict tests/corpus/*.log tests/fuzz/crashes/*.log tests/fuzz/crashes/fuzz_report-*
	$(FUZZ_RUN) $(FB)/fuzz_case $(FUZZ_SECONDS) 65536 tests/fuzz/case.dict cases/*.case tests/cases/*.case
	$(FUZZ_RUN) $(FB)/fuzz_ktap $(FUZZ_SECONDS) 262144 tests/fuzz/ktap.dict tests/fuzz/ktap/*.ktap
fuzz-quick:
	$(MAKE) fuzz FUZZ_SECONDS=30

clean:
	rm -rf $(B)
