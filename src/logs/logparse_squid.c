/*
 * logparse_squid.c - Squid access.log lines: a logformat string (squid.conf
 * "logformat" directive; the native format is src/log/FormatSquidNative.cc's
 * "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt") is compiled
 * once into literals and codes, then matched against each line field by field
 * (common separators and words in one step each, over a per-line bit map of
 * the line's blanks). Squid (5.7) logs user names with their spaces: a line
 * with more fields than the format is matched again with the format's one
 * unquoted user field taking the bytes between the fields before it (from
 * the left) and those after it (from the line's end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exfild/logs/logparse_squid.h"
#include "exfild/util/util.h"

#define SQUID_SPEC_MAX 4096
#define SQUID_MAX_ELEMS 256

/* What a code's field is for; SF_SKIP only takes its place. */
enum squid_field {
	SF_SKIP,
	SF_TS,          /* %ts seconds */
	SF_TU,          /* %tu milliseconds */
	SF_TSTART,      /* %tS start, seconds.millis */
	SF_TLOCAL,      /* %tl %tg "dd/Mon/yyyy:HH:MM:SS[ +zzzz]" */
	SF_TR,          /* %tr milliseconds */
	SF_CLIENT,      /* %>a */
	SF_CLIENT_FQDN, /* %>A (an address when no lookup was done) */
	SF_USER_UN,
	SF_USER_UL,
	SF_USER_UE,
	SF_USER_UI,
	SF_METHOD,      /* %rm %>rm */
	SF_URL,         /* %ru %>ru */
	SF_URL_DOMAIN,  /* %>rd */
	SF_URL_PORT,    /* %>rP */
	SF_HOST_HEADER, /* %{Host}>h */
	SF_STATUS_SENT, /* %>Hs %Hs */
	SF_STATUS_RECV, /* %<Hs */
	SF_BYTES_DOWN,  /* %<st */
	SF_BYTES_UP,    /* %>st */
	SF_SERVER,      /* %<a */
	SF_SERVER_NAME, /* %<A */
	SF_SERVER_PORT, /* %<p */
	SF_MIME,        /* %mt */
	SF_COUNT
};

/* Squid's codes (src/format/Token.cc and later ones); the longest that
 * prefixes the spec wins, as Squid scans its long tables first. */
static const struct squid_code {
	const char *name;
	uint8_t field;
} squid_codes[] = {
	{ ">a", SF_CLIENT }, { ">p", SF_SKIP }, { ">A", SF_CLIENT_FQDN },
	{ "<a", SF_SERVER }, { "<p", SF_SERVER_PORT }, { "<A", SF_SERVER_NAME },
	{ ">h", SF_SKIP }, { "<h", SF_SKIP }, { ">v", SF_SKIP },
	{ ">la", SF_SKIP }, { "la", SF_SKIP }, { ">lp", SF_SKIP },
	{ "lp", SF_SKIP }, { "<la", SF_SKIP }, { "oa", SF_SKIP },
	{ "<lp", SF_SKIP }, { "ts", SF_TS }, { "tu", SF_TU },
	{ "tl", SF_TLOCAL }, { "tg", SF_TLOCAL }, { "tS", SF_TSTART },
	{ "tr", SF_TR }, { "<pt", SF_SKIP }, { "<tt", SF_SKIP },
	{ "dt", SF_SKIP }, { ">ha", SF_SKIP }, { "un", SF_USER_UN },
	{ "ul", SF_USER_UL }, { "ui", SF_USER_UI }, { "ue", SF_USER_UE },
	{ "Hs", SF_STATUS_SENT }, { ">Hs", SF_STATUS_SENT },
	{ "<Hs", SF_STATUS_RECV }, { "<bs", SF_SKIP }, { "Ss", SF_SKIP },
	{ "Sh", SF_SKIP }, { "mt", SF_MIME }, { ">rm", SF_METHOD },
	{ ">ru", SF_URL }, { ">rs", SF_SKIP }, { ">rd", SF_URL_DOMAIN },
	{ ">rP", SF_URL_PORT }, { ">rp", SF_SKIP }, { ">rv", SF_SKIP },
	{ "rm", SF_METHOD }, { "ru", SF_URL }, { "rp", SF_SKIP },
	{ "rv", SF_SKIP }, { "rG", SF_SKIP }, { "<rm", SF_SKIP },
	{ "<ru", SF_SKIP }, { "<rs", SF_SKIP }, { "<rd", SF_SKIP },
	{ "<rP", SF_SKIP }, { "<rp", SF_SKIP }, { "<rv", SF_SKIP },
	{ ">st", SF_BYTES_UP }, { ">sh", SF_SKIP }, { "<st", SF_BYTES_DOWN },
	{ "<sH", SF_SKIP }, { "<sS", SF_SKIP }, { "<sh", SF_SKIP },
	{ "st", SF_SKIP }, { "et", SF_SKIP }, { "ea", SF_SKIP },
	{ "sn", SF_SKIP }, { ">eui", SF_SKIP }, { ">qos", SF_SKIP },
	{ "<qos", SF_SKIP }, { ">nfmark", SF_SKIP }, { "<nfmark", SF_SKIP },
	{ ">handshake", SF_SKIP }, { "err_code", SF_SKIP },
	{ "err_detail", SF_SKIP }, { "note", SF_SKIP },
	{ "credentials", SF_SKIP }, { "master_xaction", SF_SKIP },
	{ "busy_time", SF_SKIP }, { "request_attempts", SF_SKIP },
};

/* How a code's value ends in the line. */
enum squid_delim {
	DELIM_WORD,    /* no blanks inside */
	DELIM_QUOTED,  /* inside literal "...": blanks allowed, \-escapes */
	DELIM_BRACKET, /* inside literal [...]: blanks allowed */
};

/* How an element is matched: the common ones each in a few steps. */
enum squid_op {
	OP_NONE,      /* (steps: the separator only) */
	OP_TEXT,      /* a literal: match_literal */
	OP_BLANK,     /* a literal of blanks only: a run of blanks */
	OP_BYTE,      /* a literal of one byte, not a blank */
	OP_WORD,      /* a DELIM_WORD code ended by a blank */
	OP_WORD_STOP, /* a DELIM_WORD code ended by its stop byte or a blank */
	OP_VALUE,     /* any other code: take_value */
};

/*
 * The elements as the line is matched: a blank or one-byte literal
 * (OP_BLANK, OP_BYTE as sep, else OP_NONE) and the element after it, so
 * that " %tr" or "/%03>Hs" is one step.
 */
