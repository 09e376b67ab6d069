/* Unit tests of the room manager: joins, updates, leaves and room lifetimes,
 * observed through recording sinks (no sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "server/room_manager.h"

#define MAX_MSGS 64

struct sink {
    Livekit__SignalResponse *msgs[MAX_MSGS];
    size_t n;
    bool closed;
};

static void sink_send(void *s, const uint8_t *data, size_t len)
{
    struct sink *k = s;
    Livekit__SignalResponse *m = livekit__signal_response__unpack(NULL, len, data);
    assert_non_null(m);
    assert_true(k->n < MAX_MSGS);
    k->msgs[k->n++] = m;
}

static void sink_close(void *s)
{
    struct sink *k = s;
    assert_false(k->closed);
    k->closed = true;
}

/* Webhook events seen through rm_sink_ops.on_event, as "event:identity". */
static char events[16][64];
static size_t n_events;

static void on_event(void *ctx, const char *event, const struct room *r,
                     const struct participant *p)
{
    (void)ctx;
    assert_non_null(r);
    assert_true(n_events < 16);
    snprintf(events[n_events++], sizeof events[0], "%s:%s", event, p ? p->identity : "");
}

static const struct rm_sink_ops ops = {.send = sink_send, .close = sink_close, .on_event = on_event};

static void sink_clear(struct sink *k)
{
    for (size_t i = 0; i < k->n; i++)
        livekit__signal_response__free_unpacked(k->msgs[i], NULL);
    k->n = 0;
}

static Livekit__SignalResponse *sink_find(struct sink *k, int kase, size_t nth)
{
    for (size_t i = 0; i < k->n; i++)
        if ((int)k->msgs[i]->message_case == kase && nth-- == 0)
            return k->msgs[i];
    return NULL;
}

struct fixture {
    struct config cfg;
    struct rm *rm;
    struct sink s[4];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    config_defaults(&f->cfg);
    log_current_level = LOG_LVL_WARN;
    f->rm = rm_new(&f->cfg, &ops, NULL);
    n_events = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rm_free(f->rm);
    for (size_t i = 0; i < 4; i++)
        sink_clear(&f->s[i]);
    config_free(&f->cfg);
    free(f);
    return 0;
}

static struct join_ticket *ticket(const char *room, const char *identity, bool hidden,
                                  bool can_update)
{
    struct join_ticket *t = calloc(1, sizeof *t);
    kv_init(&t->claims.attributes);
    t->claims.identity = strdup(identity);
    t->claims.name = strdup("Name");
    t->claims.has_video = true;
    t->claims.video.room_join = true;
    t->claims.video.room = strdup(room);
    t->claims.video.hidden = hidden;
    t->claims.video.can_publish = t->claims.video.can_subscribe = -1;
    t->claims.video.can_publish_data = -1;
    t->claims.video.can_update_own_metadata = can_update ? 1 : -1;
    t->claims.video.can_subscribe_metrics = t->claims.video.can_manage_agent_session = -1;
    kv_set(&t->claims.attributes, "a", "1");
    t->req = calloc(1, sizeof *t->req);
    livekit__join_request__init(t->req);
    t->req->client_info = calloc(1, sizeof *t->req->client_info);
    livekit__client_info__init(t->req->client_info);
    t->req->client_info->client_protocol = 2;
    t->room_name = strdup(room);
    return t;
}

static void send_req(struct rm *rm, struct participant *p, const Livekit__SignalRequest *req)
{
    uint8_t buf[1024];
    size_t n = livekit__signal_request__pack(req, buf);
    rm_signal_message(rm, p, buf, n, 1000);
    /* RequestResponses are held back a moment: let them out. */
    rm_tick(rm, 1200);
}

static void test_join_response(void **state)
{
    struct fixture *f = *state;
    struct participant *a = rm_join(f->rm, ticket("r", "alice", false, false), &f->s[0], 1000);
    assert_non_null(a);
    assert_int_equal(f->s[0].n, 1);
    Livekit__SignalResponse *m = f->s[0].msgs[0];
    assert_int_equal(m->message_case, LIVEKIT__SIGNAL_RESPONSE__MESSAGE_JOIN);
    Livekit__JoinResponse *j = m->join;
    assert_memory_equal(j->room->sid, "RM_", 3);
    assert_int_equal(strlen(j->room->sid), 15);
    assert_string_equal(j->room->name, "r");
    assert_memory_equal(j->participant->sid, "PA_", 3);
    assert_string_equal(j->participant->identity, "alice");
    assert_string_equal(j->participant->name, "Name");
    assert_int_equal(j->participant->n_attributes, 1);
    assert_int_equal(j->participant->client_protocol, 2);
    assert_int_equal(j->participant->joined_at_ms, 1000);
    assert_true(j->participant->permission->can_publish_data);
    assert_false(j->participant->permission->can_update_metadata);
    assert_int_equal(j->ping_interval, 5);
    assert_int_equal(j->ping_timeout, 15);
    assert_string_equal(j->server_info->version, j->server_version);
    assert_int_equal(j->server_info->protocol, 17);
    assert_int_equal(j->n_other_participants, 0);
}

