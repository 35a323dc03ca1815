/*
 * fake_google.c - the HTTP side of fake_google (see fake_google.h): a small HTTP/1.1
 * server on 127.0.0.1 (one thread per connection, one request per connection), the
 * handlers for the token endpoint, the metadata server, the key endpoints and
 * configured routes, and the record of every request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fake_google.h"

#define MAX_HEADER (64 * 1024)
#define MAX_BODY   (8 * 1024 * 1024)

const char *fake_google_host(const fake_google *fg)
{
    return fg->host;
}

const char *fake_google_url(const fake_google *fg)
{
    return fg->url;
}

/* ---- request parsing ------------------------------------------------------------- */

char *fake_google_header(const fake_google_request *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            return strndup(v, len - (size_t)(v - line));
        }
        line = eol ? eol + 2 : line + len;
    }
    return NULL;
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads until the end of the header block. Returns the buffer (caller frees) or NULL. */
static char *read_head(int fd, size_t *got, char **end)
{
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        buf[n] = '\0';
        if ((*end = strstr(buf, "\r\n\r\n")) != NULL) {
            *got = n;
            return buf;
        }
        if (n == cap) {
            char *bigger = cap < MAX_HEADER ? realloc(buf, cap * 2 + 1) : NULL;
            if (bigger == NULL)
                break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    free(buf);
    return NULL;
}

/* Parses one request from fd into r. Returns 0 or -1. */
static int read_request(int fd, fake_google_request *r)
{
    memset(r, 0, sizeof(*r));
    size_t got = 0;
    char *end = NULL;
    char *buf = read_head(fd, &got, &end);
    if (buf == NULL)
        return -1;
    char *line_end = strstr(buf, "\r\n");
    char method[16] = "", path[4096] = "";
    int ok = sscanf(buf, "%15s %4095s", method, path) == 2;
    r->method = strdup(method);
    r->path = strdup(path);
    r->headers = strndup(line_end + 2, (size_t)(end + 2 - (line_end + 2)));
    char *cl = fake_google_header(r, "Content-Length");
    char *expect = fake_google_header(r, "Expect");
    size_t want = cl ? strtoul(cl, NULL, 10) : 0;
    size_t have = got - (size_t)(end + 4 - buf);
    if (expect && strcasecmp(expect, "100-continue") == 0)
        send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    free(cl);
    free(expect);
    r->body = ok && want <= MAX_BODY ? malloc(want + 1) : NULL;
    if (r->body) {
        memcpy(r->body, end + 4, have < want ? have : want);
        while (have < want) {
            ssize_t n = recv(fd, r->body + have, want - have, 0);
            if (n <= 0)
                break;
            have += (size_t)n;
        }
        r->body[want] = '\0';
        r->body_len = want;
    }
    free(buf);
    return (r->body && have >= want && r->method && r->path && r->headers) ? 0 : -1;
}

/* Path without the query string, copied into buf. */
static const char *bare_path(const char *path, char *buf, size_t len)
{
    size_t n = strcspn(path, "?");
    snprintf(buf, len, "%.*s", (int)n, path);
    return buf;
}

/* ---- responses -------------------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    default:
        return status >= 500 ? "Server Error" : "Status";
    }
}

static void send_reply(int fd, const fg_reply *rep)
{
    char head[1024];
    const char *body = rep->body ? rep->body : "";
    int n =
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                 rep->status, reason(rep->status), rep->content_type ? rep->content_type : "application/json",
                 strlen(body), rep->extra_headers);
    if (send_all(fd, head, (size_t)n) == 0)
        send_all(fd, body, strlen(body));
}

/* ---- connections ------------------------------------------------------------------- */

static void record(fake_google *fg, fake_google_request *r)
{
    pthread_mutex_lock(&fg->lock);
    fake_google_request *grown = realloc(fg->reqs, (fg->n_reqs + 1) * sizeof(*grown));
    if (grown) {
        fg->reqs = grown;
        fg->reqs[fg->n_reqs++] = *r;
        memset(r, 0, sizeof(*r));
    }
    pthread_cond_broadcast(&fg->changed);
    pthread_mutex_unlock(&fg->lock);
}

static void *conn_main(void *arg)
{
    fg_conn *c = arg;
    fake_google_request r;
    if (read_request(c->fd, &r) == 0) {
        char path[4096];
        fg_reply rep = {.status = 404};
        bare_path(r.path, path, sizeof(path));
        fg_handle(c->fg, &r, path, &rep);
        /* recorded before answering: once the client has its answer, tests can count it */
        record(c->fg, &r);
        send_reply(c->fd, &rep);
        free(rep.body);
    }
    fake_google_request_free(&r);
    shutdown(c->fd, SHUT_RDWR);
    return NULL;
}

static void start_conn(fake_google *fg, int fd)
{
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    fg_conn *c = calloc(1, sizeof(*c));
    pthread_mutex_lock(&fg->lock);
    fg_conn **grown = c ? realloc(fg->conns, (fg->n_conns + 1) * sizeof(*grown)) : NULL;
    if (grown == NULL) {
        pthread_mutex_unlock(&fg->lock);
        free(c);
        close(fd);
        return;
    }
    fg->conns = grown;
    c->fg = fg;
    c->fd = fd;
    if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
        close(fd);
        free(c);
    } else {
        fg->conns[fg->n_conns++] = c;
    }
    pthread_mutex_unlock(&fg->lock);
}

