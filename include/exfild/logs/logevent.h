/*
 * logevent.h - a proxy or sensor log record as a traffic event (the value
 * packets become too): one line is one whole request or connection, opened
 * by its client, with the bytes each way the log gives.
 */
#ifndef EXFILD_LOGS_LOGEVENT_H
#define EXFILD_LOGS_LOGEVENT_H

#include "exfild/logs/log_record.h"
#include "exfild/track/event.h"

/* ev points into r (names): valid while r is. */
void log_record_event(const struct log_record *r, struct traffic_event *ev);

#endif
