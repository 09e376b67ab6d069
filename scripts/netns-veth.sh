# Sourced inside a fresh network namespace (unshare -n) by the scripts that
# run real SDK clients: rtc-node's libwebrtc ignores loopback, so the server
# and the clients get a veth pair whose addresses exist only in here.
# Exports DCSFU_NODE_IP, the address the server advertises.
ip link set lo up
ip link add lkv0 type veth peer name lkv1
ip addr add 10.77.0.1/24 dev lkv0
ip addr add 10.77.0.2/24 dev lkv1
ip link set lkv0 up
ip link set lkv1 up
export DCSFU_NODE_IP=10.77.0.1
