/*
 * finding.c - building a finding: the reason sentence and typed evidence
 * fields, all held inside the struct and bounded.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exfild/detect/finding.h"

void
finding_init(struct finding *f)
{
	f->reason[0] = '\0';
	f->severity = -1;
	f->n = 0;
	f->text_len = 0;
	f->threshold = NULL;
}

static void
threshold_start(struct finding *f, const char *key, enum finding_type type)
{
	memset(&f->limit, 0, sizeof(f->limit));
	memset(&f->value, 0, sizeof(f->value));
	f->threshold = key;
	f->limit.type = f->value.type = type;
}

void
finding_threshold(struct finding *f, const char *key, uint64_t limit,
    uint64_t value)
{
	threshold_start(f, key, FINDING_U64);
	f->limit.u64 = limit;
	f->value.u64 = value;
}

void
finding_threshold_double(struct finding *f, const char *key, double limit,
    double value)
{
	threshold_start(f, key, FINDING_DOUBLE);
	f->limit.dbl = limit;
	f->value.dbl = value;
}

void
finding_reason(struct finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

void
finding_severity(struct finding *f, int severity)
{
	f->severity = severity;
}

static struct finding_field *
add_field(struct finding *f, const char *key, enum finding_type type)
{
	struct finding_field *ff;

	if (f->n == FINDING_FIELDS_MAX)
		return NULL;
	ff = &f->f[f->n++];
	memset(ff, 0, sizeof(*ff));
	ff->key = key;
	ff->type = type;
	return ff;
}

bool
finding_u64(struct finding *f, const char *key, uint64_t v)
{
	struct finding_field *ff = add_field(f, key, FINDING_U64);

	if (ff == NULL)
		return false;
	ff->u64 = v;
	return true;
}

bool
finding_double(struct finding *f, const char *key, double v)
{
	struct finding_field *ff = add_field(f, key, FINDING_DOUBLE);

	if (ff == NULL)
		return false;
	ff->dbl = v;
	return true;
}

bool
finding_str(struct finding *f, const char *key, const char *s)
{
	size_t room = sizeof(f->text) - f->text_len, n;
	struct finding_field *ff;

	if (room == 0 || (ff = add_field(f, key, FINDING_STR)) == NULL)
		return false;
	n = strnlen(s, room - 1);
	ff->str_off = (uint16_t)f->text_len;
	memcpy(f->text + f->text_len, s, n);
	f->text[f->text_len + n] = '\0';
	f->text_len += n + 1;
	return true;
}

void
finding_copy(struct finding *dst, const struct finding *src)
{
	size_t i;

	memcpy(dst->reason, src->reason, strnlen(src->reason, sizeof(src->reason)));
	dst->n = src->n;
	for (i = 0; i < src->n && i < FINDING_FIELDS_MAX; i++)
		dst->f[i] = src->f[i];
	dst->text_len = src->text_len;
	memcpy(dst->text, src->text, src->text_len);
	dst->threshold = src->threshold;
	if (src->threshold != NULL) { /* (limit and value are set with it) */
		dst->limit = src->limit;
		dst->value = src->value;
	}
}

const char *
finding_text(const struct finding *f, const struct finding_field *ff)
{
	return f->text + ff->str_off;
}

const char *
finding_value(const struct finding *f, const struct finding_field *ff,
    char *buf, size_t len, bool *is_number)
{
	*is_number = true;
	switch (ff->type) {
	case FINDING_U64:
		snprintf(buf, len, "%llu", (unsigned long long)ff->u64);
		return buf;
	case FINDING_DOUBLE:
		if (!isfinite(ff->dbl)) {
			*is_number = false;
			return "";
		}
		snprintf(buf, len, "%.6g", ff->dbl);
		return buf;
	default:
		*is_number = false;
		return finding_text(f, ff);
	}
}

size_t
finding_longest(const struct finding *f)
{
	size_t i, n, longest = strnlen(f->reason, sizeof(f->reason));

	for (i = 0; i < f->n; i++) {
		if (f->f[i].type != FINDING_STR)
			continue;
		n = strlen(finding_text(f, &f->f[i]));
		if (n > longest)
			longest = n;
	}
	return longest;
}
