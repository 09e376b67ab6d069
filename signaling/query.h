/* query.h: read one parameter from a URL query string.
 *
 * query_get() scans `query` ("a=1&b=2", an optional leading '?' is skipped)
 * for the first pair whose percent-decoded key equals `name` and returns its
 * value percent-decoded ('+' becomes a space), as a NUL-terminated string
 * allocated with malloc that the caller frees.  A key without '=' has the
 * empty value.  Pairs whose key or value holds a malformed escape ("%G1",
 * a '%' without two hex digits) or decodes to a NUL byte are skipped, like Go's
 * url.ParseQuery skips them.  Returns NULL when the parameter is absent or
 * either argument is NULL.  query_get_nth() returns the value of the nth
 * such pair (0 = the first, which is query_get's), counting only pairs
 * query_get would return.  No I/O, no global state. */
#ifndef DC_QUERY_H
#define DC_QUERY_H

char *query_get(const char *query, const char *name);
char *query_get_nth(const char *query, const char *name, unsigned nth);

#endif
