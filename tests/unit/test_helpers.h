/* test_helpers.h: small helpers shared by the unit tests (header-only, since
 * the Makefile builds each tests/unit/test_*.c into its own binary).
 * Include after <cmocka.h>. */
#ifndef DC_TEST_HELPERS_H
#define DC_TEST_HELPERS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Socket addresses from text; the test fails on a bad address. */
static inline struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
    return s;
}

static inline struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
    struct sockaddr_in6 s;
    memset(&s, 0, sizeof s);
    s.sin6_family = AF_INET6;
    s.sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, ip, &s.sin6_addr), 1);
    return s;
}

/* Capturing what the code under test writes to stderr. */
static int captured_saved_fd = -1;
static FILE *captured;

static inline void capture_begin(void)
{
    fflush(stderr);
    captured = tmpfile();
    assert_non_null(captured);
    captured_saved_fd = dup(STDERR_FILENO);
    dup2(fileno(captured), STDERR_FILENO);
}

/* What was written to stderr since capture_begin (caller frees). */
static inline char *capture_end(void)
{
    fflush(stderr);
    dup2(captured_saved_fd, STDERR_FILENO);
    close(captured_saved_fd);
    long n = ftell(captured);
    char *buf = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    rewind(captured);
    size_t got = fread(buf, 1, (size_t)(n > 0 ? n : 0), captured);
    buf[got] = '\0';
    fclose(captured);
    return buf;
}

#endif
