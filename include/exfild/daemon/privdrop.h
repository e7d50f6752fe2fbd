/*
 * privdrop.h - give up root for the service user once the capture is
 * open, and prove it took (OpenBSD/OpenSSH style: set, then verify).
 */
#ifndef EXFILD_PRIVDROP_H
#define EXFILD_PRIVDROP_H

#include <stddef.h>

/*
 * Not root (geteuid() != 0): 0, nothing done (systemd started us as the
 * user, with ambient capabilities). Root: switch the real, effective and
 * saved uid and gid to user's and the supplementary groups to its group
 * alone, then verify the ids, the groups, that no capability is left and
 * that root cannot be regained. A user with uid 0 or gid 0 is refused.
 * 0, or -1 with err set ("privdrop: ...") and the caller must exit: the
 * process may be half-dropped.
 */
int privdrop_to_user(const char *user, char *err, size_t errlen);

#endif
