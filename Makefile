# exfild - plain GNU make. `make`, `make check`, `make demo`, `make bench`,
# `make corpus`, `make install` (PREFIX, DESTDIR), `make SANITIZER=address,undefined`.
-include config.mk

CC        ?= cc
PREFIX    ?= /usr/local
DESTDIR   ?=
SANITIZER ?=
PKGS      := libpcap libevent zlib yaml-0.1 libmaxminddb libpsl

# Link-time optimisation: a packet crosses several stages' files (decode,
# conn, track, agg, table) and LTO inlines across them (make bench: about
# 30 instructions a packet). Off for sanitizer builds; LTO= turns it off.
LTO       ?= -flto=auto
ifeq ($(SANITIZER),)
BUILD     ?= build
SANFLAGS  :=
LTOFLAGS  := $(LTO)
else
BUILD     ?= build-san
SANFLAGS  := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LTOFLAGS  :=
endif

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wformat=2 -Wvla -Wcast-qual -Werror
OPT       ?= -O2 -g
HARDEN    := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(LTOFLAGS) $(WARN) $(HARDEN) $(SANFLAGS) \
             -Iinclude $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(OPT) $(LTOFLAGS) $(SANFLAGS) $(LDFLAGS)
TEST_LIBS  = $(shell pkg-config --libs cmocka 2>/dev/null)

SRCS      := $(wildcard src/*.c src/*/*.c)
# Objects are named by module (module names are unique across stages).
vpath %.c $(sort $(dir $(SRCS)))
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_MODS  := $(basename $(notdir $(LIB_SRCS)))
LIB_OBJS  := $(LIB_MODS:%=$(BUILD)/obj/%.o)
BIN       := $(BUILD)/exfild
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
GEN_BIN   := $(BUILD)/pcapgen

# Each unit test links only the modules it needs. The configuration
# loader reads every rule's section from the rule registry, so whatever
# links config links the rules (RULES: the registry and src/detect/rule_*.c).
BASE := util log
RULES := registry finding describe attack hosts table $(basename $(notdir $(wildcard src/detect/rule_*.c)))
TEST_DEPS_test_cursor       :=
TEST_DEPS_test_util         := $(BASE) strbuf
TEST_DEPS_test_log          := log
TEST_DEPS_test_table        := table $(BASE)
TEST_DEPS_test_open_alerts  := open_alerts $(BASE)
TEST_DEPS_test_netaddr      := netaddr $(BASE)
TEST_DEPS_test_sha1         := sha1 $(BASE)
TEST_DEPS_test_pktring      := pktring pcap_write evpcap $(BASE)
TEST_DEPS_test_sha256       := sha256 $(BASE)
TEST_DEPS_test_evidence     := evidence alert sha256 strbuf classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_community_id := community_id sha1 netaddr $(BASE)
TEST_DEPS_test_config       := config $(RULES) netaddr $(BASE)
TEST_DEPS_test_capture_file := capture_file capture_pcap $(BASE)
TEST_DEPS_test_capture_live := capture_live $(BASE)
TEST_DEPS_test_decode       := decode netaddr $(BASE)
TEST_DEPS_test_proto_http   := proto_http netaddr $(BASE)
TEST_DEPS_test_proto_tls    := proto_tls $(BASE)
TEST_DEPS_test_proto_dns    := proto_dns netaddr $(BASE)
TEST_DEPS_test_classify     := classify $(BASE)
TEST_DEPS_test_geo          := geo geo_mmdb trie config $(RULES) netaddr $(BASE)
TEST_DEPS_test_geo_mmdb     := geo geo_mmdb trie config $(RULES) netaddr $(BASE)
TEST_DEPS_test_ioc_list     := ioc_list trie config $(RULES) netaddr $(BASE)
TEST_DEPS_test_indicators   := indicators ioc_list trie config $(RULES) netaddr $(BASE)
TEST_DEPS_test_names        := names table netaddr $(BASE)
TEST_DEPS_test_baseline     := baseline prevalence table config $(RULES) netaddr $(BASE)
TEST_DEPS_test_alert        := alert strbuf classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_flow         := flow table netaddr $(BASE)
TEST_DEPS_test_agg          := agg table classify netaddr $(BASE)
TEST_DEPS_test_rules        := engine table agg classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_report      := report alert strbuf classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_output_json  := output_json syslog_format alert strbuf classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_syslog_format := syslog_format alert strbuf classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_stats        := stats table strbuf decode agg classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_sdnotify     := sdnotify $(BASE)
TEST_DEPS_test_privdrop     := privdrop $(BASE)
TEST_DEPS_test_logparse_squid := logparse_squid netaddr $(BASE)
TEST_DEPS_test_logparse_zeek := logparse_zeek netaddr $(BASE)
TEST_DEPS_test_output_syslog := output_syslog syslog_format spool output_json alert strbuf classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_logsource    := logsource netaddr $(BASE)
TEST_DEPS_test_spool        := spool $(BASE)
TEST_DEPS_test_resolver     := resolver netaddr $(BASE)
TEST_DEPS_test_contain      := contain hook nft syslog_format alert strbuf classify config $(RULES) netaddr $(BASE)
TEST_DEPS_test_pipeline     := $(LIB_MODS)
TEST_DEPS_test_logfeed      := $(LIB_MODS)
TEST_DEPS_test_state        := $(LIB_MODS)
TEST_DEPS_test_limits       := $(LIB_MODS)
TEST_DEPS_test_output_set   := output_set output_syslog output_json syslog_format spool alert strbuf classify config $(RULES) netaddr $(BASE)
# A rule's own test (tests/unit/test_rule_<name>.c) links the engine and the rules.
$(foreach t,$(basename $(notdir $(wildcard tests/unit/test_rule_*.c))),\
    $(eval TEST_DEPS_$(t) := engine table agg classify config $$(RULES) netaddr $$(BASE)))
