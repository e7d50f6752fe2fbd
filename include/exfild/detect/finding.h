/*
 * finding.h - what a rule found, as data: one plain sentence for an analyst
 * (reason) and evidence as key/value pairs. Every output format writes a
 * finding its own way without knowing which rule made it. Values are held
 * inside the struct (no pointers into rule state), so an alert can be
 * copied, shortened and formatted after the rule has moved on.
 */
#ifndef EXFILD_DETECT_FINDING_H
#define EXFILD_DETECT_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FINDING_REASON_MAX 256 /* bytes of reason, NUL included */
#define FINDING_FIELDS_MAX 16
#define FINDING_TEXT_MAX   512 /* all string values together, NULs included */

enum finding_type { FINDING_U64, FINDING_DOUBLE, FINDING_STR };

struct finding_field {
	const char *key;     /* a constant of the rule: [a-z0-9_], at most 32 bytes */
	enum finding_type type;
	uint64_t u64;
	double dbl;
	uint16_t str_off;    /* FINDING_STR: offset of its NUL-terminated value in text */
};

struct finding {
	char reason[FINDING_REASON_MAX]; /* "" when the rule gives none */
	int severity;        /* -1: the rule's (the engine's setting); else the
			      * enum severity of this finding (finding_severity) */
	size_t n;
	struct finding_field f[FINDING_FIELDS_MAX];
	size_t text_len;
	char text[FINDING_TEXT_MAX];
	/* Why it fired: the setting that was crossed ("rules.bulk_upload.bytes";
	 * NULL: none, as for an indicator, which has no figure), its value
	 * (limit) and the figure that reached it (value); their keys unused. */
	const char *threshold;
	struct finding_field limit, value;
};

void finding_init(struct finding *f);
/* The sentence, printf-style; cut to FINDING_REASON_MAX - 1 bytes. */
void finding_reason(struct finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* This finding's own severity (an indicator list's), not the rule's. */
void finding_severity(struct finding *f, int severity);
/* Each adds one field; false (and nothing added) when the finding is full.
 * A string is copied, cut short to fit the text that is left. */
bool finding_u64(struct finding *f, const char *key, uint64_t v);
bool finding_double(struct finding *f, const char *key, double v);
bool finding_str(struct finding *f, const char *key, const char *s);
/* The setting the finding crossed: key (a constant of the rule, the
 * config key), its value and the figure that reached it. */
void finding_threshold(struct finding *f, const char *key, uint64_t limit,
    uint64_t value);
void finding_threshold_double(struct finding *f, const char *key,
    double limit, double value);
/* dst = src, copying only what src holds (dst's other bytes untouched:
 * start from a zeroed dst for a byte-exact copy). */
void finding_copy(struct finding *dst, const struct finding *src);
/* A field's value as text: a number in decimal (a double with up to six
 * significant digits, "" when not finite), or the string. *is_number
 * tells whether it may be written unquoted. */
const char *finding_value(const struct finding *f, const struct finding_field *ff,
    char *buf, size_t len, bool *is_number);
/* The longest of the reason and the string values, in bytes. */
size_t finding_longest(const struct finding *f);
/* The value of a FINDING_STR field. */
const char *finding_text(const struct finding *f, const struct finding_field *ff);

#endif
