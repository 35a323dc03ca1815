/*
 * tcp_proxy.c - the switchable TCP forwarder of the end-to-end suite (see tcp_proxy.h):
 * one accepting thread, one pumping thread per connection, all polling a shared
 * enabled/stop state every 20 ms.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp_proxy.h"

#define TICK_MS 20

struct tcp_proxy {
    int listen_fd;
    int port;
    struct sockaddr_in upstream;
    atomic_int enabled, stop, accepted, active;
    pthread_t acceptor;
};

typedef struct pump {
    tcp_proxy *p;
    int client;
} pump;

static int forward(int from, int to)
{
    char buf[16384];
    ssize_t n = recv(from, buf, sizeof(buf), 0);
    if (n <= 0)
        return -1;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        off += w;
    }
    return 0;
}

static void *pump_main(void *arg)
{
    pump *u = arg;
    tcp_proxy *p = u->p;
    int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (up >= 0 && connect(up, (struct sockaddr *)&p->upstream, sizeof(p->upstream)) == 0) {
        struct pollfd fds[2] = {{.fd = u->client, .events = POLLIN}, {.fd = up, .events = POLLIN}};
        while (atomic_load(&p->enabled) && !atomic_load(&p->stop)) {
            int r = poll(fds, 2, TICK_MS);
            if (r < 0)
                break;
            if (fds[0].revents && forward(u->client, up) != 0)
                break;
            if (fds[1].revents && forward(up, u->client) != 0)
                break;
        }
    }
    if (up >= 0)
        close(up);
    close(u->client);
    free(u);
    atomic_fetch_sub(&p->active, 1);
    return NULL;
}

static void *accept_main(void *arg)
{
    tcp_proxy *p = arg;
    struct pollfd pfd = {.fd = p->listen_fd, .events = POLLIN};
    while (!atomic_load(&p->stop)) {
        if (poll(&pfd, 1, TICK_MS) <= 0)
            continue;
        int c = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        atomic_fetch_add(&p->accepted, 1);
        if (!atomic_load(&p->enabled)) {
            close(c); /* refused service: the client sees the connection closed */
            continue;
        }
        pump *u = malloc(sizeof(*u));
        pthread_t t;
        atomic_fetch_add(&p->active, 1);
        if (u == NULL) {
            close(c);
            atomic_fetch_sub(&p->active, 1);
            continue;
        }
        *u = (pump){.p = p, .client = c};
        if (pthread_create(&t, NULL, pump_main, u) != 0) {
            close(c);
            free(u);
            atomic_fetch_sub(&p->active, 1);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

tcp_proxy *tcp_proxy_start(const char *upstream)
{
    char host[64];
    int port = 0;
    if (upstream == NULL || sscanf(upstream, "%63[^:]:%d", host, &port) != 2)
        return NULL;
    tcp_proxy *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->upstream.sin_family = AF_INET;
    p->upstream.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &p->upstream.sin_addr) != 1) {
        free(p);
        return NULL;
    }
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(p->listen_fd, 64) != 0 || getsockname(p->listen_fd, (struct sockaddr *)&a, &len) != 0) {
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        free(p);
        return NULL;
    }
    p->port = ntohs(a.sin_port);
    atomic_store(&p->enabled, 1);
    if (pthread_create(&p->acceptor, NULL, accept_main, p) != 0) {
        close(p->listen_fd);
        free(p);
        return NULL;
    }
    return p;
}

int tcp_proxy_port(const tcp_proxy *p)
{
    return p->port;
}

void tcp_proxy_set_enabled(tcp_proxy *p, int on)
{
    atomic_store(&p->enabled, on ? 1 : 0);
    if (!on) /* let every pump notice and cut its connection */
        for (int i = 0; i < 100 && atomic_load(&p->active) > 0; i++)
            usleep(TICK_MS * 1000);
}

int tcp_proxy_accepted(const tcp_proxy *p)
{
    return atomic_load(&p->accepted);
}

void tcp_proxy_free(tcp_proxy *p)
{
    if (p == NULL)
        return;
    atomic_store(&p->stop, 1);
    pthread_join(p->acceptor, NULL);
    for (int i = 0; i < 250 && atomic_load(&p->active) > 0; i++)
        usleep(TICK_MS * 1000);
    close(p->listen_fd);
    free(p);
}
