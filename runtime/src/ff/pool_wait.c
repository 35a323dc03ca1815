/*
 * pool_wait.c - invocations that wait without a thread. ff_poll, called on a worker's
 * fiber, notes the wait and switches back to the worker, which registers it (the job its
 * descriptors lead to, when it times out) and arms each descriptor in the pool's epoll
 * set for one wake-up, under the lock it takes anyway between jobs, then runs other
 * jobs. Registering after the switch means a wake-up always finds the job switched out.
 * A worker with nothing to run becomes the poller: it
 * waits in epoll_wait for every suspended job at once, puts the jobs whose waits ended
 * at the queue's tail, and runs them. A flush that needs a worker while the poller waits
 * wakes it through an eventfd. Jobs that no worker watches (every worker busy, none
 * polling) are the flush's business as queued jobs are (pool.c).
 *
 * The descriptors stay in the epoll set between waits (EPOLL_CTL_MOD re-arms one: a
 * single system call per wait, and level-triggered, so nothing ready is missed); a
 * closed descriptor leaves the set by itself, a new one under the same number is added.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pool_internal.h"

/* Ends j's wait: its descriptors no longer lead to it, and it is queued. Lock held. */
static void wake_job(ff_pool *pool, job *j, uint64_t now)
{
    if (j->state != JOB_SUSPENDED)
        return; /* its wait has ended already */
    for (int i = 0; i < j->nfds; i++) {
        int fd = j->fds[i].fd;
        if (fd >= 0 && fd < pool->by_fd_len && pool->by_fd[fd] == j)
            pool->by_fd[fd] = NULL;
    }
    j->prev_w->next_w = j->next_w;
    j->next_w->prev_w = j->prev_w;
    pool->n_waiting--;
    j->state = JOB_RUNNING;
    j->queued_at = now;
    j->next = NULL;
    list_push(&pool->queue, j);
}

void pool_kick(ff_pool *pool)
{
    if (pool->kicked)
        return;
    pool->kicked = 1;
    uint64_t one = 1;
    ssize_t n = write(pool->kick_fd, &one, sizeof(one));
    (void)n; /* full counter: the poller is awake anyway */
}

static short poll_bits(uint32_t ev)
{
    return (short)((ev & EPOLLIN ? POLLIN : 0) | (ev & EPOLLOUT ? POLLOUT : 0) |
                   (ev & EPOLLERR ? POLLERR : 0) | (ev & EPOLLHUP ? POLLHUP : 0) |
                   (ev & EPOLLPRI ? POLLPRI : 0));
}

/* Ends the waits that are due and sets min_due to the earliest end left (-1: none).
 * Lock held. */
static void expire_waits(ff_pool *pool, uint64_t now)
{
    int64_t due = -1;
    for (job *j = pool->waiting.next_w, *next; j != &pool->waiting; j = next) {
        next = j->next_w;
        if (j->due_ns >= 0 && (uint64_t)j->due_ns <= now)
            wake_job(pool, j, now);
        else if (j->due_ns >= 0 && (due < 0 || j->due_ns < due))
            due = j->due_ns;
    }
    pool->min_due = due;
}

void pool_poll_waits(ff_pool *pool)
{
    struct epoll_event evs[64];
    pool->polling = 1;
    pool->kicked = 0;
    pool->ready--;
    int64_t due = pool->poll_due = pool->min_due;
    pthread_mutex_unlock(&pool->lock);
    int timeout = -1;
    if (due >= 0) {
        int64_t left = due - (int64_t)now_ns();
        timeout = left <= 0 ? 0 : left > 60000 * 1000000LL ? 60000 : (int)((left + 999999) / 1000000);
    }
    int n = epoll_wait(pool->epfd, evs, 64, timeout);
    pthread_mutex_lock(&pool->lock);
    uint64_t now = now_ns();
    pool->polling = 0;
    if (!pool->poller_woken)
        pool->ready++; /* else wake_one counted it already */
    pool->poller_woken = 0;
    pool->kicked = 0;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == pool->kick_fd) {
            uint64_t v;
            ssize_t r = read(fd, &v, sizeof(v));
            (void)r;
            continue;
        }
        job *j = fd < pool->by_fd_len ? pool->by_fd[fd] : NULL;
        if (j == NULL)
            continue; /* a wait that ended otherwise */
        for (int k = 0; k < j->nfds; k++)
            if (j->fds[k].fd == fd)
                j->fds[k].revents |=
                    poll_bits(evs[i].events) & (j->fds[k].events | POLLERR | POLLHUP | POLLNVAL);
        wake_job(pool, j, now);
    }
    if (pool->min_due >= 0 && (uint64_t)pool->min_due <= now)
        expire_waits(pool, now); /* the list is walked about once per curl wait bound, not per poll */
    /* more runnable than this worker takes next: another worker runs them meanwhile, if a
     * CPU is left for it */
    if (pool->queue.len > pool->ready && pool_cpu_free(pool, now)) {
        worker *w = pool->idle != NULL ? pool_wake_one(pool) : NULL;
        if (w != NULL)
            pthread_cond_signal(&w->wake);
    }
}

