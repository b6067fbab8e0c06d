/* progress.c: a progress reporter for training loops (issue 16): a bar with rate and ETA redrawn
 * in place on a terminal, plain lines every N steps otherwise, flushed after every write. See
 * l2.h, "Data loader and progress". */
#include "l2-impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_CELLS 24

struct l2_progress {
    FILE *out;
    char label[64];
    int64_t total, every, done, last_shown; /* last_shown: -1 before the first write */
    bool tty;
    double t0, last_draw;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

l2_progress *l2_progress_new(FILE *out, const char *label, int64_t total, int64_t every,
                             bool force_lines)
{
    L2__CHECK(out != NULL, NULL, L2_ERR_NULL, "progress_new: argument 'out' is NULL");
    L2__CHECK(total >= 0, NULL, L2_ERR_ARG, "progress_new: total must be >= 0 (got %lld)",
              (long long)total);
    l2_progress *p = l2__calloc(sizeof *p, "progress_new: the reporter");
    if (!p)
        return NULL;
    p->out = out;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->every = every > 0 ? every : (total / 10 > 1 ? total / 10 : 1);
    p->last_shown = -1;
    int fd = fileno(out);
    p->tty = !force_lines && fd >= 0 && isatty(fd);
    p->t0 = now_s();
    p->last_draw = -1;
    return p;
}

/* "M:SS" or "H:MM:SS" for s >= 0 seconds. */
static void fmt_time(char *buf, size_t n, double s)
{
    long long t = (long long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%lld:%02lld", t / 60, t % 60);
}

static void show(l2_progress *p, const char *info, bool newline_after)
{
    double el = now_s() - p->t0;
    bool timed = el > 0 && p->done > 0;
    double rate = timed ? (double)p->done / el : 0;
    char rs[32] = "-", eta[32] = "-";
    if (timed) {
        snprintf(rs, sizeof rs, "%.1f", rate);
        if (p->total > 0)
            fmt_time(eta, sizeof eta, (double)(p->total - p->done) / rate);
    }
    bool has_info = info && info[0];
    if (p->tty) {
        fprintf(p->out, "\r%s%s", p->label, p->label[0] ? " " : "");
        if (p->total > 0) {
            int fill = (int)((double)p->done / (double)p->total * BAR_CELLS);
            char bar[BAR_CELLS + 1];
            for (int i = 0; i < BAR_CELLS; i++)
                bar[i] = i < fill ? '#' : '.';
            bar[BAR_CELLS] = '\0';
            fprintf(p->out, "[%s]  %lld/%lld  %s it/s  ETA %s", bar, (long long)p->done,
                    (long long)p->total, rs, eta);
        } else {
            fprintf(p->out, "%lld/?  %s it/s", (long long)p->done, rs);
        }
        if (has_info)
            fprintf(p->out, "  %.127s", info);
        fputs("\033[K", p->out);
        if (newline_after)
            fputc('\n', p->out);
    } else {
        if (p->label[0])
            fprintf(p->out, "%s: ", p->label);
        if (p->total > 0)
            fprintf(p->out, "%lld/%lld (%.1f%%), %s it/s, ETA %s", (long long)p->done,
                    (long long)p->total, 100.0 * (double)p->done / (double)p->total, rs, eta);
        else
            fprintf(p->out, "%lld/?, %s it/s", (long long)p->done, rs);
        if (has_info)
            fprintf(p->out, ", %.127s", info);
        fputc('\n', p->out);
    }
    fflush(p->out);
    p->last_shown = p->done;
    p->last_draw = now_s();
}

l2_status l2_progress_update(l2_progress *p, int64_t done, const char *info)
{
    L2__CHECK_ST(p != NULL, L2_ERR_NULL, "progress_update: argument 'p' is NULL");
    L2__CHECK_ST(done >= 0 && (p->total == 0 || done <= p->total), L2_ERR_ARG,
                 "progress_update: done must be in 0..%lld (got %lld)", (long long)p->total,
                 (long long)done);
    p->done = done;
    bool last = p->total > 0 && done == p->total;
    if (p->tty) {
        if (last || p->last_draw < 0 || now_s() - p->last_draw >= 0.1)
            show(p, info, false);
    } else if (done != p->last_shown && done > 0 && (last || done % p->every == 0)) {
        show(p, info, false);
    }
    return L2_OK;
}

l2_status l2_progress_finish(l2_progress *p, const char *info)
{
    L2__CHECK_ST(p != NULL, L2_ERR_NULL, "progress_finish: argument 'p' is NULL");
    if (p->tty)
        show(p, info, true);
    else if (p->last_shown != p->done)
        show(p, info, false);
    return L2_OK;
}

void l2_progress_free(l2_progress *p)
{
    if (p)
        l2__free(p);
}
