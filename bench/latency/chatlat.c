// chatlat: the latency a relay adds to each streamed chunk, measured end to end in ONE process.
//
// The process is both sides of the relay:
//   (a) a fake OpenAI-compatible upstream (POST /v1/chat/completions, HTTP/1.1 keep-alive,
//       chunked text/event-stream). After the role chunk it paces `--chunks` content chunks
//       `--interval-ms` apart on average (each gap varied by +-`--jitter`, default 50%, so
//       streams do not stay in lock-step); each content chunk carries the CLOCK_MONOTONIC ns at
//       which it was written (content "t<ns> ") and goes out as its own send() right after
//       the clock is read. Then a finish chunk, a usage chunk and `data: [DONE]` in one send.
//   (b) N clients. Default: WebSocket clients of the relay's /ws (masked frames, no
//       extensions offered) that run chats back to back; `--direct`: HTTP clients that POST
//       straight to (a), the baseline path without a relay.
// For every chunk a client reads it records now - stamp: the same clock in the same process,
// so no clock sync is involved. The request path (client sends its chat -> upstream has the
// request) is measured the same way with a stamp in the message ("lat:<ns>").
//
// Timers (a binary heap driving one timerfd per thread) pace the chunks; every thread runs
// its own epoll loop with its share of the clients and its own SO_REUSEPORT listener.
// Only chunks written after the warmup and read before the end count. The last line printed
// is `RESULT key=value ...`.
//
// Also printed: chunks/s against the ideal (conns x 1000 / interval), streams completed,
// errors by kind (a wrong chunk count or a seq gap means chunks were lost), how late the
// tool's own chunk timers fired, its CPU (a warning above 80%), with --pid the relay's CPU
// per chunk over the window, and how busy each CPU was (/proc/stat).
//
// Usage: chatlat [-p relay_port] [--path /ws] [--upstream-port P] [-c conns] [-t threads]
//                [-d seconds] [-w warmup_s] [--interval-ms 50] [--jitter 0.5] [--chunks 50] [--direct]
//                [--pid relay_pid] [--ramp 64] [--host 127.0.0.1] [--label NAME] [--slow-log FILE]
//        chatlat --noise SECONDS   (spin and count the gaps in which the CPU ran something else)
// Build: cc -O2 -Wall -o chatlat chatlat.c -lpthread
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *host, *path, *label;
    int port, uport, conns, threads, interval_ms, chunks, ramp, direct, pid;
    double duration, warmup, jitter;
} opt = {"127.0.0.1", "/ws", NULL, 8080, 19300, 1000, 1, 50, 50, 64, 0, -1, 15, 3, 0.5};

static uint64_t warm_end_ns, end_ns; // the measured window
static FILE *slow_log;                // --slow-log: every chunk over 1 ms, to look for a pattern
static atomic_int stop_flag;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int in_window(uint64_t stamp, uint64_t now) { return stamp >= warm_end_ns && now <= end_ns; }

// ---- growable byte buffer: bytes [off, len) are pending ----

typedef struct {
    char *data;
    size_t len, off, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
    if (b->off > 0 && b->off == b->len) b->off = b->len = 0;
    if (b->len + extra <= b->cap) return;
    if (b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->len + extra <= b->cap) return;
    }
    size_t cap = b->cap ? b->cap : 2048;
    while (cap < b->len + extra) cap *= 2;
    if (!(b->data = realloc(b->data, cap))) die("realloc");
    b->cap = cap;
}

static void buf_append(buf_t *b, const void *p, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_clear(buf_t *b) { b->off = b->len = 0; }

// ---- SHA-1 and base64, for the Sec-WebSocket-Accept check (as in tools/wsload) ----

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const uint8_t *msg, size_t len, uint8_t out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    uint8_t *m = calloc(1, total);
    if (!m) die("calloc");
    memcpy(m, msg, len);
    m[len] = 0x80;
    for (int i = 0; i < 8; i++) m[total - 1 - i] = (uint8_t)((uint64_t)len * 8 >> (8 * i));
    for (size_t blk = 0; blk < total; blk += 64) {
        uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)m[blk + 4 * i] << 24 | (uint32_t)m[blk + 4 * i + 1] << 16 |
                   (uint32_t)m[blk + 4 * i + 2] << 8 | m[blk + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
            else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d, d = c, c = rol(b, 30), b = a, a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    free(m);
    for (int i = 0; i < 20; i++) out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void base64(const uint8_t *in, size_t n, char *out) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = 0;
}

static void ws_accept_for(const char *key, char out[29]) {
    char cat[128];
    uint8_t digest[20];
    int n = snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    sha1((const uint8_t *)cat, (size_t)n, digest);
    base64(digest, 20, out);
}

// ---- WebSocket frames ----

// Appends one masked client frame (RFC 6455 5.2, 5.3).
static void ws_frame(buf_t *b, int opcode, const void *payload, size_t n, uint32_t mask) {
    uint8_t hdr[14], key[4];
    size_t h = 0;
    memcpy(key, &mask, 4);
    hdr[h++] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        hdr[h++] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (uint8_t)(n >> 8);
        hdr[h++] = (uint8_t)n;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) hdr[h++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    memcpy(hdr + h, key, 4);
    buf_append(b, hdr, h + 4);
    buf_reserve(b, n);
    uint8_t *dst = (uint8_t *)b->data + b->len;
    const uint8_t *src = payload;
    for (size_t i = 0; i < n; i++) dst[i] = src[i] ^ key[i & 3];
    b->len += n;
}

typedef struct {
    int fin, opcode, masked;
    const uint8_t *payload;
    size_t len;
} ws_frame_t;

// Parses one server frame. Returns the bytes it spans, 0 if incomplete, -1 if invalid.
static long ws_parse(const uint8_t *p, size_t n, ws_frame_t *f) {
    if (n < 2) return 0;
    f->fin = p[0] >> 7;
    f->opcode = p[0] & 15;
    f->masked = p[1] >> 7;
    if (p[0] & 0x70) return -1; // RSV bits: we offered no extension
    uint64_t len = p[1] & 127;
    size_t h = 2;
    if (len == 126) {
        if (n < 4) return 0;
        len = (uint64_t)p[2] << 8 | p[3];
        h = 4;
    } else if (len == 127) {
        if (n < 10) return 0;
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
        h = 10;
    }
    if (f->masked) h += 4;
    if (len > (1u << 26)) return -1;
    if (n < h + len) return 0;
    f->payload = p + h;
    f->len = (size_t)len;
    return (long)(h + len);
}

// ---- tiny JSON field readers (the messages are ours or the relay's: flat, compact) ----

// Position just after `"name"` and the following blanks and colon, or NULL.
static const char *json_field(const char *p, size_t n, const char *name) {
    char pat[40];
    int pl = snprintf(pat, sizeof pat, "\"%s\"", name);
    const char *end = p + n, *q = memmem(p, n, pat, (size_t)pl);
    if (!q) return NULL;
    for (q += pl; q < end && (*q == ' ' || *q == ':' || *q == '\t'); q++) {}
    return q < end ? q : NULL;
}

static int json_str(const char *p, size_t n, const char *name, char *out, size_t cap) {
    const char *q = json_field(p, n, name), *end = p + n;
    if (!q || *q != '"') return 0;
    size_t i = 0;
    for (q++; q < end && *q != '"' && i + 1 < cap; q++) out[i++] = *q;
    out[i] = 0;
    return 1;
}

static long long json_int(const char *p, size_t n, const char *name) {
    const char *q = json_field(p, n, name), *end = p + n;
    if (!q || *q < '0' || *q > '9') return -1;
    long long v = 0;
    for (; q < end && *q >= '0' && *q <= '9'; q++) v = v * 10 + (*q - '0');
    return v;
}

// The write stamp in a chunk's content ("t<ns> "), 0 if none.
static uint64_t content_stamp(const char *p, size_t n) {
    const char *q = json_field(p, n, "content"), *end = p + n;
    if (!q || end - q < 3 || q[0] != '"' || q[1] != 't') return 0;
    uint64_t v = 0;
    for (q += 2; q < end && *q >= '0' && *q <= '9'; q++) v = v * 10 + (uint64_t)(*q - '0');
    return v;
}

// ---- latency samples (nanoseconds, clamped to 4.29 s; sorted once at the end) ----

typedef struct {
    uint32_t *v;
    size_t n, cap;
} samples_t;

static void sample_add(samples_t *s, uint64_t ns) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        if (!(s->v = realloc(s->v, s->cap * sizeof *s->v))) die("realloc");
    }
    s->v[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

// Share of the samples above ms milliseconds, in percent (sorted samples).
static double over_pct(const samples_t *s, double ms) {
    if (s->n == 0) return 0;
    uint32_t lim = (uint32_t)(ms * 1e6);
    size_t lo = 0, hi = s->n; // first index with v > lim
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->v[mid] <= lim) lo = mid + 1;
        else hi = mid;
    }
    return 100.0 * (double)(s->n - lo) / (double)s->n;
}

