/*
 * coldstart.c - measures exec -> first HTTP 200 of a server command, N times.
 *
 *   coldstart RUNS PATH -- CMD [ARGS...]
 *
 * Each run picks a free port, sets PORT, execs CMD, then polls 127.0.0.1:PORT with
 * "GET PATH" until a 200 arrives; the server is then killed. Prints
 * "median_us min_us" on stdout.
 * COLDSTART_BODY: send "POST PATH" with this JSON body instead; COLDSTART_STATUS: the
 * status that counts as the first response (default 200), e.g. 400 for a validation
 * error that needs no remote call.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static const char *g_body; /* COLDSTART_BODY or NULL */
static char g_expect[16];  /* "HTTP/1.1 200" */

/* One request; returns 1 when the answer starts with the expected status line. */
static int try_get(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
        char req[1024], buf[64] = {0};
        int n = g_body == NULL ? snprintf(req, sizeof(req),
                                          "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path)
                               : snprintf(req, sizeof(req),
                                          "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                          "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                          path, strlen(g_body), g_body);
        if (n > 0 && n < (int)sizeof(req) && write(fd, req, (size_t)n) == n &&
            read(fd, buf, sizeof(buf) - 1) > 12)
            ok = strncmp(buf, g_expect, 12) == 0;
    }
    close(fd);
    return ok;
}

static long long one_run(const char *path, char **cmd)
{
    int port = free_port();
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    long long start = now_us();
    pid_t pid = fork();
    if (pid == 0) {
        setenv("PORT", portstr, 1);
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    long long elapsed = -1;
    while (now_us() - start < 20000000LL) {
        if (try_get(port, path)) {
            elapsed = now_us() - start;
            break;
        }
        usleep(200);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return elapsed;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: coldstart RUNS PATH -- CMD [ARGS...]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    g_body = getenv("COLDSTART_BODY");
    const char *status = getenv("COLDSTART_STATUS");
    snprintf(g_expect, sizeof(g_expect), "HTTP/1.1 %.3s", status && *status ? status : "200");
    long long *t = calloc((size_t)runs, sizeof(*t));
    for (int i = 0; i < runs; i++) {
        t[i] = one_run(argv[2], argv + 4);
        if (t[i] < 0) {
            fprintf(stderr, "coldstart: server never answered %s\n", g_expect + 9);
            return 1;
        }
    }
    qsort(t, (size_t)runs, sizeof(*t), cmp);
    printf("%lld %lld\n", t[runs / 2], t[0]);
    free(t);
    return 0;
}
