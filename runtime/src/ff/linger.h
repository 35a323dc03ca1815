/*
 * linger.h - lingering close of server connections (RFC 9112 section 9.6).
 *
 * h2o closes a connection as soon as it has answered when it refused a body it never
 * read (413 from Content-Length, a chunked body cut at the limit, a broken request).
 * Closing a TCP socket with unread input makes the kernel send a reset, and a client
 * still uploading then loses the answer it had not read yet: it sees "connection reset"
 * instead of 413. So every accepted connection keeps a second descriptor; h2o's close
 * only drops its own, and the close callback half-closes (FIN after the response),
 * discards what the client still sends, and closes when the client does, after
 * FF_LINGER_MS, or after FF_LINGER_BYTES, whichever comes first.
 *
 * Loop thread only.
 */
#ifndef FF_LINGER_H
#define FF_LINGER_H

#include <h2o.h>

#define FF_LINGER_MS    2000                /* longest a closed connection is drained */
#define FF_LINGER_BYTES (16u * 1024 * 1024) /* most it discards */

typedef struct ff_linger {
    h2o_evloop_t *loop;
    h2o_timeout_t timeout;
    h2o_linklist_t draining; /* connections h2o has closed that are still being drained */
} ff_linger;

/* Sets up lg on loop, and raises the descriptor limit to its hard limit (each connection
 * holds two descriptors while open). */
void ff_linger_init(ff_linger *lg, h2o_evloop_t *loop);
/*
 * Arranges a lingering close for sock, a connection just accepted (before h2o_accept).
 * Without a spare descriptor the connection just gets a plain close.
 */
void ff_linger_watch(ff_linger *lg, h2o_socket_t *sock);
/* Closes every connection still draining (shutdown); lg is then unused. */
void ff_linger_dispose(ff_linger *lg);

#endif
