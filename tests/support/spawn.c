/*
 * spawn.c - starting, watching and stopping server processes for black-box tests
 * (see spawn.h). Everything the child needs is prepared before fork, so the child
 * only makes async-signal-safe calls before exec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

extern char **environ;

struct spawn_proc {
    pid_t pid;
    int reaped;
    int status; /* spawn_wait encoding, once reaped */
    char dir[64];
    char out_path[96];
    char err_path[96];
    struct spawn_proc *next;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static spawn_proc *g_procs;

/* ---- time and ports ---------------------------------------------------------------- */

int64_t spawn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void spawn_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int spawn_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int spawn_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = loopback(port);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* ---- starting ------------------------------------------------------------------------ */

static size_t count(const char *const v[])
{
    size_t n = 0;
    while (v != NULL && v[n] != NULL)
        n++;
    return n;
}

static int same_name(const char *entry, const char *change)
{
    size_t n = strcspn(change, "=");
    return strncmp(entry, change, n) == 0 && entry[n] == '=';
}

/* environ with the changes applied; the strings are borrowed, the array is malloc'd. */
static char **build_env(const char *const changes[])
{
    size_t n_env = count((const char *const *)environ), n_chg = count(changes), n = 0;
    char **out = calloc(n_env + n_chg + 1, sizeof(char *));
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n_env; i++) {
        int overridden = 0;
        for (size_t j = 0; j < n_chg && !overridden; j++)
            overridden = same_name(environ[i], changes[j]);
        if (!overridden)
            out[n++] = environ[i];
    }
    for (size_t j = 0; j < n_chg; j++)
        if (strchr(changes[j], '=') != NULL)
            out[n++] = (char *)changes[j];
    return out;
}

static char **build_argv(const char *path, const char *const args[])
{
    size_t n = count(args);
    char **argv = calloc(n + 2, sizeof(char *));
    if (argv == NULL)
        return NULL;
    argv[0] = (char *)path;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    return argv;
}

/* In the child, before exec: own group, die with the parent, redirect, close the rest. */
static void child_exec(pid_t parent, const char *path, char **argv, char **envp, int out, int err)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    close_range(3, ~0u, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    const int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGCHLD, SIGHUP};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL); /* ignored signals would stay ignored across exec */
    execve(path, argv, envp);
    _exit(127);
}

static spawn_proc *proc_new(void)
{
    spawn_proc *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    snprintf(p->dir, sizeof(p->dir), "/tmp/spawn.XXXXXX");
    if (mkdtemp(p->dir) == NULL) {
        free(p);
        return NULL;
    }
    snprintf(p->out_path, sizeof(p->out_path), "%s/stdout.log", p->dir);
    snprintf(p->err_path, sizeof(p->err_path), "%s/stderr.log", p->dir);
    return p;
}

static void remove_logs(spawn_proc *p)
{
    const char *keep = getenv("SPAWN_KEEP_LOGS");
    if (keep != NULL && strcmp(keep, "1") == 0) {
        fprintf(stderr, "spawn: kept logs of pid %d in %s\n", (int)p->pid, p->dir);
        return;
    }
    unlink(p->out_path);
    unlink(p->err_path);
    rmdir(p->dir);
}

spawn_proc *spawn_start(const char *path, const char *const args[], const char *const env[])
{
    spawn_proc *p = proc_new();
    if (p == NULL)
        return NULL;
    char **argv = build_argv(path, args), **envp = build_env(env);
    int out = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_t parent = getpid();
    p->pid = (argv && envp && out >= 0 && err >= 0) ? fork() : -1;
    if (p->pid == 0)
        child_exec(parent, path, argv, envp, out, err);
    if (p->pid > 0)
        setpgid(p->pid, p->pid); /* also here, so a signal right after start reaches the group */
    free(argv);
    free(envp);
    if (out >= 0)
        close(out);
    if (err >= 0)
        close(err);
    if (p->pid < 0) {
        remove_logs(p);
        free(p);
        return NULL;
    }
    pthread_mutex_lock(&g_lock);
    p->next = g_procs;
    g_procs = p;
    pthread_mutex_unlock(&g_lock);
    return p;
}

pid_t spawn_pid(const spawn_proc *p)
{
    return p->pid;
}

const char *spawn_stdout_path(const spawn_proc *p)
{
    return p->out_path;
}