static double pct_ms(const samples_t *s, double p) { // nearest rank, sorted samples
    if (s->n == 0) return 0;
    size_t i = (size_t)(p / 100.0 * (double)s->n);
    if (i >= s->n) i = s->n - 1;
    return s->v[i] / 1e6;
}

// ---- per-thread state ----

typedef struct {
    uint64_t chunks, streams, srv_streams, srv_chunks;
    uint64_t e_connect, e_handshake, e_closed, e_error_msg, e_bad_stream, e_seq, e_stamp, e_order, e_proto, e_http;
    samples_t lat, req, lag; // lag: how late the upstream's chunk timers fired (the tool's own delay)
} stats_t;

enum { C_DEAD, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_HEAD, C_BODY };
enum { CS_SIZE, CS_DATA, CS_DATA_END, CS_TRAILER };
enum { S_READ, S_STREAM };
enum { TM_CHUNK, TM_CONNECT, TM_CHAT };
enum { EV_TIMER = 1, EV_LISTEN, EV_CLI, EV_SRV };

typedef struct thread thread_t;

typedef struct { // a client: WebSocket to the relay, or HTTP straight to the upstream (--direct)
    thread_t *t;
    int idx, fd, state, want_out, ever_open, in_stream, done;
    uint64_t gen, chat_no, last_stamp;
    int chunks, seq_bad;
    buf_t in, out, msg, line;
    char key[32];
    int chunk_state; // --direct: chunked body decoding
    uint64_t body_left;
} cli_t;

typedef struct { // an upstream connection accepted by the fake server
    int fd, state, want_out, sent;
    uint64_t gen;
    buf_t in, out;
} srv_t;

typedef struct {
    uint64_t due, gen;
    int kind, ref; // ref: client index or server fd
} tm_t;

struct thread {
    pthread_t tid;
    int id, epfd, tfd, lfd, n, next_new, inflight;
    cli_t *cli;
    srv_t **srv; // by fd
    tm_t *heap;
    size_t heap_len, heap_cap;
    uint64_t armed, rng, next_gen;
    struct sockaddr_in addr; // where the clients connect
    stats_t st;
};

static int max_fds;

static uint32_t rnd(thread_t *t) { // xorshift64
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return (uint32_t)(t->rng >> 16);
}

// ---- timer heap (min-heap on due) + one timerfd per thread ----

static void heap_swap(thread_t *t, size_t a, size_t b) {
    tm_t x = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = x;
}

static void timer_add(thread_t *t, uint64_t due, int kind, int ref, uint64_t gen) {
    if (t->heap_len == t->heap_cap) {
        t->heap_cap = t->heap_cap ? t->heap_cap * 2 : 1024;
        if (!(t->heap = realloc(t->heap, t->heap_cap * sizeof *t->heap))) die("realloc");
    }
    size_t i = t->heap_len++;
    t->heap[i] = (tm_t){due, gen, kind, ref};
    while (i > 0 && t->heap[(i - 1) / 2].due > t->heap[i].due) {
        heap_swap(t, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static tm_t timer_pop(thread_t *t) {
    tm_t top = t->heap[0];
    t->heap[0] = t->heap[--t->heap_len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->heap_len && t->heap[l].due < t->heap[m].due) m = l;
        if (r < t->heap_len && t->heap[r].due < t->heap[m].due) m = r;
        if (m == i) break;
        heap_swap(t, i, m);
        i = m;
    }
    return top;
}

static void timer_arm(thread_t *t) {
    uint64_t due = t->heap_len ? t->heap[0].due : 0;
    if (due == t->armed) return;
    struct itimerspec its = {0};
    if (due) {
        its.it_value.tv_sec = (time_t)(due / 1000000000u);
        its.it_value.tv_nsec = (long)(due % 1000000000u);
    }
    if (timerfd_settime(t->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) die("timerfd_settime");
    t->armed = due;
}

// ---- epoll helpers ----

static void ep_add(thread_t *t, int fd, int kind, int ref, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)kind << 32 | (uint32_t)ref};
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
}

static void ep_mod(thread_t *t, int fd, int kind, int ref, int want_out) {
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.u64 = (uint64_t)kind << 32 | (uint32_t)ref};
    if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl mod");
}

// ================= (a) the fake upstream =================

