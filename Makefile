# kapd: plain Makefile with pkg-config (see README.md).
#
#   make            build kapd and kapctl into build/
#   make check      install missing dependencies, build, run every test, then again
#                   under AddressSanitizer + UndefinedBehaviorSanitizer (build/san/)
#   make demo       install missing dependencies, build, run the demo
#   make deps       install the Debian packages needed to build and test
#   make install    PREFIX=/usr/local DESTDIR= (both honoured)

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR  ?=

B        ?= build
SAN      ?=
PY       := /usr/bin/python3

PKGS     := libcurl sqlite3 libconfig libical jansson
# Debian packages: build, unit tests, integration tests (python3 with its stdlib sqlite3).
DEB_PKGS := build-essential pkg-config gettext libcurl4-openssl-dev libsqlite3-dev libconfig-dev \
            libical-dev libjansson-dev libcmocka-dev sqlite3 tzdata python3 ca-certificates

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Werror
ifeq ($(SAN),1)
SANFLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
VERSION  := $(shell cat VERSION)
ALL_CFLAGS := $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Idaemon -I$(B)/gen \
              -DKAPD_VERSION='"$(VERSION)"' -DKAPD_SYSCONFDIR='"$(SYSCONFDIR)"'
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

PROGS    := kapd kapctl
LIB_SRC  := $(filter-out daemon/kapd.c daemon/kapctl%.c, $(wildcard daemon/*.c))
CTL_SRC  := $(wildcard daemon/kapctl*.c)
LIB_OBJ  := $(LIB_SRC:daemon/%.c=$(B)/obj/%.o) $(B)/obj/migrations.o $(B)/obj/catalogs.o
PO       := $(sort $(wildcard po/*.po))
MO       := $(PO:po/%.po=$(B)/gen/%.mo)
CTL_OBJ  := $(CTL_SRC:daemon/%.c=$(B)/obj/%.o)
SQL      := $(sort $(wildcard sql/[0-9]*.sql))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all check test unit integration demo deps ensure-deps install uninstall clean bench

all: $(B)/kapd $(B)/kapctl

$(B)/obj $(B)/gen $(B)/tests:
	mkdir -p $@

$(B)/gen/migrations.c: $(SQL) sql/embed.sh | $(B)/gen
	sh sql/embed.sh $@ $(SQL)

# Gettext catalogs, checked by msgfmt and embedded like the migrations (see daemon/i18n.h).
$(B)/gen/%.mo: po/%.po | $(B)/gen
	@echo "  MSGFMT  $@"
	@msgfmt --check -o $@ $<

$(B)/gen/catalogs.c: $(MO) po/embed.sh | $(B)/gen
	sh po/embed.sh $@ $(MO)

$(B)/obj/catalogs.o: $(B)/gen/catalogs.c | $(B)/obj
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Maintainers: refresh the template after changing texts (xgettext), then merge it into
# each catalog with msgmerge.
po/kapd.pot: $(wildcard daemon/*.c)
	xgettext --from-code=UTF-8 -k -ki18n_tr:2 -ki18n_ntr:2,3 -kN_ -c"TRANSLATORS:" \
		--package-name=kapd -o $@ $^

$(B)/obj/migrations.o: $(B)/gen/migrations.c | $(B)/obj
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/%.o: daemon/%.c $(wildcard daemon/*.h) VERSION | $(B)/obj
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/kapd: $(B)/obj/kapd.o $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/kapctl: $(CTL_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(LIB_OBJ) | $(B)/tests
	@echo "  CC/LD   $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS) $(CMOCKA_LIBS)

# Unit tests run from the source tree so they find tests/unit/data.
unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: all
	KAPD_BUILD=$(B) $(PY) tests/integration/run.py

test: unit integration

# The sanitizer pass repeats every test against binaries built with ASan + UBSan.
check: ensure-deps
	@echo "CFLAGS: $(ALL_CFLAGS)"
	$(MAKE) test
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) B=$(B)/san SAN=1 test
	@echo "make check: all tests passed (normal and ASan+UBSan builds)"

demo: ensure-deps
	$(MAKE) all
	$(PY) demo/run.py $(B)

# Benchmark (not a test): one check over 10,000 plans and 1,000,000 items against the bare
# SQLite floor query and Debian's remind; see tests/bench/run.py.  remind is installed
# here only (BENCH_PKGS), never by `make deps`.
BENCH_PKGS := remind

bench: ensure-deps
	$(MAKE) all
	@command -v remind >/dev/null || { if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BENCH_PKGS); }
	$(MAKE) $(B)/bench/floor $(B)/bench/measure
	$(PY) tests/bench/run.py $(B)

# tests/bench/floor.c (the floor query) and measure.c (wall time and peak RSS of a child).
$(B)/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	@echo "  CC/LD   $@"
	@$(CC) $(WARN) $(CFLAGS) $$(pkg-config --cflags sqlite3) $(LDFLAGS) -o $@ $< $$(pkg-config --libs sqlite3)

# Runs `make deps` only when something is missing, so `make check` and `make demo`
# work as the very first command on a fresh Debian machine.
ensure-deps:
	@if pkg-config --exists $(PKGS) cmocka 2>/dev/null && test -x $(PY) && \
	    test -d /usr/share/zoneinfo/Europe && command -v sqlite3 >/dev/null && \
	    command -v msgfmt >/dev/null; then :; \
	else $(MAKE) deps; fi

deps:
	@if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PKGS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/kapd
	install -m 0755 $(B)/kapctl $(DESTDIR)$(BINDIR)/kapctl
	install -m 0755 $(B)/kapd $(DESTDIR)$(SBINDIR)/kapd
	test -e $(DESTDIR)$(SYSCONFDIR)/kapd/kapd.conf || \
		install -m 0640 etc/kapd.conf $(DESTDIR)$(SYSCONFDIR)/kapd/kapd.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kapctl $(DESTDIR)$(SBINDIR)/kapd

clean:
	rm -rf $(B)
