# neo4j-backup / neo4j-restore
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
BINDIR ?= bin

CC ?= gcc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CPPFLAGS += -D_GNU_SOURCE -Ilib -MMD -MP
ALL_CFLAGS = -std=c11 $(WARNINGS) $(CFLAGS) -pthread
LDLIBS = -lcurl -larchive -lzstd -lisal -lz -ljansson -lcrypto -lexpat -pthread

LIB_SRC = $(shell find lib -name '*.c' | sort)
BACKUP_SRC = $(wildcard backup/*.c)
RESTORE_SRC = $(wildcard restore/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)

LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
BACKUP_OBJ = $(BACKUP_SRC:%.c=$(BUILD)/%.o)
RESTORE_OBJ = $(RESTORE_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

PROGRAMS = $(BINDIR)/neo4j-backup $(BINDIR)/neo4j-restore

.PHONY: all test unit-test bats-test sanitize tsan demo install uninstall clean format format-check \
	lint deps bench images

all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libneo4jbackup.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# verify --deep restores with neo4j-restore's own code: its objects but main.
RESTORE_SHARED_OBJ = $(filter-out $(BUILD)/restore/main.o,$(RESTORE_OBJ))

$(BINDIR)/neo4j-backup: $(BACKUP_OBJ) $(RESTORE_SHARED_OBJ) $(BUILD)/libneo4jbackup.a
	@mkdir -p $(BINDIR)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BINDIR)/neo4j-restore: $(RESTORE_OBJ) $(BUILD)/libneo4jbackup.a
	@mkdir -p $(BINDIR)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libneo4jbackup.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libneo4jbackup.a $(LDLIBS)

# Installs what building and testing need (Debian packages, npm packages)
# when missing.
deps:
	@scripts/deps.sh

unit-test: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

# Suites that test the test tools (emulators, stand-in, charts) need not run
# again under the sanitizers.
BATS_SUITES ?= $(wildcard tests/*.bats)
TOOL_SUITES = tests/gcs_emulator.bats tests/rgw_harness.bats tests/azurite_harness.bats tests/neo4j_admin_standin.bats $(wildcard tests/chart*.bats) tests/bench.bats

bats-test: all
	BIN_DIR=$(CURDIR)/$(BINDIR) bats --print-output-on-failure $(BATS_SUITES)

# The whole suite: format and cppcheck, unit tests, bats suites, then the
# same under ASan+UBSan.
test: deps
	$(MAKE) format-check lint unit-test bats-test
	$(MAKE) sanitize
	$(MAKE) tsan

# The suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: deps
	$(MAKE) BUILD=build/asan BINDIR=build/asan/bin \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" \
	  BATS_SUITES="$(filter-out $(TOOL_SUITES),$(wildcard tests/*.bats))" unit-test bats-test

# The threaded parts (pipeline, parallel gzip, decoding thread) under
# ThreadSanitizer: their unit tests, and the suites that drive them.
TSAN_SUITES = tests/codec.bats tests/integrity.bats tests/interrupted.bats tests/restore.bats
tsan: deps
	$(MAKE) BUILD=build/tsan BINDIR=build/tsan/bin \
	  CFLAGS="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" LDFLAGS="-fsanitize=thread" \
	  UNIT_BIN="build/tsan/unit/test_pipeline build/tsan/unit/test_codec" \
	  BATS_SUITES="$(TSAN_SUITES)" unit-test bats-test

# Backs up a sample database to a local bucket and restores it into a fresh
# data folder, showing each step.
demo: deps all
	@scripts/demo.sh

bench: deps all
	@scripts/bench.sh

# Image tags match the charts' default: <version>-neo4j<series>; each image
# carries the neo4j-admin of its Neo4j series.
VERSION = $(shell sed -n 's/^#define TOOL_VERSION "\(.*\)"/\1/p' lib/config.h)
images:
	for tool in neo4j-backup neo4j-restore; do \
	  docker build --target $$tool -f docker/Dockerfile -t $$tool:$(VERSION)-neo4j5.26 . && \
	  docker build --target $$tool --build-arg NEO4J_IMAGE=neo4j:4.4-enterprise \
	    -f docker/Dockerfile -t $$tool:$(VERSION)-neo4j4.4 . || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/neo4j-backup $(DESTDIR)$(PREFIX)/bin/neo4j-restore

clean:
	rm -rf $(BUILD) $(BINDIR)

format:
	clang-format -i $(LIB_SRC) $(BACKUP_SRC) $(RESTORE_SRC) $(UNIT_SRC) $(shell find lib backup restore tests/unit -name '*.h')

format-check:
	clang-format --dry-run -Werror $(LIB_SRC) $(BACKUP_SRC) $(RESTORE_SRC) $(UNIT_SRC) $(shell find lib backup restore tests/unit -name '*.h')

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -Ilib lib backup restore

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