// The gap before the next content chunk: --interval-ms, varied by +-jitter (uniformly, so the
// mean rate stays 1000/interval per stream). Without jitter, streams whose requests reached
// the upstream together (a relay that batches its writes sends them together) would stay in
// lock-step for good and their chunks would always arrive in bursts: real token streams drift.
static uint64_t gap_ns(thread_t *t) {
    double base = (double)opt.interval_ms * 1e6;
    if (opt.jitter <= 0) return (uint64_t)base;
    double u = (double)(rnd(t) % 1000000) / 1e6; // [0, 1)
    return (uint64_t)(base * (1 + opt.jitter * (2 * u - 1)));
}

static char scratch_head[] = "{\"id\":\"chatcmpl-lat\",\"object\":\"chat.completion.chunk\",\"created\":1754907229,"
                             "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":";

static void srv_close(thread_t *t, srv_t *s) {
    t->srv[s->fd] = NULL;
    close(s->fd);
    free(s->in.data);
    free(s->out.data);
    free(s);
}

// Sends pending output. Returns -1 if the connection was closed.
static int srv_flush(thread_t *t, srv_t *s) {
    while (s->out.off < s->out.len) {
        ssize_t n = send(s->fd, s->out.data + s->out.off, s->out.len - s->out.off, MSG_NOSIGNAL);
        if (n > 0) {
            s->out.off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (!s->want_out) ep_mod(t, s->fd, EV_SRV, s->fd, s->want_out = 1);
            return 0;
        } else {
            srv_close(t, s);
            return -1;
        }
    }
    buf_clear(&s->out);
    if (s->want_out) ep_mod(t, s->fd, EV_SRV, s->fd, s->want_out = 0);
    return 0;
}

// Appends `data: <payload>\n\n` as one HTTP chunk.
static void put_event(buf_t *b, const char *payload, int n) {
    char hdr[32];
    int h = snprintf(hdr, sizeof hdr, "%x\r\ndata: ", n + 8);
    buf_append(b, hdr, (size_t)h);
    buf_append(b, payload, (size_t)n);
    buf_append(b, "\n\n\r\n", 4);
}

static const char *find_header(const char *h, const char *end, const char *name, size_t *vlen) {
    size_t nl = strlen(name);
    for (const char *line = h; line < end;) {
        const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!eol) eol = end;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && !strncasecmp(line, name, nl)) {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            *vlen = (size_t)(eol - v);
            return v;
        }
        line = eol + 2;
    }
    return NULL;
}

static void srv_simple(srv_t *s, int status, const char *reason, const char *body) {
    char r[256];
    int n = snprintf(r, sizeof r, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s", status,
                     reason, strlen(body), body);
    buf_append(&s->out, r, (size_t)n);
}

// Parses one complete buffered request and starts its answer. Returns 0 if none is complete.
static int srv_request(thread_t *t, srv_t *s) {
    char *req = s->in.data + s->in.off;
    size_t avail = s->in.len - s->in.off, vlen, body_len = 0;
    char *hend = avail ? memmem(req, avail, "\r\n\r\n", 4) : NULL;
    if (!hend) return 0;
    const char *hstart = memchr(req, '\n', (size_t)(hend - req)), *v;
    hstart = hstart ? hstart + 1 : hend;
    if ((v = find_header(hstart, hend, "content-length", &vlen))) body_len = strtoul(v, NULL, 10);
    size_t head_len = (size_t)(hend + 4 - req);
    if (avail < head_len + body_len) return 0;
    const char *body = hend + 4;
    uint64_t now = now_ns();
    if (!strncmp(req, "POST ", 5) && memmem(req, (size_t)(hstart - req), "/chat/completions", 17)) {
        const char *m = memmem(body, body_len, "lat:", 4);
        if (m) {
            uint64_t stamp = strtoull(m + 4, NULL, 10);
            if (stamp && in_window(stamp, now)) sample_add(&t->st.req, now - stamp);
        }
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n";
        char ev[512];
        buf_append(&s->out, head, sizeof head - 1);
        int n = snprintf(ev, sizeof ev, "%s{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}", scratch_head);
        put_event(&s->out, ev, n);
        s->state = S_STREAM;
        s->sent = 0;
        t->st.srv_streams++;
        timer_add(t, now + gap_ns(t), TM_CHUNK, s->fd, s->gen);
    } else if (!strncmp(req, "GET /health ", 12)) {
        srv_simple(s, 200, "OK", "ok\n");
    } else {
        srv_simple(s, 404, "Not Found", "not found\n");
    }
    s->in.off += head_len + body_len;
    return 1;
}

static void srv_input(thread_t *t, srv_t *s) {
    while (s->state == S_READ && srv_request(t, s)) {}
    srv_flush(t, s);
}

// The next content chunk of a stream (then, after the last, the end of the response).
static void srv_chunk(thread_t *t, srv_t *s, uint64_t due) {
    char ev[512];
    uint64_t stamp = now_ns();
    if (in_window(stamp, stamp)) sample_add(&t->st.lag, stamp > due ? stamp - due : 0);
    int n = snprintf(ev, sizeof ev, "%s{\"content\":\"t%llu \"},\"finish_reason\":null}]}", scratch_head,
                     (unsigned long long)stamp);
    put_event(&s->out, ev, n);
    if (srv_flush(t, s) < 0) return; // the chunk's own send()
    s->sent++;
    t->st.srv_chunks++;
    if (s->sent < opt.chunks) {
        uint64_t next = due + gap_ns(t), now = now_ns();
        timer_add(t, next > now ? next : now, TM_CHUNK, s->fd, s->gen);
        return;
    }
    n = snprintf(ev, sizeof ev, "%s{},\"finish_reason\":\"stop\"}]}", scratch_head);
    put_event(&s->out, ev, n);
    n = snprintf(ev, sizeof ev,
                 "{\"id\":\"chatcmpl-lat\",\"object\":\"chat.completion.chunk\",\"created\":1754907229,\"model\":\"m\","
                 "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":%d,\"total_tokens\":%d}}",
                 opt.chunks, opt.chunks + 1);
    put_event(&s->out, ev, n);
    put_event(&s->out, "[DONE]", 6);
    buf_append(&s->out, "0\r\n\r\n", 5);
    s->state = S_READ;
    srv_input(t, s); // flushes; serves a request that may already be buffered
}

