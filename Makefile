# SPDX-License-Identifier: MIT
# Parley build: `make` builds bin/parleyd and bin/parleyctl; `make run` and `make test`
# install what is missing from Debian's packages first.

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2
LIBS    := -levent_openssl -levent -lexpat -lsqlite3 -luuid -lidn -lhttp_parser -lwslay \
           -ljansson -lssl -lcrypto
CONF    ?= conf/parley.conf

# Include paths keep the layering honest: xmpp/ sees only itself, storage/ sees xmpp/,
# the server and feature folders see all three.
INC_xmpp    := -Ixmpp
INC_storage := -Istorage -Ixmpp
INC_server  := -Iserver -Iweb -Istorage -Ixmpp
INC_bench   := -Ibench -Ixmpp -Istorage
INC_roster  := -Iroster -Iserver -Istorage -Ixmpp
INC_privacy := -Iprivacy -Iroster -Iserver -Istorage -Ixmpp
INC_carbons := -Icarbons -Iserver -Istorage -Ixmpp
INC_archive := -Iarchive -Iroster -Iserver -Istorage -Ixmpp
INC_muc     := -Imuc -Iserver -Istorage -Ixmpp
INC_profile := -Iprofile -Iserver -Istorage -Ixmpp
INC_adhoc   := -Iadhoc -Iserver -Istorage -Ixmpp
INC_pubsub  := -Ipubsub -Iroster -Iserver -Istorage -Ixmpp
INC_upload  := -Iupload -Iserver -Istorage -Ixmpp
INC_web     := -Iweb -Ixmpp

