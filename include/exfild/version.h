/*
 * version.h - exfild's version, in one place (the -V output, the stats
 * endpoint, the CEF and LEEF headers).
 */
#ifndef EXFILD_VERSION_H
#define EXFILD_VERSION_H

#define EXFILD_VERSION "0.1.0"

#endif
