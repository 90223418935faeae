/* SPDX-License-Identifier: MIT */
/* Who may see and publish to a node: affiliations and the four access models of XEP-0060 §4.5
 * (a PEP service's owner is the account itself; presence and roster models ask its roster). */
#include <string.h>

#include "pubsub.h"
#include "roster.h"

static const char *const aff_names[] = { "none", "owner", "publisher", "member", "outcast", NULL };

const char *ps_affiliation_name(enum ps_affiliation a)
{
    return aff_names[a];
}

int ps_affiliation_parse(const char *name)
{
    for (int i = 0; name && aff_names[i]; i++)
        if (strcmp(aff_names[i], name) == 0)
            return i;
    return -1;
}

enum ps_affiliation ps_affiliation_of(const struct ps_node *node, const char *bare)
{
    if (node->svc->pep && strcmp(node->svc->jid, bare) == 0)
        return PS_AFF_OWNER;
    const struct ps_member *m = ps_member_find(node, bare);
    return m ? m->aff : PS_AFF_NONE;
}

static bool in_allowed_group(const struct ps_config *c, const struct roster_contact *rc)
{
    for (size_t i = 0; i < c->n_groups; i++)
        for (size_t j = 0; j < rc->n_groups; j++)
            if (strcmp(c->groups[i], rc->groups[j]) == 0)
                return true;
    return false;
}

bool ps_may_see(struct pubsub *ps, const struct ps_node *node, const char *bare,
                bool subscriber)
{
    enum ps_affiliation aff = ps_affiliation_of(node, bare);
    if (aff == PS_AFF_OUTCAST)
        return false;
    if (aff != PS_AFF_NONE || node->cfg.access == PS_OPEN)
        return true;
    if (node->cfg.access == PS_WHITELIST)
        return false;
    /* The presence and roster models ask the owner's roster: the PEP account's, or on the
     * service the node's creator's. */
    const char *owner = node->svc->jid;
    if (!node->svc->pep)
        return false;
    if (subscriber && node->cfg.access == PS_PRESENCE)
        return true;
    struct roster_contact rc;
    roster_contact_get(ps->srv, owner, bare, &rc);
    if (!rc.found || !(rc.sub & ROSTER_SUB_FROM))
        return false;
    return node->cfg.access == PS_PRESENCE || in_allowed_group(&node->cfg, &rc);
}

bool ps_may_publish(const struct ps_node *node, const char *bare)
{
    enum ps_affiliation aff = ps_affiliation_of(node, bare);
    if (aff == PS_AFF_OWNER || aff == PS_AFF_PUBLISHER)
        return true;
    if (aff == PS_AFF_OUTCAST)
        return false;
    if (node->cfg.publish_model == PS_PUB_OPEN)
        return true;
    const struct ps_member *m = ps_member_find(node, bare);
    return node->cfg.publish_model == PS_PUB_SUBSCRIBERS && m && m->subscribed;
}

int ps_error(struct route_ctx *rc, const struct stanza *st, enum stanza_cond cond,
             const char *app)
{
    struct stanza *r = stanza_error_reply(st, cond, NULL);
    struct xel *err = xel_child(r->root, "error", NULL);
    if (app && err)
        xel_add_child(r, err, app, NS_PUBSUB_ERRORS);
    router_reply(rc, r);
    stanza_unref(r);
    return PS_ANSWERED;
}
