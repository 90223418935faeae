/* SPDX-License-Identifier: MIT */
/* XML namespaces used across Parley. */
#ifndef PL_NS_H
#define PL_NS_H

#define NS_CLIENT "jabber:client"
#define NS_STREAM "http://etherx.jabber.org/streams"
#define NS_FRAMING "urn:ietf:params:xml:ns:xmpp-framing" /* RFC 7395 */
#define NS_STREAMS_ERR "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_XML "http://www.w3.org/XML/1998/namespace"
#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_PING "urn:xmpp:ping"
#define NS_SM "urn:xmpp:sm:3"
#define NS_VERSION "jabber:iq:version"
#define NS_TIME "urn:xmpp:time"
#define NS_REGISTER "jabber:iq:register"
#define NS_REGISTER_FEATURE "http://jabber.org/features/iq-register"
#define NS_ROSTER "jabber:iq:roster"
#define NS_ROSTER_VER "urn:xmpp:features:rosterver"
#define NS_LAST "jabber:iq:last"
#define NS_DELAY "urn:xmpp:delay"

#endif
