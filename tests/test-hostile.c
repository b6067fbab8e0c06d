/* test-hostile.c: the hostile-input suite's harness. It reads $L2_SRCDIR/libl2/l2.h, runs the
 * entry of every public function (tests/hostile-*.c) with each case in a fork()ed child, and
 * prints one TAP line per function: ok when none of its cases crashed, hung, drew a sanitizer
 * report or failed badly (no status, no message, the wrong status, a wrong result). A public
 * function without an entry, or an entry for no public function, is a failing line too.
 * Under valgrind (detected through LD_PRELOAD) or with L2_HOSTILE_REDUCED=1, a reduced sweep runs
 * every 30th case of each function (the first included; L2_HOSTILE_STRIDE=n sets the stride and
 * turns the reduced sweep on): about 430 children, under 2 minutes in valgrind. */
#include "hostile.h"
#include "tap.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Sanitizer reports exit with 23 (and stop at the first UBSan report) in every child. */
#define H_EXPORT __attribute__((visibility("default"))) /* the build hides symbols by default */
H_EXPORT const char *__asan_default_options(void);
H_EXPORT const char *__asan_default_options(void)
{
    return "exitcode=23:allocator_may_return_null=1:detect_leaks=1";
}
H_EXPORT const char *__ubsan_default_options(void);
H_EXPORT const char *__ubsan_default_options(void)
{
    return "exitcode=23:halt_on_error=1:print_stacktrace=1";
}

#define EXIT_BAD 64
#define MAX_FUNCS 512

typedef struct {
    const char *name;
    void (*fn)(void);
} entry;

static const entry entries[] = {
#define H_ROW(n) {#n, h_##n},
    H_ENTRIES(H_ROW)
#undef H_ROW
};
#define N_ENTRIES ((int)(sizeof entries / sizeof entries[0]))

/* Parent state. */
static int reduced, reduced_stride = 30, timeout_s = 10;
static char tmpdir[256], capture_path[300];
static int capture_fd = -1;
static long n_tried, n_crash, n_san, n_bad;
static int cur_cases, cur_seen, cur_failed;
static const char *cur_name;
/* Child state. */
static int in_child, child_bad, child_scope;

const char *h_tmpdir(void)
{
    return tmpdir;
}

