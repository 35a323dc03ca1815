/*
 * proxy.c - the fault-injecting TCP proxy of the faults suite (see proxy.h).
 *
 * The acceptor thread owns the listening socket: setters record the wanted mode, bump a
 * generation and wait until the acceptor has applied it (closing or reopening the
 * listener, marking connections to reset). Each connection thread polls both sockets
 * with a short timeout and reads the mode before every chunk, so a change reaches open
 * connections within a tick.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

#define TICK_MS 20
#define BUF_LEN 65536

typedef enum { MODE_PASS, MODE_DELAY, MODE_DROP, MODE_CUT, MODE_REFUSE } mode;

typedef struct conn {
    proxy *p;
    int cfd, ufd; /* client side, upstream side (-1: none) */
    int kill;     /* set under p->lock: reset and end */
    pthread_t tid;
    struct conn *next;
} conn;

struct proxy {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct sockaddr_in target;
    int port;
    char addr[32];
    pthread_t acceptor;
    int listen_fd; /* acceptor's own; -1 while refusing */
    /* wanted state, set by the setters */
    mode mode;
    int delay_ms, cut_times, cut_count;
    long cut_after;
    char match[256]; /* "" = any request */
    unsigned gen, applied;
    int relisten_failed, stopping;
    conn *conns;
    int live, accepted, cuts;
};

/* ---- sockets ---------------------------------------------------------------------------- */

static int listen_on(int port, int *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

/* Closes fd with a reset (RST) rather than an orderly FIN. */
static void reset_close(int fd)
{
    if (fd < 0)
        return;
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- one connection --------------------------------------------------------------------- */

typedef struct view {
    mode mode;
    int delay_ms, kill;
    long cut_after;
    char match[256];
} view;

static view snapshot(conn *c)
{
    proxy *p = c->p;
    view v;
    pthread_mutex_lock(&p->lock);
    v.mode = p->mode;
    v.delay_ms = p->delay_ms;
    v.cut_after = p->cut_after;
    memcpy(v.match, p->match, sizeof(v.match));
    v.kill = c->kill || p->stopping;
    pthread_mutex_unlock(&p->lock);
    return v;
}

/* Counts a cut; after the allowed number the proxy passes again. */
static void count_cut(proxy *p)
{
    pthread_mutex_lock(&p->lock);
    p->cuts++;
    if (p->mode == MODE_CUT && ++p->cut_count == p->cut_times)
        p->mode = MODE_PASS;
    pthread_mutex_unlock(&p->lock);
}

/* A client chunk while cutting: 1 if it arms the cut (request matches). */
static int matches(const view *v, const char *buf, size_t n)
{
    return v->match[0] == '\0' || memmem(buf, n, v->match, strlen(v->match)) != NULL;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    char *buf = malloc(BUF_LEN);
    int c_eof = 0, u_eof = c->ufd < 0, armed = 0, cut = 0;
    long budget = 0;
    while (buf != NULL && !(c_eof && u_eof)) {
        struct pollfd pfd[2] = {{.fd = c_eof ? -1 : c->cfd, .events = POLLIN},
                                {.fd = u_eof ? -1 : c->ufd, .events = POLLIN}};
        int ready = poll(pfd, 2, TICK_MS) > 0;
        view v = snapshot(c); /* after the wait: the mode in force when the bytes arrived */
        if (v.kill)
            break;
        if (v.mode != MODE_CUT)
            armed = 0;
        if (!ready)
            continue;
        if (pfd[0].revents) {
            ssize_t n = recv(c->cfd, buf, BUF_LEN, 0);
            if (n <= 0) {
                c_eof = 1;
                if (c->ufd >= 0)
                    shutdown(c->ufd, SHUT_WR);
            } else if (v.mode != MODE_DROP && c->ufd >= 0) {
                if (v.mode == MODE_CUT && !armed && matches(&v, buf, (size_t)n)) {
                    if (v.cut_after == PROXY_BEFORE_FORWARD) {
                        cut = 1;
                        break;
                    }
                    armed = 1;
                    budget = v.cut_after;
                }
                if (v.mode == MODE_DELAY)
                    sleep_ms(v.delay_ms);
                if (send_all(c->ufd, buf, (size_t)n) != 0)
                    break;
            }
        }
        if (pfd[1].revents) {
            ssize_t n = recv(c->ufd, buf, BUF_LEN, 0);
            if (n <= 0) {
                u_eof = 1;
                shutdown(c->cfd, SHUT_WR);
            } else if (v.mode != MODE_DROP) {
                if (armed && n >= budget) {
                    send_all(c->cfd, buf, (size_t)budget);
                    cut = 1;
                    break;
                }
                budget -= armed ? n : 0;
                if (v.mode == MODE_DELAY)
                    sleep_ms(v.delay_ms);
                if (send_all(c->cfd, buf, (size_t)n) != 0)
                    break;
            }
        }
    }
    if (cut)
        count_cut(c->p);
    free(buf);
    proxy *p = c->p;
    pthread_mutex_lock(&p->lock);
    reset_close(c->cfd);
    reset_close(c->ufd);
    c->cfd = c->ufd = -1;
    p->live--;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* A peer that stops reading must not block a connection thread forever (proxy_stop joins it). */
static void send_timeout(int fd)
{
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* With p->lock held: starts a thread for an accepted client. */
static void add_conn(proxy *p, int cfd)
{
    conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        reset_close(cfd);
        return;
    }
    c->p = p;
    c->cfd = cfd;
    c->ufd = -1;
    if (p->mode != MODE_DROP) {
        c->ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->ufd < 0 || connect(c->ufd, (struct sockaddr *)&p->target, sizeof(p->target)) != 0) {
            reset_close(c->ufd);
            reset_close(cfd);
            free(c);
            return;
        }
    }
    send_timeout(cfd);
    if (c->ufd >= 0)
        send_timeout(c->ufd);
    p->accepted++;
    p->live++;
    if (pthread_create(&c->tid, NULL, conn_main, c) != 0) {
        reset_close(c->ufd);
        reset_close(cfd);
        p->live--;
        free(c);
        return;
    }
    c->next = p->conns;
    p->conns = c;
}

/* ---- acceptor ------------------------------------------------------------------------------ */

/* With p->lock held: makes the listener and the connections match the wanted mode. */
static void apply_locked(proxy *p)
{
    if (p->mode == MODE_REFUSE || p->stopping) {
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        p->listen_fd = -1;
        for (conn *c = p->conns; c != NULL; c = c->next)
            c->kill = 1;
    } else if (p->listen_fd < 0) {
        int port = 0;
        p->listen_fd = listen_on(p->port, &port);
        p->relisten_failed = p->listen_fd < 0;
    }
    p->applied = p->gen;
    pthread_cond_broadcast(&p->changed);
}

static void *acceptor_main(void *arg)
{
    proxy *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        apply_locked(p);
        int fd = p->listen_fd;
        pthread_mutex_unlock(&p->lock);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, TICK_MS) > 0;
        int cfd = ready ? accept4(fd, NULL, NULL, SOCK_CLOEXEC) : -1;
        pthread_mutex_lock(&p->lock);
        if (cfd >= 0 && (p->mode == MODE_REFUSE || p->stopping))
            reset_close(cfd);
        else if (cfd >= 0)
            add_conn(p, cfd);
    }
    apply_locked(p);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- API ------------------------------------------------------------------------------------ */

proxy *proxy_start(const char *target)
{
    char host[64];
    int port = 0;
    if (sscanf(target, "%63[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "proxy: bad target '%s'\n", target);
        return NULL;
    }
    proxy *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->target.sin_family = AF_INET;
    p->target.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &p->target.sin_addr) != 1 || (p->listen_fd = listen_on(0, &p->port)) < 0) {
        fprintf(stderr, "proxy: cannot proxy %s: %s\n", target, strerror(errno));
        free(p);
        return NULL;
    }
    snprintf(p->addr, sizeof(p->addr), "127.0.0.1:%d", p->port);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    if (pthread_create(&p->acceptor, NULL, acceptor_main, p) != 0) {
        close(p->listen_fd);
        free(p);
        return NULL;
    }
    return p;
}

