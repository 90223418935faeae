/* SPDX-License-Identifier: MIT */
/* Group chat (XEP-0045): the module's rooms and occupants, and the calls between its files. */
#ifndef PL_MUC_H
#define PL_MUC_H

#include <stdbool.h>
#include <stddef.h>

#include "base.h"
#include "hmap.h"
#include "module.h"
#include "ns.h"
#include "storage.h"
#include "xdata.h"

#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
#define NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"
#define NS_MUC_ROOMCONFIG "http://jabber.org/protocol/muc#roomconfig"
#define NS_MUC_ROOMINFO "http://jabber.org/protocol/muc#roominfo"
#define NS_MUC_REQUEST "http://jabber.org/protocol/muc#request"
#define NS_MUC_SELF_PING "http://jabber.org/protocol/muc#self-ping-optimization"
#define NS_MAM "urn:xmpp:mam:2"
#define NS_MODERATE "urn:xmpp:message-moderate:1"
#define NS_MODERATE_0 "urn:xmpp:message-moderate:0"
#define NS_FASTEN "urn:xmpp:fasten:0"
#define NS_CONFERENCE "jabber:x:conference"
#define NS_SID "urn:xmpp:sid:0"

/* Affiliations, in their stored values (ordered: a higher one has more rights). */
enum muc_aff {
    AFF_NONE = ROOM_AFF_NONE,
    AFF_OUTCAST = ROOM_AFF_OUTCAST,
    AFF_MEMBER = ROOM_AFF_MEMBER,
    AFF_ADMIN = ROOM_AFF_ADMIN,
    AFF_OWNER = ROOM_AFF_OWNER,
};
enum muc_role { ROLE_NONE, ROLE_VISITOR, ROLE_PARTICIPANT, ROLE_MODERATOR };
/* Who may see occupants' real JIDs, and who may send private messages. */
enum muc_whois { WHOIS_MODERATORS, WHOIS_ANYONE };
enum muc_pm { PM_ANYONE, PM_PARTICIPANTS, PM_MODERATORS, PM_NONE };

/* A room's configuration (muc#roomconfig); strings owned, "" for none. */
struct muc_config {
    char *name, *desc, *lang, *password;
    bool listed, persistent, members_only, moderated, password_protected;
    bool change_subject, allow_invites, archive;
    int whois;      /* enum muc_whois */
    int allow_pm;   /* enum muc_pm */
    long max_users; /* 0: the service's limit */
    long history;   /* messages a joiner gets */
};

struct muc_occupant;

/* One session in a room under an occupant's nick; an occupant may have several (one user's
 * resources under one nick). */
struct muc_seat {
    char *full; /* the session's full JID (owned; room->by_full's key) */
    struct session *sess;
    struct muc_occupant *occ;
    struct muc_seat *next; /* the occupant's other seats */
    struct muc_join *join; /* still entering, in slices (join.c); NULL once in */
};

struct muc_occupant {
    char *nick; /* as shown */
    char *key;  /* compared form (RFC 8266): room->by_nick's key */
    char *jid;  /* room@service/nick */
    char *bare; /* the user's real bare JID */
    enum muc_role role;
    struct stanza *presence; /* as the room shows it: from jid, no 'to', no MUC elements */
    /* That presence with its muc#user item, as viewers see it without [0] and with [1] its
     * real JID, serialized once (NULL: changed since, built at the next use). */
    struct stanza *shown[2];
    struct fanout shown_out[2];
    struct muc_seat *seats;
    size_t index; /* in room->occ */
};

/* An affiliation held by a bare JID (key of room->affs). */
struct muc_aff_entry {
    char *jid;
    enum muc_aff aff;
    char *reason; /* NULL: none */
};

/* A message of the room's recent history, as delivered (from the sender's occupant JID, with
 * its stanza-id, without 'to'). */
struct muc_hist {
    struct stanza *st;
    long long ts_us;
};