LIB_DIRS := xmpp web storage server roster privacy carbons archive muc profile adhoc pubsub upload
PROGRAMS := server/main.c server/ctl.c bench/main.c bench/mam_bench.c
LIB_SRC  := $(filter-out $(PROGRAMS),$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
# The load bot: its own folder, built on the xmpp/ protocol library only.
BENCH_SRC := $(filter-out $(PROGRAMS),$(wildcard bench/*.c))
XMPP_SRC  := $(wildcard xmpp/*.c)

# nodejs and npm fetch the web chat page's Converse.js (see `chat` below).
RUN_DEPS  := build-essential pkg-config openssl libexpat1-dev libevent-dev libssl-dev \
             libsqlite3-dev uuid-dev libidn-dev libhttp-parser-dev libwslay-dev libjansson-dev \
             nodejs npm
TEST_DEPS := $(RUN_DEPS) libcmocka-dev python3-pytest python3-slixmpp clang libclang-rt-14-dev \
             chromium python3-prometheus-client

# Two build flavours: plain (bin/) and ASan+UBSan (build/asan) for the tests.
B := build/plain
A := build/asan
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

inc_for = $(INC_$(firstword $(subst /, ,$(1))))

.PHONY: all run test deps-run deps-test unit e2e fuzz-replay fuzz clean cert chat
all: bin/parleyd bin/parleyctl $(if $(wildcard bench/main.c),bin/parley-bench) bin/parley-mam-bench

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(call inc_for,$<) -MMD -MP -c $< -o $@
$(A)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARN) $(call inc_for,$<) -MMD -MP -c $< -o $@

$(B)/libparley.a: $(LIB_SRC:%.c=$(B)/%.o)
	rm -f $@ && ar rcs $@ $^
$(A)/libparley.a: $(LIB_SRC:%.c=$(A)/%.o)
	rm -f $@ && ar rcs $@ $^
$(B)/libbench.a: $(BENCH_SRC:%.c=$(B)/%.o) $(XMPP_SRC:%.c=$(B)/%.o)
	rm -f $@ && ar rcs $@ $^
$(A)/libbench.a: $(BENCH_SRC:%.c=$(A)/%.o)
	rm -f $@ && ar rcs $@ $^

bin/parleyctl: $(B)/server/ctl.o $(B)/libparley.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)
bin/parley-bench: $(B)/bench/main.o $(B)/libbench.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ -levent_openssl -levent -lexpat -lidn -lwslay -lhttp_parser -lssl -lcrypto \
	    -lm
# Archive generator and page-latency measurement (bench/mam_bench.c), on the storage layer.
bin/parley-mam-bench: $(B)/bench/mam_bench.o $(B)/libparley.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)
bin/parleyd: $(B)/server/main.o $(B)/libparley.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)
$(A)/bin/parleyd: $(A)/server/main.o $(A)/libparley.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

# --- unit tests (cmocka, ASan+UBSan) ---------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(A)/tests/%)
# Shared test helpers (e.g. the fault-injecting SQLite VFS) are linked into every test.
UNIT_SUPPORT := $(wildcard tests/unit/support/*.c)
$(A)/tests/%: tests/unit/%.c $(UNIT_SUPPORT) $(wildcard tests/unit/support/*.h) \
              $(A)/libparley.a $(A)/libbench.a
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARN) $(INC_server) -Iroster -Iprivacy -Icarbons -Iarchive -Imuc -Iprofile -Ipubsub -Iupload -Iweb -Ibench -Itests/unit/support -o $@ $< \
	    $(UNIT_SUPPORT) $(A)/libbench.a $(A)/libparley.a $(LIBS) -lcmocka -lm

unit: $(UNIT_BIN)
	@tests/run_unit.sh $(UNIT_BIN)

# --- end-to-end tests (pytest + slixmpp against the real server) ------------------------
# The web tests' packages from the npm registry, at the versions tests/web/package-lock.json
# pins, in the build output (never committed).
NODE_DIR := build/node
$(NODE_DIR)/.installed: tests/web/package.json tests/web/package-lock.json
	@mkdir -p $(NODE_DIR)
	cp tests/web/package.json tests/web/package-lock.json $(NODE_DIR)/
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

e2e: bin/parleyd bin/parleyctl $(A)/bin/parleyd $(NODE_DIR)/.installed chat
	PARLEYD=$(CURDIR)/$(A)/bin/parleyd PARLEYCTL=$(CURDIR)/bin/parleyctl \
	NODE_PATH=$(CURDIR)/$(NODE_DIR)/node_modules \
	    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e

# --- the web chat page, served at /chat/ (web_chat_dir) ----------------------------------
# Converse.js from the npm registry at the version web/chat/package-lock.json pins, installed
# in the build output without running its install scripts (never committed); the parts of its
# dist/ that the page loads go to build/web/chat/converse/, beside web/chat's own files. Not
# part of `all`: that stays a C build needing no network; `run` and `e2e` ask for it.
CHAT_NPM      := build/web/chat-npm
CHAT_DIR      := build/web/chat
CHAT_PAGE     := $(filter-out %.json,$(wildcard web/chat/*))
CONVERSE_DIST := $(CHAT_NPM)/node_modules/converse.js/dist
CONVERSE_USED := converse.min.js converse.min.css chunkjs emoji.json images sounds webfonts \
                 libomemo.esm.min.js curve25519_compiled.wasm
$(CHAT_NPM)/.installed: web/chat/package.json web/chat/package-lock.json
	@mkdir -p $(CHAT_NPM)
	cp web/chat/package.json web/chat/package-lock.json $(CHAT_NPM)/
	cd $(CHAT_NPM) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@
build/web/.chat-copied: $(CHAT_NPM)/.installed $(CHAT_PAGE)
	rm -rf $(CHAT_DIR) && mkdir -p $(CHAT_DIR)/converse
	cd $(CONVERSE_DIST) && cp -R $(CONVERSE_USED) $(CURDIR)/$(CHAT_DIR)/converse/
	find $(CHAT_DIR)/converse \( -name '*.map' -o -name README \) -delete
	cp $(CHAT_PAGE) $(CHAT_DIR)/
	touch $@
chat: build/web/.chat-copied

# --- fuzzing (libFuzzer via clang) -----------------------------------------------------
FUZZ_SRC := $(wildcard xmpp/*.c) tests/fuzz/fuzz_hooks.c
FUZZ_CC  := clang -O1 -g -fsanitize=fuzzer,address,undefined $(filter-out -Wformat=2,$(WARN)) \
            -Itests/fuzz
build/fuzz/fuzz_stream: tests/fuzz/fuzz_stream.c $(FUZZ_SRC) tests/fuzz/fuzz_hooks.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(INC_xmpp) -o $@ $(filter %.c,$^) -lexpat -lidn -lssl -lcrypto
# The web front's sans-IO parts: HTTP requests, WebSocket frames, BOSH bodies.
build/fuzz/fuzz_web: tests/fuzz/fuzz_web.c $(FUZZ_SRC) $(wildcard web/*.c) tests/fuzz/fuzz_hooks.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(INC_web) -o $@ $(filter %.c,$^) -lexpat -lidn -lhttp_parser -lwslay -ljansson \
	    -lssl -lcrypto
# Replays a target's saved corpus, then fuzzes it for a bounded time: $(call fuzz,target,corpus)
fuzz = build/fuzz/$(1) -runs=0 $(2) && d=$$(mktemp -d) && build/fuzz/$(1) \
       -max_total_time=$(or $(FUZZ_SECONDS),15) -max_len=4096 -rss_limit_mb=1024 $$d $(2); \
       rc=$$?; rm -rf $$d; exit $$rc
fuzz-replay: build/fuzz/fuzz_stream build/fuzz/fuzz_web
	$(call fuzz,fuzz_stream,tests/fuzz/corpus)
	$(call fuzz,fuzz_web,tests/fuzz/corpus_web)

# --- the two commands --------------------------------------------------------------------
deps-run:
	@conf/install-deps.sh $(RUN_DEPS)
deps-test:
	@conf/install-deps.sh $(TEST_DEPS)

run: deps-run all chat
	@conf/first-run.sh $(CONF)
	exec bin/parleyd -c $(CONF)

# The builds (and the npm installs) run on every core; the tests one after another.
test: deps-test
	$(MAKE) -j$$(nproc) all $(A)/bin/parleyd $(UNIT_BIN) build/fuzz/fuzz_stream \
	    build/fuzz/fuzz_web chat $(NODE_DIR)/.installed
	$(MAKE) unit
	$(MAKE) fuzz-replay
	$(MAKE) e2e

# --- side-by-side benchmark: Parley vs Prosody vs ejabberd (bench/suite/; not in `make test`) --
# Installs the peers from Debian if missing, runs each server pinned to CPU 0 and the bot on
# CPU 1, ends with a 10-minute soak of Parley (SOAK_S, SOAK_SESSIONS shorten it), writes
# bench/RESULTS.md and its plots. bench-quick is a ~3-minute subset (ECDSA storm, chat, MUC,
# offline flush, resumption). bench/suite/bench.sh lists the variables that trim a run.
.PHONY: bench bench-quick
bench: deps-run all
	bench/suite/bench.sh full
bench-quick: deps-run all
	bench/suite/bench.sh quick

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
