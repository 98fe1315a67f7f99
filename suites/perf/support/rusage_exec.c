/*
** rusage_exec OUT -- PROGRAM [ARGS...]
**
** Runs PROGRAM as a child and writes "wall_ns user_us sys_us maxrss_kb wstatus vmpeak_kb" to the file OUT.
**
** Why: Linux counts the memory image a child had before exec() in its ru_maxrss, so a child forked
** from a Python harness reports at least the harness's own RSS.  Forking from this tiny static program
** instead makes the peak RSS of the measured program exact.
**
** While the child runs, this helper waits on a pidfd with poll() and, at growing intervals, reads
** VmPeak (reserved virtual memory) from /proc/<pid>/status: the exit wakes poll() at once, so the
** wall time is not delayed by the sampling.  VmPeak is -1 if it could not be read (a lower bound
** otherwise: the last sample before exit).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <poll.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static long vm_peak(pid_t pid) {
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmPeak:", 7) == 0) { kb = strtol(line + 7, 0, 10); break; }
    fclose(f);
    return kb;
}

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: rusage_exec OUT -- PROGRAM [ARGS...]\n");
        return 125;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) { perror("rusage_exec: fork"); return 126; }
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        perror("rusage_exec: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    long peak = -1;
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd >= 0) {
        /* No sampling in the first 2 ms: reading /proc/<pid>/status contends with exec for the
        ** child's mm and slows down exactly the short runs the startup ladder measures. */
        int timeout_ms = 2, first = 1;
        for (;;) {
            if (!first) {
                long v = vm_peak(pid);
                if (v > peak) peak = v;
            }
            first = 0;
            struct pollfd p = { pfd, POLLIN, 0 };
            int r = poll(&p, 1, timeout_ms);
            if (r != 0) break;                 /* exited (or poll failed: just wait) */
            if (timeout_ms < 50) timeout_ms *= 2;
        }
        close(pfd);
    }
    if (wait4(pid, &status, 0, &ru) < 0) { perror("rusage_exec: wait4"); return 126; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long wall = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    FILE *f = fopen(argv[1], "w");
    if (!f) { perror("rusage_exec: output"); return 126; }
    fprintf(f, "%lld %lld %lld %ld %d %ld\n", wall,
            (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
            (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_maxrss, status, peak);
    fclose(f);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 126;
}
