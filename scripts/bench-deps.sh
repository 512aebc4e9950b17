#!/usr/bin/env bash
# Installs what the benches use and npm cannot bring: wrk (HTTP load), h2load (nghttp2-client, gRPC load),
# etcd 3.4 (etcd-server/etcd-client, the comparison in bench/cluster-bench.ts). Debian/Ubuntu, as root.
set -euo pipefail
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
if [ ${#missing[@]} -eq 0 ]; then echo "bench deps: all present"; exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