/* A room in memory: loaded from storage on first use, gone again once nobody is in it. */
struct muc_room {
    char *jid; /* room@service */
    struct muc_config cfg;
    bool locked;  /* created and not configured yet: only its owner may enter */
    bool stored;  /* persistent and saved */
    bool gone;    /* destroyed: freed at its release, whoever still waits */
    char *subject, *subject_by; /* NULL: none */
    long long created;
    struct hmap affs;    /* bare JID -> struct muc_aff_entry */
    struct hmap by_nick; /* nick key -> struct muc_occupant */
    struct hmap by_full; /* full JID -> struct muc_seat */
    struct muc_occupant **occ;
    size_t n_occ, cap_occ;
    struct muc_hist *hist; /* a ring of cfg.history entries, oldest at hist_start */
    size_t hist_n, hist_start, hist_cap;
    struct muc_waiter *waiting; /* joiners waiting for the history to load */
    struct muc_hist_load *hist_load; /* the archive read under way, NULL: none */
    bool hist_ready; /* the ring holds the archive's newest messages */
    struct muc_mod *mod;
};

/* [muc] options (conf/parley.conf documents them). */
struct muc_opts {
    long max_occupants; /* per room, whatever its configuration */
    long max_history;   /* largest history length a room may configure */
    long max_nick_bytes;
    long join_presences_per_turn; /* occupants listed to a joiner per loop turn */
};

/* The module's state. */
struct muc_mod {
    struct server *srv;
    struct muc_opts opts;
    int slot;
    const char *domain;
    struct hmap rooms;   /* room JID -> struct muc_room, loaded ones */
    struct fanout out;   /* the stanza being fanned out */
    struct fanout out2;  /* its variant with real JIDs */
    struct muc_join *joins; /* joins still listing occupants */
    bool join_pump_queued;  /* their next slices are deferred to the next loop turn */
};

/* ---- rooms (room.c) ---- */
/* The loaded room at jid, or loads it from storage; NULL when there is none. */
struct muc_room *muc_room_get(struct muc_mod *m, const char *jid);
/* A new, locked room at jid owned by owner_bare (in memory until configured). */
struct muc_room *muc_room_create(struct muc_mod *m, const char *jid, const char *owner_bare);
/* Ends a use of r (after each stanza): frees it once nobody is in it or it was destroyed (it
 * stays in storage when persistent). */
void muc_room_release(struct muc_room *r);
/* Frees the room's memory at once, its occupants with it (no broadcast: the server stops). */
void muc_room_free(struct muc_room *r);
/* Removes the room from storage and from the rooms in memory; its memory goes at its release.
 * The caller has removed its occupants. */
void muc_room_destroy(struct muc_room *r);
/* Writes the room's row (config, subject) when it is persistent; removes it when not. */
int muc_room_save(struct muc_room *r);
enum muc_aff muc_aff_of(const struct muc_room *r, const char *bare);
/* Sets bare's affiliation (AFF_NONE removes it), in storage too when persistent. */
int muc_aff_set(struct muc_room *r, const char *bare, enum muc_aff aff, const char *reason);
size_t muc_owner_count(const struct muc_room *r);
/* The role an occupant with aff gets on entering. */
enum muc_role muc_role_for(const struct muc_room *r, enum muc_aff aff);
const char *muc_aff_name(enum muc_aff aff);
const char *muc_role_name(enum muc_role role);
/* Parse a name; -1 when unknown. */
int muc_aff_parse(const char *s);
int muc_role_parse(const char *s);

/* ---- occupants and seats (occupant.c) ---- */
/* A new occupant of r (without seats yet); nick and key as nick_prepare gives them. */
struct muc_occupant *muc_occupant_new(struct muc_room *r, const char *nick, const char *key,
                                      const char *bare, enum muc_role role);
void muc_occupant_rename(struct muc_room *r, struct muc_occupant *occ, const char *nick,
                         const char *key);
/* occ's presence, role, nick or affiliation changed: what it looks like to others is built
 * again at its next use. */