/*
 * Arms p->fd in epfd for one wake-up on its events. When epoll cannot watch it, sets
 * p->revents as poll() would report it: ready for a regular file, POLLNVAL otherwise.
 */
static void arm(int epfd, struct pollfd *p)
{
    struct epoll_event ev = {.events = EPOLLONESHOT, .data.fd = p->fd};
    ev.events |= (p->events & POLLIN ? EPOLLIN : 0) | (p->events & POLLOUT ? EPOLLOUT : 0) |
                 (p->events & POLLPRI ? EPOLLPRI : 0);
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, p->fd, &ev) == 0)
        return;
    if (errno == ENOENT && epoll_ctl(epfd, EPOLL_CTL_ADD, p->fd, &ev) == 0)
        return;
    p->revents = errno == EPERM ? (short)(p->events & (POLLIN | POLLOUT)) : POLLNVAL;
}

/* Room in by_fd for descriptor fd; 0 or -1. Lock held. */
static int by_fd_room(ff_pool *pool, int fd)
{
    if (fd < pool->by_fd_len)
        return 0;
    int len = pool->by_fd_len ? pool->by_fd_len : 256;
    while (len <= fd)
        len *= 2;
    job **p = realloc(pool->by_fd, (size_t)len * sizeof(*p));
    if (p == NULL)
        return -1;
    for (int i = pool->by_fd_len; i < len; i++)
        p[i] = NULL;
    pool->by_fd = p;
    pool->by_fd_len = len;
    return 0;
}

/* 1 when j's descriptors can be watched for it: room in by_fd, and no other job waits on
 * one of them. Lock held. */
static int can_register(ff_pool *pool, const job *j)
{
    int top = -1;
    for (int i = 0; i < j->nfds; i++)
        top = j->fds[i].fd > top ? j->fds[i].fd : top;
    if (top >= 0 && by_fd_room(pool, top) != 0)
        return 0;
    for (int i = 0; i < j->nfds; i++)
        if (j->fds[i].fd >= 0 && pool->by_fd[j->fds[i].fd] != NULL)
            return 0;
    return 1;
}

void pool_suspend(ff_pool *pool, job *j)
{
    if (!can_register(pool, j)) {
        j->state = JOB_REFUSED;
        j->queued_at = now_ns();
        j->next = pool->queue.head; /* at the head: it was running a moment ago */
        pool->queue.head = j;
        if (pool->queue.tail == NULL)
            pool->queue.tail = j;
        pool->queue.len++;
        return;
    }
    j->state = JOB_SUSPENDED;
    j->prev_w = pool->waiting.prev_w;
    j->next_w = &pool->waiting;
    j->prev_w->next_w = j->next_w->prev_w = j;
    pool->n_waiting++;
    if (j->due_ns >= 0 && (pool->min_due < 0 || j->due_ns < pool->min_due))
        pool->min_due = j->due_ns;
    if (pool->polling && j->due_ns >= 0 && (pool->poll_due < 0 || j->due_ns < pool->poll_due))
        pool_kick(pool); /* the poller's wait must end sooner */
    int ready_now = 0;
    for (int i = 0; i < j->nfds; i++)
        if (j->fds[i].fd >= 0) {
            pool->by_fd[j->fds[i].fd] = j;
            arm(pool->epfd, &j->fds[i]);
            ready_now |= j->fds[i].revents != 0;
        }
    if (ready_now) /* nothing to wait for */
        wake_job(pool, j, now_ns());
}

int ff_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    job *j = pool_current_job();
    if (j == NULL || j->fiber == NULL || j->pinned || timeout_ms == 0 || j->pool->epfd < 0)
        return poll(fds, n, timeout_ms);
    for (nfds_t i = 0; i < n; i++)
        fds[i].revents = 0;
    j->fds = fds;
    j->nfds = (int)n;
    j->due_ns = timeout_ms < 0 ? -1 : (int64_t)now_ns() + (int64_t)timeout_ms * 1000000;
    j->state = JOB_WAITING;
    ff_fiber_yield(j->fiber);
    /* possibly on another thread now: only j and fds are used below */
    if (j->state == JOB_REFUSED) {
        j->state = JOB_RUNNING;
        return poll(fds, n, timeout_ms); /* the deadline restarts: as rare as a shared fd */
    }
    int ready = 0;
    for (nfds_t i = 0; i < n; i++)
        ready += fds[i].revents != 0;
    return ready;
}

int pool_wait_init(ff_pool *pool)
{
    pool->waiting.prev_w = pool->waiting.next_w = &pool->waiting;
    pool->min_due = -1;
    pool->epfd = epoll_create1(EPOLL_CLOEXEC);
    pool->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = pool->kick_fd};
    if (pool->epfd >= 0 && pool->kick_fd >= 0 &&
        epoll_ctl(pool->epfd, EPOLL_CTL_ADD, pool->kick_fd, &ev) == 0)
        return 0;
    pool_wait_free(pool);
    return -1;
}

void pool_wait_free(ff_pool *pool)
{
    if (pool->epfd >= 0)
        close(pool->epfd);
    if (pool->kick_fd >= 0)
        close(pool->kick_fd);
    pool->epfd = pool->kick_fd = -1;
    free(pool->by_fd);
    pool->by_fd = NULL;
    pool->by_fd_len = 0;
}
