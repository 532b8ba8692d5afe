# A thin wrapper: meson and ninja do the work in build/.
#   make run     install what is missing, build, and boot U-Boot on the riscv64 virt board
#   make check   install what is missing, build, and run every test
#   make bench   build and run the benchmarks
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build run check check-extra check-asan check-nomodules bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@scripts/install-deps.sh
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The default guest: Debian's OpenSBI and U-Boot on the riscv64 virt
# machine (Ctrl-A x quits; U-Boot's poweroff ends it too).
UBOOT ?= /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
run: build
	$(BUILD)/proteus-system-riscv64 -M virt -nographic -kernel $(UBOOT)

check: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

# What CI adds: unit tests under ASan+UBSan with -Werror, and the build
# with devices linked in instead of loaded as modules.
check-extra: check-asan check-nomodules

check-asan: deps
	[ -f build-asan/build.ninja ] || meson setup build-asan -Dsanitizers=true -Dwerror=true
	ninja -C build-asan
	meson test -C build-asan --print-errorlogs --num-processes 2

check-nomodules: deps
	[ -f build-nomodules/build.ninja ] || meson setup build-nomodules -Dmodules=false -Dwerror=true
	ninja -C build-nomodules
	meson test -C build-nomodules --print-errorlogs --num-processes 2

# Benchmark executables (tests/bench/meson.build) run one after the other,
# then any scripts in tests/bench.
bench: build
	@scripts/install-deps.sh --bench
	@for b in $(BUILD)/tests/bench/bench-*; do \
	    if [ -f "$$b" ] && [ -x "$$b" ]; then "$$b" || exit 1; echo; fi; \
	done
	@for b in tests/bench/*.sh; do \
	    if [ -f "$$b" ]; then sh "$$b" $(BUILD) || exit 1; fi; \
	done

clean:
	rm -rf $(BUILD) build-asan build-nomodules
