# tcpdrop: one static binary with its BPF object inside.
#
#   make            build ./tcpdrop (installs missing build tools as root)
#   make run        build and run it
#   make test       unit tests (no root) and live tests (root)
#   make test-vm    the same live tests on Debian 5.10, 6.1, 6.12 under qemu
#   make install    PREFIX=/usr/local: sbin/tcpdrop, share/man/man8/tcpdrop.8
#   make fuzz       libFuzzer over every parser (tests/fuzz), FUZZ_SECONDS each
#   make bench      start-up time, peak RSS and size, against baselines
#   make clean

CLANG     ?= clang
LLVM_STRIP ?= llvm-strip
MUSL_CC   ?= musl-gcc
HOST_CC   ?= cc
BUILD     := build
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

CFLAGS_COMMON := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-D_GNU_SOURCE -DTCPDROP_VERSION='"$(VERSION)"' -Ibpf -Isrc
# musl-gcc searches only musl's own headers; the kernel's uapi headers
# (linux/, asm/, asm-generic/) come from linux-libc-dev through a directory
# of symlinks, so glibc's headers never mix in.
UAPI      := $(BUILD)/uapi
MUSL_CFLAGS := $(CFLAGS_COMMON) -isystem $(UAPI) -ffunction-sections -fdata-sections
HOST_CFLAGS := $(CFLAGS_COMMON) -fsanitize=address,undefined -fno-omit-frame-pointer

# -mcpu=v2: the instruction set every kernel since 4.14 accepts.
BPF_CFLAGS := -target bpf -mcpu=v2 -O2 -g -Wall -Werror -Ibpf

SRC       := $(wildcard src/*.c)
LIB_SRC   := $(filter-out src/main.c,$(SRC))
HEADERS   := $(wildcard src/*.h bpf/*.h)
BPF_OBJ   := $(BUILD)/tcpdrop.bpf.o
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
TOOLS     := $(BUILD)/dropgen $(BUILD)/bpfobjs $(BUILD)/nounshare

.PHONY: all deps run test test-vm unit live tools bench install clean
# Keep the objects that unit tests link; make would delete them as
# intermediates and rebuild them for every test binary.
.SECONDARY:
all: tcpdrop

deps:
	@sh tools/deps.sh

$(UAPI)/.stamp: | deps
	@mkdir -p $(UAPI)
	@ln -sfn /usr/include/linux $(UAPI)/linux
	@ln -sfn /usr/include/asm-generic $(UAPI)/asm-generic
	@ln -sfn /usr/include/$$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/asm $(UAPI)/asm
	@touch $@

# DWARF is dropped before embedding, and so are the relocations of .BTF and
# .BTF.ext (only a loader that hands line info to the kernel needs them);
# .BTF and .BTF.ext themselves (the CO-RE records) stay. That is what
# llvm-strip, from the llvm package, is needed for.
$(BPF_OBJ): bpf/tcpdrop.bpf.c $(wildcard bpf/*.h) | deps
	@mkdir -p $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $(BUILD)/tcpdrop.bpf.debug.o
	$(LLVM_STRIP) -g --remove-section=.rel.BTF --remove-section=.rel.BTF.ext \
		--remove-section=.llvm_addrsig $(BUILD)/tcpdrop.bpf.debug.o -o $@

# The object is embedded with .incbin; the assembler records it as a
# dependency only through this rule.
$(BUILD)/bpf_blob.o: src/bpf_blob.S $(BPF_OBJ) | deps
	$(MUSL_CC) -c -DBPF_OBJ_PATH='"$(BPF_OBJ)"' $< -o $@

$(BUILD)/musl/%.o: src/%.c $(HEADERS) $(UAPI)/.stamp
	@mkdir -p $(BUILD)/musl
	$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

tcpdrop: $(patsubst src/%.c,$(BUILD)/musl/%.o,$(SRC)) $(BUILD)/bpf_blob.o
	$(MUSL_CC) -static -s -Wl,--gc-sections -o $@ $^

run: tcpdrop
	./tcpdrop

# Tools used by the tests, static too so they fit in a test initramfs.
$(BUILD)/dropgen: tools/dropgen.c $(UAPI)/.stamp
	$(MUSL_CC) $(MUSL_CFLAGS) -static -s -o $@ $<
$(BUILD)/nounshare: tools/nounshare.c $(UAPI)/.stamp
	$(MUSL_CC) $(MUSL_CFLAGS) -static -s -o $@ $<
$(BUILD)/bpfobjs: tools/bpfobjs.c $(BUILD)/musl/sys.o $(UAPI)/.stamp
	$(MUSL_CC) $(MUSL_CFLAGS) -static -s -o $@ $< $(BUILD)/musl/sys.o
tools: $(TOOLS)

# Unit tests: host compiler with ASan/UBSan, linked with every source but
# main.c, and with the BPF object for the tests that load it as data.
$(BUILD)/host/%.o: src/%.c $(HEADERS)
	@mkdir -p $(BUILD)/host
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@
$(BUILD)/host/bpf_blob.o: src/bpf_blob.S $(BPF_OBJ)
	@mkdir -p $(BUILD)/host
	$(HOST_CC) -c -DBPF_OBJ_PATH='"$(BPF_OBJ)"' $< -o $@
$(BUILD)/unit/%: tests/unit/%.c tests/unit/check.h $(patsubst src/%.c,$(BUILD)/host/%.o,$(LIB_SRC)) $(BUILD)/host/bpf_blob.o
	@mkdir -p $(BUILD)/unit
	$(HOST_CC) $(HOST_CFLAGS) -Itests/unit -o $@ $< $(patsubst src/%.c,$(BUILD)/host/%.o,$(LIB_SRC)) $(BUILD)/host/bpf_blob.o

unit: $(UNIT_BIN)
live: tcpdrop tools

# jq and python3 parse the JSON output in the tests; nft makes the
# netfilter drops of tests/live/truth.sh; curl and prometheus (promtool and
# the server) check the metrics of tests/live/fleet.sh.
test: tcpdrop tools $(UNIT_BIN)
	@sh tools/deps.sh jq python3 nft:nftables curl promtool:prometheus
	@sh tests/run.sh $(UNIT_BIN)

# The kernel matrix: Debian's 5.10, 6.1 and 6.12 kernels booted under qemu
# from a busybox initramfs holding these binaries (root; see tests/vm/).
test-vm: tcpdrop tools
	@sh tests/vm/run.sh

# make install [PREFIX=/usr/local] [DESTDIR=...]
PREFIX    ?= /usr/local
install: tcpdrop
	install -D -m 0755 tcpdrop $(DESTDIR)$(PREFIX)/sbin/tcpdrop
	install -D -m 0644 man/tcpdrop.8 $(DESTDIR)$(PREFIX)/share/man/man8/tcpdrop.8

# Figures, not assertions: start-up time, peak RSS, size, and the cost per
# drop in each mode against an untraced baseline (root).
bench: tcpdrop tools
	@sh tools/bench-startup.sh
	@sh tools/bench-overhead.sh

clean:
	rm -rf $(BUILD) tcpdrop

include tests/fuzz/Makefile.inc