static void srv_readable(thread_t *t, srv_t *s) {
    for (;;) {
        buf_reserve(&s->in, 16384);
        ssize_t n = recv(s->fd, s->in.data + s->in.len, s->in.cap - s->in.len, 0);
        if (n > 0) {
            s->in.len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        srv_close(t, s); // EOF or error (a relay cancels a stream by closing)
        return;
    }
    if (s->in.len - s->in.off > (1u << 22)) {
        srv_close(t, s);
        return;
    }
    srv_input(t, s);
}

static void srv_accept(thread_t *t) {
    for (;;) {
        int fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN) perror("accept4");
            return;
        }
        if (fd >= max_fds) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        srv_t *s = calloc(1, sizeof *s);
        if (!s) die("calloc");
        s->fd = fd;
        s->gen = ++t->next_gen;
        t->srv[fd] = s;
        ep_add(t, fd, EV_SRV, fd, EPOLLIN);
    }
}

// ================= (b) the clients =================

static void cli_drop(cli_t *c, int is_error);

static int cli_flush(cli_t *c) {
    while (c->out.off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out.off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (!c->want_out) ep_mod(c->t, c->fd, EV_CLI, c->idx, c->want_out = 1);
            return 0;
        } else {
            c->t->st.e_closed++;
            cli_drop(c, 0);
            return -1;
        }
    }
    buf_clear(&c->out);
    if (c->want_out) ep_mod(c->t, c->fd, EV_CLI, c->idx, c->want_out = 0);
    return 0;
}

static void cli_start(cli_t *c) {
    thread_t *t = c->t;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = C_CONNECTING;
    c->want_out = 1;
    c->in_stream = 0;
    if (!c->ever_open) t->inflight++;
    ep_add(t, c->fd, EV_CLI, c->idx, EPOLLIN | EPOLLOUT);
    if (connect(c->fd, (struct sockaddr *)&t->addr, sizeof t->addr) < 0 && errno != EINPROGRESS) {
        t->st.e_connect++;
        cli_drop(c, 0);
    }
}

// Closes a client; it reconnects 100 ms later (never from inside a handler).
static void cli_drop(cli_t *c, int is_error) {
    thread_t *t = c->t;
    if (is_error) t->st.e_closed++;
    if (!c->ever_open) {
        t->inflight--;
        c->ever_open = 1; // counts as started for the ramp
    }
    close(c->fd);
    c->fd = -1;
    c->state = C_DEAD;
    buf_clear(&c->in), buf_clear(&c->out), buf_clear(&c->msg), buf_clear(&c->line);
    c->gen++;
    if (!atomic_load(&stop_flag)) timer_add(t, now_ns() + 100000000u, TM_CONNECT, c->idx, c->gen);
}

static void stream_begin(cli_t *c) {
    c->in_stream = 1;
    c->chunks = 0;
    c->seq_bad = 0;
    c->last_stamp = 0;
}

static void stream_chunk(cli_t *c, long long seq, uint64_t stamp, uint64_t now) {
    stats_t *st = &c->t->st;
    c->chunks++;
    if (seq >= 0 && seq != c->chunks && !c->seq_bad) {
        st->e_seq++;
        c->seq_bad = 1;
    }
    if (!stamp) {
        st->e_stamp++;
        return;
    }
    if (stamp < c->last_stamp) st->e_order++;
    c->last_stamp = stamp;
    if (in_window(stamp, now)) {
        st->chunks++;
        sample_add(&st->lat, now - stamp);
        if (slow_log && now - stamp > 1000000)
            fprintf(slow_log, "%.3f %.3f %d %d %d\n", (double)(stamp - warm_end_ns) / 1e6, (double)(now - stamp) / 1e6,
                    c->t->id, c->idx, c->chunks);
    }
}

static void stream_end(cli_t *c, uint64_t now) {
    if (c->chunks != opt.chunks) c->t->st.e_bad_stream++;
    else if (now >= warm_end_ns && now <= end_ns) c->t->st.streams++;
    c->in_stream = 0;
}

static void send_chat(cli_t *c) {
    char msg[256], req[512];
    uint64_t now = now_ns();
    c->chat_no++;
    if (opt.direct) {
        int bn = snprintf(msg, sizeof msg,
                          "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"lat:%llu\"}]}",
                          (unsigned long long)now);
        int n = snprintf(req, sizeof req,
                         "POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                         "Authorization: Bearer fake\r\nAccept: text/event-stream\r\nContent-Length: %d\r\n\r\n%s",
                         opt.host, opt.uport, bn, msg);
        buf_append(&c->out, req, (size_t)n);
        c->state = C_HEAD;
        c->done = 0;
        stream_begin(c);
    } else {
        int n = snprintf(msg, sizeof msg,
                         "{\"type\":\"chat\",\"id\":\"c%llu\",\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                         "\"content\":\"lat:%llu\"}]}",
                         (unsigned long long)c->chat_no, (unsigned long long)now);
        ws_frame(&c->out, 1, msg, (size_t)n, rnd(c->t));
    }
    cli_flush(c);
}

// The first chat of a connection starts at a random point of one interval, so the streams'
// chunks do not all fall on the same instants.
static void schedule_first_chat(cli_t *c) {
    uint64_t spread = (uint64_t)opt.interval_ms * 1000000u;
    timer_add(c->t, now_ns() + (spread ? rnd(c->t) % spread : 0), TM_CHAT, c->idx, c->gen);
}

static void on_ws_message(cli_t *c, const char *p, size_t n, uint64_t now) {
    stats_t *st = &c->t->st;
    char type[24];
    if (!json_str(p, n, "type", type, sizeof type)) {
        st->e_proto++;
        return;
    }
    if (!strcmp(type, "chunk")) {
        if (!c->in_stream) stream_begin(c); // a missing start is not our business here
        stream_chunk(c, json_int(p, n, "seq"), content_stamp(p, n), now);
    } else if (!strcmp(type, "start")) {
        stream_begin(c);
    } else if (!strcmp(type, "done")) {
        stream_end(c, now);
        send_chat(c);
    } else if (!strcmp(type, "error")) {
        st->e_error_msg++;
        if (st->e_error_msg <= 3) fprintf(stderr, "chatlat: error message: %.*s\n", (int)(n > 300 ? 300 : n), p);
        c->in_stream = 0;
        timer_add(c->t, now + 100000000u, TM_CHAT, c->idx, c->gen); // retry a little later
    } else if (strcmp(type, "heartbeat_ack") != 0) {
        st->e_proto++;
    }
}

// Parses the relay's frames. Returns -1 if the client was dropped.
static int on_ws_bytes(cli_t *c, uint64_t now) {
    for (;;) {
        ws_frame_t f;
        long used = ws_parse((const uint8_t *)c->in.data + c->in.off, c->in.len - c->in.off, &f);
        if (used == 0) return 0;
        if (used < 0 || f.masked) {
            c->t->st.e_proto++;
            cli_drop(c, 0);
            return -1;
        }
        c->in.off += (size_t)used;
        if (f.opcode == 8) {
            if (!atomic_load(&stop_flag)) {
                c->t->st.e_closed++;
                fprintf(stderr, "chatlat: the relay closed a WebSocket (code %d)\n",
                        f.len >= 2 ? f.payload[0] << 8 | f.payload[1] : 0);
            }
            cli_drop(c, 0);
            return -1;
        } else if (f.opcode == 9) {
            ws_frame(&c->out, 10, f.payload, f.len, rnd(c->t));
        } else if (f.opcode == 10) {
        } else if (f.fin && c->msg.len == c->msg.off && f.opcode != 0) {
            on_ws_message(c, (const char *)f.payload, f.len, now);
        } else {
            buf_append(&c->msg, f.payload, f.len);
            if (f.fin) {
                on_ws_message(c, c->msg.data + c->msg.off, c->msg.len - c->msg.off, now);
                buf_clear(&c->msg);
            }
        }
    }
}

// --direct: one SSE line of the upstream's answer.
static void on_sse_line(cli_t *c, const char *p, size_t n, uint64_t now) {
    if (n > 0 && p[n - 1] == '\r') n--;
    if (n < 5 || memcmp(p, "data:", 5)) return;
    p += 5, n -= 5;
    if (n > 0 && *p == ' ') p++, n--;
    if (n == 6 && !memcmp(p, "[DONE]", 6)) {
        c->done = 1;
        stream_end(c, now);
        return;
    }
    uint64_t stamp = content_stamp(p, n);
    if (stamp) stream_chunk(c, -1, stamp, now);
}

static void sse_feed(cli_t *c, const char *p, size_t n, uint64_t now) {
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        if (!nl) {
            buf_append(&c->line, p, n);
            return;
        }
        size_t k = (size_t)(nl - p);
        if (c->line.len > c->line.off) {
            buf_append(&c->line, p, k);
            on_sse_line(c, c->line.data + c->line.off, c->line.len - c->line.off, now);
            buf_clear(&c->line);
        } else {
            on_sse_line(c, p, k, now);
        }
        p += k + 1;
        n -= k + 1;
    }
}

// --direct: decodes the chunked body. Returns 1 when the response is complete.
static int sse_body(cli_t *c, uint64_t now) {
    for (;;) {
        char *p = c->in.data + c->in.off;
        size_t avail = c->in.len - c->in.off;
        if (c->chunk_state == CS_DATA) {
            size_t take = c->body_left < avail ? (size_t)c->body_left : avail;
            if (take == 0) return 0;
            sse_feed(c, p, take, now);
            c->in.off += take;
            if ((c->body_left -= take) == 0) c->chunk_state = CS_DATA_END;
            continue;
        }
        char *eol = avail ? memmem(p, avail, "\r\n", 2) : NULL;
        if (!eol) return 0;
        c->in.off += (size_t)(eol + 2 - p);
        if (c->chunk_state == CS_DATA_END) {
            c->chunk_state = CS_SIZE;
        } else if (c->chunk_state == CS_SIZE) {
            c->body_left = strtoull(p, NULL, 16);
            c->chunk_state = c->body_left ? CS_DATA : CS_TRAILER;
        } else if (eol == p) {
            return 1;
        }
    }
}

static const char *head_value(const char *h, size_t n, const char *name, size_t *vlen) {
    return find_header(h, h + n, name, vlen);
}

// Handles a response head (WS handshake answer or --direct response). -1 if dropped.
static int on_head(cli_t *c) {
    thread_t *t = c->t;
    char *p = c->in.data + c->in.off;
    size_t avail = c->in.len - c->in.off, vlen;
    char *hend = memmem(p, avail, "\r\n\r\n", 4);
    if (!hend) return 0;
    size_t hlen = (size_t)(hend + 4 - p);
    const char *v;
    if (opt.direct) {
        if (strncmp(p, "HTTP/1.1 200", 12) || !(v = head_value(p, hlen, "transfer-encoding", &vlen)) ||
            strncasecmp(v, "chunked", 7)) {
            t->st.e_http++;
            cli_drop(c, 0);
            return -1;
        }
        c->in.off += hlen;
        c->state = C_BODY;
        c->chunk_state = CS_SIZE;
        return 0;
    }
    char want[29];
    ws_accept_for(c->key, want);
    int ok = !strncmp(p, "HTTP/1.1 101", 12) && (v = head_value(p, hlen, "sec-websocket-accept", &vlen)) &&
             vlen == 28 && !memcmp(v, want, 28);
    if (!ok) {
        if (t->st.e_handshake++ < 3) fprintf(stderr, "chatlat: handshake refused: %.*s\n", (int)(hlen > 200 ? 200 : hlen), p);
        cli_drop(c, 0);
        return -1;
    }
    c->in.off += hlen;
    c->state = C_OPEN;
    if (!c->ever_open) {
        c->ever_open = 1;
        t->inflight--;
    }
    schedule_first_chat(c);
    return 0;
}

static void on_connected(cli_t *c) {
    thread_t *t = c->t;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        t->st.e_connect++;
        cli_drop(c, 0);
        return;
    }
    if (opt.direct) {
        c->state = C_HEAD; // the first request goes out from the stagger timer
        if (!c->ever_open) {
            c->ever_open = 1;
            t->inflight--;
        }
        schedule_first_chat(c);
        cli_flush(c);
        return;
    }
    uint8_t raw[16];
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = rnd(t);
        memcpy(raw + i, &r, 4);
    }
    base64(raw, 16, c->key);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     opt.path, opt.host, opt.port, c->key);
    buf_append(&c->out, req, (size_t)n);
    c->state = C_HANDSHAKE;
    cli_flush(c);
}

static void cli_readable(cli_t *c) {
    for (;;) {
        buf_reserve(&c->in, 16384);
        size_t space = c->in.cap - c->in.len;
        ssize_t n = recv(c->fd, c->in.data + c->in.len, space, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) {
            if (!atomic_load(&stop_flag)) {
                if (c->t->st.e_closed < 3) fprintf(stderr, "chatlat: connection closed by peer (%s)\n", n ? strerror(errno) : "EOF");
                c->t->st.e_closed++;
            }
            cli_drop(c, 0);
            return;
        }
        uint64_t now = now_ns(); // the read time of every frame in these bytes
        c->in.len += (size_t)n;
        while (c->in.off < c->in.len) {
            if (c->state == C_HANDSHAKE || (c->state == C_HEAD && opt.direct)) {
                if (on_head(c) < 0) return;
                if (c->state == C_HANDSHAKE || c->state == C_HEAD) break;
            } else if (c->state == C_OPEN) {
                if (on_ws_bytes(c, now) < 0 || c->fd < 0) return;
                break;
            } else if (c->state == C_BODY) {
                if (!sse_body(c, now)) break;
                if (!c->done) c->t->st.e_bad_stream++;
                c->state = C_HEAD;
                send_chat(c); // keep-alive: the next request on the same connection
                if (c->fd < 0) return;
            } else {
                break;
            }
        }
        if (c->fd < 0) return; // dropped by a failed send
        if ((size_t)n < space) break; // drained
    }
    if (c->out.len > c->out.off) cli_flush(c);
}

// ================= the loop =================

// At most TIMER_BATCH timers per turn of the loop: then reads waiting in epoll are taken
// (and stamped) before more chunks are sent, which keeps the tool's own queueing out of
// the figures as far as one thread allows. The timerfd stays due, so the loop comes back.
#define TIMER_BATCH 8

static void run_timers(thread_t *t) {
    uint64_t now = now_ns();
    for (int done = 0; t->heap_len > 0 && t->heap[0].due <= now && done < TIMER_BATCH; done++) {
        tm_t tm = timer_pop(t);
        if (tm.kind == TM_CHUNK) {
            srv_t *s = t->srv[tm.ref];
            if (s && s->gen == tm.gen && s->state == S_STREAM) srv_chunk(t, s, tm.due);
        } else {
            cli_t *c = &t->cli[tm.ref];
            if (c->gen != tm.gen) continue;
            if (tm.kind == TM_CONNECT && c->state == C_DEAD) cli_start(c);
            else if (tm.kind == TM_CHAT && (c->state == C_OPEN || c->state == C_HEAD)) send_chat(c);
        }
        now = now_ns();
    }
}

static void *thread_main(void *arg) {
    thread_t *t = arg;
    struct epoll_event evs[512];
    while (!atomic_load(&stop_flag)) {
        while (t->next_new < t->n && t->inflight < opt.ramp) cli_start(&t->cli[t->next_new++]);
        timer_arm(t);
        int n = epoll_wait(t->epfd, evs, 512, 100);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int kind = (int)(evs[i].data.u64 >> 32), ref = (int)(uint32_t)evs[i].data.u64;
            uint32_t e = evs[i].events;
            if (kind == EV_TIMER) {
                uint64_t x;
                if (read(t->tfd, &x, sizeof x) < 0 && errno != EAGAIN) die("read timerfd");
                t->armed = 0;
            } else if (kind == EV_LISTEN) {
                srv_accept(t);
            } else if (kind == EV_SRV) {
                srv_t *s = t->srv[ref];
                if (!s) continue;
                if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                    srv_readable(t, s);
                    if (!(s = t->srv[ref])) continue;
                }
                if (e & EPOLLOUT) srv_flush(t, s);
            } else {
                cli_t *c = &t->cli[ref];
                if (c->fd < 0) continue;
                if (c->state == C_CONNECTING) {
                    if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
                    continue;
                }
                if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                    cli_readable(c);
                    if (c->fd < 0) continue;
                }
                if (e & EPOLLOUT) cli_flush(c);
            }
        }
        run_timers(t);
    }
    for (int i = 0; i < t->n; i++)
        if (t->cli[i].fd >= 0) close(t->cli[i].fd);
    return NULL;
}

// ================= measurements around the window =================

typedef struct {
    double tool_cpu, *thread_cpu, srv_cpu;
    unsigned long long cpu[16][10]; // /proc/stat: user nice system idle iowait irq softirq steal guest guest_nice
    int ncpu;
} snap_t;

static double rusage_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double proc_cpu_s(int pid) { // utime + stime of a process (all its threads), or -1
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long utime = 0, stime = 0;
    // fields after the comm: state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void take_snap(snap_t *s, thread_t *threads) {
    s->tool_cpu = rusage_s();
    for (int i = 0; i < opt.threads; i++) {
        clockid_t cid;
        struct timespec ts;
        s->thread_cpu[i] = 0;
        if (!pthread_getcpuclockid(threads[i].tid, &cid) && !clock_gettime(cid, &ts))
            s->thread_cpu[i] = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    }
    s->srv_cpu = opt.pid > 0 ? proc_cpu_s(opt.pid) : -1;
    s->ncpu = 0;
    FILE *f = fopen("/proc/stat", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        int id;
        if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9') continue;
        unsigned long long *v;
        if (sscanf(line + 3, "%d", &id) != 1 || id >= 16) continue;
        v = s->cpu[id];
        memset(v, 0, 10 * sizeof *v);
        sscanf(line, "%*s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &v[6], &v[7], &v[8], &v[9]);
        if (id + 1 > s->ncpu) s->ncpu = id + 1;
    }
    if (f) fclose(f);
}

static void sleep_until(uint64_t t) {
    struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static void merge(samples_t *into, const samples_t *from) {
    for (size_t i = 0; i < from->n; i++) sample_add(into, from->v[i]);
}

// --noise S: spins on the clock for S seconds and counts the gaps in which this thread did
// not run (interrupts, other tasks on the CPU, the hypervisor): the floor any latency
// measured on this CPU sits on. Run it pinned (taskset) to the CPU of interest.
static int noise(double secs) {
    uint64_t start = now_ns(), prev = start, limit = (uint64_t)(secs * 1e9), maxgap = 0, stalled = 0;
    static const uint64_t edges[] = {50000, 200000, 1000000, 3000000};
    uint64_t count[4] = {0};
    for (;;) {
        uint64_t n = now_ns(), gap = n - prev;
        prev = n;
        if (gap > 20000) stalled += gap;
        if (gap > maxgap) maxgap = gap;
        for (int i = 0; i < 4; i++) count[i] += gap > edges[i];
        if (n - start >= limit) break;
    }
    double el = (double)(prev - start) / 1e9;
    printf("noise: %.1fs spinning: gaps >50us %llu, >200us %llu, >1ms %llu, >3ms %llu; max %.3f ms; %.2f%% of the time "
           "stalled (gaps >20us)\n",
           el, (unsigned long long)count[0], (unsigned long long)count[1], (unsigned long long)count[2],
           (unsigned long long)count[3], maxgap / 1e6, stalled / 1e9 / el * 100);
    printf("RESULT mode=noise secs=%.1f gaps_50us=%llu gaps_200us=%llu gaps_1ms=%llu gaps_3ms=%llu max_gap_ms=%.3f "
           "stalled_pct=%.2f\n",
           el, (unsigned long long)count[0], (unsigned long long)count[1], (unsigned long long)count[2],
           (unsigned long long)count[3], maxgap / 1e6, stalled / 1e9 / el * 100);
    return 0;
}

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&stop_flag, 1);
}

