/*
 * fs_helpers.c - see fs_helpers.h.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fs_helpers.h"

fs_db *fst_db(void)
{
    const char *host = getenv("FIRESTORE_EMULATOR_HOST");
    cr_assert(host != NULL && *host, "FIRESTORE_EMULATOR_HOST is not set: run through scripts/run-tests.sh");
    return fst_db_at(host);
}

fs_db *fst_db_at(const char *host)
{
    ff_error err = {0};
    fs_options o = {
        .project_id = "demo-test", .emulator_host = host, .connect_timeout_ms = 2000, .timeout_ms = 15000};
    fs_db *db = fs_db_open(&o, &err);
    cr_assert(db != NULL, "fs_db_open: %s", err.message);
    return db;
}

void fst_unique(char *out, size_t len, const char *prefix)
{
    char id[FS_ID_SIZE];
    cr_assert_eq(fs_new_id(id, NULL), 0);
    snprintf(out, len, "%s-%s", prefix, id);
}

json_t *fst_raw_get(const char *path)
{
    char url[2048];
    snprintf(url, sizeof(url), "http://%s/v1/projects/demo-test/databases/(default)/documents/%s",
             getenv("FIRESTORE_EMULATOR_HOST"), path);
    gcp_http_header hdr[] = {{"Authorization", "Bearer owner"}};
    gcp_http_request req = {.method = "GET", .url = url, .headers = hdr, .n_headers = 1};
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_OK, "raw get: %s", err.message);
    json_t *doc = NULL;
    if (res.status == 200)
        doc = json_loadb(res.body, res.body_len, 0, NULL);
    else
        cr_assert_eq(res.status, 404, "raw get %s: HTTP %ld %s", path, res.status, res.body);
    gcp_http_response_free(&res);
    return doc;
}

json_t *fst_load_json(const char *file)
{
    json_error_t jerr;
    json_t *j = json_load_file(file, 0, &jerr);
    cr_assert(j != NULL, "%s: %s", file, jerr.text);
    return j;
}

const char *fst_closed_host(void)
{
    static __thread char host[32];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd); /* bound, never listened, now closed: connections are refused */
    snprintf(host, sizeof(host), "127.0.0.1:%d", ntohs(a.sin_port));
    return host;
}

/* ---- scripted HTTP peer --------------------------------------------------------------- */

struct fst_server {
    int fd, port;
    char host[32];
    const fst_reply *replies;
    size_t n;
    pthread_t thread;
    pthread_mutex_t lock;
    int stop, count;
    char *last;
};

/* Reads one request (head + Content-Length body). Returns malloc'd text or NULL. */
static char *read_request(int fd)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    long need = -1;
    while (len < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t r = read(fd, buf + len, cap - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        if (need < 0) {
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            need = (long)(end + 4 - buf) + (cl && cl < end ? atol(cl + 17) : 0);
        }
        if ((long)len >= need) {
            return buf;
        }
    }
    free(buf);
    return NULL;
}

static void answer(int fd, const fst_reply *r)
{
    const char *body = r->body ? r->body : "";
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d Scripted\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     r->status, strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

static void *serve(void *arg)
{
    fst_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        int stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        char *req = read_request(c);
        if (req != NULL) {
            pthread_mutex_lock(&s->lock);
            const fst_reply *r = &s->replies[(size_t)s->count < s->n ? (size_t)s->count : s->n - 1];
            s->count++;
            free(s->last);
            s->last = req;
            pthread_mutex_unlock(&s->lock);
            if (!r->drop)
                answer(c, r);
        }
        close(c);
    }
    return NULL;
}

fst_server *fst_server_start(const fst_reply *replies, size_t n)
{
    fst_server *s = calloc(1, sizeof(*s));
    s->replies = replies;
    s->n = n;
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    cr_assert(bind(s->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    cr_assert(listen(s->fd, 64) == 0);
    getsockname(s->fd, (struct sockaddr *)&a, &alen);
    s->port = ntohs(a.sin_port);
    snprintf(s->host, sizeof(s->host), "127.0.0.1:%d", s->port);
    cr_assert(pthread_create(&s->thread, NULL, serve, s) == 0);
    return s;
}

int fst_server_port(const fst_server *s)
{
    return s->port;
}

const char *fst_server_host(const fst_server *s)
{
    return s->host;
}

int fst_server_count(fst_server *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

char *fst_server_last(fst_server *s)
{
    pthread_mutex_lock(&s->lock);
    char *copy = s->last ? strdup(s->last) : NULL;
    pthread_mutex_unlock(&s->lock);
    return copy;
}

void fst_server_stop(fst_server *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    close(s->fd);
    free(s->last);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