# ... and indicator-match's, the lists it is given hits from.
TEST_DEPS_test_rule_indicator_match += indicators ioc_list trie

.PHONY: all deps check check-unit check-e2e check-san demo bench corpus \
        install install-user uninstall clean pcaps fuzz

all: $(BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BIN): $(LIB_OBJS) $(BUILD)/obj/main.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $$(addprefix $(BUILD)/obj/,$$(addsuffix .o,$$(TEST_DEPS_$$*)))
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lm

$(GEN_BIN): tests/gen/pcapgen.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) -Iinclude -o $@ $< -lm

# Install missing build dependencies (Debian: apt-get), else say what to install.
deps:
	@sh tests/deps.sh build

# Every test step appends its counts to CHECK_RESULTS (tests/check.sh); the
# last line of `make check` sums both passes: "N passed, N failed[, N
# skipped]". A failing test does not stop the rest; a build that fails is
# counted as a failure too. Scripts that exit 77 (this machine cannot run
# them: no root, no network namespaces) count as skipped, with the reason.
check: export CHECK_RESULTS := $(CURDIR)/$(BUILD)/check-results
check:
	@sh tests/check.sh start
	@sh tests/deps.sh check || sh tests/check.sh fail "deps" "tests/deps.sh check: exit $$?"
	@$(MAKE) --no-print-directory check-unit check-e2e || \
	    sh tests/check.sh fail "make [$(BUILD)]" "stopped: exit $$?"
	@$(MAKE) --no-print-directory SANITIZER=address,undefined check-unit check-e2e || \
	    sh tests/check.sh fail "make [build-san]" "stopped: exit $$?"
	@sh tests/check.sh total

# tests/e2e/blinding.sh (issue 11: a host must not blind exfild), about
# 75 s a build; `make check E2E_BLINDING=` leaves it out.
E2E_BLINDING := blinding

# Alone (not under `make check`), each ends with its own total.
check-unit: $(UNIT_BINS) $(BIN)
	@BUILD=$(BUILD) sh tests/check.sh unit $(UNIT_BINS)

check-e2e: $(BIN) $(GEN_BIN)
	@BUILD=$(BUILD) MAKE=$(MAKE) sh tests/check.sh e2e run split live systemd logfollow \
	    logcorpus siem squid logdaemon week indicators mmdb baseline startup fresh report contain evidence \
	    $(E2E_BLINDING)

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@sh tests/demo.sh $(BIN)

pcaps: $(GEN_BIN)
	$(GEN_BIN) -o pcaps

bench:
	@sh tests/deps.sh bench
	@$(MAKE) --no-print-directory $(BIN) $(GEN_BIN)
	@BUILD=$(BUILD) sh tests/bench/run.sh
	@BUILD=$(BUILD) sh tests/bench/loglines.sh
	@BUILD=$(BUILD) sh tests/bench/report.sh

corpus: deps
	@$(MAKE) --no-print-directory SANITIZER=address,undefined all
	@sh tests/corpus.sh build-san/exfild

# libFuzzer targets (clang): every parser, FUZZ_SECONDS each, from the seeds
# in tests/fuzz/corpus_<name>/ (new inputs go to build-fuzz/, not the tree).
FUZZ_SECONDS ?= 60
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS)
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -Iinclude $(PKG_CFLAGS) -o $@ $< $(LIB_SRCS) $(PKG_LIBS) -lm

