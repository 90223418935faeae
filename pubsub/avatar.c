/* SPDX-License-Identifier: MIT */
/* Avatars kept consistent both ways (XEP-0398): a PEP avatar (XEP-0084) becomes the vCard's
 * PHOTO, a vCard PHOTO set by an older client becomes a PEP avatar, and the avatar's hash goes
 * into the account's outgoing presence (XEP-0153), the SHA-1 of the image in both. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pubsub.h"

#define NS_META "urn:xmpp:avatar:metadata"
#define NS_DATA "urn:xmpp:avatar:data"
#define NS_UPDATE "vcard-temp:x:update"
#define NS_VCARD "vcard-temp"
#define SHA1_HEX 41

/* The <info/> of owner's current avatar (borrowed from the node's item), NULL for none. */
static const struct xel *current_info(struct pubsub *ps, const char *owner)
{
    struct ps_node *node = ps_node_find(ps, owner, NS_META);
    struct ps_item *it = node ? node->last : NULL;
    if (!it || !it->cached || !it->payload)
        return NULL; /* metadata is small: cached unless the bound is 0 */
    return xel_child(it->payload->root, "info", NULL);
}

void ps_avatar_presence(struct pubsub *ps, struct session *sess, struct stanza *st)
{
    if (xel_child(st->root, "x", NS_UPDATE))
        return; /* the client said it itself */
    const struct xel *info = current_info(ps, module_session_jid(sess)->bare);
    const char *id = info ? xel_attr(info, "id") : NULL;
    if (!id)
        return;
    struct xel *x = xel_add_child(st, st->root, "x", NS_UPDATE);
    xel_add_text_child(st, x, "photo", id);
}

static void drop_photos(struct xel *card)
{
    for (struct xel *c = card->first, *next; c; c = next) {
        next = c->next;
        if (c->name && strcmp(c->name, "PHOTO") == 0)
            xel_unlink(card, c);
    }
}

/* owner's vCard (owned), an empty one when none is stored, or NULL when it cannot be read:
 * then it is left alone rather than replaced by a card with only a photo. */
static struct stanza *load_vcard(struct pubsub *ps, const char *owner)
{
    char *xml = NULL;
    int rc = userdata_get(module_storage(ps->srv), owner, USERDATA_VCARD, "", &xml);
    if (rc == PL_ENOTFOUND)
        return stanza_new("vCard", NS_VCARD);
    struct stanza *st = rc == PL_OK ? stanza_parse(xml, strlen(xml)) : NULL;
    free(xml);
    return st;
}

/* The PEP avatar changed: the vCard's PHOTO follows (none when the avatar was removed). */
static void vcard_from_pep(struct pubsub *ps, const char *owner)
{
    const struct xel *info = current_info(ps, owner);
    struct ps_node *data = ps_node_find(ps, owner, NS_DATA);
    struct ps_item *it = info && data ? ps_item_find(data, xel_attr(info, "id")) : NULL;
    struct stanza *owned = NULL;
    const struct xel *bin = it ? ps_item_payload(ps, data, it, &owned) : NULL;
    struct stanza *card = load_vcard(ps, owner);
    if (!card) {
        stanza_unref(owned);
        module_log(LOG_ERROR, "pubsub", "%s: vCard unreadable, avatar not copied", owner);
        return;
    }
    drop_photos(card->root);
    if (bin) {
        struct xel *photo = xel_add_child(card, card->root, "PHOTO", NS_VCARD);
        xel_add_text_child(card, photo, "TYPE", xel_attr(info, "type") ? xel_attr(info, "type")
                                                                       : "image/png");
        xel_add_text_child(card, photo, "BINVAL", xel_text(bin));
    }
    struct buf b;
    buf_init(&b);
    xel_write(card->root, NULL, &b);
    userdata_put(module_storage(ps->srv), owner, USERDATA_VCARD, "", b.data);
    buf_fini(&b);
    stanza_unref(card);
    stanza_unref(owned);
}

/* base64 text (whitespace allowed, as vCards wrap it) without the whitespace, owned. */
static char *strip_spaces(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;
    for (; *s; s++)
        if (!strchr(" \t\r\n", *s))
            *o++ = *s;
    *o = '\0';
    return out;
}

