/* SPDX-License-Identifier: MIT */
/* Mixed scenario: 1:1 chat, presence updates and groupchat at stepped total rates, shared out
 * by the --mix weights; each kind keeps its own figures besides the combined ones. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "run.h"

/*
 * Smooth weighted round robin (nginx's upstream balancer): every kind earns its weight, the
 * richest goes and pays the total. The shares are exact over any run of picks and evenly
 * interleaved, with no random draw; a kind of weight 0 never goes, as the credits sum to 0.
 */
static int pick_kind(struct mixed *x, const double *weights)
{
    int best = 0;
    for (int k = 0; k < MIX_KINDS; k++) {
        x->credit[k] += weights[k];
        if (x->credit[k] > x->credit[best])
            best = k;
    }
    x->credit[best] -= x->total_weight;
    return best;
}

/* A random online session changes its presence, away and back in turn (RFC 6121 §4.4). */
static bool send_presence(struct run *r, struct step_stat *s)
{
    if (r->n_live == 0)
        return false;
    struct client *c = r->live[run_random(r) % r->n_live];
    uint8_t *away = &r->mix.away[c - r->eng.clients];
    *away = !*away;
    if (*away)
        client_stanza_printf(c,
                             "<presence%s><show>away</show><status>parley-bench %" PRIu64
                             "</status></presence>",
                             client_xmlns(c), ++r->seq);
    else
        client_stanza_printf(c, "<presence%s/>", client_xmlns(c));
    s->sent++;
    r->sent++;
    return true;
}

/* One action of the kind whose turn it is; a kind with nobody to send it is skipped. */
static bool mixed_send(struct run *r, struct step_stat *s, uint64_t now_us)
{
    int k = pick_kind(&r->mix, r->o->mix_weights);
    uint64_t expected = 0;
    bool sent;
    if (k == MIX_CHAT) {
        sent = chat_send(r, s, now_us);
        expected = 1;
    } else if (k == MIX_PRESENCE) {
        sent = send_presence(r, s);
    } else {
        expected = muc_send(r, s, now_us);
        sent = expected > 0;
    }
    if (sent) {
        struct kind_stat *ks = &r->mix.st[r->cur_step][k];
        ks->sent++;
        ks->expected += expected;
    }
    return true; /* the other kinds may still go this tick */
}

int mixed_init(struct run *r)
{
    struct mixed *x = &r->mix;
    x->st = xcalloc(r->steps.n, sizeof(*x->st));
    for (size_t i = 0; i < r->steps.n; i++)
        for (int k = 0; k < MIX_KINDS; k++)
            hist_init(&x->st[i][k].lat_us);
    x->away = xcalloc(r->eng.n, sizeof(*x->away));
    for (int k = 0; k < MIX_KINDS; k++)
        x->total_weight += r->o->mix_weights[k];
    r->send = mixed_send;
    return PL_OK;
}

void mixed_fini(struct run *r)
{
    free(r->mix.st);
    free(r->mix.away);
    memset(&r->mix, 0, sizeof(r->mix));
}

/* Timed into the step as a whole, then into its kind: groupchat is muc, the rest chat. */
void mixed_message(struct run *r, const struct stanza *st, uint64_t now_us)
{
    size_t step;
    uint64_t lat;
    if (!stepped_arrival(r, st, now_us, &step, &lat))
        return;
    struct kind_stat *ks = &r->mix.st[step][st->type & MSG_GROUPCHAT ? MIX_MUC : MIX_CHAT];
    hist_record(&ks->lat_us, lat);
    ks->received++;
    if (lat > LATE_US)
        ks->late++;
}