static void test_second_join_and_hidden(void **state)
{
    struct fixture *f = *state;
    rm_join(f->rm, ticket("r", "alice", false, false), &f->s[0], 1000);
    rm_join(f->rm, ticket("r", "ghost", true, false), &f->s[2], 1000);
    rm_join(f->rm, ticket("r", "bob", false, false), &f->s[1], 1000);
    Livekit__JoinResponse *j = f->s[1].msgs[0]->join;
    assert_int_equal(j->n_other_participants, 1);
    assert_string_equal(j->other_participants[0]->identity, "alice");
    /* alice hears about bob, not about the hidden participant */
    Livekit__SignalResponse *u = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE, 0);
    assert_non_null(u);
    assert_string_equal(u->update->participants[0]->identity, "bob");
    assert_int_equal(u->update->participants[0]->state, LIVEKIT__PARTICIPANT_INFO__STATE__JOINED);
    assert_null(sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE, 1));
}

static void test_metadata_updates(void **state)
{
    struct fixture *f = *state;
    struct participant *a = rm_join(f->rm, ticket("r", "alice", false, true), &f->s[0], 1000);
    struct participant *b = rm_join(f->rm, ticket("r", "bob", false, false), &f->s[1], 1000);
    sink_clear(&f->s[0]);
    sink_clear(&f->s[1]);

    Livekit__UpdateParticipantMetadata u = LIVEKIT__UPDATE_PARTICIPANT_METADATA__INIT;
    u.metadata = "md";
    u.request_id = 7;
    Livekit__UpdateParticipantMetadata__AttributesEntry e1 =
        LIVEKIT__UPDATE_PARTICIPANT_METADATA__ATTRIBUTES_ENTRY__INIT;
    e1.key = "a";
    e1.value = "";
    Livekit__UpdateParticipantMetadata__AttributesEntry e2 =
        LIVEKIT__UPDATE_PARTICIPANT_METADATA__ATTRIBUTES_ENTRY__INIT;
    e2.key = "b";
    e2.value = "2";
    Livekit__UpdateParticipantMetadata__AttributesEntry *es[] = {&e1, &e2};
    u.attributes = es;
    u.n_attributes = 2;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_UPDATE_METADATA;
    req.update_metadata = &u;
    uint32_t v0 = a->version;
    send_req(f->rm, a, &req);
    Livekit__SignalResponse *rr =
        sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE, 0);
    assert_non_null(rr);
    assert_int_equal(rr->request_response->request_id, 7);
    assert_int_equal(rr->request_response->reason, LIVEKIT__REQUEST_RESPONSE__REASON__OK);
    Livekit__SignalResponse *self = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE, 0);
    assert_non_null(self);
    Livekit__ParticipantInfo *pi = self->update->participants[0];
    assert_string_equal(pi->metadata, "md");
    assert_true(pi->version > v0);
    assert_int_equal(pi->n_attributes, 1);
    assert_string_equal(pi->attributes[0]->key, "b");
    assert_non_null(sink_find(&f->s[1], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE, 0));

    /* bob lacks canUpdateOwnMetadata */
    u.request_id = 8;
    send_req(f->rm, b, &req);
    rr = sink_find(&f->s[1], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE, 0);
    assert_non_null(rr);
    assert_int_equal(rr->request_response->reason, LIVEKIT__REQUEST_RESPONSE__REASON__NOT_ALLOWED);

    /* over the metadata limit */
    f->cfg.limit.max_metadata_size = 1;
    u.request_id = 9;
    send_req(f->rm, a, &req);
    rr = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE, 1);
    assert_non_null(rr);
    assert_int_equal(rr->request_response->reason,
                     LIVEKIT__REQUEST_RESPONSE__REASON__LIMIT_EXCEEDED);
}