/* The image's SHA-1 in hex and its size, from its base64; false when it is not base64. */
static bool image_hash(const char *b64, char hex[SHA1_HEX], size_t *bytes)
{
    size_t n = strlen(b64);
    if (n == 0 || n % 4 != 0)
        return false;
    unsigned char *raw = xmalloc(n / 4 * 3 + 1), md[EVP_MAX_MD_SIZE];
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    unsigned md_len = 0;
    if (len >= 0)
        len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
    bool ok = len > 0 && EVP_Digest(raw, (size_t)len, md, &md_len, EVP_sha1(), NULL) == 1;
    for (unsigned i = 0; ok && i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    *bytes = ok ? (size_t)len : 0;
    free(raw);
    return ok;
}

static void publish_one(struct pubsub *ps, const char *owner, const char *name,
                        const char *id, const struct xel *payload)
{
    struct ps_node *node = ps_pep_node(ps, owner, name, NULL);
    if (node && ps_item_publish(ps, node, id, owner, payload) == PL_OK)
        ps_notify_item(ps, node, ps_item_find(node, id));
}

/* A vCard with a PHOTO was stored: the image becomes the PEP avatar, data then metadata
 * (XEP-0084 §4.1's order), unless it is the avatar already. */
static void pep_from_vcard(struct pubsub *ps, const char *owner, const struct xel *card)
{
    const struct xel *photo = xel_child(card, "PHOTO", NULL);
    const struct xel *bin = photo ? xel_child(photo, "BINVAL", NULL) : NULL;
    const struct xel *type = photo ? xel_child(photo, "TYPE", NULL) : NULL;
    const struct xel *info = current_info(ps, owner);
    char *b64 = bin ? strip_spaces(xel_text(bin)) : NULL, hex[SHA1_HEX], size[24];
    size_t bytes;
    if (b64 && image_hash(b64, hex, &bytes) &&
        !(info && xel_attr(info, "id") && strcmp(xel_attr(info, "id"), hex) == 0)) {
        struct stanza *st = stanza_new("avatar", NULL);
        struct xel *data = xel_add_child(st, st->root, "data", NS_DATA);
        xel_add_text(st, data, b64, strlen(b64));
        struct xel *meta = xel_add_child(st, st->root, "metadata", NS_META);
        struct xel *i = xel_add_child(st, meta, "info", NS_META);
        snprintf(size, sizeof(size), "%zu", bytes);
        xel_set_attr(st, i, "id", hex);
        xel_set_attr(st, i, "bytes", size);
        xel_set_attr(st, i, "type", type && xel_text(type)[0] ? xel_text(type) : "image/png");
        publish_one(ps, owner, NS_DATA, hex, data);
        publish_one(ps, owner, NS_META, hex, meta);
        stanza_unref(st);
    }
    free(b64);
}

/* The views are written after the request that changed one was answered: committed at once,
 * like it. */
static void commit(struct pubsub *ps, const char *owner)
{
    if (module_storage_commit(ps->srv) == PL_OK)
        return;
    module_storage_rollback(ps->srv);
    module_log(LOG_ERROR, "pubsub", "%s: avatar views not stored", owner);
}

void ps_views_node_changed(struct pubsub *ps, const char *owner, const char *name)
{
    if (strcmp(owner, module_pubsub_domain(ps->srv)) == 0)
        return; /* the service's nodes are nobody's avatar or bookmarks */
    if (strcmp(name, NS_META) == 0)
        vcard_from_pep(ps, owner);
    else
        ps_bookmarks_changed(ps, owner, name);
    commit(ps, owner);
}

void ps_views_userdata(struct pubsub *ps, const char *owner, enum userdata_kind kind,
                       const char *name, const struct xel *el)
{
    if (kind == USERDATA_VCARD)
        pep_from_vcard(ps, owner, el);
    else if (kind == USERDATA_PRIVATE && strcmp(name, "{storage:bookmarks}storage") == 0)
        ps_bookmarks_stored(ps, owner, el);
    commit(ps, owner);
}