void h_bad(int line, const char *fmt, ...)
{
    va_list ap;
    child_bad = 1;
    fprintf(stderr, "line %d: ", line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

/* Does captured stderr hold a sanitizer report? (ASan's "failed to allocate" warnings under
 * allocator_may_return_null are not reports.) */
static int is_report(const char *s)
{
    return strstr(s, "ERROR: AddressSanitizer") || strstr(s, "ERROR: LeakSanitizer") ||
           strstr(s, "ERROR: UndefinedBehaviorSanitizer") || strstr(s, "runtime error:");
}

/* The first few lines of the child's stderr, as TAP diagnostics; whether it holds a sanitizer
 * report. */
static int show_capture(void)
{
    char buf[4096];
    ssize_t n = pread(capture_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    int san = is_report(buf);
    int lines = 0;
    for (char *p = buf; *p && lines < 8; lines++) {
        char *e = strchr(p, '\n');
        if (e)
            *e = 0;
        if (*p)
            printf("#     %.180s\n", p);
        if (!e)
            break;
        p = e + 1;
    }
    return san;
}

static int begin(int scope, const char *fmt, va_list ap)
{
    char desc[512];
    if (in_child) /* a CASE inside a CASE body: run it inline */
        return 0;
    if (reduced && cur_seen++ % reduced_stride != 0)
        return 0;
    vsnprintf(desc, sizeof desc, fmt, ap);
    cur_cases++;
    n_tried++;
    if (ftruncate(capture_fd, 0) != 0 || lseek(capture_fd, 0, SEEK_SET) != 0)
        perror("capture file");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        printf("# %s: fork failed: %s\n", cur_name, strerror(errno));
        cur_failed++;
        n_crash++;
        return 0;
    }
    if (pid == 0) {
        in_child = 1;
        dup2(capture_fd, 1); /* l2_print and friends must not reach the TAP stream */
        dup2(capture_fd, 2);
        alarm((unsigned)timeout_s);
        child_scope = scope;
        if (scope && l2_scope_begin() != L2_OK) {
            fprintf(stderr, "scope_begin failed: %s\n", l2_last_error());
            exit(EXIT_BAD);
        }
        return 1;
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    const char *what = NULL;
    int san = 0;
    char sigbuf[64], head[4096];
    ssize_t nhead = pread(capture_fd, head, sizeof head - 1, 0);
    head[nhead > 0 ? nhead : 0] = 0;
    int report = is_report(head);
    if (report && !WIFSIGNALED(st)) {
        what = "sanitizer report";
        n_san++;
    } else if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        snprintf(sigbuf, sizeof sigbuf, "%s (signal %d)", sig == SIGALRM ? "timeout" : "crash",
                 sig);
        what = sigbuf;
        n_crash++;
    } else if (WEXITSTATUS(st) == 23 || (reduced && WEXITSTATUS(st) == 9)) {
        what = "sanitizer/valgrind report";
        n_san++;
    } else if (WEXITSTATUS(st) == EXIT_BAD) {
        what = "bad failure or wrong result";
        n_bad++;
    } else if (WEXITSTATUS(st) != 0) {
        snprintf(sigbuf, sizeof sigbuf, "unexpected exit status %d", WEXITSTATUS(st));
        what = sigbuf;
        n_crash++;
    }
    if (what) {
        cur_failed++;
        printf("# FAIL %s: %s: %s\n", cur_name, desc, what);
        san = show_capture();
    }
    (void)san;
    return 0;
}

int h_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = begin(1, fmt, ap);
    va_end(ap);
    return r;
}

int h_begin_raw(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = begin(0, fmt, ap);
    va_end(ap);
    return r;
}

int h_end(void)
{
    if (child_scope && l2_scope_end() != L2_OK)
        h_bad(0, "scope_end at the end of the case failed: %s", l2_last_error());
    fflush(stdout);
    exit(child_bad ? EXIT_BAD : 0); /* exit, not _exit: LeakSanitizer runs at exit */
}

/* ---- Reading l2.h ---------------------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

/* Blank out comments and preprocessor lines (with their continuations) in place. */
static void strip(char *s)
{
    int bol = 1;
    for (char *p = s; *p;) {
        if (p[0] == '/' && p[1] == '*') {
            char *e = strstr(p + 2, "*/");
            char *end = e ? e + 2 : p + strlen(p);
            for (; p < end; p++)
                if (*p != '\n')
                    *p = ' ';
            continue;
        }
        if (p[0] == '/' && p[1] == '/') {
            for (; *p && *p != '\n'; p++)
                *p = ' ';
            continue;
        }
        if (bol && *p == '#') {
            for (; *p; p++) {
                if (*p == '\n' && p[-1] != '\\')
                    break;
                if (*p != '\n')
                    *p = ' ';
            }
            continue;
        }
        if (*p == '\n')
            bol = 1;
        else if (!isspace((unsigned char)*p))
            bol = 0;
        p++;
    }
}

/* The names of the functions declared with L2_API, in order. Returns the count, -1 on error. */
static int public_names(const char *path, char **names, int max)
{
    char *s = slurp(path);
    if (!s)
        return -1;
    strip(s);
    int n = 0;
    for (char *p = strstr(s, "L2_API"); p && n < max; p = strstr(p, "L2_API")) {
        p += 6;
        if (isalnum((unsigned char)*p) || *p == '_')
            continue;
        char *paren = strchr(p, '(');
        char *semi = strchr(p, ';');
        if (!paren || (semi && semi < paren))
            continue;
        char *e = paren;
        while (e > p && isspace((unsigned char)e[-1]))
            e--;
        char *b = e;
        while (b > p && (isalnum((unsigned char)b[-1]) || b[-1] == '_'))
            b--;
        if (b < e && strncmp(b, "l2_", 3) == 0)
            names[n++] = strndup(b, (size_t)(e - b));
    }
    free(s);
    return n;
}

static const entry *find_entry(const char *name)
{
    for (int i = 0; i < N_ENTRIES; i++)
        if (strcmp(entries[i].name, name) == 0)
            return &entries[i];
    return NULL;
}

static void run_entry(const entry *e)
{
    cur_name = e->name;
    cur_cases = cur_seen = cur_failed = 0;
    e->fn();
    if (cur_cases == 0)
        ok(0, "%s: the entry has no cases", e->name);
    else
        ok(cur_failed == 0, "%s: %d of %d cases failed", e->name, cur_failed, cur_cases);
}

static void rm_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    char p[600];
    while (d && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    /* The source tree: $L2_SRCDIR (make check sets it), else the one this test was built from. */
    const char *src = getenv("L2_SRCDIR") ? getenv("L2_SRCDIR") : L2_TOP_SRCDIR;
    const char *pre = getenv("LD_PRELOAD");
    const char *red = getenv("L2_HOSTILE_REDUCED");
    char hpath[1024];
    static char *names[MAX_FUNCS];
    reduced = (pre && strstr(pre, "vgpreload")) || (red && *red && strcmp(red, "0"));
    const char *stride = getenv("L2_HOSTILE_STRIDE");
    if (stride && atoi(stride) > 0)
        reduced = 1, reduced_stride = atoi(stride);
    if (reduced)
        timeout_s = 120;
#ifdef __SANITIZE_ADDRESS__
    /* ASan runs the 10,000-entry l2_params_add case near the 10 s alarm under make -j2 load */
    if (timeout_s < 60)
        timeout_s = 60;
#endif
    snprintf(hpath, sizeof hpath, "%s/libl2/l2.h", src ? src : ".");
    int n = public_names(hpath, names, MAX_FUNCS);
    if (n <= 0) {
        ok(0, "read the public functions of %s", hpath);
        return tap_done();
    }
    const char *tdir = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/l2-hostile-XXXXXX", tdir && *tdir ? tdir : "/tmp");
    if (!mkdtemp(tmpdir)) {
        ok(0, "make a temporary folder: %s", strerror(errno));
        return tap_done();
    }
    snprintf(capture_path, sizeof capture_path, "%s/capture", tmpdir);
    capture_fd = open(capture_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (capture_fd < 0) {
        ok(0, "open %s: %s", capture_path, strerror(errno));
        return tap_done();
    }
    tap_diag("%d public functions in l2.h, %d entries%s", n, N_ENTRIES,
             reduced ? " (reduced sweep: valgrind or L2_HOSTILE_REDUCED)" : "");
    /* One function only: ./test-hostile l2_pad */
    for (int i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], names[i]) != 0)
            continue;
        const entry *e = find_entry(names[i]);
        if (e)
            run_entry(e);
        else
            ok(0, "%s has no hostile entry", names[i]);
    }
    for (int i = 0; i < N_ENTRIES && argc <= 1; i++) {
        int found = 0;
        for (int j = 0; j < n && !found; j++)
            found = strcmp(names[j], entries[i].name) == 0;
        if (!found)
            ok(0, "entry %s names no public function of l2.h", entries[i].name);
    }
    tap_diag("calls tried %ld, crashes %ld, sanitizer reports %ld, bad failures %ld", n_tried,
             n_crash, n_san, n_bad);
    close(capture_fd);
    rm_tmpdir();
    for (int i = 0; i < n; i++)
        free(names[i]);
    return tap_done();
}