struct squid_step {
	uint8_t sep;      /* OP_NONE, OP_BLANK, OP_BYTE */
	uint8_t sep_byte; /* OP_BYTE: the byte */
	uint8_t op;       /* OP_NONE, or the element's op */
	uint8_t field, stop;
	bool stop_last;
	uint16_t elem;    /* the element (OP_TEXT, OP_VALUE) */
};

struct squid_elem {
	bool literal;
	uint8_t op;        /* enum squid_op */
	uint8_t field;     /* codes: enum squid_field */
	uint8_t delim;     /* codes: enum squid_delim */
	uint8_t stop;      /* codes: the byte after the value (' ' = a blank) */
	bool stop_last;    /* codes: the last stop byte of the word (addresses) */
	bool blob;         /* codes: Squid's '[' encoding (no '[' in the value) */
	uint16_t off, len; /* literals: bytes in text[] */
};

struct squid_format {
	struct squid_elem elem[SQUID_MAX_ELEMS];
	size_t nelem;
	uint8_t text[SQUID_SPEC_MAX];
	size_t ntext;
	bool has[SF_COUNT];
	struct squid_step step[SQUID_MAX_ELEMS];
	size_t nstep;
	/* The one unquoted user field, which may hold blanks (set_split). */
	bool split;
	bool split_blob;    /* its value has no '[': " [" starts log_mime_hdrs */
	size_t split_step;  /* its step */
	size_t split_runs;  /* the runs of blanks of the elements after it */
};

static bool
is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

