/*
 * privdrop.h - give up root for the service user once the capture is
 * open, and prove it took (OpenBSD/OpenSSH style: set, then verify).
 */
#ifndef EXFILD_PRIVDROP_H
#define EXFILD_PRIVDROP_H

#include <stdbool.h>
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
/* The same, but with net_admin CAP_NET_ADMIN is kept (permitted,
 * effective, inheritable and ambient) and every other capability
 * dropped: containment's nf_tables netlink needs it (contain:). */
int privdrop_to_user_caps(const char *user, bool net_admin, char *err,
    size_t errlen);

#endif