void muc_occupant_changed(struct muc_occupant *occ);
/* occ's current presence as viewers with or without the right to see real JIDs get it,
 * serialized (built on first use after a change). */
struct fanout *muc_occupant_shown(struct muc_room *r, struct muc_occupant *occ, bool with_jid);
/* Takes occ, which has no seats left, out of r and frees it. */
void muc_occupant_free(struct muc_room *r, struct muc_occupant *occ);
struct muc_seat *muc_seat_add(struct muc_room *r, struct muc_occupant *occ,
                              struct session *sess);
void muc_seat_remove(struct muc_room *r, struct muc_seat *seat);
/* A room sess sits in, or NULL when none. */
struct muc_room *muc_session_first_room(struct muc_mod *m, struct session *sess);

/* ---- occupants and presence (presence.c, broadcast.c) ---- */
/* What a presence broadcast says about an occupant, beyond its affiliation and role. */
struct muc_pres {
    bool unavailable;
    const int *codes; /* status codes for everyone */
    size_t n_codes;
    const char *actor;  /* the moderator's nick (kick, ban), NULL: none */
    const char *reason; /* NULL: none */
    const char *new_nick; /* a nick change's new nick (303), NULL: none */
    const struct stanza *status; /* unavailable: the leaver's presence, for its <status/> */
};
/* occ's presence (owned) as a viewer sees it: with or without its real JID, with the viewer's
 * own codes first when it is the occupant itself. */
struct stanza *muc_pres_build(const struct muc_room *r, const struct muc_occupant *occ,
                              const struct muc_pres *p, bool with_jid, const int *self_codes,
                              size_t n_self);
/* Sends occ's presence to the room: others per their right to see JIDs, occ's own seats with
 * 110 and self_codes. */
void muc_pres_broadcast(struct muc_room *r, const struct muc_occupant *occ,
                        const struct muc_pres *p, const int *self_codes, size_t n_self);
/* The same to everyone but occ. */
void muc_pres_broadcast_others(struct muc_room *r, const struct muc_occupant *occ,
                               const struct muc_pres *p);
/* Addresses st to sess and delivers it (the recipient's policy asked). */
void muc_send_to(struct muc_room *r, struct session *sess, struct stanza *st);
int muc_presence(struct muc_mod *m, struct route_ctx *rc, struct stanza *st);
/* The seat of sess in r, or NULL. */
struct muc_seat *muc_seat_of(const struct muc_room *r, const struct session *sess);
struct muc_occupant *muc_occupant_by_nick(const struct muc_room *r, const char *nick);
/* Removes every seat of occ with an unavailable broadcast carrying the status codes (and an
 * <actor/>/<reason/> item child when given); frees occ. */
void muc_occupant_remove(struct muc_room *r, struct muc_occupant *occ, const int *codes,
                         size_t n_codes, const char *actor, const char *reason);
/* Broadcasts occ's presence to the room (after a role or affiliation change). */
void muc_occupant_broadcast(struct muc_room *r, struct muc_occupant *occ, const int *codes,
                            size_t n_codes, const char *actor, const char *reason);
/* sess is gone (or unavailable): it leaves every room it is in. */
void muc_session_gone(struct muc_mod *m, struct session *sess);
/* The end of a join's answer: the joiner's own presence (echoing req's id, with the codes
 * that describe the room, 201 when created, 210 when renamed), then the history req asks for
 * and the subject. */
void muc_join_answer(struct muc_room *r, struct muc_seat *seat, const struct stanza *req,
                     bool created, bool renamed);

/* ---- entering a big room in slices (join.c) ---- */
/* Lists the room's other occupants to seat join_presences_per_turn at a time, a slice per
 * loop turn, then gives muc_join_answer; the room's messages skip the seat meanwhile. */
void muc_join_start(struct muc_room *r, struct muc_seat *seat, struct stanza *req,
                    bool created, bool renamed);
