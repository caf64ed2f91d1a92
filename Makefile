# kapd: plain Makefile with pkg-config (see README.md).
#
#   make            build kapd and kapctl into build/
#   make check      install missing dependencies, build, run every test, then again
#                   under AddressSanitizer + UndefinedBehaviorSanitizer (build/san/)
#   make demo       install missing dependencies, build, run the demo
#   make deps       install the Debian packages needed to build and test
#   make install    PREFIX=/usr/local DESTDIR= (both honoured)
#   make fuzz       build the libFuzzer targets with clang, run each FUZZ_TIME=60 seconds
#   make torture    the long torture suite (tests/torture; make check runs its short form)

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/kapd
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
DESTDIR  ?=

B        ?= build
SAN      ?=
PY       := /usr/bin/python3

PKGS     := libcurl sqlite3 libconfig libical jansson gmime-3.0
# Debian packages: build, unit tests, integration tests (python3 with its stdlib sqlite3).
DEB_PKGS := build-essential pkg-config gettext libcurl4-openssl-dev libsqlite3-dev libconfig-dev \
            libical-dev libjansson-dev libcmocka-dev sqlite3 tzdata python3 ca-certificates
# `make lint` checks the C formatting against .clang-format.
DEB_PKGS += clang-format
# Replies (SPEC §8): incoming mail is parsed with GMime; the reply tests read it from a
# Dovecot IMAP server they start on loopback.
DEB_PKGS += libgmime-3.0-dev dovecot-core dovecot-imapd
# systemd-analyze checks the unit (check-unit); man and groff render the manual pages.
DEB_PKGS += systemd man-db groff-base
# The SMTP tests run Debian's aiosmtpd and make their test CA with the openssl command.
DEB_PKGS += python3-aiosmtpd openssl
# The feed tests read the .ics files with python3-icalendar, python3-vobject, khal and
# ical.js (npm registry, run with node) and serve them with nginx, fetched with curl.
# nodejs and npm only where no node is installed (a NodeSource nodejs carries its own npm
# and conflicts with Debian's npm package).
DEB_PKGS += python3-icalendar python3-vobject khal nginx curl
DEB_PKGS += $(if $(shell command -v node 2>/dev/null),,nodejs npm)
# The plan page tests parse the pages with python3-html5lib (strict), render them in
# headless Chromium (screenshots, print to PDF) and read the PDF with pdftotext.
DEB_PKGS += python3-html5lib chromium poppler-utils

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Werror
ifeq ($(SAN),1)
SANFLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl, libical and GMime are not linked: daemon/io/curl_lazy.c, ical_lazy.c and
# gmime_lazy.c load them when the SMTP transport, the feed writer or the reply reader first
# needs them (README "Fast start"); their headers are still compiled against.
LAZY_PKGS  := libcurl libical gmime-3.0
PKG_LIBS   := $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null) -lm
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
VERSION  := $(shell cat VERSION)
ALL_CFLAGS := $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Idaemon -I$(B)/gen \
              -DKAPD_VERSION='"$(VERSION)"' -DKAPD_SYSCONFDIR='"$(SYSCONFDIR)"'
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

