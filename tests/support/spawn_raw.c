/*
 * spawn_raw.c - the th_raw_* helpers of spawn.h: hand-written HTTP/1.1 over a plain
 * socket (pipelining, chunked uploads, slow clients), with a small response parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spawn_internal.h"

int th_raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int th_raw_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int th_raw_send_str(int fd, const char *s)
{
    return th_raw_send(fd, s, strlen(s));
}

/* ---- parsing ------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
    int eof;
} rbuf;

/* Reads what is available within the time left. 0 on data or EOF, -1 on timeout/error. */
static int fill(int fd, rbuf *b, int64_t end)
{
    int64_t left = end - spawn_now_ms();
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
        return -1;
    if (b->cap - b->len < 65536) {
        size_t cap = b->cap * 2 + 65536;
        char *d = realloc(b->data, cap + 1);
        if (d == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    ssize_t n = recv(fd, b->data + b->len, b->cap - b->len, 0);
    if (n < 0)
        return errno == EINTR ? 0 : (b->eof = 1, 0);
    if (n == 0)
        b->eof = 1;
    b->len += (size_t)n;
    b->data[b->len] = '\0';
    return 0;
}

/* Parses the status line and headers in head[0..len). */
static void parse_head(th_response *r, const char *head, size_t len)
{
    const char *end = head + len, *line = head;
    const char *sp = memchr(head, ' ', len);
    r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    for (;;) {
        const char *nl = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (nl == NULL)
            break;
        if (line != head && nl > line)
            th_response_add_header(r, line, (size_t)(nl - line));
        line = nl + 2;
    }
}

/*
 * Tries to take one complete response off the front of b. Returns 1 and fills r, 0 if
 * more bytes are needed, -1 if the response cannot be framed (e.g. chunked).
 */
static int take_response(rbuf *b, th_response *r)
{
    char *hend = b->len ? memmem(b->data, b->len, "\r\n\r\n", 4) : NULL;
    if (hend == NULL)
        return b->eof ? -1 : 0;
    size_t head_len = (size_t)(hend - b->data) + 2, body_at = head_len + 2;
    th_response tmp = {0};
    parse_head(&tmp, b->data, head_len);
    const char *cl = th_header_get(&tmp, "content-length");
    const char *te = th_header_get(&tmp, "transfer-encoding");
    size_t body_len = cl ? strtoul(cl, NULL, 10) : b->len - body_at;
    if ((te != NULL && strcasecmp(te, "identity") != 0) || (cl == NULL && !b->eof) ||
        b->len - body_at < body_len) {
        th_response_free(&tmp);
        return te != NULL ? -1 : (b->eof ? -1 : 0);
    }
    tmp.body = malloc(body_len + 1);
    memcpy(tmp.body, b->data + body_at, body_len);
    tmp.body[body_len] = '\0';
    tmp.body_len = body_len;
    size_t used = body_at + body_len;
    memmove(b->data, b->data + used, b->len - used);
    b->len -= used;
    *r = tmp;
    return 1;
}

int th_raw_read_responses(int fd, th_response *out, int n, int timeout_ms)
{
    rbuf b = {0};
    int64_t start = spawn_now_ms(), end = start + timeout_ms;
    int got = 0;
    while (got < n) {
        int rc = take_response(&b, &out[got]);
        if (rc == 1) {
            out[got].elapsed_ms = spawn_now_ms() - start;
            got++;
            continue;
        }
        if (rc < 0 || b.eof || fill(fd, &b, end) != 0)
            break;
    }
    for (int i = got; i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        out[i].body = calloc(1, 1);
        out[i].error = -1;
    }
    free(b.data);
    return got;
}
