/*
 * stack.c - see stack.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stack.h"

int stack_run(const char *cmd, char **out)
{
    size_t len = 0;
    *out = NULL;
    FILE *mem = open_memstream(out, &len);
    char *full = NULL;
    if (asprintf(&full, "timeout 180 sh -c '%s' 2>&1", cmd) < 0)
        return -1;
    FILE *p = popen(full, "r");
    free(full);
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, n, mem);
    int status = p ? pclose(p) : -1;
    fclose(mem);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int stack_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

int stack_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

const char *stack_functions_bin(void)
{
    static char path[1024];
    const char *build = getenv("FF_TEST_BUILD");
    snprintf(path, sizeof(path), "%s/bin/functions", build ? build : "build");
    return path;
}