# daemon/ is layered (README "Layout"): lib, conf, core, store, io, run, then the two
# programs in kapd/ and kapctl/.  Everything but the programs is one static set of objects.
LAYERS   := lib conf core store io run
PROGS    := kapd kapctl
LIB_SRC  := $(foreach l,$(LAYERS),$(wildcard daemon/$(l)/*.c))
KAPD_SRC := $(wildcard daemon/kapd/*.c)
CTL_SRC  := $(wildcard daemon/kapctl/*.c)
HEADERS  := $(wildcard daemon/*/*.h)
LIB_OBJ  := $(LIB_SRC:daemon/%.c=$(B)/obj/%.o) $(B)/obj/migrations.o $(B)/obj/catalogs.o
KAPD_OBJ := $(KAPD_SRC:daemon/%.c=$(B)/obj/%.o)
PO       := $(sort $(wildcard po/*.po))
MO       := $(PO:po/%.po=$(B)/gen/%.mo)
CTL_OBJ  := $(CTL_SRC:daemon/%.c=$(B)/obj/%.o)
SQL      := $(sort $(wildcard sql/[0-9]*.sql))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: replies-torture
.PHONY: all check check-unit test unit integration torture torture-short lint lint-test demo deps ensure-deps install \
	uninstall clean bench fuzz fuzz-run

all: $(B)/kapd $(B)/kapctl

$(B)/obj $(B)/gen $(B)/tests:
	mkdir -p $@

# The list of migration files is a prerequisite too: renaming one (git mv keeps its time)
# must regenerate the embedded schema.  The list file changes only when the list does.
$(B)/gen/sql.list: FORCE | $(B)/gen
	@echo '$(SQL)' | cmp -s - $@ || echo '$(SQL)' > $@

$(B)/gen/migrations.c: $(SQL) $(B)/gen/sql.list sql/embed.sh | $(B)/gen
	sh sql/embed.sh $@ $(SQL)

# Gettext catalogs, checked by msgfmt and embedded like the migrations (see daemon/lib/i18n.h).
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
po/kapd.pot: $(wildcard daemon/*/*.c)
	xgettext --from-code=UTF-8 -k -ki18n_tr:2 -ki18n_ntr:2,3 -ktr:2 -kN_ -kNC_:1c,2 -kNP_:1,2 -ki18n_count:3,4 -kCOUNT:4,5 \
		-ki18n_ptr:2c,3 -c"TRANSLATORS:" \
		--package-name=kapd -o $@ $^

$(B)/obj/migrations.o: $(B)/gen/migrations.c | $(B)/obj
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/%.o: daemon/%.c $(HEADERS) VERSION | $(B)/obj
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/kapd: $(KAPD_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/kapctl: $(CTL_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB_OBJ) | $(B)/tests
	@echo "  CC/LD   $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS) $(CMOCKA_LIBS)

# test_errlist decides which of errlist's reallocations fail.
$(B)/tests/test_errlist: ALL_LDFLAGS += -Wl,--wrap=realloc

# Unit tests run from the source tree so they find tests/unit/data.  The lint runs first
# (one second), so the `make all unit` before a landing sees a layer or SQL slip.
unit: lint $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: all
	KAPD_BUILD=$(B) $(PY) tests/integration/run.py

test: lint unit integration

# The structural lint (tests/lint/lint.py: layers, library headers, purity of core/, SQL
# only in store/, banned calls, lengths, include cycles), run by `make test`, and its own
# test (run by `make check`), which plants one violation of each rule in a copy of daemon/.
lint:
	$(PY) tests/lint/lint.py

lint-test:
	$(PY) tests/lint/test_lint.py

# The sanitizer pass repeats every test against binaries built with ASan + UBSan.
# The torture suite (tests/torture/torture.py, issue 10): kill -9 at random points, two
# writers, long outages with time travel, disk faults (tmpfs, root only; skipped with a
# note elsewhere), hostile text.  `make torture` is the long form (200 kills, 95-hour
# outage, the real 4-day give-up; then replies-torture's kills during reply handling),
# `make torture-short` the form that
# `make check` runs (30 kills; under 3 minutes).  TORTURE_SEED picks the random points.
torture: all
	KAPD_BUILD=$(B) $(PY) tests/torture/torture.py --long
	@# kill -9 while kapd handles replies (issue 12's test, REPLY_KILLS kills)
	$(MAKE) replies-torture

torture-short: all
	KAPD_BUILD=$(B) $(PY) tests/torture/torture.py

check: ensure-deps
	@echo "CFLAGS: $(ALL_CFLAGS)"
	$(MAKE) test
	$(MAKE) torture-short
	$(MAKE) lint-test
	$(MAKE) check-unit
	@# The sanitizer pass repeats every test, the full 60-day time travel (11,520 runs
	@# of kapd) included: the faster start (libcurl and libical loaded on demand) pays for it.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) B=$(B)/san SAN=1 test
	@echo "make check: all tests passed (normal and ASan+UBSan builds)"

demo: ensure-deps
	$(MAKE) all
	$(PY) demo/run.py $(B)

# Benchmark (not a test): one check over 10,000 plans and 1,000,000 items against the bare
# SQLite floor query and Debian's remind; see tests/bench/run.py.  remind is installed
# here only (BENCH_PKGS), never by `make deps`.  BENCH_ARGS go to run.py, e.g.
# BENCH_ARGS=--no-once skips its minutes-long `kapd --once` extra measurement.
BENCH_ARGS ?=
BENCH_PKGS := remind
# tests/bench/smtp.py: kapd against msmtp started once per message.
BENCH_PKGS += msmtp

bench: ensure-deps
	$(MAKE) all
	@command -v remind >/dev/null || { if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BENCH_PKGS); }
	$(MAKE) $(B)/bench/floor $(B)/bench/measure $(B)/bench/icalwriter
	$(PY) tests/bench/run.py $(B) $(BENCH_ARGS)
	@command -v msmtp >/dev/null || { if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends msmtp; }
	$(PY) tests/bench/smtp.py $(B)
	$(PY) tests/bench/feeds.py $(B)
	$(PY) tests/bench/replies.py $(B)
	$(PY) tests/bench/pages.py $(B)
	$(PY) tests/bench/summary.py $(B)

# tests/bench/icalwriter.c: the libical event-by-event writer the feed is measured against.
$(B)/bench/icalwriter: tests/bench/icalwriter.c
	@mkdir -p $(@D)
	@echo "  CC/LD   $@"
	@$(CC) $(WARN) $(CFLAGS) $$(pkg-config --cflags sqlite3 libical) $(LDFLAGS) -o $@ $< $$(pkg-config --libs sqlite3 libical)

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
	    command -v msgfmt >/dev/null && command -v systemd-analyze >/dev/null && \
	    command -v groff >/dev/null && command -v man >/dev/null && \
	    command -v openssl >/dev/null && $(PY) -c 'import aiosmtpd' 2>/dev/null && \
	    $(PY) -c 'import icalendar, vobject' 2>/dev/null && command -v khal >/dev/null && \
	    test -x /usr/sbin/nginx && command -v curl >/dev/null && command -v node >/dev/null && \
	    command -v npm >/dev/null && test -x /usr/sbin/dovecot && \
	    $(PY) -c 'import html5lib' 2>/dev/null && \
	    command -v chromium >/dev/null && command -v pdftotext >/dev/null && \
	    command -v clang-format >/dev/null; then :; \
	else $(MAKE) deps; fi

deps:
	@if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PKGS)

# The unit names the installed paths: ExecStart follows SBINDIR, the credential and the
# configuration follow SYSCONFDIR.  An existing configuration is never overwritten.
MANPAGES := man/kapctl.1 man/kapd.conf.5 man/kapd-plan.5 man/kapd.8
INSTALL_SED := sed -e 's|/usr/local/sbin/kapd|$(SBINDIR)/kapd|g' -e 's|/etc/kapd/|$(SYSCONFDIR)/kapd/|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/kapd \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(B)/kapctl $(DESTDIR)$(BINDIR)/kapctl
	install -m 0755 $(B)/kapd $(DESTDIR)$(SBINDIR)/kapd
	$(INSTALL_SED) systemd/kapd.service > $(DESTDIR)$(UNITDIR)/kapd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/kapd.service
	install -m 0644 systemd/kapd.sysusers $(DESTDIR)$(SYSUSERSDIR)/kapd.conf
	$(INSTALL_SED) systemd/kapd.tmpfiles > $(DESTDIR)$(TMPFILESDIR)/kapd.conf
	chmod 0644 $(DESTDIR)$(TMPFILESDIR)/kapd.conf
	install -m 0644 man/kapctl.1 $(DESTDIR)$(MANDIR)/man1/kapctl.1
	install -m 0644 man/kapd.conf.5 $(DESTDIR)$(MANDIR)/man5/kapd.conf.5
	install -m 0644 man/kapd-plan.5 $(DESTDIR)$(MANDIR)/man5/kapd-plan.5
	install -m 0644 man/kapd.8 $(DESTDIR)$(MANDIR)/man8/kapd.8
	install -m 0644 completions/kapctl $(DESTDIR)$(BASHCOMPDIR)/kapctl
	install -m 0644 etc/kapd.conf $(DESTDIR)$(DOCDIR)/examples/kapd.conf
	if [ -f etc/nginx-kapd.conf ]; then \
		install -m 0644 etc/nginx-kapd.conf $(DESTDIR)$(DOCDIR)/examples/nginx-kapd.conf; fi
	test -e $(DESTDIR)$(SYSCONFDIR)/kapd/kapd.conf || \
		install -m 0644 etc/kapd.conf $(DESTDIR)$(SYSCONFDIR)/kapd/kapd.conf

# Leaves the configuration in SYSCONFDIR and the state in /var/lib/kapd: they are the
# operator's.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kapctl $(DESTDIR)$(SBINDIR)/kapd \
		$(DESTDIR)$(UNITDIR)/kapd.service $(DESTDIR)$(SYSUSERSDIR)/kapd.conf \
		$(DESTDIR)$(TMPFILESDIR)/kapd.conf $(DESTDIR)$(MANDIR)/man1/kapctl.1 \
		$(DESTDIR)$(MANDIR)/man5/kapd.conf.5 $(DESTDIR)$(MANDIR)/man5/kapd-plan.5 \
		$(DESTDIR)$(MANDIR)/man8/kapd.8 \
		$(DESTDIR)$(BASHCOMPDIR)/kapctl $(DESTDIR)$(DOCDIR)/examples/kapd.conf \
		$(DESTDIR)$(DOCDIR)/examples/nginx-kapd.conf
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

# The shipped unit's sandbox (exposure at most 2.0, --threshold=20) and a clean
# `systemd-analyze verify` of the unit as installed under a DESTDIR with PREFIX=/usr.
# verify wants ExecStart= to exist, so the verified copy points into the DESTDIR, and
# MANPATH lets it find the pages named in Documentation=.  Skipped without systemd-analyze.
UNIT_ROOT := $(abspath $(B))/unit-root

check-unit: all
	@if ! command -v systemd-analyze >/dev/null; then \
		echo "check-unit: systemd-analyze not found; unit checks skipped"; exit 0; fi; \
	set -e; rm -rf $(UNIT_ROOT); \
	$(MAKE) --no-print-directory -s install DESTDIR=$(UNIT_ROOT) PREFIX=/usr >/dev/null; \
	systemd-analyze security --offline=true --threshold=20 systemd/kapd.service | tail -n 1; \
	mkdir -p $(UNIT_ROOT)/verify; \
	sed 's|^ExecStart=/usr/sbin/kapd|ExecStart=$(UNIT_ROOT)/usr/sbin/kapd|' \
		$(UNIT_ROOT)/usr/lib/systemd/system/kapd.service > $(UNIT_ROOT)/verify/kapd.service; \
	out=$$(MANPATH=$(UNIT_ROOT)/usr/share/man systemd-analyze verify \
		$(UNIT_ROOT)/verify/kapd.service 2>&1) || { echo "$$out"; exit 1; }; \
	if [ -n "$$out" ]; then echo "$$out"; echo "check-unit: verify is not clean"; exit 1; fi; \
	echo "check-unit: systemd-analyze verify: clean"

# Replies across crashes (not part of check, which kills 20 times): kapd --once killed
# with SIGKILL at random points while it handles replies, REPLY_KILLS times; every reply
# must be applied exactly once (tests/integration/test_replies_crash.py).
REPLY_KILLS ?= 150
replies-torture: all
	KAPD_BUILD=$(B) KAPD_REPLY_KILLS=$(REPLY_KILLS) $(PY) tests/integration/run.py -k test_replies_crash

clean:
	rm -rf $(B)

# Fuzzing (not part of check): the libFuzzer targets tests/fuzz/fuzz_*.c, built with clang
# (ASan + UBSan) into build/fuzz/ and run FUZZ_TIME seconds each from tests/fuzz/seeds/.
# clang is installed here only (FUZZ_PKGS), never by `make deps`.
FUZZ_PKGS  := clang libclang-rt-dev
FUZZ_TIME  ?= 60
FUZZ_NAMES := $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))

fuzz: ensure-deps
	@command -v clang >/dev/null || { if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(FUZZ_PKGS); }
	$(MAKE) B=build/fuzz CC=clang CFLAGS="-O1 -g -Wno-error" SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined \
	  -fno-sanitize-recover=all -fno-omit-frame-pointer" fuzz-run

# A finding stops make; the input is left as build/fuzz/crash-* (rerun: build/fuzz/NAME FILE).
fuzz-run: $(FUZZ_NAMES:%=$(B)/%)
	@set -e; for t in $(FUZZ_NAMES); do mkdir -p $(B)/corpus/$$t; echo "== $$t ($(FUZZ_TIME) s)"; \
	  (cd $(B) && ./$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 corpus/$$t \
	    $(CURDIR)/tests/fuzz/seeds/$$t); done

$(B)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	@echo "  CC/LD   $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(PKG_LIBS)

FORCE:
