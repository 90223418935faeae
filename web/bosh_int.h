/* SPDX-License-Identifier: MIT */
/* Internals shared by the BOSH session files: the session's state and the helpers between them. */
#ifndef PL_BOSH_INT_H
#define PL_BOSH_INT_H

#include "bosh.h"

#define BOSH_OUR_VER_MAJOR 1
#define BOSH_OUR_VER_MINOR 11

/* A request received and not answered yet. Slots are kept in rid order; the processed ones
 * (held) come first, the early ones waiting for a gap to fill after them. */
struct bosh_slot {
    uint64_t rid;
    void *request;        /* NULL: its connection went away, the answer only goes to the cache */
    uint64_t deadline_ms; /* arrival + wait: answered by then */
    unsigned flags;       /* enum bosh_request_flags */
    unsigned pause;       /* BOSH_REQ_PAUSE: the seconds granted */
    bool processed;
};

/* One answered response kept for a repeat of its rid (XEP-0124 §14.3). */
struct bosh_cached {
    uint64_t rid;
    bool used;
    struct buf body;
};

/* Complete elements waiting for a response; cuts are where each bosh_session_send ended. */
struct bosh_queue {
    struct buf bytes; /* [head, len) are queued */
    size_t head;
    size_t *cuts; /* [first, n) are live offsets into bytes, ascending */
    size_t first, n, cap;
};

enum bosh_state {
    BOSH_OPEN,
    BOSH_CLOSING, /* the server ended it: the next response is the last */
    BOSH_ENDED,
};

struct bosh_session {
    const struct bosh_limits *lim;
    const struct bosh_hooks *hooks;
    void *ctx;
    struct bosh_params p;
    char sid[BOSH_SID_LEN + 1];
    char authid[BOSH_AUTHID_MAX + 1];
    enum bosh_state state;
    enum bosh_condition end_cond; /* BOSH_CLOSING */
    char *end_uri;                /* BOSH_SEE_OTHER_URI */
    uint64_t rid_next;            /* the lowest rid not processed yet */
    struct bosh_slot *slots;      /* p.requests + 1 of them: a pause or terminate may exceed */
    unsigned n_slots;
    struct bosh_cached *cache; /* p.requests entries */
    struct bosh_queue out;
    struct buf body;        /* the response being written */
    uint64_t idle_since_ms; /* the last answer, while no request is held */
    uint64_t pause_ms;      /* a granted pause's inactivity limit, until the next request */
    uint64_t last_new_ms;   /* arrival of the last new (not repeated) request */
    bool last_new_empty;    /* ...and it was empty, neither pause nor terminate */
    bool last_answer_empty; /* the last response carried no payload */
    bool created;           /* the session creation response is written */
    unsigned busy;          /* inside a call that calls back: answers wait for its end */
};

/* bosh_create.c: reading <body/> attributes. */
bool bosh_is_body(const struct xel *el);
/* The value of the attribute name in namespace ns (NULL: unqualified), or NULL. */
const char *bosh_attr(const struct xel *el, const char *ns, const char *name);
/* A rid: 1 to BOSH_RID_MAX in plain decimal digits. */
bool bosh_parse_rid(const char *s, uint64_t *rid);
/* Seconds or counts: plain decimal digits, at most 9 of them. */
bool bosh_parse_uint(const char *s, unsigned *out);

/* bosh_body.c: the bodies written. */
void bosh_write_creation(const struct bosh_session *s, const char *payload, size_t n,
                         struct buf *out);
/* An ordinary response; ack 0: no ack attribute. */
void bosh_write_body(uint64_t ack, const char *payload, size_t n, struct buf *out);
void bosh_write_end(enum bosh_condition c, const char *uri, const char *payload, size_t n,
                    struct buf *out);
/* XEP-0124 §17.3: type='error', the client sends the unanswered requests again. */
void bosh_write_recoverable(struct buf *out);

/* bosh_queue.c: the output queue and the response cache. */
void bosh_queue_init(struct bosh_queue *q);
void bosh_queue_fini(struct bosh_queue *q);
void bosh_queue_push(struct bosh_queue *q, const char *bytes, size_t n);
size_t bosh_queue_len(const struct bosh_queue *q);
/* The longest run of whole pieces within max bytes (at least one piece), taken off the queue:
 * *bytes points at it until the next push. Returns its length (0: the queue is empty). */
size_t bosh_queue_take(struct bosh_queue *q, size_t max, const char **bytes);
/* After the bytes taken are written: the queue may move or release its storage. */
void bosh_queue_settle(struct bosh_queue *q);
size_t bosh_queue_memory(const struct bosh_queue *q);
/* Keeps s->body as rid's response (its old storage comes back as s->body's, emptied). */
void bosh_cache_store(struct bosh_session *s, uint64_t rid);
const struct buf *bosh_cache_find(const struct bosh_session *s, uint64_t rid);
/* The client has every response up to rid (its 'ack'): those need not be kept. */
void bosh_cache_drop_acked(struct bosh_session *s, uint64_t rid);
/* With nothing queued: gives back the storage kept for writing, the cache only what it holds. */
void bosh_trim_idle(struct bosh_session *s);

/* bosh_answer.c: answering. */
/* Answers whatever is due by now: queued output, hold overflow, wait and gap expiry, a pause,
 * the server's end; then notes an idle session's start or its inactivity end. */
void bosh_pump(struct bosh_session *s, uint64_t now_ms);
/* Ends the session at once: culprit (a request not in a slot, may be NULL) gets cond, every
 * held request other-request. */
void bosh_end(struct bosh_session *s, enum bosh_condition cond, void *culprit);
unsigned bosh_held(const struct bosh_session *s);

#endif