const char *spawn_stderr_path(const spawn_proc *p)
{
    return p->err_path;
}

/* ---- waiting and stopping --------------------------------------------------------------- */

/* Reaps p if it has ended; returns 1 once reaped. */
static int try_reap(spawn_proc *p)
{
    if (p->reaped)
        return 1;
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == 0)
        return 0;
    p->reaped = 1;
    if (r < 0)
        p->status = 255; /* reaped by someone else: the status is lost */
    else
        p->status = WIFEXITED(st) ? WEXITSTATUS(st) : SPAWN_SIGNALED(WTERMSIG(st));
    return 1;
}

int spawn_wait(spawn_proc *p, int timeout_ms)
{
    int64_t end = spawn_now_ms() + timeout_ms;
    while (!try_reap(p)) {
        if (spawn_now_ms() >= end)
            return SPAWN_RUNNING;
        spawn_sleep_ms(5);
    }
    return p->status;
}

int spawn_wait_port(spawn_proc *p, int port, int timeout_ms)
{
    int64_t end = spawn_now_ms() + timeout_ms;
    for (;;) {
        if (spawn_port_open(port))
            return 0;
        if (try_reap(p) || spawn_now_ms() >= end)
            return -1;
        spawn_sleep_ms(10);
    }
}

int spawn_kill(spawn_proc *p, int sig)
{
    if (try_reap(p))
        return -1;
    return kill(-p->pid, sig);
}

int spawn_stop(spawn_proc *p, int sig, int timeout_ms)
{
    spawn_kill(p, sig);
    int st = spawn_wait(p, timeout_ms);
    if (st == SPAWN_RUNNING) {
        spawn_kill(p, SIGKILL);
        st = spawn_wait(p, 5000);
    }
    return st;
}

static void unregister(spawn_proc *p)
{
    pthread_mutex_lock(&g_lock);
    for (spawn_proc **pp = &g_procs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    pthread_mutex_unlock(&g_lock);
}

void spawn_free(spawn_proc *p)
{
    if (p == NULL)
        return;
    unregister(p);
    if (!try_reap(p))
        spawn_stop(p, SIGKILL, 5000);
    remove_logs(p);
    free(p);
}

void spawn_free_all(void)
{
    for (;;) {
        pthread_mutex_lock(&g_lock);
        spawn_proc *p = g_procs;
        pthread_mutex_unlock(&g_lock);
        if (p == NULL)
            return;
        spawn_free(p);
    }
}

/* ---- output --------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    if (mem == NULL) {
        if (f)
            fclose(f);
        return NULL;
    }
    char chunk[8192];
    size_t got;
    while (f != NULL && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, got, mem);
    if (f)
        fclose(f);
    fclose(mem);
    if (len)
        *len = n;
    return buf;
}

char *spawn_read_stdout(const spawn_proc *p, size_t *len)
{
    return read_file(p->out_path, len);
}

char *spawn_read_stderr(const spawn_proc *p, size_t *len)
{
    return read_file(p->err_path, len);
}

int spawn_wait_stdout(const spawn_proc *p, const char *needle, int timeout_ms)
{
    int64_t end = spawn_now_ms() + timeout_ms;
    for (;;) {
        char *out = spawn_read_stdout(p, NULL);
        int found = out != NULL && strstr(out, needle) != NULL;
        free(out);
        if (found)
            return 0;
        if (spawn_now_ms() >= end)
            return -1;
        spawn_sleep_ms(20);
    }
}

/* Whether two "NAME=VALUE" / "NAME" entries name the same variable. */
static int same_env_name(const char *a, const char *b)
{
    size_t na = strcspn(a, "="), nb = strcspn(b, "=");
    return na == nb && strncmp(a, b, na) == 0;
}

size_t spawn_env_merge(const char *const defaults[], const char *const env[], const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; defaults != NULL && defaults[i] != NULL && n + 1 < cap; i++) {
        int overridden = 0;
        for (size_t j = 0; env != NULL && env[j] != NULL; j++)
            overridden |= same_env_name(defaults[i], env[j]);
        if (!overridden)
            out[n++] = defaults[i];
    }
    for (size_t j = 0; env != NULL && env[j] != NULL && n + 1 < cap; j++)
        out[n++] = env[j];
    out[n] = NULL;
    return n;
}