static bool
is_code_char(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

/* A URL scheme's letters, digits, '+', '-', '.' (and '_', as before). */
static bool
is_scheme_char(uint8_t ch)
{
	static const uint8_t scheme[256] = {
		['+'] = 1, ['-'] = 1, ['.'] = 1, ['_'] = 1,
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
		['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
		['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
		['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
		['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
		['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
		['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1,
		['z'] = 1,
		['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
		['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
		['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
		['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
		['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,
		['Z'] = 1,
	};

	return scheme[ch] != 0;
}

static int
compile_fail(char *err, size_t errlen, const char *spec, size_t at,
    const char *what)
{
	snprintf(err, errlen, "logformat: %s at offset %zu of \"%.60s\"", what,
	    at, spec);
	return -1;
}

static int
add_literal(struct squid_format *f, const char *s, size_t n)
{
	struct squid_elem *e;

	if (n == 0)
		return 0;
	if (f->nelem > 0 && f->elem[f->nelem - 1].literal) {
		e = &f->elem[f->nelem - 1];
	} else {
		if (f->nelem == SQUID_MAX_ELEMS)
			return -1;
		e = &f->elem[f->nelem++];
		memset(e, 0, sizeof(*e));
		e->literal = true;
		e->off = (uint16_t)f->ntext;
	}
	if (SQUID_SPEC_MAX - f->ntext < n)
		return -1;
	memcpy(f->text + f->ntext, s, n);
	f->ntext += n;
	e->len = (uint16_t)(e->len + n);
	return 0;
}

/* The longest known code at s, or NULL. */
static const struct squid_code *
find_code(const char *s)
{
	const struct squid_code *best = NULL;
	size_t i, n, bestn = 0;

	for (i = 0; i < ARRAY_LEN(squid_codes); i++) {
		n = strlen(squid_codes[i].name);
		if (n > bestn && strncmp(s, squid_codes[i].name, n) == 0) {
			best = &squid_codes[i];
			bestn = n;
		}
	}
	return best;
}

static bool
has_namespace(const char *s)
{
	size_t k;

	for (k = 0; is_code_char((uint8_t)s[k]); k++)
		;
	return k > 0 && s[k] == ':' && s[k + 1] == ':';
}

/* Length of an unknown code: [ns::][<>]name, where Squid's namespaced
 * and newer codes look like "ssl::>sni", "transport::>connection_id". */
static size_t
unknown_code_len(const char *s)
{
	size_t n = 0, k;

	if (has_namespace(s))
		n = (size_t)(strchr(s, ':') - s) + 2;
	if (s[n] == '<' || s[n] == '>')
		n++;
	for (k = n; is_code_char((uint8_t)s[k]); k++)
		;
	return k > n ? k : 0;
}

/* "{arg}" at *p: its bounds, advancing past it; -1 when unterminated. */
static int
take_arg(const char **p, const char **arg, size_t *arglen)
{
	const char *close;

	if (**p != '{')
		return 0;
	close = strchr(*p, '}');
	if (close == NULL)
		return -1;
	*arg = *p + 1;
	*arglen = (size_t)(close - *p - 1);
	*p = close + 1;
	return 0;
}

/* One "%..." code at spec + *at (just past the '%'). */
static int
compile_code(struct squid_format *f, const char *spec, size_t *at,
    enum squid_delim delim, char *err, size_t errlen)
{
	const char *p = spec + *at, *arg = NULL;
	const struct squid_code *code;
	struct squid_elem *e;
	size_t arglen = 0, n;
	uint8_t field;
	bool blob = *p == '[';

	if (*p == '"' || *p == '[' || *p == '#' || *p == '\'' || *p == '/')
		p++;
	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (take_arg(&p, &arg, &arglen) != 0)
		return compile_fail(err, errlen, spec, *at, "unterminated {");
	if (strncmp(p, "http::", 6) == 0 && p[6] != '%')
		p += 6;
	if (has_namespace(p)) {
		code = NULL; /* ssl::, icap::, adapt::, proxy_protocol:: ... */
		field = SF_SKIP;
		n = unknown_code_len(p);
	} else if ((code = find_code(p)) != NULL) {
		field = code->field;
		n = strlen(code->name);
	} else if ((n = unknown_code_len(p)) > 0) {
		field = SF_SKIP;
	} else {
		return compile_fail(err, errlen, spec, *at, "no format code");
	}
	p += n;
	if (arg == NULL && take_arg(&p, &arg, &arglen) != 0)
		return compile_fail(err, errlen, spec, *at, "unterminated {");
	if (field == SF_TLOCAL && arg != NULL)
		field = SF_SKIP; /* a strftime form of its own */
	if (code != NULL && strcmp(code->name, ">h") == 0 && arg != NULL &&
	    arglen == 4 && strncasecmp(arg, "Host", 4) == 0)
		field = SF_HOST_HEADER;
	if (f->nelem > 0 && !f->elem[f->nelem - 1].literal)
		return compile_fail(err, errlen, spec, *at,
		    "two codes with nothing between them");
	if (f->nelem == SQUID_MAX_ELEMS)
		return compile_fail(err, errlen, spec, *at, "too many codes");
	e = &f->elem[f->nelem++];
	memset(e, 0, sizeof(*e));
	e->field = field;
	e->delim = (uint8_t)delim;
	e->blob = blob;
	e->stop_last = field == SF_CLIENT || field == SF_SERVER ||
	    field == SF_CLIENT_FQDN || field == SF_SERVER_NAME;
	f->has[field] = true;
	*at = (size_t)(p - spec);
	return 0;
}

/* The steps of the elements (their ops set). */
static void
set_steps(struct squid_format *f)
{
	const struct squid_elem *e;
	struct squid_step *s;
	size_t i;

	f->nstep = 0;
	for (i = 0; i < f->nelem; i++) {
		e = &f->elem[i];
		s = &f->step[f->nstep++];
		memset(s, 0, sizeof(*s));
		if (e->op == OP_BLANK || e->op == OP_BYTE) {
			s->sep = e->op;
			s->sep_byte = f->text[e->off];
			if (i + 1 == f->nelem || f->elem[i + 1].literal)
				continue;
			e = &f->elem[++i];
		}
		s->op = e->op;
		s->field = e->field;
		s->stop = e->stop;
		s->stop_last = e->stop_last;
		s->elem = (uint16_t)i;
	}
}

static bool
is_user_field(uint8_t field)
{
	return field == SF_USER_UN || field == SF_USER_UL ||
	    field == SF_USER_UE || field == SF_USER_UI;
}

/*
 * A user name may hold blanks (Squid 5.7 logs "%un", "%[un" and the native
 * format's user with their spaces). When the format has exactly one user
 * code outside quotes or brackets, ended by a blank, and every element
 * after it has a fixed number of runs of blanks (words only: no quoted or
 * bracketed code, no unbracketed %tl, no literal ending the format in a
 * blank), a line can be split at the user: match_line_split.
 */
static void
set_split(struct squid_format *f)
{
	const struct squid_elem *e;
	size_t i, k, user = 0, nuser = 0, runs = 0;
	const uint8_t *t;

	f->split = false;
	for (i = 0; i < f->nelem; i++) {
		e = &f->elem[i];
		if (!e->literal && is_user_field(e->field) &&
		    e->delim == DELIM_WORD) {
			user = i;
			nuser++;
		}
	}
	if (nuser != 1 || f->elem[user].op != OP_WORD || user + 1 == f->nelem)
		return;
	for (i = user + 1; i < f->nelem; i++) {
		e = &f->elem[i];
		if (!e->literal) {
			if (e->op != OP_WORD && e->op != OP_WORD_STOP)
				return;
			continue;
		}
		t = f->text + e->off;
		for (k = 0; k < e->len; k++)
			if (is_blank(t[k]) && (k == 0 || !is_blank(t[k - 1])))
				runs++;
		if (i + 1 == f->nelem && is_blank(t[e->len - 1]))
			return;
	}
	for (i = 0; i < f->nstep; i++) {
		if (f->step[i].op == OP_WORD && f->step[i].elem == user) {
			f->split = true;
			f->split_blob = f->elem[user].blob;
			f->split_step = i;
			f->split_runs = runs;
			return;
		}
	}
}

/* Each code's value ends at the first byte of the literal after it. */
static void
set_stops(struct squid_format *f)
{
	struct squid_elem *e;
	size_t i, k;
	uint8_t next;

	for (i = 0; i < f->nelem; i++) {
		e = &f->elem[i];
		if (e->literal) {
			for (k = 0; k < e->len && is_blank(f->text[e->off + k]); k++)
				;
			e->op = k == e->len ? OP_BLANK : e->len == 1 ? OP_BYTE :
			    OP_TEXT;
			continue;
		}
		next = i + 1 < f->nelem ? f->text[f->elem[i + 1].off] : ' ';
		e->stop = is_blank(next) ? ' ' : next;
		e->op = e->delim != DELIM_WORD || e->field == SF_TLOCAL ?
		    OP_VALUE : e->stop == ' ' ? OP_WORD : OP_WORD_STOP;
	}
	set_steps(f);
	set_split(f);
}

static const char *
builtin_format(const char *spec)
{
	if (strcmp(spec, "squid") == 0)
		return SQUID_NATIVE_FORMAT;
	if (strcmp(spec, "common") == 0)
		return "%>a %[ui %[un [%tl] \"%rm %ru HTTP/%rv\" %>Hs %<st "
		    "%Ss:%Sh";
	if (strcmp(spec, "combined") == 0)
		return "%>a %[ui %[un [%tl] \"%rm %ru HTTP/%rv\" %>Hs %<st "
		    "\"%{Referer}>h\" \"%{User-Agent}>h\" %Ss:%Sh";
	return spec;
}

struct squid_format *
squid_format_compile(const char *spec, char *err, size_t errlen)
{
	struct squid_format *f;
	enum squid_delim delim = DELIM_WORD;
	size_t at = 0;
	char ch;

	if (strncmp(spec, "squid:", 6) == 0)
		spec += 6;
	spec = builtin_format(spec);
	if (strlen(spec) >= SQUID_SPEC_MAX || spec[0] == '\0') {
		snprintf(err, errlen, "logformat: empty or longer than %d bytes",
		    SQUID_SPEC_MAX - 1);
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	while ((ch = spec[at]) != '\0') {
		if (ch == '%' && spec[at + 1] == '%') {
			if (add_literal(f, "%", 1) != 0)
				goto toolong;
			at += 2;
			continue;
		}
		if (ch == '%') {
			at++;
			if (compile_code(f, spec, &at, delim, err, errlen) != 0)
				goto fail;
			continue;
		}
		/* Literal text switches quoting as Squid's Token::parse does. */
		if (ch == '"')
			delim = delim == DELIM_QUOTED ? DELIM_WORD :
			    delim == DELIM_WORD ? DELIM_QUOTED : delim;
		else if (ch == '[' && delim == DELIM_WORD)
			delim = DELIM_BRACKET;
		else if (ch == ']' && delim == DELIM_BRACKET)
			delim = DELIM_WORD;
		if (add_literal(f, &spec[at], 1) != 0)
			goto toolong;
		at++;
	}
	if (!f->has[SF_TS] && !f->has[SF_TSTART] && !f->has[SF_TLOCAL]) {
		snprintf(err, errlen, "logformat: no time code (%%ts, %%tS, "
		    "%%tl or %%tg) in \"%.60s\"", spec);
		goto fail;
	}
	if (!f->has[SF_CLIENT] && !f->has[SF_CLIENT_FQDN]) {
		snprintf(err, errlen, "logformat: no client address code "
		    "(%%>a or %%>A) in \"%.60s\"", spec);
		goto fail;
	}
	set_stops(f);
	return f;
toolong:
	snprintf(err, errlen, "logformat: too many codes in \"%.60s\"", spec);
fail:
	free(f);
	return NULL;
}

void
squid_format_free(struct squid_format *f)
{
	free(f);
}

bool
squid_format_measures_uploads(const struct squid_format *f)
{
	return f->has[SF_BYTES_UP];
}

/* ---- matching a line ---- */

/*
 * Each code's value: a cursor over its bytes in the line. Once the whole
 * line has matched, the values set are exactly the format's codes (set
 * points at f->has); of two codes for one field the last wins.
 */
struct squid_values {
	struct cursor v[SF_COUNT];
	const bool *set;
};

/* A cursor over exactly the bytes of a field's value. */
static inline struct cursor
value(const struct squid_values *sv, enum squid_field fld)
{
	return cur_view(&sv->v[fld]);
}

/* The scans below index the cursor's rest below cur_left(): that is their
 * whole bound (the 16-byte loads included: see log_chunk16). */
static void
skip_blanks(struct cursor *c)
{
	while (is_blank(cur_peek(c, 0)))
		cur_skip(c, 1);
}

/*
 * The blanks (space, tab) of one line, a bit per byte: byte k is bit k % 64
 * of w[k / 64]. Bits past the line's end are 0 and one word past its last
 * is 0, so that the lookups below stop there.
 */
struct line_blanks {
	uint64_t w[LOG_LINE_MAX / 64 + 2];
};

static void
line_blanks_init(struct line_blanks *b, const uint8_t *p, size_t len)
{
	size_t i = 0;
	uint64_t word;

#ifdef LOG_SIMD
	unsigned shift;
	size_t k;
	__m128i v;

	for (; len - i >= 64; i += 64) {
		word = 0;
		for (k = 0; k < 64; k += 16) {
			v = log_chunk16(p, len, i + k, &shift);
			word |= (uint64_t)(log_eq16(v, ' ') |
			    log_eq16(v, '\t')) << k;
		}
		b->w[i / 64] = word;
	}
	word = 0;
	for (k = 0; len >= 16 && i + k < len; k += 16 - shift) {
		v = log_chunk16(p, len, i + k, &shift);
		word |= (uint64_t)((log_eq16(v, ' ') | log_eq16(v, '\t')) >>
		    shift) << k;
	}
	i += k;
#else
	word = 0;
#endif
	for (; i < len; i++) {
		if (is_blank(p[i]))
			word |= (uint64_t)1 << (i % 64);
		if (i % 64 == 63) {
			b->w[i / 64] = word;
			word = 0;
		}
	}
	b->w[len / 64] = word;
	b->w[len / 64 + 1] = 0;
}

/* The first blank at or after off (off <= len), or len. */
static inline size_t
next_blank(const struct line_blanks *b, size_t off, size_t len)
{
	size_t w = off / 64;
	uint64_t m = b->w[w] >> (off % 64);

	if (m != 0)
		return off + (size_t)__builtin_ctzll(m);
	while (++w <= len / 64)
		if (b->w[w] != 0)
			return w * 64 + (size_t)__builtin_ctzll(b->w[w]);
	return len;
}

/* The first byte at or after off (off <= len) that is not a blank, or len. */
static inline size_t
next_nonblank(const struct line_blanks *b, size_t off, size_t len)
{
	size_t w = off / 64, at;
	uint64_t m = ~b->w[w] >> (off % 64);

	if (m != 0) {
		at = off + (size_t)__builtin_ctzll(m);
		return at < len ? at : len;
	}
	while (++w <= len / 64)
		if (~b->w[w] != 0) {
			at = w * 64 + (size_t)__builtin_ctzll(~b->w[w]);
			return at < len ? at : len;
		}
	return len;
}

/* Past a run of blanks at c (none: no move), by the line's blank map. */
static inline __attribute__((always_inline)) void
skip_blank_run(struct cursor *c, const struct line_blanks *b)
{
	if (is_blank(cur_peek(c, 0)))
		cur_seek(c, next_nonblank(b, c->off, c->len));
}

/* Literal text: a blank matches a run of blanks, anything else itself. */
static enum log_reject
match_literal(const struct squid_format *f, const struct squid_elem *e,
    struct cursor *c)
{
	const uint8_t *t = f->text + e->off;
	size_t i;

	for (i = 0; i < e->len; i++) {
		if (cur_left(c) == 0)
			return LOGREJ_TOO_FEW_FIELDS;
		if (is_blank(t[i])) {
			if (!is_blank(cur_peek(c, 0)))
				return LOGREJ_FORMAT_MISMATCH;
			skip_blanks(c);
			while (i + 1 < e->len && is_blank(t[i + 1]))
				i++;
		} else if (!cur_eat(c, t[i])) {
			return LOGREJ_FORMAT_MISMATCH;
		}
	}
	return LOGREJ_NONE;
}

/* A "%tl" value outside brackets: "dd/Mon/yyyy:HH:MM:SS" then " +zzzz". */
static size_t
zone_suffix(const struct cursor *c, size_t n)
{
	size_t k;

	if (cur_peek(c, n) != ' ' ||
	    (cur_peek(c, n + 1) != '+' && cur_peek(c, n + 1) != '-'))
		return n;
	for (k = 0; k < 4; k++)
		if ((uint8_t)(cur_peek(c, n + 2 + k) - '0') > 9)
			return n;
	if (cur_left(c) > n + 6 && !is_blank(cur_peek(c, n + 6)))
		return n;
	return n + 6;
}

/*
 * Length of the word of the left bytes at p: up to the first blank (space
 * or tab), or to the first stop byte before it (the last one when last is
 * set); stop ' ' means blanks only.
 */
static inline __attribute__((always_inline)) size_t
word_len(const uint8_t *p, size_t left, uint8_t stop, bool last)
{
	size_t i = 0, found = (size_t)-1;
	uint8_t ch;

	if (stop == ' ')
		last = false;
#ifdef LOG_SIMD
	while (left >= 16 && i < left) {
		unsigned shift, blanks, stops;
		__m128i v = log_chunk16(p, left, i, &shift);

		blanks = (log_eq16(v, ' ') | log_eq16(v, '\t')) >> shift;
		stops = stop != ' ' ? log_eq16(v, stop) >> shift : 0;
		if (!last) {
			if ((blanks | stops) != 0)
				return i + (size_t)__builtin_ctz(blanks | stops);
		} else {
			if (blanks != 0)
				stops &= (1u << __builtin_ctz(blanks)) - 1;
			if (stops != 0)
				found = i + 31 - (size_t)__builtin_clz(stops);
			if (blanks != 0)
				return found != (size_t)-1 ? found :
				    i + (size_t)__builtin_ctz(blanks);
		}
		i += 16 - shift;
	}
#endif
	for (; i < left; i++) {
		ch = p[i];
		if (is_blank(ch))
			break;
		if (ch == stop && stop != ' ') {
			if (!last)
				return i;
			found = i;
		}
	}
	return found != (size_t)-1 ? found : i;
}

/* The value of one code, advancing past it. */
static enum log_reject
take_value(const struct squid_elem *e, struct cursor *c, struct cursor *val)
{
	size_t n = 0, last = (size_t)-1, left;
	bool blank_ends = e->delim == DELIM_WORD || e->stop == ' ';
	uint8_t ch;

	if (e->delim == DELIM_WORD)
		skip_blanks(c); /* width padding */
	if ((left = cur_left(c)) == 0)
		return LOGREJ_TOO_FEW_FIELDS;
	if (e->delim == DELIM_WORD) {
		n = word_len(cur_rest(c), left, e->stop, e->stop_last);
	} else {
		while (n < left) {
			ch = cur_peek(c, n);
			if (blank_ends && is_blank(ch))
				break;
			if (ch == e->stop && e->stop != ' ') {
				if (!e->stop_last)
					break;
				last = n;
			}
			if (ch == '\\' && e->delim == DELIM_QUOTED && left - n > 1)
				n++;
			n++;
		}
		if (last != (size_t)-1)
			n = last;
	}
	if (e->field == SF_TLOCAL && e->delim == DELIM_WORD)
		n = zone_suffix(c, n);
	if (n == 0 && e->delim == DELIM_WORD)
		return LOGREJ_FORMAT_MISMATCH;
	*val = cur_sub(c, n);
	return LOGREJ_NONE;
}

/* The value of fld is "-" (nothing). */
static bool
is_dash(const struct squid_values *sv, enum squid_field fld)
{
	return cur_eq(&sv->v[fld], "-", 1);
}

/* Canonical dotted quads (1-3 digits, no leading zero, 0..255) without
 * inet_pton (the hot path); anything else goes through netaddr_parse_n. */
static int
parse_address(struct cursor v, struct netaddr *out)
{
	unsigned part, d, k;
	size_t i = 0;
	uint8_t q[4];

	v = cur_view(&v); /* indexed from 0 below */
	/* A byte past the end peeks as 0: not a digit, not '.'. */
	for (k = 0; k < 4; k++) {
		if ((part = (unsigned)(cur_peek(&v, i) - '0')) > 9)
			goto slow;
		i++;
		if ((d = (unsigned)(cur_peek(&v, i) - '0')) <= 9) {
			if (part == 0)
				goto slow;
			part = part * 10 + d;
			i++;
			if ((d = (unsigned)(cur_peek(&v, i) - '0')) <= 9) {
				part = part * 10 + d;
				i++;
				if (part > 255)
					goto slow;
			}
		}
		q[k] = (uint8_t)part;
		if (k < 3 && cur_peek(&v, i++) != '.')
			goto slow;
	}
	if (i != cur_left(&v))
		goto slow;
	netaddr_from_v4(out, q);
	return 0;
slow:
	return cur_left(&v) == 0 ? -1 :
	    netaddr_parse_n((const char *)cur_rest(&v), cur_left(&v), out);
}

static int
parse_ms_ns(struct cursor v, uint64_t *ns)
{
	uint64_t ms;

	if (log_field_u64(v, &ms) != 0 || ms > UINT64_MAX / 1000000)
		return -1;
	*ns = ms * 1000000;
	return 0;
}

/* "13/Mar/2026:15:48:42 +0000" (%tl) or without the zone (%tg). */
static int
parse_clf_time(struct cursor v, uint64_t *ns)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const uint8_t *mon;
	unsigned day, year, hh, mm, ss, zh, zm, m;
	int64_t days, secs;
	uint8_t sign;

	if (log_field_digits(&v, 2, &day) != 0 || cur_u8(&v) != '/' ||
	    (mon = cur_ptr(&v, 3)) == NULL || cur_u8(&v) != '/' ||
	    log_field_digits(&v, 4, &year) != 0 || cur_u8(&v) != ':' ||
	    log_field_digits(&v, 2, &hh) != 0 || cur_u8(&v) != ':' ||
	    log_field_digits(&v, 2, &mm) != 0 || cur_u8(&v) != ':' ||
	    log_field_digits(&v, 2, &ss) != 0)
		return -1;
	for (m = 0; m < 12; m++)
		if (memcmp(months + 3 * m, mon, 3) == 0)
			break;
	if (m == 12 || day < 1 || day > 31 || year < 1970 || hh > 23 ||
	    mm > 59 || ss > 60)
		return -1;
	days = log_days_from_civil(year, m + 1, day);
	secs = days * 86400 + hh * 3600 + mm * 60 + ss;
	if (cur_left(&v) > 0) {
		if (cur_u8(&v) != ' ')
			return -1;
		sign = cur_u8(&v);
		if ((sign != '+' && sign != '-') ||
		    log_field_digits(&v, 2, &zh) != 0 ||
		    log_field_digits(&v, 2, &zm) != 0 || cur_left(&v) != 0 ||
		    zh > 23 || zm > 59)
			return -1;
		secs += (sign == '+' ? -1 : 1) * (int64_t)(zh * 3600 + zm * 60);
	}
	if (secs < 0)
		return -1;
	*ns = (uint64_t)secs * NS_PER_SEC;
	return 0;
}

static enum log_reject
fill_time(const struct squid_values *sv, struct log_record *r)
{
	uint64_t ms, start;

	if (sv->set[SF_TR] && !is_dash(sv, SF_TR) &&
	    parse_ms_ns(value(sv, SF_TR), &r->duration_ns) != 0)
		return LOGREJ_BAD_NUMBER;
	if (sv->set[SF_TS]) {
		/* Whole seconds, as Squid writes %ts, else a fraction. */
		if (log_field_u64(value(sv, SF_TS), &r->ts_ns) == 0 &&
		    r->ts_ns <= UINT64_MAX / NS_PER_SEC)
			r->ts_ns *= NS_PER_SEC;
		else if (log_field_seconds_ns(value(sv, SF_TS), &r->ts_ns) != 0)
			return LOGREJ_BAD_TIMESTAMP;
		if (sv->set[SF_TU]) {
			if (log_field_u64(value(sv, SF_TU), &ms) != 0 || ms > 999 ||
			    UINT64_MAX - r->ts_ns < ms * 1000000)
				return LOGREJ_BAD_TIMESTAMP;
			r->ts_ns += ms * 1000000;
		}
	} else if (sv->set[SF_TSTART]) {
		if (log_field_seconds_ns(value(sv, SF_TSTART), &start) != 0 ||
		    UINT64_MAX - start < r->duration_ns)
			return LOGREJ_BAD_TIMESTAMP;
		r->ts_ns = start + r->duration_ns;
	} else if (sv->set[SF_TLOCAL]) {
		if (parse_clf_time(value(sv, SF_TLOCAL), &r->ts_ns) != 0)
			return LOGREJ_BAD_TIMESTAMP;
	}
	return LOGREJ_NONE;
}

static void
fill_text(const struct squid_values *sv, enum squid_field fld, char *dst,
    size_t dstlen)
{
	if (sv->set[fld] && !is_dash(sv, fld) && dst[0] == '\0')
		log_copy_text(dst, dstlen, value(sv, fld), false);
}

static uint16_t
scheme_port(struct cursor scheme)
{
	static const struct {
		const char *name;
		uint16_t port;
	} ports[] = {
		{ "http", 80 }, { "https", 443 }, { "ftp", 21 }, { "ws", 80 },
		{ "wss", 443 }, { "gopher", 70 }, { "whois", 43 },
	};
	size_t i, k, n = cur_left(&scheme);

	/* The names are lowercase letters: c | 0x20 equals one only when c
	 * is that letter in either case. */
	for (i = 0; i < ARRAY_LEN(ports); i++) {
		if (strlen(ports[i].name) != n)
			continue;
		for (k = 0; k < n &&
		    (cur_peek(&scheme, k) | 0x20) == ports[i].name[k]; k++)
			;
		if (k == n)
			return ports[i].port;
	}
	return 0;
}

/* The authority of the left bytes after "scheme://": up to the first '/',
 * '?' or '#'; *at is the last '@' before that ((size_t)-1 when none). */
static size_t
authority_len(const uint8_t *p, size_t left, size_t *at)
{
	size_t i = 0;
	uint8_t ch;

	*at = (size_t)-1;
#ifdef LOG_SIMD
	while (left >= 16 && i < left) {
		unsigned shift, ends, ats;
		__m128i v = log_chunk16(p, left, i, &shift);

		ends = (log_eq16(v, '/') | log_eq16(v, '?') | log_eq16(v, '#')) >>
		    shift;
		ats = log_eq16(v, '@') >> shift;
		if (ends != 0)
			ats &= (1u << __builtin_ctz(ends)) - 1;
		if (ats != 0)
			*at = i + 31 - (size_t)__builtin_clz(ats);
		if (ends != 0)
			return i + (size_t)__builtin_ctz(ends);
		i += 16 - shift;
	}
#endif
	for (; i < left; i++) {
		ch = p[i];
		if (ch == '/' || ch == '?' || ch == '#')
			break;
		if (ch == '@')
			*at = i;
	}
	return i;
}

/*
 * %ru: "host:port" (CONNECT), "scheme://[user@]host[:port][/?#...]", or
 * "/path" (no host: 1 is returned and the caller looks elsewhere).
 */
static int
parse_url(struct log_record *r, struct cursor u, struct netaddr *literal)
{
	struct cursor rest = u, scheme, auth;
	size_t n = 0, at;
	uint16_t defport;

	literal->family = 0;
	if (cur_left(&u) == 0 || cur_peek(&u, 0) == '/')
		return 1;
	while (n < cur_left(&u) && is_scheme_char(cur_peek(&u, n)))
		n++;
	scheme = cur_sub(&rest, n);
	if (n == 0 || !cur_starts_with(&rest, "://", 3))
		return log_record_set_authority(r, u, literal); /* CONNECT */
	u = rest;
	cur_skip(&u, 3);
	n = authority_len(cur_rest(&u), cur_left(&u), &at);
	if (at != (size_t)-1) {
		cur_skip(&u, at + 1);
		n -= at + 1;
	}
	auth = cur_sub(&u, n);
	defport = scheme_port(scheme);
	if (log_record_set_authority(r, auth, literal) != 0)
		return -1;
	if (r->port == 0)
		r->port = defport;
	return 0;
}

/* Host and port; -1 when the format names a destination and none came. */
static enum log_reject
fill_destination(const struct squid_format *f, const struct squid_values *sv,
    struct log_record *r, struct netaddr *literal)
{
	struct netaddr lit2 = { .family = 0 };
	uint64_t port;
	int rc = 1;

	literal->family = 0;
	if (sv->set[SF_URL] && !is_dash(sv, SF_URL)) {
		rc = parse_url(r, value(sv, SF_URL), literal);
		if (rc < 0)
			return LOGREJ_BAD_URL;
	}
	if (rc == 1 && sv->set[SF_URL_DOMAIN] && !is_dash(sv, SF_URL_DOMAIN))
		rc = log_record_set_authority(r, value(sv, SF_URL_DOMAIN),
		    literal) == 0 ? 0 : 1;
	if (rc == 1 && sv->set[SF_HOST_HEADER] &&
	    !is_dash(sv, SF_HOST_HEADER) && cur_left(&sv->v[SF_HOST_HEADER]) > 0)
		rc = log_record_set_authority(r, value(sv, SF_HOST_HEADER),
		    &lit2) == 0 ? 0 : 1;
	if (rc == 0 && lit2.family != 0 && literal->family == 0 &&
	    r->host[0] == '\0')
		*literal = lit2;
	if (r->port == 0 && sv->set[SF_URL_PORT] && !is_dash(sv, SF_URL_PORT)) {
		if (log_field_u64(value(sv, SF_URL_PORT), &port) != 0 || port > 65535)
			return LOGREJ_BAD_NUMBER;
		r->port = (uint16_t)port;
	}
	if (rc == 1 && (f->has[SF_URL] || f->has[SF_URL_DOMAIN]))
		return LOGREJ_BAD_URL;
	return LOGREJ_NONE;
}

static enum log_reject
fill_addresses(const struct squid_format *f, const struct squid_values *sv,
    struct log_record *r, const struct netaddr *literal)
{
	struct netaddr a;
	uint64_t port;

	if (sv->set[SF_CLIENT] && parse_address(value(sv, SF_CLIENT), &r->client) != 0)
		return LOGREJ_BAD_ADDRESS;
	if (r->client.family == 0 && sv->set[SF_CLIENT_FQDN] &&
	    parse_address(value(sv, SF_CLIENT_FQDN), &a) == 0)
		r->client = a;
	if (r->client.family == 0 && (f->has[SF_CLIENT] || f->has[SF_CLIENT_FQDN]))
		return LOGREJ_BAD_ADDRESS;
	/* %<a is "-" when no server was contacted, a peer name in old Squids. */
	if (sv->set[SF_SERVER] && !is_dash(sv, SF_SERVER) &&
	    parse_address(value(sv, SF_SERVER), &a) == 0)
		r->server = a;
	if (r->server.family == 0 && sv->set[SF_SERVER_NAME] &&
	    !is_dash(sv, SF_SERVER_NAME) &&
	    parse_address(value(sv, SF_SERVER_NAME), &a) == 0)
		r->server = a;
	if (r->server.family == 0 && literal->family != 0)
		r->server = *literal;
	if (r->port == 0 && sv->set[SF_SERVER_PORT] &&
	    !is_dash(sv, SF_SERVER_PORT)) {
		if (log_field_u64(value(sv, SF_SERVER_PORT), &port) != 0 ||
		    port > 65535)
			return LOGREJ_BAD_NUMBER;
		r->port = (uint16_t)port;
	}
	return LOGREJ_NONE;
}

static enum log_reject
fill_counts(const struct squid_values *sv, struct log_record *r)
{
	enum squid_field st;
	uint64_t status;

	if (sv->set[SF_BYTES_DOWN] && !is_dash(sv, SF_BYTES_DOWN) &&
	    log_field_u64(value(sv, SF_BYTES_DOWN), &r->bytes_down) != 0)
		return LOGREJ_BAD_NUMBER;
	if (sv->set[SF_BYTES_UP] && !is_dash(sv, SF_BYTES_UP)) {
		if (log_field_u64(value(sv, SF_BYTES_UP), &r->bytes_up) != 0)
			return LOGREJ_BAD_NUMBER;
		r->has_bytes_up = true;
	}
	st = sv->set[SF_STATUS_SENT] ? SF_STATUS_SENT :
	    sv->set[SF_STATUS_RECV] ? SF_STATUS_RECV : SF_SKIP;
	if (st != SF_SKIP && !is_dash(sv, st)) {
		if (log_field_u64(value(sv, st), &status) != 0 || status > 999)
			return LOGREJ_BAD_STATUS;
		r->status = (uint16_t)status;
	}
	return LOGREJ_NONE;
}

/* The separator before a step's element: one byte, or a run of blanks. */
static inline __attribute__((always_inline)) enum log_reject
match_sep(const struct squid_step *s, struct cursor *c,
    const struct line_blanks *blanks)
{
	if (s->sep == OP_NONE)
		return LOGREJ_NONE;
	if (cur_left(c) == 0)
		return LOGREJ_TOO_FEW_FIELDS;
	if (s->sep == OP_BYTE)
		return cur_eat(c, s->sep_byte) ? LOGREJ_NONE :
		    LOGREJ_FORMAT_MISMATCH;
	if (!cur_eat(c, ' ') && !cur_eat(c, '\t'))
		return LOGREJ_FORMAT_MISMATCH;
	skip_blank_run(c, blanks);
	return LOGREJ_NONE;
}

/* A value's bytes, taken from the line. */
static inline __attribute__((always_inline)) void
set_value(struct squid_values *sv, enum squid_field fld,
    const struct cursor *v)
{
	sv->v[fld] = *v;
}

/*
 * The steps from s to last on the line's cursor c (its end: the first len
 * bytes): the common elements here by the blank map, the rest through
 * match_literal/take_value. The map may cover more bytes than len when
 * byte len is a blank: the first blank at or after an offset is then still
 * at most len.
 */
static inline __attribute__((always_inline)) enum log_reject
match_steps(const struct squid_format *f, const struct squid_step *s,
    const struct squid_step *last, struct cursor *c,
    const struct line_blanks *blanks, struct squid_values *sv)
{
	const struct squid_elem *e;
	enum log_reject why;
	struct cursor rest, val;
	size_t n;

	for (; s < last; s++) {
		if ((why = match_sep(s, c, blanks)) != LOGREJ_NONE)
			return why;
		if (s->op == OP_WORD || s->op == OP_WORD_STOP) {
			skip_blank_run(c, blanks); /* width padding */
			if (cur_left(c) == 0)
				return LOGREJ_TOO_FEW_FIELDS;
			n = s->op == OP_WORD ?
			    next_blank(blanks, c->off, c->len) - c->off :
			    word_len(cur_rest(c), cur_left(c), s->stop,
			    s->stop_last);
			if (n == 0)
				return LOGREJ_FORMAT_MISMATCH;
			sv->v[s->field] = cur_sub(c, n);
			continue;
		}
		if (s->op == OP_NONE)
			continue;
		/* a copy, so that c itself stays in registers */
		e = &f->elem[s->elem];
		rest = *c;
		why = e->literal ? match_literal(f, e, &rest) :
		    take_value(e, &rest, &val);
		if (why != LOGREJ_NONE)
			return why;
		if (!e->literal)
			set_value(sv, e->field, &val);
		*c = rest;
	}
	return LOGREJ_NONE;
}

/*
 * The line against the format's elements in order, its blanks marked in
 * *blanks. *whole: nothing but blanks is left after the format (only set
 * for a format that can be split).
 */
static enum log_reject
match_line(const struct squid_format *f, const uint8_t *p, size_t len,
    struct line_blanks *blanks, struct squid_values *sv, bool *whole)
{
	enum log_reject why;
	struct cursor c;

	line_blanks_init(blanks, p, len);
	cur_init(&c, p, len);
	skip_blank_run(&c, blanks); /* "%9ld" pads the time stamp */
	why = match_steps(f, f->step, f->step + f->nstep, &c, blanks, sv);
	if (f->split && why == LOGREJ_NONE) {
		skip_blank_run(&c, blanks);
		*whole = cur_left(&c) == 0;
	}
	return why;
}

/* Where log_mime_hdrs' " [headers] [headers]" start after off: the first
 * blank before a '[' (a '[' encoded value has none), else len. */
static size_t
mime_headers_start(struct cursor c)
{
	size_t n;

	while ((n = cur_find(&c, '[')) < cur_left(&c)) {
		if (n > 0 && is_blank(cur_peek(&c, n - 1)))
			return c.off + n - 1;
		cur_skip(&c, n + 1);
	}
	return c.len;
}

/* Where the run of blanks that ends at end (byte end-1 the last) starts,
 * or of non-blanks (blank false); not before the start of c. */
static size_t
run_start_before(const struct cursor *c, size_t end, bool blank)
{
	size_t k = end - c->off;

	while (k > 0 && is_blank(cur_peek(c, k - 1)) == blank)
		k--;
	return c->off + k;
}

/*
 * The line again, for a format that can be split (set_split) when it has
 * more fields than the format: the steps before the user's from the left,
 * the user from there to the runs of blanks that the elements after it
 * have, counted from the line's end (before log_mime_hdrs' blocks for a
 * '[' encoded user), and those elements from there; they must end the line.
 * blanks: match_line's map of the same line.
 */
static enum log_reject
match_line_split(const struct squid_format *f, const uint8_t *p, size_t len,
    const struct line_blanks *blanks, struct squid_values *sv)
{
	const struct squid_step *user = f->step + f->split_step;
	enum log_reject why;
	struct cursor c, after, val;
	size_t end, cut, k;

	cur_init(&c, p, len);
	skip_blank_run(&c, blanks);
	if ((why = match_steps(f, f->step, user, &c, blanks, sv)) !=
	    LOGREJ_NONE ||
	    (why = match_sep(user, &c, blanks)) != LOGREJ_NONE)
		return why;
	skip_blank_run(&c, blanks); /* width padding */
	if (cur_left(&c) == 0)
		return LOGREJ_TOO_FEW_FIELDS;
	/* c is at the user's first byte, not a blank */
	after = c;
	cur_skip(&after, 1);
	end = f->split_blob ? mime_headers_start(after) : len;
	end = run_start_before(&c, end, true);
	/* The runs of blanks after the user, from the end: the first one's
	 * start is the user's end. Byte end, when there, is a blank. */
	cut = end;
	for (k = 0; k < f->split_runs; k++) {
		cut = run_start_before(&c, run_start_before(&c, cut, false),
		    true);
		if (cut == c.off)
			return LOGREJ_FORMAT_MISMATCH;
	}
	val = cur_sub(&c, cut - c.off);
	set_value(sv, user->field, &val);
	cur_narrow(&c, end - c.off);
	if ((why = match_steps(f, user + 1, f->step + f->nstep, &c, blanks,
	    sv)) != LOGREJ_NONE)
		return why;
	return cur_left(&c) == 0 ? LOGREJ_NONE : LOGREJ_FORMAT_MISMATCH;
}

/* The record from the values of a matched line. */
static enum log_parse_result
fill_record(const struct squid_format *f, const struct squid_values *sv,
    struct log_record *out, enum log_reject *why)
{
	static const struct netaddr no_address;
	struct netaddr literal;

	/* Every field, but not the whole record: text fields only up to
	 * their NUL (log_record.h). */
	out->kind = LOGREC_SQUID;
	out->ts_ns = 0;
	out->duration_ns = 0;
	out->client = no_address;
	out->user[0] = '\0';
	out->method[0] = '\0';
	out->host[0] = '\0';
	out->port = 0;
	out->server = no_address;
	out->has_bytes_up = false;
	out->bytes_up = 0;
	out->bytes_down = 0;
	out->status = 0;
	out->mime[0] = '\0';
	out->zeek_uid[0] = '\0';
	if ((*why = fill_time(sv, out)) != LOGREJ_NONE)
		return LOGPARSE_REJECT;
	fill_text(sv, SF_METHOD, out->method, sizeof(out->method));
	if ((*why = fill_destination(f, sv, out, &literal)) != LOGREJ_NONE ||
	    (*why = fill_addresses(f, sv, out, &literal)) != LOGREJ_NONE ||
	    (*why = fill_counts(sv, out)) != LOGREJ_NONE)
		return LOGPARSE_REJECT;
	fill_text(sv, SF_USER_UN, out->user, sizeof(out->user));
	fill_text(sv, SF_USER_UL, out->user, sizeof(out->user));
	fill_text(sv, SF_USER_UE, out->user, sizeof(out->user));
	fill_text(sv, SF_USER_UI, out->user, sizeof(out->user));
	fill_text(sv, SF_MIME, out->mime, sizeof(out->mime));
	return LOGPARSE_RECORD;
}

/*
 * A line with more fields than a format that can be split: split at the
 * user when that gives a record, else as matched field by field (first:
 * that match's reject, or LOGREJ_NONE with its values in sv).
 */
static __attribute__((noinline)) enum log_parse_result
parse_split(const struct squid_format *f, const uint8_t *line, size_t len,
    const struct line_blanks *blanks, const struct squid_values *sv,
    enum log_reject first, struct log_record *out, enum log_reject *why)
{
	struct squid_values split = { .set = f->has };

	if (match_line_split(f, line, len, blanks, &split) == LOGREJ_NONE &&
	    fill_record(f, &split, out, why) == LOGPARSE_RECORD)
		return LOGPARSE_RECORD;
	if ((*why = first) != LOGREJ_NONE)
		return LOGPARSE_REJECT;
	return fill_record(f, sv, out, why);
}

enum log_parse_result
squid_parse_line(const struct squid_format *f, const uint8_t *line,
    size_t len, struct log_record *out, enum log_reject *why)
{
	struct line_blanks blanks;
	struct squid_values sv;
	struct cursor c;
	bool whole = true;

	*why = LOGREJ_NONE;
	if (len > LOG_LINE_MAX) {
		*why = LOGREJ_LINE_TOO_LONG;
		return LOGPARSE_REJECT;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	cur_init(&c, line, len);
	skip_blanks(&c);
	if (cur_left(&c) == 0)
		return LOGPARSE_HEADER;
	sv.set = f->has;
	*why = match_line(f, line, len, &blanks, &sv, &whole);
	if (f->split && (*why != LOGREJ_NONE || !whole))
		return parse_split(f, line, len, &blanks, &sv, *why, out, why);
	if (*why != LOGREJ_NONE)
		return LOGPARSE_REJECT;
	return fill_record(f, &sv, out, why);
}
