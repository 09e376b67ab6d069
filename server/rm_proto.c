/* rm_proto.c: protobuf views of rooms and participants, and packing to sinks.
 * The views point into the room manager's own strings; only the small arrays
 * and sub-messages they need are allocated, and released afterwards. */
#include <stdlib.h>
#include <string.h>

#include "server/room_manager.h"

static char *s(const char *v)
{
    return (char *)(v ? v : "");
}

void rm_proto_participant(const struct participant *p, Livekit__ParticipantInfo *out)
{
    livekit__participant_info__init(out);
    out->sid = s(p->sid);
    out->identity = s(p->identity);
    out->name = s(p->name);
    out->metadata = s(p->metadata);
    out->state = p->state;
    out->version = p->version;
    out->kind = p->kind;
    out->joined_at = p->joined_at_ms / 1000;
    out->joined_at_ms = p->joined_at_ms;
    out->client_protocol = p->client_protocol;
    out->disconnect_reason = p->disconnect_reason;
    out->is_publisher = false;
    out->n_capabilities = p->n_capabilities;
    out->capabilities = (Livekit__ClientInfo__Capability *)p->capabilities;

    Livekit__ParticipantPermission *perm = util_malloc(sizeof *perm);
    livekit__participant_permission__init(perm);
    perm->can_subscribe = p->perm.can_subscribe;
    perm->can_publish = p->perm.can_publish;
    perm->can_publish_data = p->perm.can_publish_data;
    perm->can_update_metadata = p->perm.can_update_metadata;
    perm->hidden = p->perm.hidden;
    perm->recorder = p->perm.recorder;
    perm->agent = p->perm.agent;
    out->permission = perm;

    size_t n = p->attributes.n;
    if (n) {
        Livekit__ParticipantInfo__AttributesEntry *e = util_calloc(n, sizeof *e);
        out->attributes = util_calloc(n, sizeof *out->attributes);
        for (size_t i = 0; i < n; i++) {
            livekit__participant_info__attributes_entry__init(&e[i]);
            e[i].key = p->attributes.items[i].key;
            e[i].value = p->attributes.items[i].value;
            out->attributes[i] = &e[i];
        }
        out->n_attributes = n;
    }
}

void rm_proto_participant_release(Livekit__ParticipantInfo *out)
{
    free(out->permission);
    if (out->n_attributes)
        free(out->attributes[0]);
    free(out->attributes);
    out->permission = NULL;
    out->attributes = NULL;
    out->n_attributes = 0;
}

size_t rm_room_visible_count(const struct room *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_parts; i++)
        if (!r->parts[i]->perm.hidden)
            n++;
    return n;
}

void rm_proto_room(const struct room *r, Livekit__Room *out)
{
    livekit__room__init(out);
    out->sid = s(r->sid);
    out->name = s(r->name);
    out->metadata = s(r->metadata);
    out->empty_timeout = r->empty_timeout;
    out->departure_timeout = r->departure_timeout;
    out->max_participants = r->max_participants;
    out->creation_time = r->created_ms / 1000;
    out->creation_time_ms = r->created_ms;
    out->num_participants = (uint32_t)rm_room_visible_count(r);
}

void rm_send(struct rm *rm, struct participant *p, const Livekit__SignalResponse *msg)
{
    if (!p->sink)
        return;
    size_t n = livekit__signal_response__get_packed_size(msg);
    uint8_t stackbuf[2048];
    uint8_t *buf = n <= sizeof stackbuf ? stackbuf : util_malloc(n);
    livekit__signal_response__pack(msg, buf);
    rm->ops->send(p->sink, buf, n);
    if (buf != stackbuf)
        free(buf);
}

void rm_send_later(struct rm *rm, struct participant *p, const Livekit__SignalResponse *msg,
                   int64_t now_ms, int64_t delay_ms)
{
    if (!p->sink)
        return;
    if (rm->n_deferred == rm->cap_deferred) {
        rm->cap_deferred = rm->cap_deferred ? rm->cap_deferred * 2 : 16;
        rm->deferred = util_realloc(rm->deferred, rm->cap_deferred * sizeof *rm->deferred);
    }
    struct rm_deferred *d = &rm->deferred[rm->n_deferred++];
    d->p = p;
    d->len = livekit__signal_response__get_packed_size(msg);
    d->data = util_malloc(d->len);
    livekit__signal_response__pack(msg, d->data);
    d->due_ms = now_ms + delay_ms;
}

bool rm_proto_forwardable(const ProtobufCMessage *m)
{
    for (size_t i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return false;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(const void *)(base + f->quantifier_offset);
            ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(const void *)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                if (!rm_proto_forwardable(v[k]))
                    return false;
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id)
            continue;
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(const void *)(base + f->offset);
        if (sub && !rm_proto_forwardable(sub))
            return false;
    }
    return true;
}