static void usage(void) {
    fprintf(stderr,
            "usage: chatlat [-p relay_port] [--path /ws] [--upstream-port 19300] [-c conns] [-t threads]\n"
            "               [-d seconds] [-w warmup_s] [--interval-ms 50] [--jitter 0.5] [--chunks 50] [--direct]\n"
            "               [--pid relay_pid] [--ramp 64] [--host 127.0.0.1] [--label NAME] [--slow-log FILE]\n"
            "       chatlat --noise SECONDS   (how often this CPU stalls the caller; run it under taskset)\n"
            "  Fake OpenAI upstream and relay clients in one process; prints the latency each chunk\n"
            "  takes from the upstream's send() to the client's read. --direct: clients read the\n"
            "  upstream itself (the baseline without a relay).\n");
    exit(2);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--direct")) {
            opt.direct = 1;
            continue;
        }
        if (!strcmp(a, "--help")) usage();
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) usage();
        if (!strcmp(a, "--noise")) return noise(atof(v));
        if (!strcmp(a, "--host")) opt.host = v;
        else if (!strcmp(a, "-p")) opt.port = atoi(v);
        else if (!strcmp(a, "--path")) opt.path = v;
        else if (!strcmp(a, "--upstream-port")) opt.uport = atoi(v);
        else if (!strcmp(a, "-c")) opt.conns = atoi(v);
        else if (!strcmp(a, "-t")) opt.threads = atoi(v);
        else if (!strcmp(a, "-d")) opt.duration = atof(v);
        else if (!strcmp(a, "-w")) opt.warmup = atof(v);
        else if (!strcmp(a, "--interval-ms")) opt.interval_ms = atoi(v);
        else if (!strcmp(a, "--chunks")) opt.chunks = atoi(v);
        else if (!strcmp(a, "--jitter")) opt.jitter = atof(v);
        else if (!strcmp(a, "--pid")) opt.pid = atoi(v);
        else if (!strcmp(a, "--ramp")) opt.ramp = atoi(v);
        else if (!strcmp(a, "--label")) opt.label = v;
        else if (!strcmp(a, "--slow-log")) {
            if (!(slow_log = fopen(v, "w"))) die(v);
            fprintf(slow_log, "# chunks over 1 ms: send time (ms into the window) latency_ms thread client chunk_no\n");
        }
        else usage();
    }
    if (opt.conns < 1 || opt.threads < 1 || opt.threads > opt.conns || opt.duration <= 0 || opt.warmup < 0 ||
        opt.interval_ms < 0 || opt.jitter < 0 || opt.jitter > 1 || opt.chunks < 1 || opt.ramp < 1 || opt.uport <= 0 || (!opt.direct && opt.port <= 0))
        usage();
    if (!opt.label) opt.label = opt.direct ? "direct" : "relay";

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    max_fds = rl.rlim_cur > 1048576 ? 1048576 : (int)rl.rlim_cur;
    if (max_fds < 2 * opt.conns + 64)
        fprintf(stderr, "chatlat: warning: open-file limit %d is low for %d connections (need ~%d); raise ulimit -n\n",
                max_fds, opt.conns, 2 * opt.conns + 64);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct sockaddr_in uaddr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.uport)};
    struct sockaddr_in raddr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    if (inet_pton(AF_INET, opt.host, &uaddr.sin_addr) != 1 || inet_pton(AF_INET, opt.host, &raddr.sin_addr) != 1) usage();

    uint64_t t0 = now_ns();
    thread_t *threads = calloc((size_t)opt.threads, sizeof *threads);
    for (int i = 0; i < opt.threads; i++) { // listeners first, so the upstream is up before any client
        thread_t *t = &threads[i];
        t->id = i;
        if ((t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) die("socket");
        int one = 1;
        setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(t->lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (bind(t->lfd, (struct sockaddr *)&uaddr, sizeof uaddr) < 0) die("bind upstream port");
        if (listen(t->lfd, 4096) < 0) die("listen");
    }
    warm_end_ns = t0 + (uint64_t)(opt.warmup * 1e9);
    end_ns = warm_end_ns + (uint64_t)(opt.duration * 1e9);
    for (int i = 0; i < opt.threads; i++) {
        thread_t *t = &threads[i];
        t->n = opt.conns / opt.threads + (i < opt.conns % opt.threads);
        t->cli = calloc((size_t)t->n, sizeof *t->cli);
        for (int j = 0; j < t->n; j++) t->cli[j] = (cli_t){.t = t, .idx = j, .fd = -1};
        if (!(t->srv = calloc((size_t)max_fds, sizeof *t->srv))) die("calloc");
        t->rng = 0x9E3779B97F4A7C15ull ^ (t0 + (uint64_t)i * 7919);
        t->addr = opt.direct ? uaddr : raddr;
        if ((t->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
        if ((t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) die("timerfd_create");
        ep_add(t, t->tfd, EV_TIMER, 0, EPOLLIN);
        ep_add(t, t->lfd, EV_LISTEN, 0, EPOLLIN);
        if (pthread_create(&t->tid, NULL, thread_main, t)) die("pthread_create");
    }

    snap_t a = {.thread_cpu = calloc((size_t)opt.threads, sizeof(double))};
    snap_t b = {.thread_cpu = calloc((size_t)opt.threads, sizeof(double))};
    sleep_until(warm_end_ns);
    take_snap(&a, threads);
    sleep_until(end_ns);
    take_snap(&b, threads);
    uint64_t t_end = now_ns();
    atomic_store(&stop_flag, 1);
    if (slow_log) fflush(slow_log);

    stats_t s = {0};
    for (int i = 0; i < opt.threads; i++) {
        thread_t *t = &threads[i];
        pthread_join(t->tid, NULL);
        stats_t *x = &t->st;
        s.chunks += x->chunks, s.streams += x->streams, s.srv_streams += x->srv_streams, s.srv_chunks += x->srv_chunks;
        s.e_connect += x->e_connect, s.e_handshake += x->e_handshake, s.e_closed += x->e_closed;
        s.e_error_msg += x->e_error_msg, s.e_bad_stream += x->e_bad_stream, s.e_seq += x->e_seq;
        s.e_stamp += x->e_stamp, s.e_order += x->e_order, s.e_proto += x->e_proto, s.e_http += x->e_http;
        merge(&s.lat, &x->lat);
        merge(&s.req, &x->req);
        merge(&s.lag, &x->lag);
    }
    qsort(s.lat.v, s.lat.n, sizeof *s.lat.v, cmp_u32);
    qsort(s.req.v, s.req.n, sizeof *s.req.v, cmp_u32);
    qsort(s.lag.v, s.lag.n, sizeof *s.lag.v, cmp_u32);
    uint64_t errors = s.e_connect + s.e_handshake + s.e_closed + s.e_error_msg + s.e_bad_stream + s.e_seq + s.e_stamp +
                      s.e_order + s.e_proto + s.e_http;

    double window = (double)(t_end - warm_end_ns) / 1e9;
    if (window < opt.duration) window = opt.duration;
    double tool_pct = (b.tool_cpu - a.tool_cpu) / window * 100, thread_max = 0;
    for (int i = 0; i < opt.threads; i++) {
        double p = (b.thread_cpu[i] - a.thread_cpu[i]) / window * 100;
        if (p > thread_max) thread_max = p;
    }
    double srv_s = opt.pid > 0 && a.srv_cpu >= 0 && b.srv_cpu >= 0 ? b.srv_cpu - a.srv_cpu : -1;
    double srv_us_chunk = srv_s >= 0 && s.chunks ? srv_s * 1e6 / (double)s.chunks : -1;
    double ideal = opt.interval_ms > 0 ? opt.conns * 1000.0 / opt.interval_ms : 0;
    double lat_max = s.lat.n ? s.lat.v[s.lat.n - 1] / 1e6 : 0, req_max = s.req.n ? s.req.v[s.req.n - 1] / 1e6 : 0;

    printf("chatlat %s %s conns=%d threads=%d interval=%dms jitter=+-%.0f%% chunks=%d warmup=%.0fs duration=%.0fs\n",
           opt.label, opt.direct ? "(clients read the fake upstream directly)" : "(clients -> relay /ws -> fake upstream)",
           opt.conns, opt.threads, opt.interval_ms, opt.jitter * 100, opt.chunks, opt.warmup, opt.duration);
    printf("  chunk latency ms (upstream send -> client read): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
           pct_ms(&s.lat, 50), pct_ms(&s.lat, 90), pct_ms(&s.lat, 99), pct_ms(&s.lat, 99.9), lat_max);
    printf("  chunks over 0.5 ms %.3f%%, over 1 ms %.3f%%, over 5 ms %.3f%%, over 50 ms %.3f%%\n", over_pct(&s.lat, 0.5),
           over_pct(&s.lat, 1), over_pct(&s.lat, 5), over_pct(&s.lat, 50));
    printf("  request latency ms (client sends chat -> upstream has it): p50 %.3f  p99 %.3f  max %.3f\n",
           pct_ms(&s.req, 50), pct_ms(&s.req, 99), req_max);
    printf("  chunks %llu (%.0f/s; ideal %.0f/s)  streams completed %llu  errors %llu\n", (unsigned long long)s.chunks,
           s.chunks / window, ideal, (unsigned long long)s.streams, (unsigned long long)errors);
    if (errors)
        printf("  errors: connect %llu  handshake %llu  closed %llu  error-messages %llu  wrong-chunk-count %llu  "
               "seq-gaps %llu  no-stamp %llu  out-of-order %llu  protocol %llu  http %llu\n",
               (unsigned long long)s.e_connect, (unsigned long long)s.e_handshake, (unsigned long long)s.e_closed,
               (unsigned long long)s.e_error_msg, (unsigned long long)s.e_bad_stream, (unsigned long long)s.e_seq,
               (unsigned long long)s.e_stamp, (unsigned long long)s.e_order, (unsigned long long)s.e_proto,
               (unsigned long long)s.e_http);
    printf("  chatlat cpu %.0f%% of one core (busiest thread %.0f%%); its chunk timers fired late by p50 %.3f  p99 %.3f  "
           "max %.3f ms%s\n",
           tool_pct, thread_max, pct_ms(&s.lag, 50), pct_ms(&s.lag, 99), s.lag.n ? s.lag.v[s.lag.n - 1] / 1e6 : 0,
           thread_max > 80 ? "\n  WARNING: chatlat is over 80% busy: it may be the bottleneck, its own queueing is in the figures"
                           : "");
    if (srv_s >= 0)
        printf("  relay pid %d: cpu %.2f s in the window = %.0f%% of one core, %.1f us per chunk\n", opt.pid, srv_s,
               srv_s / window * 100, srv_us_chunk);
    char cpus[512] = "", cpukv[512] = "";
    size_t cl = 0, kl = 0;
    double steal_max = 0;
    int ncpu = a.ncpu < b.ncpu ? a.ncpu : b.ncpu;
    for (int i = 0; i < ncpu; i++) {
        unsigned long long d[10], tot = 0;
        for (int k = 0; k < 10; k++) tot += d[k] = b.cpu[i][k] - a.cpu[i][k];
        tot -= d[8] + d[9]; // guest time is already in user
        if (!tot) continue;
        double busy = 100.0 * (double)(tot - d[3] - d[4]) / (double)tot, si = 100.0 * (double)d[6] / (double)tot,
               st = 100.0 * (double)d[7] / (double)tot;
        if (st > steal_max) steal_max = st;
        cl += (size_t)snprintf(cpus + cl, sizeof cpus - cl, "%scpu%d busy %.0f%% (softirq %.0f%%, steal %.0f%%)",
                               i ? ", " : "", i, busy, si, st);
        kl += (size_t)snprintf(cpukv + kl, sizeof cpukv - kl, " cpu%d_busy_pct=%.1f cpu%d_softirq_pct=%.1f", i, busy, i, si);
        if (cl >= sizeof cpus || kl >= sizeof cpukv) break;
    }
    printf("  machine: %s\n", cpus);
    printf("RESULT mode=%s label=%s conns=%d interval_ms=%d jitter=%.2f chunks_per_stream=%d window_s=%.1f chunks=%llu "
           "chunks_per_s=%.0f ideal_chunks_per_s=%.0f streams=%llu errors=%llu p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
           "p999_ms=%.3f max_ms=%.3f over_1ms_pct=%.3f req_p50_ms=%.3f req_p99_ms=%.3f req_max_ms=%.3f tool_cpu_pct=%.0f "
           "tool_thread_max_pct=%.0f lag_p99_ms=%.3f srv_cpu_s=%.2f srv_us_per_chunk=%.1f steal_max_pct=%.1f%s\n",
           opt.direct ? "direct" : "relay", opt.label, opt.conns, opt.interval_ms, opt.jitter, opt.chunks, window,
           (unsigned long long)s.chunks, s.chunks / window, ideal, (unsigned long long)s.streams,
           (unsigned long long)errors, pct_ms(&s.lat, 50), pct_ms(&s.lat, 90), pct_ms(&s.lat, 99),
           pct_ms(&s.lat, 99.9), lat_max, over_pct(&s.lat, 1), pct_ms(&s.req, 50), pct_ms(&s.req, 99), req_max, tool_pct, thread_max,
           pct_ms(&s.lag, 99), srv_s, srv_us_chunk, steal_max, cpukv);
    return 0;
}
