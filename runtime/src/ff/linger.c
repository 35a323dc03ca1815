/*
 * linger.c - lingering close of server connections: see linger.h for why.
 *
 * A connection's second descriptor is taken at accept. When h2o closes the connection,
 * non-blocking reads tell whether the client is done: end of stream or an error means it
 * closed (or reset) first, and the descriptor is closed at once, which is every ordinary
 * close. Otherwise the client may still be sending: the server's side is shut down for
 * writing and the input is discarded as it comes until the client closes or the time or
 * byte budget runs out. Nothing the client sends is kept in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linger.h"

typedef struct linger_conn {
    ff_linger *lg;
    int fd;             /* the second descriptor */
    h2o_socket_t *sock; /* on fd, while draining */
    size_t drained;     /* bytes discarded */
    h2o_timeout_entry_t deadline;
    h2o_linklist_t link; /* in lg->draining */
} linger_conn;

static void drain_end(linger_conn *c)
{
    h2o_timeout_unlink(&c->deadline);
    h2o_linklist_unlink(&c->link);
    h2o_socket_close(c->sock); /* closes fd: past the budget, a reset is what is left */
    free(c);
}

static void on_deadline(h2o_timeout_entry_t *entry)
{
    drain_end(H2O_STRUCT_FROM_MEMBER(linger_conn, deadline, entry));
}

/*
 * Reads and discards what the client has sent, into a scratch buffer (nothing of it is
 * kept). Returns 1 when the connection is done: end of stream, an error (reset), or the
 * byte budget spent; 0 when the client may still send.
 */
static int discard_input(linger_conn *c)
{
    char sink[16384];
    for (int reads = 0; reads < 16; reads++) { /* then back to the loop: others wait too */
        ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        c->drained += (size_t)n;
        if (c->drained > FF_LINGER_BYTES)
            return 1;
    }
    return 0;
}

static void on_drain(h2o_socket_t *sock, const char *err)
{
    linger_conn *c = sock->data;
    if (err != NULL || discard_input(c))
        drain_end(c);
}

/* h2o has closed its descriptor (the connection's on_close callback). */
static void on_closed(void *data)
{
    linger_conn *c = data;
    if (discard_input(c)) {
        close(c->fd);
        free(c);
        return;
    }
    shutdown(c->fd, SHUT_WR); /* the FIN follows the response already written */
    ff_linger *lg = c->lg;
    /* DONT_READ: h2o only reports readiness, and discard_input reads into its scratch
     * buffer rather than h2o growing an input buffer at the client's pace */
    c->sock = h2o_evloop_socket_create(lg->loop, c->fd, H2O_SOCKET_FLAG_DONT_READ);
    c->sock->data = c;
    h2o_linklist_insert(&lg->draining, &c->link);
    h2o_timeout_link(lg->loop, &lg->timeout, &c->deadline);
    h2o_socket_read_start(c->sock, on_drain);
}

void ff_linger_watch(ff_linger *lg, h2o_socket_t *sock)
{
    linger_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    c->fd = fcntl(h2o_socket_get_fd(sock), F_DUPFD_CLOEXEC, 0);
    if (c->fd < 0) {
        free(c);
        return;
    }
    c->lg = lg;
    c->deadline.cb = on_deadline;
    sock->on_close.cb = on_closed;
    sock->on_close.data = c;
}

void ff_linger_init(ff_linger *lg, h2o_evloop_t *loop)
{
    lg->loop = loop;
    h2o_timeout_init(loop, &lg->timeout, FF_LINGER_MS);
    h2o_linklist_init_anchor(&lg->draining);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl); /* best effort: a failed dup only loses the lingering */
    }
}

void ff_linger_dispose(ff_linger *lg)
{
    while (!h2o_linklist_is_empty(&lg->draining))
        drain_end(H2O_STRUCT_FROM_MEMBER(linger_conn, link, lg->draining.next));
}