fuzz: deps $(FUZZ_BINS)
	@for b in $(FUZZ_BINS); do n=$${b#build-fuzz/fuzz_}; \
	    mkdir -p build-fuzz/corpus_$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	    $$b -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        build-fuzz/corpus_$$n tests/fuzz/corpus_$$n 2>&1 | \
	        grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' || exit 1; \
	done

# Where `make install` puts things (each can be overridden on the command
# line). The unit and sysusers directories are systemd's own (pkg-config),
# not under PREFIX: systemd does not look anywhere else.
SBINDIR        ?= $(PREFIX)/sbin
PKGDATADIR     ?= $(PREFIX)/share/exfild
MANDIR         ?= $(PREFIX)/share/man
SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR    ?= $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
# The user and its directories (the unit's StateDirectory= and
# LogsDirectory=, for a start outside systemd too): made by systemd-sysusers
# from the sysusers file when there is one, else by useradd; in DESTDIR's
# /etc/passwd when DESTDIR is set. INSTALL_USER=no leaves them to the
# packaging.
INSTALL_USER   ?= yes
SYSUSERS       ?= $(shell command -v systemd-sysusers 2>/dev/null)
STATEDIR       ?= /var/lib/exfild
LOGDIR         ?= /var/log/exfild

# The sample configuration goes to SYSCONFDIR only when there is none (an
# administrator's configuration is never overwritten), and beside it the
# placeholder geo.csv it names (to be replaced by a real database); the
# demo's sample data go to PKGDATADIR. The unit gets the real SBINDIR and
# SYSCONFDIR.
install: $(BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PKGDATADIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(SYSCONFDIR)/exfild $(DESTDIR)$(SYSTEMDUNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/exfild
	install -m 0644 conf/exfild.yaml conf/geo-sample.csv conf/hosts.sample \
	    conf/exfild-contain.nft $(DESTDIR)$(PKGDATADIR)/
	install -m 0644 man/exfild.8 $(DESTDIR)$(MANDIR)/man8/exfild.8
	install -m 0644 man/exfild.yaml.5 $(DESTDIR)$(MANDIR)/man5/exfild.yaml.5
	sed -e 's|/usr/sbin/exfild|$(SBINDIR)/exfild|g' \
	    -e 's|/etc/exfild/|$(SYSCONFDIR)/exfild/|g' systemd/exfild.service \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/exfild.service.tmp
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/exfild.service.tmp
	mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/exfild.service.tmp \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/exfild.service
	install -m 0644 systemd/exfild.sysusers $(DESTDIR)$(SYSUSERSDIR)/exfild.conf
	@for f in exfild.yaml geo.csv; do \
	    if [ -e $(DESTDIR)$(SYSCONFDIR)/exfild/$$f ]; then \
	        echo "install: kept the existing $(DESTDIR)$(SYSCONFDIR)/exfild/$$f"; \
	    else \
	        install -m 0644 conf/$$f $(DESTDIR)$(SYSCONFDIR)/exfild/$$f.tmp && \
	        mv $(DESTDIR)$(SYSCONFDIR)/exfild/$$f.tmp $(DESTDIR)$(SYSCONFDIR)/exfild/$$f && \
	        echo "install: $(DESTDIR)$(SYSCONFDIR)/exfild/$$f ($$( \
	            [ $$f = geo.csv ] && echo "a placeholder: replace it" || \
	            echo "sample: edit it"))"; \
	    fi; \
	done
	@if [ "$(INSTALL_USER)" = yes ]; then $(MAKE) --no-print-directory install-user; fi

# The exfild user (a system user, no home directory made, no login) and
# the state and log directories it owns: 0700 and 0750.
install-user:
	@passwd=$(DESTDIR)/etc/passwd; \
	if grep -q '^exfild:' $$passwd 2>/dev/null; then \
	    echo "install: user exfild exists"; \
	elif [ -n "$(SYSUSERS)" ]; then \
	    mkdir -p $(DESTDIR)/etc && \
	    $(SYSUSERS) $(if $(DESTDIR),--root=$(DESTDIR)) \
	        $(DESTDIR)$(SYSUSERSDIR)/exfild.conf && \
	    echo "install: user exfild (systemd-sysusers)"; \
	else \
	    mkdir -p $(DESTDIR)/etc && \
	    useradd --system --no-create-home --shell /usr/sbin/nologin \
	        --home-dir $(STATEDIR) --user-group $(if $(DESTDIR),--prefix $(DESTDIR)) \
	        exfild && \
	    echo "install: user exfild (useradd)"; \
	fi || exit 1; \
	ids=$$(awk -F: '$$1 == "exfild" { print $$3 ":" $$4 }' $$passwd); \
	[ -n "$$ids" ] || { echo "install: no user exfild in $$passwd" >&2; exit 1; }; \
	install -d -m 0700 -o $${ids%:*} -g $${ids#*:} $(DESTDIR)$(STATEDIR) && \
	install -d -m 0750 -o $${ids%:*} -g $${ids#*:} $(DESTDIR)$(LOGDIR) && \
	echo "install: $(DESTDIR)$(STATEDIR) (0700) and $(DESTDIR)$(LOGDIR) (0750), owner exfild"

# Removes what install put, except the configuration in SYSCONFDIR (and
# geo.csv there), the user and its state and log directories (data).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/exfild
	rm -f $(DESTDIR)$(PKGDATADIR)/exfild.yaml $(DESTDIR)$(PKGDATADIR)/geo-sample.csv \
	    $(DESTDIR)$(PKGDATADIR)/hosts.sample $(DESTDIR)$(PKGDATADIR)/exfild-contain.nft
	rmdir $(DESTDIR)$(PKGDATADIR) 2>/dev/null || true
	rm -f $(DESTDIR)$(MANDIR)/man8/exfild.8 $(DESTDIR)$(MANDIR)/man5/exfild.yaml.5
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/exfild.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/exfild.conf

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