static void test_request_response_held_back(void **state)
{
    struct fixture *f = *state;
    struct participant *a = rm_join(f->rm, ticket("r", "alice", false, true), &f->s[0], 1000);
    struct participant *b = rm_join(f->rm, ticket("r", "bob", false, true), &f->s[1], 1000);
    Livekit__UpdateParticipantMetadata u = LIVEKIT__UPDATE_PARTICIPANT_METADATA__INIT;
    u.metadata = "m";
    u.request_id = 3;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_UPDATE_METADATA;
    req.update_metadata = &u;
    uint8_t buf[256];
    size_t n = livekit__signal_request__pack(&req, buf);
    rm_signal_message(f->rm, a, buf, n, 5000);
    rm_signal_message(f->rm, b, buf, n, 5000);
    /* the update goes out at once, the answer 100 ms later */
    assert_non_null(sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE, 0));
    assert_null(sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE, 0));
    rm_tick(f->rm, 5099);
    assert_null(sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE, 0));
    /* bob leaves before his answer is due: it is dropped with him */
    rm_signal_lost(f->rm, b, 5050);
    rm_tick(f->rm, 5100);
    assert_non_null(sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE, 0));
    assert_null(sink_find(&f->s[1], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE, 0));
    assert_int_equal(f->rm->n_deferred, 0);
}

static void test_ping(void **state)
{
    struct fixture *f = *state;
    struct participant *a = rm_join(f->rm, ticket("r", "alice", false, false), &f->s[0], 1000);
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING;
    req.ping = 5;
    send_req(f->rm, a, &req);
    Livekit__Ping ping = LIVEKIT__PING__INIT;
    ping.timestamp = 42;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING_REQ;
    req.ping_req = &ping;
    send_req(f->rm, a, &req);
    Livekit__SignalResponse *p = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG, 0);
    assert_non_null(p);
    assert_int_equal(p->pong, 1000);
    p = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG_RESP, 0);
    assert_non_null(p);
    assert_int_equal(p->pong_resp->last_ping_timestamp, 42);
    /* garbage is dropped, the participant stays */
    rm_signal_message(f->rm, a, (const uint8_t *)"\xff\xff\xff", 3, 1000);
    assert_false(f->s[0].closed);
}

static void test_trickle(void **state)
{
    struct fixture *f = *state;
    struct participant *a = rm_join(f->rm, ticket("r", "alice", false, false), &f->s[0], 1000);
    Livekit__TrickleRequest t = LIVEKIT__TRICKLE_REQUEST__INIT;
    t.candidateinit = "{\"candidate\":\"candidate:1 1 udp 2122260223 10.0.0.2 5000 typ host\","
                      "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_TRICKLE;
    req.trickle = &t;
    send_req(f->rm, a, &req);
    t.candidateinit = "{not json";
    send_req(f->rm, a, &req);
    assert_int_equal(f->rm->stats.trickle_accepted, 1);
    assert_int_equal(f->rm->stats.trickle_malformed, 1);
    assert_false(f->s[0].closed);
}

static void test_leave_and_duplicate(void **state)
{
    struct fixture *f = *state;
    rm_join(f->rm, ticket("r", "alice", false, false), &f->s[0], 1000);
    struct participant *b = rm_join(f->rm, ticket("r", "bob", false, false), &f->s[1], 1000);
    sink_clear(&f->s[0]);
    Livekit__LeaveRequest leave = LIVEKIT__LEAVE_REQUEST__INIT;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_LEAVE;
    req.leave = &leave;
    send_req(f->rm, b, &req);
    assert_true(f->s[1].closed);
    Livekit__SignalResponse *u = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE, 0);
    assert_non_null(u);
    assert_int_equal(u->update->participants[0]->state,
                     LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED);
    assert_int_equal(u->update->participants[0]->disconnect_reason,
                     LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED);

    /* a second alice replaces the first */
    rm_join(f->rm, ticket("r", "alice", false, false), &f->s[2], 1000);
    Livekit__SignalResponse *l = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE, 0);
    assert_non_null(l);
    assert_int_equal(l->leave->reason, LIVEKIT__DISCONNECT_REASON__DUPLICATE_IDENTITY);
    assert_true(f->s[0].closed);
    assert_int_equal(rm_room_find(f->rm, "r")->n_parts, 1);
}

static void test_events(void **state)
{
    struct fixture *f = *state;
    struct participant *a = rm_join(f->rm, ticket("r", "alice", false, false), &f->s[0], 1000);
    struct participant *b = rm_join(f->rm, ticket("r", "bob", false, false), &f->s[1], 1000);
    struct participant *c = rm_join(f->rm, ticket("r", "carol", false, false), &f->s[2], 1000);
    rm_participant_active(f->rm, a);
    rm_participant_active(f->rm, a); /* once only */
    rm_participant_active(f->rm, c);
    rm_signal_lost(f->rm, a, 2000);
    rm_signal_leave(f->rm, b, 2000);
    rm_room_close(f->rm, rm_room_find(f->rm, "r"), LIVEKIT__DISCONNECT_REASON__ROOM_DELETED);
    const char *want[] = {"room_started:", "participant_joined:alice", "participant_joined:carol",
                          "participant_left:alice", "participant_connection_aborted:bob",
                          "participant_left:carol", "room_finished:"};
    assert_int_equal(n_events, sizeof want / sizeof *want);
    for (size_t i = 0; i < n_events; i++)
        assert_string_equal(events[i], want[i]);

    n_events = 0;
    rm_join(f->rm, ticket("q", "dave", false, false), &f->s[3], 1000);
    rm_signal_lost(f->rm, rm_participant_find(rm_room_find(f->rm, "q"), "dave"), 2000);
    rm_tick(f->rm, 2000 + 20000);
    assert_int_equal(n_events, 3);
    assert_string_equal(events[2], "room_finished:");
}