/* Ends a join still listing (its seat leaves), without the rest of its answer. */
void muc_join_cancel(struct muc_join *j);
/* Appends <x xmlns=muc#user><item .../></x> for occ as seen by a viewer who may or may not see
 * real JIDs. Returns the <x/>. */
struct xel *muc_add_user_x(struct stanza *st, struct xel *parent, const struct muc_room *r,
                           const struct muc_occupant *occ, bool with_jid);
void muc_add_status(struct stanza *st, struct xel *x, int code);
/* May a viewer with role see real JIDs? */
bool muc_sees_jids(const struct muc_room *r, enum muc_role viewer);
/* Sends st (no 'to') to every seat in r that is in (not still entering), through the fan-out
 * buffers. */
void muc_broadcast(struct muc_room *r, const struct stanza *st);

/* ---- messages (message.c) ---- */
int muc_message(struct muc_mod *m, struct route_ctx *rc, struct stanza *st);
/* Sends the subject (or an empty one) to a seat: the last thing a joiner gets. */
void muc_send_subject(struct muc_room *r, struct session *sess);

/* ---- invitations (invite.c) ---- */
/* Sends a mediated invitation from the room to to_bare on behalf of from_bare. */
void muc_invite_send(struct muc_room *r, const char *to_bare, const char *from_bare,
                     const struct xel *inv);
/* Sends an invitee's decline on to the inviter. */
int muc_decline(struct muc_room *r, struct route_ctx *rc, const struct xel *decline);

/* ---- the room archive (archive.c) ---- */
/* Stamps st with a fresh stanza-id by the room when the room archives (*ts_us becomes the
 * archive's time). */
void muc_archive_stamp(struct muc_room *r, struct stanza *st, long long *ts_us);
/* The stanza-id r stamped on st, or NULL. */
const char *muc_archive_sid(const struct muc_room *r, const struct stanza *st);
/* Archives st (stamped; its stanza-id names its row) as sent by occ. */
void muc_archive_store(struct muc_room *r, const struct muc_occupant *occ,
                       const struct stanza *st);

/* ---- history (history.c) ---- */
void muc_history_add(struct muc_room *r, const struct stanza *st, long long ts_us);
/* Sends a joiner the history its <history/> asks for, then the subject; waits for the
 * history to load first when it is not in memory yet. */
void muc_history_send(struct muc_room *r, struct session *sess, const struct xel *req);
void muc_history_fini(struct muc_room *r);

/* ---- iq: admin, owner, disco (admin.c, owner.c, disco.c) ---- */
int muc_admin_iq(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                 struct muc_room *r);
/* Destroys r with everyone in it told (§10.9), e.g. for parleyctl. */
void muc_room_destroy_all(struct muc_room *r, const char *reason);
int muc_owner_iq(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                 struct muc_room *r);
/* XEP-0425: a moderator retracts a message (moderate.c). */
int muc_moderate_iq(struct route_ctx *rc, struct stanza *st, struct muc_room *r);
int muc_disco_iq(struct muc_mod *m, struct route_ctx *rc, struct stanza *st,
                 struct muc_room *r);

/* ---- configuration (config.c) ---- */
void muc_config_defaults(struct muc_config *c);
void muc_config_fini(struct muc_config *c);
/* The stored text form and back; decode ignores unknown keys. */
void muc_config_encode(const struct muc_config *c, struct buf *out);
void muc_config_decode(struct muc_config *c, const char *text);
/* Adds the muc#roomconfig form with r's values under parent. */
void muc_config_form(struct stanza *st, struct xel *parent, const struct muc_room *r,
                     const struct muc_mod *m);
/* Applies a submitted form to a copy of r's configuration; on success replaces it and sets
 * *changed. Returns ROUTE_DONE or ROUTE_ERROR(cond), r unchanged then. */
int muc_config_submit(struct muc_room *r, const struct xel *form, const struct muc_mod *m,
                      bool *changed);

#endif
