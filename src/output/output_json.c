/*
 * output_json.c - alerts one a line on stdout or appended to a file,
 * reopened on request for logrotate: JSON by default, or ECS JSON, CEF or
 * LEEF bodies (syslog_format.h) for collectors that tail files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/log.h"
#include "exfild/output/output.h"
#include "exfild/alert/syslog_format.h"
#include "exfild/util/util.h"

#define JSON_LINE_MAX 16384

struct json_out {
	FILE *fp;
	char *path; /* NULL for stdout */
	enum output_format format;
	bool text;  /* alert_format_text instead (format unused) */
	char line[JSON_LINE_MAX];
};

static int
json_emit(struct output *o, const struct alert *a)
{
	struct json_out *j = o->state;
	struct strbuf sb;

	sb_init(&sb, j->line, sizeof(j->line));
	if (j->text ? !alert_format_text(a, &sb) :
	    j->format == OUTPUT_FORMAT_JSON ? !alert_format_json(a, &sb) :
	    syslog_format_body(a, j->format, sizeof(j->line) - 1, &sb) != 0) {
		log_warnx("%s output: alert %s does not fit in %d bytes",
		    output_format_name(j->format), a->id, JSON_LINE_MAX);
		return -1;
	}
	sb_putc(&sb, '\n');
	if (fwrite(sb.p, 1, sb.len, j->fp) != sb.len) {
		log_warn("json output %s: write", j->path ? j->path : "stdout");
		return -1;
	}
	return 0;
}

static int
json_flush(struct output *o)
{
	struct json_out *j = o->state;

	if (fflush(j->fp) != 0) {
		log_warn("json output %s: flush", j->path ? j->path : "stdout");
		return -1;
	}
	return 0;
}

/*
 * Appends to path, created 0640 if missing; a symlink is refused (a replay
 * run as root must not follow a link the daemon's user put in its log
 * directory). NULL with errno set.
 */
static FILE *
open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0640);
	FILE *fp;

	if (fd < 0)
		return NULL;
	if ((fp = fdopen(fd, "a")) == NULL)
		close(fd);
	return fp;
}

static int
json_reopen(struct output *o)
{
	struct json_out *j = o->state;
	FILE *fp;

	if (j->path == NULL)
		return json_flush(o);
	fp = open_append(j->path);
	if (fp == NULL) {
		log_warn("json output: reopen %s (keeping the old file)", j->path);
		return -1;
	}
	fclose(j->fp);
	j->fp = fp;
	return 0;
}

static void
json_close(struct output *o)
{
	struct json_out *j = o->state;

	if (j->path != NULL)
		fclose(j->fp);
	else
		fflush(j->fp);
	free(j->path);
	free(j);
	free(o);
}

static const struct output_ops json_ops = {
	"json", json_emit, json_flush, json_reopen, json_close,
};

static struct output *
json_new(FILE *fp, const char *path, enum output_format format)
{
	struct output *o = xcalloc(1, sizeof(*o));
	struct json_out *j = xcalloc(1, sizeof(*j));

	j->fp = fp;
	j->format = format;
	j->path = path != NULL ? xstrdup(path) : NULL;
	o->ops = &json_ops;
	o->state = j;
	return o;
}

struct output *
output_stdout_new(enum output_format format)
{
	return json_new(stdout, NULL, format);
}

struct output *
output_file_new(const char *path, enum output_format format, char *err,
    size_t errlen)
{
	FILE *fp = open_append(path);

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link (refused)" : strerror(errno));
		return NULL;
	}
	return json_new(fp, path, format);
}

struct output *
output_text_stdout(void)
{
	struct output *o = json_new(stdout, NULL, OUTPUT_FORMAT_JSON);

	((struct json_out *)o->state)->text = true;
	return o;
}

struct output *
output_json_stdout(void)
{
	return output_stdout_new(OUTPUT_FORMAT_JSON);
}

struct output *
output_json_file(const char *path, char *err, size_t errlen)
{
	return output_file_new(path, OUTPUT_FORMAT_JSON, err, errlen);
}

int
output_emit(struct output *o, const struct alert *a)
{
	int rc = o->ops->emit(o, a);

	if (rc == 0)
		o->stats.emitted++;
	else
		o->stats.failed++;
	return rc;
}

int
output_flush(struct output *o)
{
	return o->ops->flush(o);
}

int
output_reopen(struct output *o)
{
	return o->ops->reopen(o);
}

void
output_close(struct output *o)
{
	if (o != NULL)
		o->ops->close(o);
}