static void test_room_timeouts(void **state)
{
    struct fixture *f = *state;
    struct participant *a = rm_join(f->rm, ticket("r", "alice", false, false), &f->s[0], 1000);
    rm_signal_lost(f->rm, a, 2000);
    rm_tick(f->rm, 2000 + 19000);
    assert_non_null(rm_room_find(f->rm, "r"));
    rm_tick(f->rm, 2000 + 20000);
    assert_null(rm_room_find(f->rm, "r"));

    Livekit__CreateRoomRequest cr = LIVEKIT__CREATE_ROOM_REQUEST__INIT;
    cr.name = "empty";
    cr.empty_timeout = 10;
    rm_room_create(f->rm, &cr, 0);
    rm_tick(f->rm, 9999);
    assert_non_null(rm_room_find(f->rm, "empty"));
    rm_tick(f->rm, 10000);
    assert_null(rm_room_find(f->rm, "empty"));
}

static void test_limits_and_close(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    Livekit__CreateRoomRequest cr = LIVEKIT__CREATE_ROOM_REQUEST__INIT;
    cr.name = "small";
    cr.max_participants = 1;
    struct room *r = rm_room_create(f->rm, &cr, 0);
    assert_int_equal(rm_join_check(f->rm, "small", "x", &why, NULL), 0);
    rm_join(f->rm, ticket("small", "x", false, false), &f->s[0], 1000);
    assert_int_equal(rm_join_check(f->rm, "small", "y", &why, NULL), 429);
    assert_int_equal(rm_join_check(f->rm, "small", "x", &why, NULL), 0);
    enum limit_id limit;
    assert_int_equal(rm_join_check(f->rm, "small", "y", &why, &limit), 429);
    assert_int_equal(limit, LIMIT_ROOM_PARTICIPANTS);
    assert_string_equal(why, "room has exceeded its max participants");
    /* limit.max_rooms: a join that would open one more room is refused */
    f->cfg.limit.max_rooms = 1;
    assert_int_equal(rm_join_check(f->rm, "another", "x", &why, &limit), 429);
    assert_int_equal(limit, LIMIT_ROOMS);
    assert_string_equal(why, RM_MAX_ROOMS_MSG);
    assert_int_equal(rm_join_check(f->rm, "small", "x", &why, &limit), 0);
    assert_int_equal(limit, LIMIT_NONE);
    assert_null(rm_join(f->rm, ticket("another", "z", false, false), &f->s[1], 1000));
    assert_null(rm_room_find(f->rm, "another"));
    assert_int_equal(f->rm->limits.hits[LIMIT_ROOMS], 1);
    f->cfg.limit.max_rooms = 2;
    assert_int_equal(rm_join_check(f->rm, "another", "x", &why, &limit), 0);
    f->cfg.limit.max_rooms = 0; /* no limit */
    assert_int_equal(rm_join_check(f->rm, "another", "x", &why, &limit), 0);
    f->cfg.room.auto_create = false;
    assert_int_equal(rm_join_check(f->rm, "nowhere", "x", &why, NULL), 404);
    rm_room_close(f->rm, r, LIVEKIT__DISCONNECT_REASON__ROOM_DELETED);
    Livekit__SignalResponse *l = sink_find(&f->s[0], LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE, 0);
    assert_non_null(l);
    assert_int_equal(l->leave->reason, LIVEKIT__DISCONNECT_REASON__ROOM_DELETED);
    assert_true(f->s[0].closed);
    assert_null(rm_room_find(f->rm, "small"));
}

static void test_resume_refused(void **state)
{
    struct fixture *f = *state;
    struct join_ticket *t = ticket("r", "alice", false, false);
    t->req->reconnect = true;
    assert_null(rm_join(f->rm, t, &f->s[0], 1000));
    assert_int_equal(f->s[0].n, 1);
    Livekit__SignalResponse *l = f->s[0].msgs[0];
    assert_int_equal(l->message_case, LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE);
    assert_int_equal(l->leave->action, LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT);
    assert_int_equal(l->leave->reason, LIVEKIT__DISCONNECT_REASON__STATE_MISMATCH);
    assert_true(f->s[0].closed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_join_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_join_and_hidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_response_held_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trickle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leave_and_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_room_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