static void *accept_main(void *arg)
{
    fake_google *fg = arg;
    struct pollfd p[2] = {{.fd = fg->listen_fd, .events = POLLIN}, {.fd = fg->wake[0], .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (p[0].revents & POLLIN) {
            int fd = accept(fg->listen_fd, NULL, NULL);
            if (fd >= 0)
                start_conn(fg, fd);
        }
    }
    return NULL;
}

static int listen_local(fake_google *fg)
{
    fg->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (fg->listen_fd < 0 || bind(fg->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(fg->listen_fd, 128) != 0 || getsockname(fg->listen_fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    snprintf(fg->host, sizeof(fg->host), "127.0.0.1:%d", ntohs(a.sin_port));
    snprintf(fg->url, sizeof(fg->url), "http://%s", fg->host);
    return 0;
}

fake_google *fake_google_start(void)
{
    fake_google *fg = calloc(1, sizeof(*fg));
    if (fg == NULL)
        return NULL;
    pthread_mutex_init(&fg->lock, NULL);
    pthread_cond_init(&fg->changed, NULL);
    fg->listen_fd = fg->wake[0] = fg->wake[1] = -1;
    fg->token_status = 200;
    fg->expires_in = 3600;
    fg->keys_cache_control = strdup("public, max-age=3600");
    if (listen_local(fg) != 0 || pipe(fg->wake) != 0 ||
        pthread_create(&fg->acceptor, NULL, accept_main, fg) != 0) {
        fprintf(stderr, "fake_google: cannot start: %s\n", strerror(errno));
        fg->acceptor = 0;
        fake_google_stop(fg);
        return NULL;
    }
    fg->started = 1;
    return fg;
}

void fake_google_stop(fake_google *fg)
{
    if (fg == NULL)
        return;
    pthread_mutex_lock(&fg->lock);
    fg->stopping = 1; /* releases handlers held by a blackout */
    pthread_cond_broadcast(&fg->changed);
    pthread_mutex_unlock(&fg->lock);
    if (fg->started) {
        if (write(fg->wake[1], "x", 1) != 1)
            perror("fake_google: wake");
        pthread_join(fg->acceptor, NULL);
    }
    for (size_t i = 0; i < fg->n_conns; i++) {
        shutdown(fg->conns[i]->fd, SHUT_RDWR); /* unblocks a connection still reading */
        pthread_join(fg->conns[i]->thread, NULL);
        close(fg->conns[i]->fd);
        free(fg->conns[i]);
    }
    free(fg->conns);
    if (fg->listen_fd >= 0)
        close(fg->listen_fd);
    if (fg->wake[0] >= 0) {
        close(fg->wake[0]);
        close(fg->wake[1]);
    }
    fg_state_free(fg);
    pthread_mutex_destroy(&fg->lock);
    pthread_cond_destroy(&fg->changed);
    free(fg);
}

/* ---- recorded requests --------------------------------------------------------------- */

static int count_locked(fake_google *fg, const char *path)
{
    int n = 0;
    char bare[4096];
    for (size_t i = 0; i < fg->n_reqs; i++)
        if (path == NULL || strcmp(bare_path(fg->reqs[i].path, bare, sizeof(bare)), path) == 0)
            n++;
    return n;
}

int fake_google_count(fake_google *fg, const char *path)
{
    pthread_mutex_lock(&fg->lock);
    int n = count_locked(fg, path);
    pthread_mutex_unlock(&fg->lock);
    return n;
}

int fake_google_wait(fake_google *fg, const char *path, int n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&fg->lock);
    int have;
    while ((have = count_locked(fg, path)) < n)
        if (pthread_cond_timedwait(&fg->changed, &fg->lock, &until) == ETIMEDOUT)
            break;
    have = count_locked(fg, path);
    pthread_mutex_unlock(&fg->lock);
    return have;
}

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s ? s : "", s ? n : 0);
        d[s ? n : 0] = '\0';
    }
    return d;
}

int fake_google_get(fake_google *fg, const char *path, int index, fake_google_request *out)
{
    memset(out, 0, sizeof(*out));
    int rc = -1;
    char bare[4096];
    pthread_mutex_lock(&fg->lock);
    for (size_t i = 0; i < fg->n_reqs && rc != 0; i++) {
        const fake_google_request *r = &fg->reqs[i];
        if (path && strcmp(bare_path(r->path, bare, sizeof(bare)), path) != 0)
            continue;
        if (index-- > 0)
            continue;
        out->method = strdup(r->method);
        out->path = strdup(r->path);
        out->headers = strdup(r->headers);
        out->body = dup_bytes(r->body, r->body_len);
        out->body_len = r->body_len;
        rc = 0;
    }
    pthread_mutex_unlock(&fg->lock);
    return rc;
}

void fake_google_request_free(fake_google_request *r)
{
    if (r == NULL)
        return;
    free(r->method);
    free(r->path);
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}
