/*
 * logevent.h - a proxy or sensor log record as a traffic event (the value
 * packets become too): one line is one whole request or connection, opened
 * by its client, with the bytes each way the log gives.
 */
#ifndef EXFILD_LOGS_LOGEVENT_H
#define EXFILD_LOGS_LOGEVENT_H

#include "exfild/logs/log_record.h"
#include "exfild/track/event.h"

/* The event source of a log record's kind. */
static inline enum event_source
log_record_event_source(enum log_record_kind k)
{
	switch (k) {
	case LOGREC_SQUID:
		return EVENT_SQUID_LOG;
	case LOGREC_ZEEK_CONN:
		return EVENT_ZEEK_CONN;
	default:
		return EVENT_ZEEK_HTTP;
	}
}

/* The source name of a log record's kind ("squid-log"), as alerts say it. */
static inline const char *
log_record_source(enum log_record_kind k)
{
	return event_source_name(log_record_event_source(k));
}

/* ev points into r (names): valid while r is. */
void log_record_event(const struct log_record *r, struct traffic_event *ev);

#endif
