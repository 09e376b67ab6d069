# dcsfu: build, run and test.  `make` builds bin/dcsfu; `make run` and `make test`
# first install what a fresh Debian 12 machine lacks (scripts/setup.sh).
#
# SAN=1 builds everything with ASan+UBSan into build/san (bin/dcsfu-san).
# `make fuzz` builds the libFuzzer targets of fuzz/ with clang into build/fuzz;
# `make fuzz-replay` (also with SAN=1) runs every fuzz corpus and crash input
# through the same targets built with the normal compiler (docs/FUZZING.md).

PKGS    := libuv usrsctp libprotobuf-c libjwt yaml-0.1 jansson zlib libcurl nettle
CC      ?= cc
OPT     ?= -O2
ifeq ($(FUZZ),1)
B       := build/fuzz
CC      := clang
OPT     := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BIN     := bin/dcsfu-fuzz
else ifeq ($(SAN),1)
B       := build/san
OPT     := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BIN     := bin/dcsfu-san
else
B       := build/rel
BIN     := bin/dcsfu
endif
GEN     := build/gen

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) cmocka 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) -I. -I$(GEN) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT) $(EXTRA_LDFLAGS)
LDLIBS  := $(PKG_LIBS) -lmbedtls -lmbedx509 -lmbedcrypto -lwslay -lhttp_parser -lm

PROTOS  := $(wildcard signaling/proto/*.proto)
GEN_C   := $(patsubst signaling/proto/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
GEN_H   := $(GEN_C:.c=.h)
LIB_SRC := $(wildcard common/*.c config/*.c signaling/*.c transport/*.c server/*.c)
LIB_SRC := $(filter-out server/main.c,$(LIB_SRC))
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(LIB_SRC)) $(patsubst $(GEN)/%.c,$(B)/gen/%.o,$(GEN_C))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))
FUZZ_SRC := $(filter-out fuzz/replay_main.c,$(wildcard fuzz/*.c))
FUZZ_BIN := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))

.SECONDARY:
.PHONY: all run test unit bench check-deps clean setup setup-test fuzz fuzz-bins fuzz-replay
all: $(BIN)

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: signaling/proto/%.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=signaling/proto --c_out=$(GEN) $<

$(B)/gen/%.o: $(GEN)/%.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-unused-parameter -MMD -MP -c $< -o $@

$(B)/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libdcsfu.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(B)/server/main.o $(B)/libdcsfu.a
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libdcsfu.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

$(B)/bench/%: $(B)/bench/%.o $(B)/libdcsfu.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets: with FUZZ=1 linked with libFuzzer's main, otherwise with
# fuzz/replay_main.c, which runs the files named on its command line.
ifeq ($(FUZZ),1)
$(B)/fuzz/%: $(B)/fuzz/%.o $(B)/libdcsfu.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
else
$(B)/fuzz/%: $(B)/fuzz/%.o $(B)/fuzz/replay_main.o $(B)/libdcsfu.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
endif

fuzz-bins: $(FUZZ_BIN)

fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins

fuzz-replay: $(FUZZ_BIN)
	@scripts/fuzz.sh --replay $(B)/fuzz

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

bench: $(BENCH_BIN) $(BIN)

# Transport and signaling never include each other; common includes neither.
check-deps:
	@scripts/check-deps.sh

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

run: setup
	@$(MAKE) --no-print-directory all
	./bin/dcsfu --dev

test: setup-test
	@scripts/test.sh

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
