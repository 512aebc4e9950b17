#!/bin/sh
# Checks the deployment files with the tools npm test cannot count on (this CI machine has no Docker
# daemon, no registry access for base images and no helm): builds the musl release archive and the
# image, runs one container and the 3-node compose cluster through a write and a read, and lints and
# renders the Helm chart. Each part runs where its tool works and says "skipped: <why>" otherwise; any
# part that runs and fails exits non-zero. Everything it starts it stops (containers by name, compose
# by project). Usage: sh scripts/deploy-check.sh   (from the repository root)
set -eu
cd "$(dirname "$0")/.."
VERSION=$(node -p 'require("./package.json").version')
ARCH=$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
TARGET="linux-$ARCH-musl"
TAG="tnacos:$VERSION"
fail=0

wait_http() { # url seconds
  i=0
  while [ "$i" -lt "$2" ]; do
    if wget -qO- "$1" >/dev/null 2>&1 || curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    i=$((i + 1)); sleep 1
  done
  return 1
}

if docker info >/dev/null 2>&1; then
  echo "== image: build the $TARGET archive, then docker build"
  npx bun build.ts --target "$TARGET"
  docker build -f deploy/docker/Dockerfile --build-arg VERSION="$VERSION" --build-arg TARGET="$TARGET" -t "$TAG" .
  echo "== one container"
  docker rm -f tnacos-deploy-check >/dev/null 2>&1 || true
  docker run -d --name tnacos-deploy-check -p 18848:8848 "$TAG" >/dev/null
  if wait_http http://127.0.0.1:18848/health 30 &&
    curl -fsS -X POST 'http://127.0.0.1:18848/nacos/v1/cs/configs' -d 'dataId=check&group=deploy&content=ok' | grep -q true &&
    [ "$(curl -fsS 'http://127.0.0.1:18848/nacos/v1/cs/configs?dataId=check&group=deploy')" = ok ]; then
    echo "ok: the container serves a write and a read"
  else
    echo "FAIL: the container did not serve"; docker logs tnacos-deploy-check | tail -30; fail=1
  fi
  docker rm -f tnacos-deploy-check >/dev/null
  if docker compose version >/dev/null 2>&1; then
    echo "== compose: three nodes"
    export TNACOS_VERSION="$VERSION"
    docker compose -p tnacos-deploy-check -f deploy/docker/docker-compose.yml up -d
    if wait_http http://127.0.0.1:8850/health 60 &&
      curl -fsS -X POST 'http://127.0.0.1:8848/nacos/v1/cs/configs' -d 'dataId=check&group=deploy&content=cluster' | grep -q true &&
      sleep 1 && [ "$(curl -fsS 'http://127.0.0.1:8850/nacos/v1/cs/configs?dataId=check&group=deploy')" = cluster ]; then
      echo "ok: written on node 1, read on node 3"
    else
      echo "FAIL: the compose cluster did not replicate"; docker compose -p tnacos-deploy-check -f deploy/docker/docker-compose.yml logs | tail -40; fail=1
    fi
    docker compose -p tnacos-deploy-check -f deploy/docker/docker-compose.yml down -v
  else
    echo "skipped: compose smoke (no 'docker compose')"
  fi
else
  echo "skipped: image build and container smoke (no Docker daemon here)"
fi

if command -v helm >/dev/null 2>&1; then
  echo "== helm lint and template"
  helm lint deploy/helm/tnacos || fail=1
  helm template check deploy/helm/tnacos >/dev/null || fail=1
else
  echo "skipped: helm lint (no helm here; npm test renders the chart's templates itself)"
fi
exit $fail
