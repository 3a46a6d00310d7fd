#!/usr/bin/env bash
# Removes what earlier test runs left in a test cluster: namespaces labelled
# mobileforge.credeau.com/test whose owner (mobileforge.credeau.com/test-owner, `<host>.<pid>`,
# set by test/support/test-owner.ts) ran on this machine and is no longer running, and the
# cluster-wide bindings of namespaces that are gone. A namespace of a run still in progress (a
# second clone's suites) is left alone, and so is anything without the test label (a demo).
#
#   sweep.sh kube|node      the integration suites' API server, or the node's cluster
#
# Pipelines keep a finalizer that only their operator removes; the operator of a finished run
# is gone, so the sweep removes the finalizers of the pipelines in a leftover namespace before
# deleting it (their topics, if any, were the run's own, under a prefix of its own).
source "$(dirname "$0")/lib.sh"

case "${1:-}" in
  kube) kubeconfig=${MOBILEFORGE_TEST_KUBECONFIG:-$RUN/kube/kubeconfig} ;;
  node) kubeconfig=${MOBILEFORGE_E2E_KUBECONFIG:-$RUN/node/kubeconfig} ;;
  *) die "usage: sweep.sh kube|node" ;;
esac
[ -f "$kubeconfig" ] || exit 0
k() { "$BIN/kubectl" --kubeconfig "$kubeconfig" --request-timeout=20s "$@"; }

# The same rule as testOwner() in test/support/test-owner.ts.
me=$(hostname | sed 's/[^A-Za-z0-9._-]/-/g' | cut -c1-40 | sed -E 's/^[^A-Za-z0-9]+//; s/[^A-Za-z0-9]+$//')
[ -n "$me" ] || me=host

swept=0
while read -r ns owner; do
  [ -n "$ns" ] || continue
  host=${owner%.*} pid=${owner##*.}
  # unowned (made before owners were recorded) or owned by a finished process of this machine
  if [ -n "$owner" ] && { [ "$host" != "$me" ] || kill -0 "$pid" 2>/dev/null; }; then continue; fi
  for p in $(k get syncpipelines -n "$ns" -o name 2>/dev/null); do
    k patch -n "$ns" "$p" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  k delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1 || true
  swept=$((swept + 1))
done < <(k get namespaces -l mobileforge.credeau.com/test=true \
  -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.labels.mobileforge\.credeau\.com/test-owner}{"\n"}{end}' 2>/dev/null || true)

# Argo CD Applications of a suite (test/e2e/gitops.test.ts) live in Argo CD's namespace, not in
# the suite's: the same owner rule. They carry no resources finalizer, so deleting one leaves
# what it deployed to the namespaces' own sweep.
while read -r app owner; do
  [ -n "$app" ] || continue
  host=${owner%.*} pid=${owner##*.}
  if [ -n "$owner" ] && { [ "$host" != "$me" ] || kill -0 "$pid" 2>/dev/null; }; then continue; fi
  k delete applications.argoproj.io -n "${app%%/*}" "${app#*/}" --wait=false --ignore-not-found >/dev/null 2>&1 || true
done < <(k get applications.argoproj.io -A -l mobileforge.credeau.com/test=true \
  -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{.metadata.labels.mobileforge\.credeau\.com/test-owner}{"\n"}{end}' 2>/dev/null || true)

# Bindings named after their namespace (test/support/operator-env.ts): gone with it.
namespaces=" $(k get namespaces -o jsonpath='{.items[*].metadata.name}' 2>/dev/null || true) "
for b in $(k get clusterrolebindings -l mobileforge.credeau.com/test=true -o jsonpath='{.items[*].metadata.name}' 2>/dev/null || true); do
  ns=${b#mobileforge-operator-}
  case "$namespaces" in *" $ns "*) ;; *) k delete clusterrolebinding "$b" --ignore-not-found >/dev/null 2>&1 || true ;; esac
done
[ "$swept" -eq 0 ] || log "$1: removed $swept namespace(s) left by earlier test runs"
