#!/bin/sh
# Keeps the module dependencies one-way: common <- config, transport,
# signaling <- server.  transport and signaling never include each other,
# and only server/ (and transport's udp_mux*) include <uv.h>.
cd "$(dirname "$0")/.."
bad=0
check() { # dir pattern message
    hits=$(grep -rn --include='*.[ch]' -E "$2" "$1" 2>/dev/null)
    if [ -n "$hits" ]; then echo "check-deps: $3"; echo "$hits"; bad=1; fi
}
check common '#include "(config|signaling|transport|server)/' "common/ includes a higher module"
check config '#include "(signaling|transport|server)/' "config/ includes a higher module"
check signaling '#include "(transport|server)/' "signaling/ includes transport/ or server/"
check transport '#include "(signaling|server)/' "transport/ includes signaling/ or server/"
check common '#include <uv.h>' "only server/ may include uv.h"
check config '#include <uv.h>' "only server/ may include uv.h"
check signaling '#include <uv.h>' "only server/ may include uv.h"
exit $bad
