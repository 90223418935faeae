/* SPDX-License-Identifier: MIT */
/* Calls every registered module's optional delivery and session hooks, in registry order. */
#include "hooks.h"

#include "server.h"

void hooks_message_prepare(struct message_event *ev)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->message_prepare)
            modules[i]->message_prepare(ev->srv->mod_state[i], ev);
}

int hooks_message_undelivered(struct message_event *ev)
{
    for (size_t i = 0; i < modules_count; i++) {
        if (!modules[i]->message_undelivered)
            continue;
        int res = modules[i]->message_undelivered(ev->srv->mod_state[i], ev);
        if (res != ROUTE_PASS)
            return res;
    }
    return ROUTE_PASS;
}

void hooks_message_done(const struct message_event *ev)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->message_done)
            modules[i]->message_done(ev->srv->mod_state[i], ev);
}

bool hooks_session_hold(struct server *srv, struct session *sess, const struct stanza *st)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->session_hold && modules[i]->session_hold(srv->mod_state[i], sess, st))
            return true;
    return false;
}

void hooks_session_available(struct server *srv, struct session *sess)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->session_available)
            modules[i]->session_available(srv->mod_state[i], sess);
}

void hooks_session_unavailable(struct server *srv, struct session *sess)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->session_unavailable)
            modules[i]->session_unavailable(srv->mod_state[i], sess);
}

void hooks_account_deleted(struct server *srv, const char *bare)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->account_deleted)
            modules[i]->account_deleted(srv->mod_state[i], bare);
}

void hooks_session_presence(struct server *srv, struct session *sess)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->session_presence)
            modules[i]->session_presence(srv->mod_state[i], sess);
}

void hooks_presence_prepare(struct server *srv, struct session *sess, struct stanza *st)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->presence_prepare)
            modules[i]->presence_prepare(srv->mod_state[i], sess, st);
}

void hooks_session_open(struct server *srv, struct session *sess)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->session_open)
            modules[i]->session_open(srv->mod_state[i], sess);
}

void hooks_session_close(struct server *srv, struct session *sess)
{
    for (size_t i = 0; i < modules_count; i++)
        if (modules[i]->session_close)
            modules[i]->session_close(srv->mod_state[i], sess);
}