void proxy_stop(proxy *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->acceptor, NULL);
    for (conn *c = p->conns, *next; c != NULL; c = next) {
        next = c->next;
        pthread_join(c->tid, NULL);
        free(c);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->changed);
    free(p);
}

int proxy_port(const proxy *p)
{
    return p->port;
}

const char *proxy_addr(const proxy *p)
{
    return p->addr;
}

/* Sets the wanted mode and waits until the acceptor applied it. */
static int set_mode(proxy *p, mode m, int delay_ms, long cut_after, const char *match, int times)
{
    pthread_mutex_lock(&p->lock);
    p->mode = m;
    p->delay_ms = delay_ms;
    p->cut_after = cut_after;
    p->cut_times = times;
    p->cut_count = 0;
    snprintf(p->match, sizeof(p->match), "%s", match ? match : "");
    unsigned gen = ++p->gen;
    while (p->applied != gen && !p->stopping)
        pthread_cond_wait(&p->changed, &p->lock);
    while (m == MODE_REFUSE && p->live > 0 && !p->stopping)
        pthread_cond_wait(&p->changed, &p->lock);
    int rc = p->relisten_failed ? -1 : 0;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int proxy_pass(proxy *p)
{
    return set_mode(p, MODE_PASS, 0, 0, NULL, 0);
}

int proxy_delay(proxy *p, int ms)
{
    return set_mode(p, MODE_DELAY, ms, 0, NULL, 0);
}

int proxy_drop(proxy *p)
{
    return set_mode(p, MODE_DROP, 0, 0, NULL, 0);
}

int proxy_cut(proxy *p, long after_response_bytes, const char *match, int times)
{
    return set_mode(p, MODE_CUT, 0, after_response_bytes, match, times);
}

int proxy_refuse(proxy *p)
{
    return set_mode(p, MODE_REFUSE, 0, 0, NULL, 0);
}

int proxy_accepted(proxy *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->accepted;
    pthread_mutex_unlock(&p->lock);
    return n;
}

int proxy_cuts(proxy *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->cuts;
    pthread_mutex_unlock(&p->lock);
    return n;
}
